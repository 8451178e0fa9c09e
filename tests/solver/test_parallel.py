"""``auto`` on several cores: ``ils`` searches side by side, exchanging the best plan at
iteration epochs (``solver/engines/parallel.py``). Deterministic, not timed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError

from api.kinds.solve import worker_share
from api.settings import Settings
from solver.compile import compile_problem
from solver.engines import get_engine
from solver.engines.heuristic.engine import FirstPlanClock, IlsEngine, IlsSearch, SharedInstance
from solver.engines.parallel import ParallelIls, ParallelParams, _exchange, search_seed
from solver.engines.progress import no_progress
from solver.engines.pyomo.pool import RoutePool
from solver.engines.stop import AnyOf, MaxIterations, MaxRuntime
from solver.options import SolveOptions, usable_cores
from solver.pipeline import solve
from tests.solver.engines.cases import cvrp, vrptw
from tests.solver.engines.test_heuristic_clock import _break_day
from tests.solver.oracle import checked

# Budgets far above the run time: a cold Numba cache compiles inside the solve, and a
# time limit reached there would end a run before its iteration limit.
LONG = 600.0


def _plan(result) -> list[tuple[int, list[int]]]:
    return sorted((int(k), [int(i) for i in nodes]) for k, nodes in result.routes)


def _parallel(compiled, iterations: int, seed: int, params: ParallelParams | None = None,
              pool=None):
    options = SolveOptions(time_limit=LONG, seed=seed, iteration_limit=iterations, cores=1)
    engine = ParallelIls(IlsEngine(), 2, params)
    stop = AnyOf((MaxRuntime(LONG), MaxIterations(iterations)))
    return engine.solve(compiled, options, no_progress, stop, pool=pool)


@pytest.mark.parametrize("case", [cvrp(60, 4, count=20), vrptw(50, 2)], ids=["cvrp", "vrptw"])
def test_two_searches_give_the_same_plan_twice(case):
    """Short epochs (many exchanges): with a seed and an iteration limit the plan, the
    pool's content and every count are the same twice, whatever the threads' timing; the
    plan is feasible by the evaluator at the cost claimed."""
    compiled = compile_problem(case)
    params = ParallelParams(epoch_work=1, min_epoch=40)
    runs = []
    for _ in range(2):
        pool = RoutePool(compiled)
        result = _parallel(compiled, 400, 3, params, pool)
        runs.append((_plan(result), result.cost, result.stats["exchanges"],
                     result.stats["leader"], list(pool.routes), pool.incumbent))
        checked(case, compiled, result, "ils")
        assert result.iterations == 400 and result.stopped_by == "iteration_limit"
        assert result.stats["searches"] == 2 and result.stats["iterations_all"] == 800
    assert runs[0] == runs[1]


def test_before_the_first_exchange_two_cores_are_never_worse_than_one():
    """Search 0 keeps the caller's seed, so until the first exchange it is the one-core
    search, step for step: the best of the two is at least as good."""
    compiled = compile_problem(cvrp(60, 1, count=20))
    iterations = 300
    assert iterations <= ParallelParams().epoch(compiled.n_clients)
    options = SolveOptions(time_limit=LONG, seed=5, iteration_limit=iterations, cores=1)
    alone = IlsEngine().solve(compiled, options, no_progress, MaxIterations(iterations))
    both = _parallel(compiled, iterations, 5)
    assert both.stats["exchanges"] == 0
    assert both.cost <= alone.cost
    if both.stats["leader"] == 0:
        assert _plan(both) == _plan(alone)


def test_the_worse_search_restarts_from_the_leaders_best():
    """After an exchange both searches hold the leader's best plan; the follower goes on
    from it under its own penalties and still ends on a feasible plan."""
    problem = cvrp(50, 7, count=20)
    compiled = compile_problem(problem)
    shared = SharedInstance.build(compiled, IlsEngine().params)
    a, b = (IlsSearch(shared, search_seed(2, i), no_progress, 0.0) for i in range(2))
    for s in (a, b):
        s.construct(None)
        assert s.advance(150, lambda: None) is None and s.done == 150
    costs = sorted((a.best_cost, b.best_cost))
    leader, follower = (a, b) if a.best_cost <= b.best_cost else (b, a)
    plan = _plan(leader.result("iteration_limit"))
    assert _exchange([a, b]) == (1 if costs[0] < costs[1] else 0)
    follower.adopt(leader.best, leader.best_cost)  # again, or where both tied
    assert follower.best_cost == leader.best_cost == costs[0]
    assert _plan(follower.result("iteration_limit")) == plan
    follower.advance(300, lambda: None)
    assert follower.best_cost <= costs[0]
    checked(problem, compiled, follower.result("iteration_limit"), "ils")


def test_auto_on_two_cores_through_the_pipeline_is_deterministic():
    """``auto`` with ``cores=2``: the same plan twice, feasible, at the evaluator's cost."""
    if usable_cores() < 2:
        pytest.skip("needs 2 usable cores")
    problem = cvrp(40, 2, count=20)
    options = SolveOptions(engine="auto", time_limit=LONG, seed=1, iteration_limit=500,
                           cores=2)
    plans = []
    for _ in range(2):
        outcome = solve(problem, options)
        assert outcome.report.feasible
        assert outcome.solution.cost == pytest.approx(outcome.report.cost)
        assert outcome.solution.stats.stopped_by == "iteration_limit"
        plans.append([r.stops for r in outcome.solution.routes])
    assert plans[0] == plans[1]


def test_auto_runs_one_search_per_core():
    """``auto`` swaps ``ils`` for the parallel searches only when it may use >= 2 cores."""
    if usable_cores() < 2:
        pytest.skip("needs 2 usable cores")
    compiled = compile_problem(cvrp(30, 0, count=20))
    auto = get_engine("auto")
    for cores, searches in ((1, 1.0), (2, 2.0)):
        options = SolveOptions(time_limit=5.0, seed=0, iteration_limit=50, cores=cores)
        result = auto.solve(compiled, options, no_progress,
                            AnyOf((MaxRuntime(LONG), MaxIterations(50))))
        assert result.stats["searches"] == searches


def test_cores_must_be_usable():
    """0 and more than the process may use are refused, naming the field."""
    for bad in (0, usable_cores() + 1):
        with pytest.raises(ValidationError, match="cores"):
            SolveOptions(cores=bad)
    assert SolveOptions().core_count() == usable_cores()


def test_the_service_splits_the_cores_between_its_workers():
    """A job gets at most the machine's cores over the workers, and what it asked for."""
    n = usable_cores()
    assert worker_share(SolveOptions(), Settings(workers=1)).cores == n
    assert worker_share(SolveOptions(), Settings(workers=n)).cores == 1
    assert worker_share(SolveOptions(), Settings(workers=4 * n)).cores == 1
    assert worker_share(SolveOptions(cores=1), Settings(workers=1)).cores == 1
    assert worker_share(SolveOptions(cores=n), Settings(workers=2)).cores == max(1, n // 2)
    assert worker_share(SolveOptions(), Settings(workers=1), split=n).cores == 1


def test_under_a_time_limit_the_searches_run_on_their_own():
    """No iteration limit: no barrier; the plan is still feasible at the claimed cost, and
    the routes of both searches reach the pool."""
    problem = cvrp(60, 6, count=20)
    compiled = compile_problem(problem)
    pool = RoutePool(compiled)
    engine = ParallelIls(IlsEngine(), 2, ParallelParams(epoch_work=1, min_epoch=20))
    result = engine.solve(compiled, SolveOptions(time_limit=1.0, seed=0, cores=1),
                          no_progress, MaxRuntime(1.0), pool=pool)
    checked(problem, compiled, result, "ils")
    assert result.stopped_by == "time_limit" and result.stats["searches"] == 2
    assert len(pool) > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_a_first_search_that_keeps_its_trajectory_makes_two_cores_never_worse(seed):
    """With ``keep_first`` search 0 never restarts: it is the one-core search, step for
    step, however many exchanges the others make, so the best of all is at least as good
    as one core at the same iterations per search."""
    compiled = compile_problem(cvrp(60, seed, count=20))
    options = SolveOptions(time_limit=LONG, seed=seed, iteration_limit=400, cores=1)
    alone = IlsEngine().solve(compiled, options, no_progress, MaxIterations(400))
    both = _parallel(compiled, 400, seed, ParallelParams(epoch_work=1, min_epoch=40,
                                                         keep_first=True))
    assert both.cost <= alone.cost
    if both.stats["leader"] == 0:
        assert _plan(both) == _plan(alone)


def test_two_searches_on_a_break_day_each_build_the_plan_they_build_alone():
    """The break labelling writes scratch into the instance: each search owns its copy
    (``instance.own_scratch``). Shared, two first plans built side by side corrupted each
    other's labels and never finished (auto on two cores: 0 iterations, 3.8x the cost)."""
    shared = SharedInstance.build(compile_problem(_break_day(40)), IlsEngine().params)

    def first_plan(seed: int, clock: FirstPlanClock | None = None):
        search = IlsSearch(shared, seed, no_progress, 0.0)
        assert search.construct(None, clock) is None
        return _plan(search.result("converged"))

    tick = time.perf_counter()
    alone = [first_plan(seed) for seed in (1, 2)]  # loads (or compiles) the kernels first
    clock = FirstPlanClock(MaxRuntime(10 * (time.perf_counter() - tick) + 5))
    with ThreadPoolExecutor(max_workers=2) as threads:  # a hang would be cut by the clock
        side_by_side = list(threads.map(lambda seed: first_plan(seed, clock), (1, 2)))
    assert side_by_side == alone
