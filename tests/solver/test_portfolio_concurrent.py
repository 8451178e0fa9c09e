"""``auto`` against ``hgs`` alone, and set partitioning beside the main engine (a thread)."""

from __future__ import annotations

import threading
import time

import pytest

from solver.compile import compile_problem
from solver.engines import get_engine
from solver.engines.portfolio import PortfolioEngine, PortfolioParams
from solver.engines.progress import no_progress
from solver.engines.pyomo import setpart
from solver.engines.pyomo.pool import RoutePool
from solver.engines.stop import AnyOf, Cancelled, MaxIterations, MaxRuntime
from solver.options import SolveOptions
from tests.solver.engines.cases import cvrp
from tests.solver.oracle import checked


def _setpart_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "auto-setpart"]


def _auto(concurrent: bool, share: float = 0.1, main=None) -> PortfolioEngine:
    return PortfolioEngine(PortfolioParams(setpart_share=share, concurrent_lead=share,
                                           bound_share=0.0, concurrent_setpart=concurrent,
                                           exact_max_stops=0, pyomo_min_budget_s=0.0),
                           main=main)


class HgsToItsIterationLimit:
    """hgs stopped by the options' iteration limit alone: the portfolio's own criterion
    (time only) then lets set partitioning run after it (an iteration limit in the
    portfolio's criterion would skip the later phases)."""

    name = "hgs"

    def supports(self, compiled):
        return None

    def solve(self, compiled, options, progress, stop, *, pool=None):
        limit = MaxIterations(options.iteration_limit)
        return get_engine("hgs").solve(compiled, options, progress, AnyOf((stop, limit)),
                                       pool=pool)


@pytest.mark.parametrize("concurrent", [True, False], ids=["beside", "after"])
@pytest.mark.parametrize("seed", [0, 1])
def test_auto_is_never_worse_than_hgs_at_equal_iterations(concurrent, seed):
    """Same seed and iteration limit: auto's hgs phase ends on hgs's own plan (feeding the
    pool must not change the search), and auto returns that plan or a better one."""
    problem = cvrp(60, seed, count=20)
    compiled = compile_problem(problem)
    # Budgets far above the run time: a cold Numba cache (CI) compiles inside the solve,
    # and a time limit reached there would end either run before its iteration limit.
    options = SolveOptions(time_limit=600.0, seed=seed, iteration_limit=300)
    alone = get_engine("hgs").solve(compiled, options, no_progress, MaxIterations(300))
    engine = _auto(concurrent, main=HgsToItsIterationLimit())
    result = engine.solve(compiled, options, no_progress, MaxRuntime(600.0))
    checked(problem, compiled, result, "auto")
    assert result.stats["hgs_cost"] == alone.cost
    assert result.cost <= alone.cost
    assert "setpart_cost" in result.stats  # the step ran and found a plan
    assert not _setpart_threads()


def test_concurrent_setpart_runs_while_the_main_engine_searches():
    """The snapshot is taken before the main engine's end; the thread is joined, and the
    whole solve keeps to its budget (plus HiGHS's stopping slack). One core's search
    (``cores=1``): with two, two ils searches and the step share the two cores."""
    compiled = compile_problem(cvrp(80, 3, count=20))
    began = time.perf_counter()
    result = _auto(True, share=0.3).solve(compiled, SolveOptions(time_limit=3.0, seed=0, cores=1),
                                          no_progress, MaxRuntime(3.0))
    wall = time.perf_counter() - began
    assert result.stats["setpart_began_s"] < result.stats["ils_s"] - 0.5
    assert result.stats["ils_s"] >= 2.9  # the main engine kept the whole budget
    assert wall < 3.6
    assert not _setpart_threads()


def _cancelled_auto(limit: float, cancel_after: float, share: float):
    """``auto`` with the step on, cancelled ``cancel_after`` s in; (result, start time)."""
    compiled = compile_problem(cvrp(80, 3, count=20))
    began = time.perf_counter()
    stop = AnyOf((MaxRuntime(limit), Cancelled(lambda: time.perf_counter() - began > cancel_after)))
    result = _auto(True, share=share).solve(compiled, SolveOptions(time_limit=limit, seed=0),
                                            no_progress, stop)
    return result, began


def test_cancel_before_the_snapshot_calls_the_step_off():
    """A job cancelled before the snapshot time: no set partitioning, no thread left."""
    result, began = _cancelled_auto(limit=10.0, cancel_after=0.5, share=0.3)
    assert result.stopped_by == "cancelled"
    assert "setpart_s" not in result.stats
    assert time.perf_counter() - began < 2.0
    assert not _setpart_threads()


def test_cancel_during_the_step_joins_it():
    """A job cancelled while the step runs: the main engine stops, the step is joined
    within its cap, and its plan still counts."""
    result, began = _cancelled_auto(limit=4.0, cancel_after=3.0, share=0.5)
    assert result.stopped_by == "cancelled"
    assert result.stats["setpart_began_s"] < 3.0
    assert time.perf_counter() - began < 4.6
    assert not _setpart_threads()


def test_an_error_in_the_step_reaches_the_caller(monkeypatch):
    """A failing set partitioning is not swallowed in its thread."""

    def broken(*args, **kwargs):
        raise RuntimeError("HiGHS exploded")

    monkeypatch.setattr(setpart, "set_partitioning", broken)
    compiled = compile_problem(cvrp(30, 1, count=10))
    options = SolveOptions(time_limit=5.0, seed=0, iteration_limit=50)
    with pytest.raises(RuntimeError, match="HiGHS exploded"):
        _auto(True, main=HgsToItsIterationLimit()).solve(compiled, options, no_progress,
                                                         MaxRuntime(5.0))
    assert not _setpart_threads()


def test_pool_keeps_the_cheapest_complete_plan_as_incumbent():
    """``add_plan``: a plan that leaves a required stop out never becomes the incumbent;
    a complete one does, and a dearer complete one does not replace it."""
    compiled = compile_problem(cvrp(6, 2, capacity=100.0, count=3))
    stops = list(range(compiled.n_depots, compiled.n_nodes))
    pool = RoutePool(compiled)
    pool.add_plan([(0, stops[:3])])
    assert pool.incumbent is None
    pool.add_plan([(0, stops[:3]), (0, stops[3:])])
    first = pool.incumbent_cost
    assert pool.incumbent == [(0, tuple(stops[:3])), (0, tuple(stops[3:]))]
    pool.add_plan([(0, [i]) for i in stops[:3]] + [(0, stops[3:])])  # dearer: more trips
    assert pool.incumbent_cost == first
    assert len(pool) == 5
