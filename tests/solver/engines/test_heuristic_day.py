"""``ils`` (and ``exact``) on operating-day problems: soft windows, overtime and route
limits (driver breaks and the driving-time rule: test_heuristic_breaks.py, and for
``exact`` test_exact_day.py). The kernels' schedule
must price a route as the independent evaluator does; plans are evaluator-feasible, claim
the evaluator's cost, and are optimal on tiny instances (brute force)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from solver.compile import WALK_FEATURES, compile_problem
from solver.engines.heuristic._moves import prune_limit, relocate_gain, swap_gain, two_opt_gain
from solver.engines.heuristic._routes import update_all
from solver.engines.heuristic._schedule import route_schedule
from solver.engines.heuristic.instance import build_instance, new_state, new_work, unservable
from solver.engines.heuristic.params import HeuristicParams
from solver.engines.heuristic.warm import load_routes
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import (
    Depot,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)
from solver.solution import ReasonCode, Route, Solution
from tests.solver.naive import day_route_reference
from tests.strategies import day_problems, problems

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def without_breaks(problem: Problem, cost_per_time: float | None = None) -> Problem:
    """``problem`` with no breaks and no driving rule (and maybe another cost per time)."""
    update = {"breaks": [], "driving": None}
    if cost_per_time is not None:
        update["cost_per_time"] = cost_per_time
    return problem.model_copy(update={"vehicle_types": [
        v.model_copy(update=update) for v in problem.vehicle_types]})


@st.composite
def walk_problems(draw: st.DrawFn) -> Problem:
    """Day problems ``ils`` models: tiny one-type matrix ones (``day_problems``), or
    multi-depot, mixed-fleet Euclidean ones (``problems``, some stops with two windows)
    given soft windows, overtime and route limits."""
    if draw(st.booleans()):
        return without_breaks(draw(day_problems(max_stops=5)))
    base = draw(problems(max_stops=6))
    stops = []
    for s in base.stops:
        windows = s.time_windows
        start, end = windows[0].start, windows[0].end
        if draw(st.booleans()) and end - start > 60:  # two windows with a gap
            windows = [TimeWindow(start=start, end=start + 20), TimeWindow(start=start + 50,
                                                                            end=end)]
        stops.append(s.model_copy(update={
            "time_windows": windows,
            "late_cost": float(draw(st.sampled_from([0, 0, 0.5, 3]))),
            "max_lateness": draw(st.sampled_from([None, None, 20.0])),
        }))
    types = []
    for v in base.vehicle_types:
        end = float(draw(st.integers(200, 1000)))
        types.append(v.model_copy(update={
            "shift": TimeWindow(start=0.0, end=end),
            "max_overtime": float(draw(st.sampled_from([0, 0, 100]))),
            "overtime_cost": float(draw(st.sampled_from([0, 2]))),
            "max_stops": draw(st.sampled_from([None, 1, 2, 3])),
            "max_distance": float(draw(st.sampled_from([math.inf, 150.0, 300.0]))),
        }))
    return Problem.model_validate({**base.model_dump(), "stops": [s.model_dump() for s in stops],
                                   "vehicle_types": [v.model_dump() for v in types]})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_kernel_schedule_prices_routes_as_the_evaluator(data):
    """The exact schedule of the kernels: cost (lateness and overtime included) and
    feasibility of any route are the evaluator's."""
    problem = data.draw(walk_problems())
    compiled = compile_problem(problem)
    inst = build_instance(compiled, HeuristicParams())
    assert inst.day is not None or not set(compiled.day_features) & set(WALK_FEATURES)
    assert inst.day is None or inst.day.legs is None  # no breaks: the plain walk
    k = data.draw(st.integers(0, compiled.n_types - 1))
    order = data.draw(st.permutations([s.id for s in problem.stops]))
    order = order[: data.draw(st.integers(1, len(order)))]
    index = compiled.stop_index()
    nodes = np.array([index[s] for s in order], dtype=np.int64)
    cost, distance, _, *violations = route_schedule(inst, k, nodes, nodes.size)
    vtype = problem.vehicle_types[k].id
    report = evaluate(problem, Solution(routes=[Route(vehicle_type=vtype, stops=order)],
                                        unassigned=[]))
    route_violations = [v for v in report.violations if v.route == 0 and v.kind != "skill"]
    assert math.isclose(cost, report.routes[0].cost, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(distance, report.routes[0].distance, rel_tol=1e-9, abs_tol=1e-6)
    assert (sum(violations) > 0) == bool(route_violations), (violations, route_violations)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_moves_are_pruned_by_all_a_route_pays_besides_distance(data):
    """Without a cost per time, a move is pruned when its distance change is at least
    what its routes pay besides fixed and distance costs: on day problems that is their
    penalties and their lateness and overtime costs, which the limit must cover."""
    problem = data.draw(walk_problems())
    compiled = compile_problem(problem)
    inst = build_instance(compiled, HeuristicParams())
    assume(inst.bound and not inst.time_bound and inst.day is not None)
    order = data.draw(st.permutations([s.id for s in problem.stops]))
    index = compiled.stop_index()
    nodes = np.array([index[s] for s in order], dtype=np.int64)
    state, pen = new_state(inst), np.array([10.0, 10.0])
    assert load_routes(inst, state, new_work(inst, (10.0, 10.0)), [(0, nodes)]) == 1
    update_all(inst, state, pen, False)
    r = int(state.route_of[nodes[0]])
    cost, distance, *_ = route_schedule(inst, 0, nodes, nodes.size)
    limit = prune_limit(inst, state, pen, r, r)
    base = inst.fixed[0] + inst.cost_dist[0] * distance
    assert limit == pytest.approx(state.cost[r] - base, rel=1e-9, abs=1e-6)
    assert limit >= cost - base - 1e-6  # lateness and overtime costs included


def _arcs_cost(compiled, inst, k: int, nodes: list[int]) -> float:
    """Fixed, distance, travel time and service time cost of type ``k`` serving
    ``nodes`` (0 for none): what no schedule of that route costs less than."""
    if not nodes:
        return 0.0
    path = [int(inst.start_depot[k]), *nodes, int(inst.end_depot[k])]
    legs = list(itertools.pairwise(path))
    distance = sum(compiled.travel.arc_distance(a, b) for a, b in legs)
    busy = (sum(compiled.travel.arc_duration(0, a, b) for a, b in legs)
            + sum(inst.service[u] for u in nodes))
    return inst.fixed[k] + inst.cost_dist[k] * distance + inst.cost_time[k] * busy


def _candidate_moves(a: list[int], b: list[int] | None):
    """Each relocate (of two clients, reversed or not, between routes), swap 1-1 and
    2-opt(*) within ``a`` or between ``a`` and ``b``:
    ``(gain kernel, its arguments before and after the second route, new a, new b)``."""
    for i in range(len(a)):
        for q in range(-1, len(a if b is None else b)):
            if b is None:
                if i - 1 <= q <= i:
                    continue
                new = (a[:q + 1] + [a[i]] + a[q + 1:i] + a[i + 1:] if q < i
                       else a[:i] + a[i + 1:q + 1] + [a[i]] + a[q + 1:])
                yield relocate_gain, (i, i, 0), (q,), new, None
            else:
                yield (relocate_gain, (i, i, 0), (q,), a[:i] + a[i + 1:],
                       b[:q + 1] + [a[i]] + b[q + 1:])
            if q < 0:
                continue
            if b is None:
                if q > i + 1:
                    swapped = a.copy()
                    swapped[i], swapped[q] = a[q], a[i]
                    yield swap_gain, (i, i), (q, q), swapped, None
                    yield (two_opt_gain, (i,), (q,), a[:i + 1] + a[i + 1:q + 1][::-1] + a[q + 1:],
                           None)
            else:
                yield (swap_gain, (i, i), (q, q), a[:i] + [b[q]] + a[i + 1:],
                       b[:q] + [a[i]] + b[q + 1:])
        if b is not None:
            for q in range(-1, len(b)):
                yield two_opt_gain, (i,), (q,), a[:i + 1] + b[q + 1:], b[:q + 1] + a[i + 1:]
                for rev in (0, 1) if i + 1 < len(a) else ():
                    pair = a[i:i + 2][::-1] if rev else a[i:i + 2]
                    yield (relocate_gain, (i, i + 1, rev), (q,), a[:i] + a[i + 2:],
                           b[:q + 1] + pair + b[q + 1:])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_time_priced_moves_are_pruned_by_a_lower_bound(data):
    """Where routes pay per second (static, symmetric travel; vehicles may end at
    another depot), no route costs less than its fixed, distance, travel time and
    service time costs; the prune limit is what the routes pay beyond those, and a
    move's gain is exactly their change. So a move whose gain reaches the limit cannot
    improve (``_moves.prune_limit``)."""
    problem = data.draw(walk_problems())
    prices = data.draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]),
                                min_size=len(problem.vehicle_types),
                                max_size=len(problem.vehicle_types)))
    depots = [d.id for d in problem.depots]
    ends = data.draw(st.lists(st.sampled_from(depots), min_size=len(prices),
                              max_size=len(prices)))
    problem = problem.model_copy(update={"vehicle_types": [
        v.model_copy(update={"cost_per_time": p, "end_depot": e})
        for v, p, e in zip(problem.vehicle_types, prices, ends, strict=True)]})
    compiled = compile_problem(problem)
    inst = build_instance(compiled, HeuristicParams())
    assume(inst.time_bound)
    index = compiled.stop_index()
    ids = data.draw(st.permutations([s.id for s in problem.stops]))
    cut = data.draw(st.integers(0, len(ids)))
    kinds = st.integers(0, compiled.n_types - 1)
    state, pen = new_state(inst), np.array([10.0, 10.0])
    load_routes(inst, state, new_work(inst, (10.0, 10.0)),
                [(data.draw(kinds), np.array([index[s] for s in part], dtype=np.int64))
                 for part in (ids[:cut], ids[cut:])])
    update_all(inst, state, pen, False)
    used = [int(r) for r in np.flatnonzero(state.length > 0)]
    assume(used)
    content = {r: [int(x) for x in state.nodes[r, :state.length[r]]] for r in used}
    kind = {r: int(inst.route_type[r]) for r in used}
    for r in used:
        low = _arcs_cost(compiled, inst, kind[r], content[r])
        nodes = np.array(content[r], dtype=np.int64)
        assert route_schedule(inst, kind[r], nodes, nodes.size)[0] >= low - 1e-6
        assert prune_limit(inst, state, pen, r, r) == pytest.approx(state.cost[r] - low,
                                                                    rel=1e-9, abs=1e-6)
    ra, rb = used[0], used[-1]
    a, b = content[ra], (None if ra == rb else content[rb])
    before = _arcs_cost(compiled, inst, kind[ra], a) + (
        0.0 if b is None else _arcs_cost(compiled, inst, kind[rb], b))
    for gain_of, head, tail, new_a, new_b in _candidate_moves(a, b):
        gain = gain_of(inst, state, ra, *head, rb, *tail)
        if gain == -np.inf:  # no bound between types of other prices
            continue
        after = _arcs_cost(compiled, inst, kind[ra], new_a) + (
            0.0 if new_b is None else _arcs_cost(compiled, inst, kind[rb], new_b))
        assert gain == pytest.approx(after - before, rel=1e-9, abs=1e-6), (gain_of, head, tail)


def _checked(problem: Problem, engine: str, seed: int = 1):
    """Solve with ``engine`` and check the plan as every engine's plan is checked. The
    iteration limit ends the search; the time limit only bounds the compilation of a new
    kernel specialisation inside the solve (over 60 s on a loaded clean clone: with 10 s
    it cut ils' first plan short, leaving required stops out)."""
    out = solve(problem, SolveOptions(engine=engine, time_limit=600, iteration_limit=200,
                                      seed=seed))
    report = out.report
    assert report.feasible, report.violations
    served = {s for r in out.solution.routes for s in r.stops}
    declared = {u.stop for u in out.solution.unassigned}
    assert {s.id for s in problem.stops if s.id not in served and s.required} <= declared
    assert not declared & served
    assert math.isclose(out.solution.stats.claimed_cost, report.cost, rel_tol=1e-9,
                        abs_tol=1e-6)
    return out


@SETTINGS
@given(walk_problems())
def test_ils_plans_are_feasible_with_the_evaluators_cost(problem):
    """Every ils plan is evaluator-feasible or names its unassigned stops; it claims the
    evaluator's cost; the same seed gives the same plan."""
    first = _checked(problem, "ils")
    again = solve(problem, SolveOptions(engine="ils", time_limit=10, iteration_limit=200,
                                        seed=1))
    assert again.solution.routes == first.solution.routes


def brute_force(problem: Problem) -> float | None:
    """The cheapest complete plan of ``problem``'s only vehicle type (every split of the
    stops over its vehicles, every order), or None when no plan serves every stop."""
    vtype = problem.vehicle_types[0]
    ids = [s.id for s in problem.stops]
    best = None
    for owner in itertools.product(range(vtype.count), repeat=len(ids)):
        groups = [[s for s, o in zip(ids, owner, strict=True) if o == r]
                  for r in range(vtype.count)]
        total = 0.0
        for group in (g for g in groups if g):
            options = [(c, end) for ok, c, end in (day_route_reference(problem, p)
                       for p in itertools.permutations(group)) if ok]
            if not options:
                break
            total += min(options)[0]
        else:
            best = total if best is None else min(best, total)
    return best


@SETTINGS
@given(day_problems(max_stops=4))
def test_ils_and_exact_find_the_optimum_on_tiny_problems(problem):
    """When some plan serves every stop, ils and exact serve all and cost what brute
    force finds cheapest (no cost per time: the reference does not delay departures)."""
    problem = without_breaks(problem, cost_per_time=0.0)
    optimum = brute_force(problem)
    assume(optimum is not None)
    for engine in ("ils", "exact"):
        out = _checked(problem, engine)
        assert not out.solution.unassigned, engine
        assert math.isclose(out.report.cost, optimum, rel_tol=1e-9, abs_tol=1e-6), engine


def _one_stop(**vehicle) -> Problem:
    return Problem(
        depots=[Depot(id="D", location=Location(x=0, y=0))],
        stops=[Stop(id="S", location=Location(x=30, y=40),
                    time_windows=[TimeWindow(start=0, end=20)], late_cost=2.0)],
        vehicle_types=[VehicleType(id="T", start_depot="D",
                                   shift=TimeWindow(start=0, end=1000), **vehicle)])


def test_soft_window_lateness_is_paid_and_a_too_long_route_gets_its_reason():
    """A stop reached 30 s after its window (50 s away) is served late at 2 per second;
    a round trip beyond max_distance is left out with reason ROUTE_LIMIT."""
    out = _checked(_one_stop(), "ils")
    assert out.report.cost == pytest.approx(100 + 2 * 30)
    compiled = compile_problem(_one_stop(max_distance=99.0))
    inst = build_instance(compiled, HeuristicParams())
    assert unservable(inst, compiled.n_depots) == {1: ReasonCode.ROUTE_LIMIT}
    out = _checked(_one_stop(max_distance=99.0), "ils")
    assert [(u.stop, u.reason) for u in out.solution.unassigned] == [
        ("S", ReasonCode.ROUTE_LIMIT)]
