"""``ils`` with driver breaks and the driving-time rule (``heuristic/_legs.py``).

The kernels' labelling must be the evaluator's schedule: the same feasibility and the same
cost on every route (it re-implements the evaluator's placement rule and its choice of
the fewest violations, then the lowest cost, then the earliest return). Plans are
evaluator-feasible with the evaluator's cost, deterministic per seed, and optimal on tiny
instances (brute force over every placement of the breaks)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from solver.compile import BREAK_FEATURES, compile_problem
from solver.engines.heuristic._legs import resume
from solver.engines.heuristic._schedule import route_schedule
from solver.engines.heuristic.instance import build_instance, own_scratch, unservable
from solver.engines.heuristic.params import HeuristicParams
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import (
    Break,
    Depot,
    DrivingRule,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)
from solver.solution import ReasonCode, Route, Solution
from solver.travel.base import TravelTensor
from tests.solver.engines.test_heuristic_day import _checked, brute_force, walk_problems
from tests.strategies import day_problems

pytestmark = pytest.mark.usefixtures("ils_kernels")  # compiled before any timed solve

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def break_problems(draw: st.DrawFn) -> Problem:
    """Day problems with breaks (maybe a driving rule) on some vehicle types: the tiny
    matrix ones of ``day_problems``, or the multi-depot, mixed-fleet Euclidean ones of
    ``walk_problems`` (two-window stops, soft windows, overtime, route limits) given
    breaks and rules."""
    if draw(st.booleans()):
        problem = draw(day_problems(max_stops=5))
        assume(problem.vehicle_types[0].breaks)
        return problem
    base = draw(walk_problems())
    types = []
    for v in base.vehicle_types:
        breaks, earliest = [], 0.0
        for b in range(draw(st.integers(0, 3))):
            earliest += float(draw(st.integers(0, 300)))
            latest = earliest + float(draw(st.integers(0, 200)))
            breaks.append(Break(id=f"B{b}", earliest_start=earliest, latest_start=latest,
                                duration=float(draw(st.integers(1, 60)))))
        driving = (DrivingRule(max_driving=float(draw(st.integers(30, 400))),
                               break_duration=float(draw(st.integers(1, 40))))
                   if draw(st.booleans()) else None)
        types.append(v.model_copy(update={"breaks": breaks, "driving": driving}))
    assume(any(v.breaks or v.driving for v in types))
    return base.model_copy(update={"vehicle_types": types})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_kernel_schedule_with_breaks_is_the_evaluators(data):
    """On any route with breaks or a driving rule the kernels' schedule and the evaluator
    agree on feasibility (each direction: the kernel never calls a route feasible the
    evaluator rejects, nor rejects one it accepts), on the distance, and on the cost (the
    chosen placement's cost, lateness and overtime costs included) to 1e-9 relative; with
    static and with time-dependent travel."""
    problem = data.draw(break_problems())
    travel = compile_problem(problem).travel
    if data.draw(st.booleans()):  # time-dependent: a slower second slice from t = 100
        travel = TravelTensor(travel.distance, np.stack([travel.duration[0],
                                                         1.5 * travel.duration[0]]),
                              np.array([0.0, 100.0]))
    compiled = compile_problem(problem, travel)
    inst = build_instance(compiled, HeuristicParams())
    assert set(compiled.day_features) & set(BREAK_FEATURES) and inst.day.legs is not None
    k = data.draw(st.integers(0, compiled.n_types - 1))
    order = data.draw(st.permutations([s.id for s in problem.stops]))
    order = order[: data.draw(st.integers(1, len(order)))]
    index = compiled.stop_index()
    nodes = np.array([index[s] for s in order], dtype=np.int64)
    cost, distance, _, *violations = route_schedule(inst, k, nodes, nodes.size)
    vtype = problem.vehicle_types[k].id
    report = evaluate(problem, Solution(routes=[Route(vehicle_type=vtype, stops=order)],
                                        unassigned=[]), travel)
    route_violations = [v for v in report.violations if v.route == 0 and v.kind != "skill"]
    assert (sum(violations) > 0) == bool(route_violations), (violations, route_violations)
    assert math.isclose(distance, report.routes[0].distance, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(cost, report.routes[0].cost, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_labelling_resumed_after_a_shared_head_is_the_full_one(data):
    """Rows priced one after another on one instance, each sharing a head with an earlier
    one (the labels before each stop are kept and resumed from, ``_legs.resume``), get
    exactly what each gets on an instance that priced nothing before; with static and
    time-dependent travel, on any type."""
    problem = data.draw(break_problems())
    travel = compile_problem(problem).travel
    if data.draw(st.booleans()):
        travel = TravelTensor(travel.distance, np.stack([travel.duration[0],
                                                         1.5 * travel.duration[0]]),
                              np.array([0.0, 100.0]))
    compiled = compile_problem(problem, travel)
    inst = build_instance(compiled, HeuristicParams())
    index = compiled.stop_index()
    rows = [data.draw(st.permutations([index[s.id] for s in problem.stops]))]
    for _ in range(data.draw(st.integers(2, 8))):
        earlier = data.draw(st.sampled_from(rows))
        head = earlier[:data.draw(st.integers(0, len(earlier)))]
        rest = data.draw(st.permutations([i for i in rows[0] if i not in head]))
        row = head + rest[:data.draw(st.integers(0, len(rest)))]
        if not row:
            continue
        rows.append(row)
        k = data.draw(st.integers(0, compiled.n_types - 1))
        nodes = np.array(row, dtype=np.int64)
        assert (route_schedule(inst, k, nodes, nodes.size)
                == route_schedule(own_scratch(inst), k, nodes, nodes.size)), row


def test_resume_takes_the_longest_shared_head_on_the_same_type():
    """``resume`` names the slot and the steps a row may skip: the stops it shares with a
    slot's row on its type, the least recently used slot when none shares any."""
    trail = np.zeros((3 + 1, 8), dtype=np.int64)
    row = np.array([4, 5, 6, 7], dtype=np.int64)
    first = resume(trail, 1, row, 3)
    assert first == (0, 0)
    assert resume(trail, 1, row, 4) == (0, 3)  # same type, the first three stops shared
    assert resume(trail, 2, row, 4)[1] == 0  # another type shares nothing
    other = np.array([4, 9, 6], dtype=np.int64)
    assert resume(trail, 1, other, 3) == (0, 1)  # only the first stop
    assert resume(trail, 1, row, 2) == (0, 1)  # the slot now holds ``other``
    lru = resume(trail, 3, row, 4)[0]
    assert lru == 2 and trail[lru, 0] == 3  # slot 2 was never used


@SETTINGS
@given(break_problems())
def test_ils_plans_with_breaks_are_feasible_with_the_evaluators_cost(problem):
    """Every ils plan is evaluator-feasible or names its unassigned stops; it claims the
    evaluator's cost; the same seed gives the same plan."""
    first = _checked(problem, "ils")
    assert first.solution.stats.produced_by == "ils"
    again = solve(problem, SolveOptions(engine="ils", time_limit=10, iteration_limit=200,
                                        seed=1))
    assert again.solution.routes == first.solution.routes


@SETTINGS
@given(day_problems(max_stops=4))
def test_ils_finds_the_optimum_with_breaks_on_tiny_problems(problem):
    """When some plan serves every stop, ils serves all and costs what brute force (every
    placement of the breaks, every integer split of a leg's driving) finds cheapest."""
    assume(problem.vehicle_types[0].breaks)
    optimum = brute_force(problem)
    assume(optimum is not None)
    out = _checked(problem, "ils")
    assert not out.solution.unassigned
    assert math.isclose(out.report.cost, optimum, rel_tol=1e-9, abs_tol=1e-6)


def _far_stop(**vehicle) -> Problem:
    """One stop 100 s (and 100 units) from the depot, a break in [30, 40] of 10 s."""
    return Problem(
        depots=[Depot(id="D", location=Location(x=0, y=0))],
        stops=[Stop(id="S", location=Location(x=60, y=80))],
        vehicle_types=[VehicleType(
            id="T", start_depot="D", shift=TimeWindow(start=0, end=1000), cost_per_time=1.0,
            breaks=[Break(id="b", earliest_start=30, latest_start=40, duration=10)],
            **vehicle)])


def test_a_break_splits_the_driving_as_late_as_it_may_start():
    """The break comes after 40 s of driving (its latest start), the route returns at
    210 having left at its shift start: 200 distance + 210 duration."""
    out = _checked(_far_stop(), "ils")
    route = out.report.routes[0]
    assert [(b.start, b.end) for b in route.breaks] == [(40.0, 50.0)]
    assert route.visits[0].arrival == pytest.approx(110.0)
    assert out.report.cost == pytest.approx(200 + 210)
    assert out.solution.stats.claimed_cost == pytest.approx(410)


def test_a_stop_the_driving_rule_forbids_gets_reason_break():
    """At most 50 s of driving between breaks: 60 s after the only break are too many,
    so the stop cannot be served, with reason BREAK."""
    problem = _far_stop(driving=DrivingRule(max_driving=50, break_duration=10))
    compiled = compile_problem(problem)
    inst = build_instance(compiled, HeuristicParams())
    assert unservable(inst, compiled.n_depots) == {1: ReasonCode.BREAK}
    out = _checked(problem, "ils")
    assert [(u.stop, u.reason) for u in out.solution.unassigned] == [
        ("S", ReasonCode.BREAK)]
