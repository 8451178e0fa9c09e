"""The ``auto`` portfolio: phases, choice of the main engine, bound and gap, evaluator-checked."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from solver.compile import compile_problem
from solver.engines import EngineResult, get_engine
from solver.engines.portfolio import PortfolioEngine, PortfolioParams
from solver.engines.progress import no_progress
from solver.engines.schedule import plan_cost
from solver.engines.stop import MaxRuntime
from solver.io import read_instance
from solver.options import SolveOptions
from solver.problem import Problem
from tests.solver.oracle import at_least, checked, enumerated_optimum, key, same
from tests.strategies import problems

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"
# the phases under test run on these tiny problems: no proof first, any budget
PHASES = {"exact_max_stops": 0, "pyomo_min_budget_s": 0.0, "polish_min_s": 0.0}


class OneStopPerRoute:
    """A deliberately poor main engine: every stop on its own vehicle while any is free."""

    name = "singletons"
    warm_starts = False

    def supports(self, compiled):
        return None

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        free = {k: int(n) for k, n in enumerate(compiled.type_count)}
        routes = []
        for i in range(compiled.n_depots, compiled.n_nodes):
            for k in free:
                if free[k] and plan_cost(compiled, [(k, [i])])[1][0].feasible:
                    routes.append((k, np.array([i])))
                    free[k] -= 1
                    break
        cost, _ = plan_cost(compiled, routes)
        return EngineResult(routes=routes, unassigned={}, cost=cost)


def run(problem, engine, seconds=1.0):
    compiled = compile_problem(problem)
    result = engine.solve(compiled, SolveOptions(time_limit=seconds), no_progress,
                          MaxRuntime(seconds))
    return compiled, result


def test_auto_is_the_portfolio():
    """The catalog names the portfolio ``auto``, beside the engines it combines."""
    assert isinstance(get_engine("auto"), PortfolioEngine)
    assert get_engine("ortools").name == "ortools" and get_engine("exact").name == "exact"


def test_polish_and_setpart_improve_a_poor_main_plan():
    """From singletons, the OR-Tools polish and set partitioning reach tiny4's optimum."""
    problem = read_instance(TINY)
    engine = PortfolioEngine(PortfolioParams(**PHASES, bound_share=0.2),
                             main=OneStopPerRoute())
    # the polish's 0.25 s is for its search: in a fresh process loading the ils kernels
    # its completion step uses took a second of it, and its plan was the first (259)
    run(problem, engine, seconds=5.0)
    compiled, result = run(problem, engine, seconds=5.0)  # polish and setpart get 0.25 s
    report = checked(problem, compiled, result, "auto")
    assert report.cost == pytest.approx(145.0)
    assert result.stats["singletons_cost"] > result.cost
    assert result.stats["pool_routes"] >= 2


class SingletonsFeedingThePool(OneStopPerRoute):
    """Singletons as its plan, but it offers tiny4's optimal route A-B-C to the pool (as
    hgs offers the routes of the plans it meets during its search)."""

    name = "singletons-pool"

    def solve(self, compiled, options, progress, stop, *, pool=None):
        if pool is not None:
            pool.add(0, [1, 2, 3])
        return super().solve(compiled, options, progress, stop)


def test_set_partitioning_recombines_routes_the_main_engine_fed():
    """With the polish off, only the route the main engine fed to the pool lets set
    partitioning reach tiny4's optimum (145) from the singletons plan."""
    problem = read_instance(TINY)
    engine = PortfolioEngine(PortfolioParams(**PHASES, polish_share=0.0,
                                             setpart_share=0.3),
                             main=SingletonsFeedingThePool())
    compiled, result = run(problem, engine, seconds=2.0)
    report = checked(problem, compiled, result, "auto")
    assert report.cost == pytest.approx(145.0)
    assert result.produced_by == "setpart"


def test_lower_bound_and_gap_are_recorded():
    """tiny4's bound is valid (<= the optimum 145) and the gap is computed from it."""
    problem = read_instance(TINY)
    engine = PortfolioEngine(PortfolioParams(**PHASES, bound_share=0.3, bound_min_s=0.1),
                             main="ortools")
    compiled, result = run(problem, engine, seconds=2.0)
    checked(problem, compiled, result, "auto")
    bound = result.stats["lower_bound"]
    assert 0 < bound <= 145.0 + 1e-6
    assert result.stats["gap"] == pytest.approx((result.cost - bound) / result.cost)


def test_bound_skipped_above_the_size_limit():
    """Above bound_max_stops no bound is reported (rather than a slow or wrong one)."""
    problem = read_instance(TINY)
    engine = PortfolioEngine(PortfolioParams(**PHASES, bound_max_stops=2), main="ortools")
    _, result = run(problem, engine)
    assert "lower_bound" not in result.stats


def own_route_each(n: int) -> Problem:
    """``n`` stops on a circle of radius 10 around the depot, each filling a van: the
    optimum is ``20 n`` and the LP bound meets it."""
    stops = [{"id": f"s{i}", "demand": [10],
              "location": {"x": 10 * math.cos(2 * math.pi * i / n),
                           "y": 10 * math.sin(2 * math.pi * i / n)}} for i in range(n)]
    return Problem.model_validate({
        "depots": [{"id": "depot", "location": {"x": 0, "y": 0}}], "stops": stops,
        "vehicle_types": [{"id": "van", "count": n, "capacity": [10], "start_depot": "depot"}],
        "travel": {"kind": "euclidean", "rounding": "exact"}})


def test_a_plan_that_matches_the_lower_bound_ends_the_solve(ils_kernels):
    """The bound runs first (on 12 stops even where its share is under ``bound_min_s``:
    ``bound_quick_stops``); once the main engine's plan costs no more than it the solve
    stops, proven optimal, long before its limit, and the later phases are skipped."""
    problem = own_route_each(12)
    engine = PortfolioEngine(PortfolioParams(**PHASES))
    tick = time.perf_counter()
    compiled, result = run(problem, engine, seconds=20.0)
    elapsed = time.perf_counter() - tick
    report = checked(problem, compiled, result, "auto")
    assert report.cost == pytest.approx(240.0) and report.complete
    assert result.stopped_by == "optimal"
    assert result.stats["lower_bound"] == pytest.approx(240.0, rel=1e-6)
    assert result.stats["gap"] == pytest.approx(0.0, abs=1e-6)
    assert "polish_s" not in result.stats and "setpart_s" not in result.stats
    assert elapsed < 10.0  # a fraction of the limit: it did not wait for it


def test_a_bound_below_every_plan_ends_nothing(ils_kernels):
    """The LP bound ignores time windows: where they force a detour (P, then Q across
    the depot, then R beside P: 61 against 41 without the windows) no plan matches it,
    and the solve runs to its limit."""
    stops = [{"id": name, "location": {"x": x, "y": 0},
              "time_windows": [{"start": a, "end": b}]}
             for name, x, a, b in (("P", 10, 0, 15), ("Q", -10, 25, 40), ("R", 10.5, 60, 80))]
    problem = Problem.model_validate({
        "depots": [{"id": "depot", "location": {"x": 0, "y": 0}}], "stops": stops,
        "vehicle_types": [{"id": "van", "count": 1, "capacity": [10], "start_depot": "depot"}],
        "travel": {"kind": "euclidean", "rounding": "exact"}})
    engine = PortfolioEngine(PortfolioParams(**PHASES, bound_share=0.2, bound_min_s=0.1))
    compiled, result = run(problem, engine, seconds=2.0)
    report = checked(problem, compiled, result, "auto")
    assert report.cost == pytest.approx(61.0)
    assert result.stats["lower_bound"] <= 41.0 + 1e-6
    assert result.stopped_by == "time_limit"


def test_tiny_problems_stop_at_the_exact_optimum():
    """Phase 0: on a tiny problem auto returns exact's proven optimum at once, with the
    bound and a zero gap, and says why it stopped."""
    tiny = read_instance(TINY)
    compiled, result = run(tiny, PortfolioEngine(), seconds=10.0)
    report = checked(tiny, compiled, result, "auto")
    assert result.stopped_by == "optimal" and result.produced_by == "exact"
    assert result.stats["gap"] == 0.0 and result.stats["lower_bound"] == pytest.approx(145.0)
    assert report.cost == pytest.approx(145.0)
    assert result.stats["exact_s"] < 5.0  # its share, not the whole limit


def test_params_validate_shares():
    """Phase shares that leave the main engine almost no time are refused."""
    with pytest.raises(ValueError):
        PortfolioParams(polish_share=0.5, setpart_share=0.3, bound_share=0.2)


@given(problems(max_stops=5))
@settings(max_examples=8)
def test_random_tiny_auto_on_ortools_never_beats_the_optimum(problem):
    """auto (OR-Tools main) plans are feasible, complete-or-reasoned and >= the optimum."""
    engine = PortfolioEngine(PortfolioParams(**PHASES, bound_share=0.2,
                                             bound_min_s=0.05), main="ortools")
    compiled, result = run(problem, engine, seconds=0.6)
    report = checked(problem, compiled, result, "auto")
    assert at_least(key(report), enumerated_optimum(compiled))
    if "lower_bound" in result.stats:
        assert result.stats["lower_bound"] <= report.cost + 1e-6
        assert not math.isnan(result.stats["gap"])


@given(problems(max_stops=5))
@settings(max_examples=6)
def test_random_tiny_default_auto_never_beats_the_optimum(problem):
    """The registered ``auto`` (hgs main engine) on random tiny problems: feasible,
    reasons for left-out stops, claimed cost = evaluator's, and >= the optimum."""
    compiled, result = run(problem, get_engine("auto"), seconds=0.5)
    report = checked(problem, compiled, result, "auto")
    assert at_least(key(report), enumerated_optimum(compiled))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["auto", "hgs", "ortools", "exact"])
def test_optimality_rate_per_engine(name):
    """Every engine over 40 random problems (<= 6 stops, 0.5 s): never below the optimum,
    at it in >= 80% of cases (the rate is printed: run with -s)."""
    outcomes = []

    @given(problems(max_stops=6))
    @settings(max_examples=40, database=None)
    def one(problem):
        compiled, result = run(problem, get_engine(name), seconds=0.5)
        report = checked(problem, compiled, result, name)
        optimum = enumerated_optimum(compiled)
        assert at_least(key(report), optimum)
        outcomes.append(same(key(report), optimum))

    one()
    rate = sum(outcomes) / len(outcomes)
    print(f"{name}: optimal on {sum(outcomes)}/{len(outcomes)} = {rate:.0%}")
    assert rate >= 0.8


def test_warm_start_keeps_its_feasible_part():
    """A warm start with one infeasible route (C before A makes A late): auto drops that
    route, keeps the rest as a candidate, and returns a feasible plan no worse than it
    (lexicographically: the kept part leaves A and C out, the result serves them)."""
    problem = read_instance(TINY)
    compiled = compile_problem(problem)
    start = EngineResult(routes=[(0, np.array([3, 1])), (0, np.array([2]))], unassigned={},
                         cost=math.nan)
    engine = PortfolioEngine(PortfolioParams(**PHASES), main="ortools")
    result = engine.solve(compiled, SolveOptions(time_limit=1.0), no_progress, MaxRuntime(1.0),
                          initial=start)
    report = checked(problem, compiled, result, "auto")
    assert not report.unassigned_required
    assert report.cost == pytest.approx(145.0)
