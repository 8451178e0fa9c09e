"""``ils`` on a replan: locks that order their stops otherwise than the reference, fixed
blocks inside a route, and what it refuses by name (vehicles it cannot tell apart)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.compile import compile_problem
from solver.engines.heuristic.engine import IlsEngine
from solver.engines.heuristic.instance import build_instance
from solver.engines.heuristic.params import HeuristicParams
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem
from solver.replan.residual import residual_problem
from solver.replan.solve import solve_replan
from solver.replan.state import Lock
from solver.solution import Route, Solution
from solver.travel.build import build_travel
from tests.replan_strategies import replans
from tests.solver.replan.test_engine_claims import _day


def _with(day: Problem, **in_progress) -> Problem:
    data = day.model_dump()
    data["in_progress"].update(in_progress)
    return Problem.model_validate(data)


def test_ils_reorders_and_keeps_blocks_as_the_locks_say():
    """A sequence lock listing a's stops in reverse, and a fixed lock naming two of b's
    stops in reverse: the reference breaks both, so ils must reorder them; the sequence's
    stops keep their order on a, the fixed pair stays adjacent and in order on b, and
    the cost is the evaluator's."""
    day = _with(_day(move_cost=5.0),
                locks=[{"kind": "sequence", "vehicle": "a", "stops": ["s3", "s1"]},
                       {"kind": "fixed", "vehicle": "b", "stops": ["s6", "s4"]}],
                disruption={"move_cost": 5.0, "eta_cost": 0.0})
    out = solve_replan(day, SolveOptions(engine="ils", time_limit=5, iteration_limit=300))
    routes = {r.vehicle: list(r.stops) for r in out.solution.routes}
    a, b = routes["a"], routes["b"]
    assert a.index("s3") < a.index("s1")
    assert b.index("s4") == b.index("s6") + 1
    report = evaluate(day, out.solution)
    assert report.feasible and report.complete, report.violations
    assert out.solution.cost == pytest.approx(report.cost)


def test_auto_does_not_return_a_warm_start_that_breaks_the_locks():
    """``auto`` keeps its warm start as a candidate plan, but the reference breaks both
    locks here: it must not win on cost (``solve_replan`` would refuse the plan)."""
    day = _with(_day(move_cost=5.0),
                locks=[{"kind": "sequence", "vehicle": "a", "stops": ["s3", "s1"]},
                       {"kind": "fixed", "vehicle": "b", "stops": ["s6", "s4"]}],
                disruption={"move_cost": 5.0, "eta_cost": 0.0})
    out = solve_replan(day, SolveOptions(engine="auto", time_limit=20, iteration_limit=300,
                                         cores=1))
    routes = {r.vehicle: list(r.stops) for r in out.solution.routes}
    assert routes["a"].index("s3") < routes["a"].index("s1")
    assert routes["b"].index("s4") == routes["b"].index("s6") + 1
    report = evaluate(day, out.solution)
    assert report.feasible and report.complete, report.violations


def test_ils_keeps_a_fixed_route_and_prices_promised_times():
    """A fixed route comes back as it was, whatever the ETA costs; lateness against the
    promised times is in the claimed cost (the evaluator's)."""
    day = _day(move_cost=5.0)
    etas = {"a": [12.0, 22.0, 33.0], "b": [42.0, 53.0, 64.0], "c": [75.0, 85.0, 96.0]}
    reference = [dict(r.model_dump(), etas=etas[r.vehicle]) for r in day.in_progress.reference]
    day = _with(day, reference=reference, unavailable=[],
                locks=[{"kind": "fixed", "vehicle": "a"}],
                disruption={"move_cost": 5.0, "eta_cost": 2.0, "eta_tolerance": 10.0})
    out = solve_replan(day, SolveOptions(engine="ils", time_limit=5, iteration_limit=300))
    routes = {r.vehicle: list(r.stops) for r in out.solution.routes}
    assert routes["a"] == ["s1", "s2", "s3"]
    report = evaluate(day, out.solution)
    assert report.feasible and report.complete, report.violations
    assert report.disruption.cost > 0  # now = 50: every promise before 50 is missed
    assert out.solution.cost == pytest.approx(report.cost)


def test_ils_refuses_locks_on_vehicles_that_share_a_type():
    """Without the residual's type per vehicle the kernels cannot tell a from b: a lock
    or a move cost naming them is refused by field name (``auto`` runs ortools then);
    ETA costs alone do not depend on who serves a stop and are taken."""
    day = _day(move_cost=0.0)
    stops = ["s1", "s2", "s3"]
    plain = _with(day, unavailable=[], disruption={"eta_cost": 1.0},
                  reference=[{"vehicle": "a", "stops": stops, "etas": [10.0, 20.0, 30.0]}])
    engine = IlsEngine()
    assert engine.supports(compile_problem(plain)) is None
    locked = _with(plain, locks=[{"kind": "assignment", "vehicle": "a"}])
    assert "in_progress.locks" in engine.supports(compile_problem(locked))
    moving = _with(plain, disruption={"move_cost": 1.0})
    assert "move_cost" in engine.supports(compile_problem(moving))


def test_plain_problems_compile_without_the_replan_terms():
    """The kernels' replan variant is chosen by type: None on problems without locks and
    disruption costs, so they compile to what they compiled to before."""
    day = _day(move_cost=0.0)
    plain = day.model_copy(update={"in_progress": None})
    assert build_instance(compile_problem(plain), HeuristicParams()).replan is None
    rest = residual_problem(day, build_travel(day)).problem
    inst = build_instance(compile_problem(_with(rest, disruption={"move_cost": 1.0})),
                          HeuristicParams())
    assert inst.replan is not None and inst.day is not None and inst.exact


@st.composite
def named_locks(draw: st.DrawFn) -> Problem:
    """A replan whose locks name some of an unstarted vehicle's reference stops, in a
    drawn order (so the reference may break them)."""
    problem, _ = draw(replans(locks=False))
    ip = problem.in_progress
    started = {v.vehicle for v in ip.vehicles}
    locks = []
    for r in ip.reference:
        kind = draw(st.sampled_from(["assignment", "sequence", "fixed", None]))
        if kind is None or r.vehicle in started or r.vehicle in ip.unavailable:
            continue
        order = draw(st.permutations(list(r.stops)))
        locks.append(Lock(kind=kind, vehicle=r.vehicle,
                          stops=order[:draw(st.integers(1, len(order)))]))
    return _with(problem, locks=[lock.model_dump() for lock in locks])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(named_locks())
def test_ils_never_breaks_a_lock_that_names_stops(day):
    """On the residual problem, warm-started from the reference, every plan of ils keeps
    each lock for the stops it serves (on the lock's vehicle; in the lock's order for
    sequence and fixed; one right after the other for fixed), declares the ones it
    leaves out, and claims the evaluator's cost."""
    rest = residual_problem(day, build_travel(day)).problem
    if not rest.stops:
        return
    initial = Solution(routes=[Route(vehicle=r.vehicle, stops=r.stops)
                               for r in rest.in_progress.reference])  # may break the locks
    out = solve(rest, SolveOptions(engine="ils", time_limit=10, iteration_limit=100),
                initial=initial)
    routes = {r.vehicle: list(r.stops) for r in out.solution.routes}
    where = {s: (v, j) for v, stops in routes.items() for j, s in enumerate(stops)}
    declared = {u.stop for u in out.solution.unassigned}
    ip = rest.in_progress
    for k, lock in enumerate(ip.locks):
        served = [s for s in ip.locked_stops(k) if s in where]
        assert set(ip.locked_stops(k)) - set(served) <= declared
        assert all(where[s][0] == lock.vehicle for s in served), lock
        places = [where[s][1] for s in served]
        if lock.kind != "assignment":
            assert places == sorted(places), (lock, routes)
        if lock.kind == "fixed":
            assert places == list(range(places[0], places[0] + len(places))), (lock, routes)
    # the only violations: locked stops left out (declared, with their reasons)
    assert all(v.kind == "lock" and v.stop in declared for v in out.report.violations), \
        out.report.violations
    assert out.solution.stats.claimed_cost == pytest.approx(out.report.cost, rel=1e-9,
                                                            abs=1e-6)
