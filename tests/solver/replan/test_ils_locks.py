"""``ils`` on a replan: locks that order their stops otherwise than the reference, fixed
blocks inside a route, and what it refuses by name (vehicles it cannot tell apart)."""

from __future__ import annotations

import pytest

from solver.compile import compile_problem
from solver.engines.heuristic.engine import IlsEngine
from solver.engines.heuristic.instance import build_instance
from solver.engines.heuristic.params import HeuristicParams
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.residual import residual_problem
from solver.replan.solve import solve_replan
from solver.travel.build import build_travel
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
