"""Engines on operating-day problems: ortools and auto honour breaks, soft windows,
overtime and route limits (ils's day features: tests/solver/engines/test_heuristic_day.py
and test_heuristic_breaks.py; exact's: test_exact_day.py)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings

from solver.compile import BREAK_FEATURES, WALK_FEATURES
from solver.errors import NoSolutionError
from solver.options import SolveOptions
from solver.pipeline import solve
from tests.solver.naive import day_route_reference
from tests.strategies import day_problems

SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _ils_kernels_loaded(ils_kernels):
    """ortools starts its race from an ils plan on those of these problems without
    breaks, and auto runs ils: their kernels are loaded before the first timed solve."""


def _checked(problem, engine: str):
    """Solve and check the plan as every engine's plan is checked; None when the engine
    said it has no plan, which only a driving rule may cause (ortools models it more
    strictly than the rule, as time between breaks, so it can miss stops the rule allows:
    the pipeline then refuses to call that plan a success instead of blaming the fleet)."""
    try:
        out = solve(problem, SolveOptions(engine=engine, time_limit=5, iteration_limit=100))
    except NoSolutionError:
        assert any(t.driving is not None for t in problem.vehicle_types)
        return None
    report = out.report
    assert report.feasible, report.violations
    served = {s for r in out.solution.routes for s in r.stops}
    assert {u.stop for u in out.solution.unassigned} == {
        s.id for s in problem.stops if s.id not in served and s.required}
    assert math.isclose(out.solution.stats.claimed_cost, report.cost, abs_tol=1e-6)
    assert all(r.vehicle for r in out.solution.routes)
    return out


@SETTINGS
@given(day_problems(max_stops=5))
def test_ortools_plans_are_feasible_with_the_evaluators_cost(problem):
    """Every ortools plan is evaluator-feasible or names its unassigned stops with a
    reason; it claims the evaluator's cost; the same seed gives the same plan."""
    first = _checked(problem, "ortools")
    if first is None:
        return
    again = solve(problem, SolveOptions(engine="ortools", time_limit=5, iteration_limit=100))
    assert again.solution.routes == first.solution.routes


@SETTINGS
@given(day_problems(max_stops=4))
def test_ortools_serves_every_stop_when_one_route_can(problem):
    """Without a driving rule (modelled conservatively), when brute force finds a feasible
    route through every stop, ortools leaves none out and is no costlier."""
    if problem.vehicle_types[0].driving is not None:
        return
    ids = [s.id for s in problem.stops]
    costs = [c for f, c, _ in (day_route_reference(problem, p)
                               for p in itertools.permutations(ids)) if f]
    if not costs:
        return
    out = _checked(problem, "ortools")
    assert not out.solution.unassigned
    assert out.report.cost <= min(costs) + 1e-6


@SETTINGS
@given(day_problems(max_stops=4))
def test_auto_picks_an_engine_that_honours_the_features(problem):
    """auto solves operating-day problems with an engine that models their features (on
    these tiny ones exact's proof, breaks included, ends the solve)."""
    out = _checked(problem, "auto")
    if out is not None and out.compiled.day_features:
        assert set(out.compiled.day_features) <= set(WALK_FEATURES + BREAK_FEATURES)
        assert out.solution.stats.produced_by == "exact"
