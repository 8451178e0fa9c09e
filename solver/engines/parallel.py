"""Several ``ils`` searches side by side, one per core, sharing their best plan.

PyVRP, VROOM and OR-Tools' GLS each use one core; a planner's machine has several. Each
search here is a whole iterated local search with its own random stream (search 0 keeps
the caller's seed, the others derive theirs from it), run in a thread of its own (the
kernels release the GIL, ``heuristic/_jit.py``). They meet at fixed **iteration epochs**:
every search runs ``epoch`` iterations, then at the barrier every search whose best plan
is worse than the leader's restarts from the leader's best plan (``IlsSearch.adopt``), so
the cores search around the elite plan with different ruins instead of duplicating one
trajectory. The epochs are counted in iterations, never in time: with an iteration limit
(which bounds *each* search) a seed fixes the plan, whatever the machine's load.

Inside an epoch each search asks the stop criterion with the iteration count of the
epoch's start, so only the clock criteria (time limit, stall seconds, cancellation) can
end it early; the iteration criteria (limit, stall iterations) are asked at the barrier.
For the same reason progress events carry the epoch's start, and the routes the searches
offer to a route pool are held per search and handed over at the barrier in search order
(``_Deferred``): the pool's content and incumbent do not depend on thread timing.

Memory: each search holds its own states, work arrays and neighbours over one shared,
read-only instance; the number of searches is capped so that they fit
``ParallelParams.max_state_mb``.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult, RouteSink
from solver.engines.heuristic.engine import IlsEngine, IlsSearch, SharedInstance
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion
from solver.options import SolveOptions


@dataclass(frozen=True)
class ParallelParams:
    """How often the searches meet, and how much memory they may take together."""

    epoch_work: int = 200_000  # an epoch is epoch_work / clients iterations (about 0.2-1
    #   s on X and GH 1000 here): long enough that waiting at the barrier costs little,
    #   short enough for 10-50 exchanges in 10 s
    min_epoch: int = 200
    max_state_mb: float = 2048.0  # the searches' own arrays together (the instance is shared)

    def __post_init__(self) -> None:
        if self.epoch_work < 1 or self.min_epoch < 1 or self.max_state_mb <= 0:
            raise ValueError("epoch_work, min_epoch and max_state_mb must be positive")

    def epoch(self, n_clients: int) -> int:
        """Iterations between two exchanges on a problem of ``n_clients`` clients."""
        return max(self.min_epoch, self.epoch_work // max(n_clients, 1))


def search_seed(seed: int, index: int) -> int:
    """Search ``index``'s seed: the caller's for search 0, distinct ones derived from it
    for the others (``seed_state`` scrambles them)."""
    return (seed + index * 1_000_003) % 2**31


class _Deferred:
    """A route sink that records what a search offers, replayed into the real pool at the
    barrier (``replay``), in a fixed order."""

    def __init__(self) -> None:
        self._offers: list[tuple[str, tuple]] = []

    def add(self, vehicle_type: int, nodes) -> bool:
        """Recorded (True); the pool decides at the replay whether it is new."""
        self._offers.append(("add", (int(vehicle_type), list(nodes))))
        return True

    def add_plan(self, routes) -> int:
        """Recorded as a plan (the pool's incumbent candidate)."""
        self._offers.append(("add_plan", ([(int(k), list(n)) for k, n in routes],)))
        return 0

    def replay(self, pool: RouteSink) -> None:
        for method, args in self._offers:
            if method == "add_plan" and not hasattr(pool, "add_plan"):
                for k, nodes in args[0]:
                    pool.add(k, nodes)
            else:
                getattr(pool, method)(*args)
        self._offers.clear()


class ParallelIls:
    """``cores`` ``ils`` searches exchanging their best plan at iteration epochs (see the
    module docstring); ``auto`` runs it in place of ``ils`` when it may use several cores."""

    warm_starts = True

    def __init__(self, ils: IlsEngine, cores: int, params: ParallelParams | None = None) -> None:
        if cores < 1:
            raise ValueError("cores must be at least 1")
        self.ils, self.cores = ils, cores
        self.params = params or ParallelParams()
        self.name = ils.name  # the plan is an ``ils`` plan; stats["searches"] says how many

    def supports(self, compiled: CompiledProblem) -> str | None:
        return self.ils.supports(compiled)

    def solve(
        self,
        compiled: CompiledProblem,
        options: SolveOptions,
        progress: ProgressCallback,
        stop: StopCriterion,
        *,
        initial: EngineResult | None = None,
        pool: RouteSink | None = None,
    ) -> EngineResult:
        """Construct a plan per search, then run epochs until ``stop`` answers."""
        started = time.perf_counter()
        shared = SharedInstance.build(compiled, self.ils.params)
        lock = threading.Lock()
        epoch_start = 0
        reasons: list[str] = []  # the first reason to stop, shared by all searches
        best_seen = math.inf

        def relay(event: ProgressEvent) -> None:  # from any search's thread
            nonlocal best_seen
            with lock:
                if event.best_cost < best_seen or not event.feasible:
                    best_seen = min(best_seen, event.best_cost)
                    progress(replace(event, iteration=epoch_start))

        def check(at: int) -> str | None:
            with lock:
                if not reasons:
                    reason = stop(at)
                    if reason is not None:
                        reasons.append(reason)
                return reasons[0] if reasons else None

        deferred = [_Deferred() if pool is not None else None for _ in range(self.cores)]
        searches = [IlsSearch(shared, search_seed(options.seed, 0), relay, started, deferred[0])]
        per_search_mb = _state_mb(searches[0])
        n = max(1, min(self.cores, int(self.params.max_state_mb // max(per_search_mb, 1e-9))))
        searches += [IlsSearch(shared, search_seed(options.seed, i), relay, started,
                               deferred[i]) for i in range(1, n)]
        epoch = self.params.epoch(compiled.n_clients)
        limit = options.iteration_limit
        exchanges = 0

        def hand_over() -> None:
            if pool is not None:
                for sink in deferred[:n]:
                    sink.replay(pool)

        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="ils-search") as threads:
            _together(threads, [lambda s=s: s.construct(initial) for s in searches], reasons,
                      lock)
            hand_over()
            done, stopped_by = 0, None
            while stopped_by is None:
                stopped_by = check(done)
                if stopped_by is None and limit is not None and done >= limit:
                    stopped_by = "iteration_limit"
                if stopped_by is not None:
                    break
                if done > 0:  # at a barrier the search goes on from: the exchange
                    exchanges += _exchange(searches)
                end = done + epoch if limit is None else min(done + epoch, limit)
                epoch_start = done
                steps = [lambda s=s, at=done, until=end: s.advance(until, lambda: check(at))
                         for s in searches]
                ends = _together(threads, steps, reasons, lock)
                hand_over()
                if "converged" in ends:  # no client to route: every search sees the same
                    stopped_by = "converged"
                elif any(r is not None for r in ends):
                    stopped_by = next(r for r in ends if r is not None)
                else:
                    done = end

        leader = min(searches, key=lambda s: s.best_cost)  # ties: the lowest index
        result = leader.result(stopped_by)
        result.stats.update(searches=float(n), exchanges=float(exchanges), epoch=float(epoch),
                            iterations_all=float(sum(s.done for s in searches)),
                            leader=float(searches.index(leader)))
        return result


def _together(threads: ThreadPoolExecutor, steps: list, reasons: list[str],
              lock: threading.Lock) -> list:
    """Run ``steps`` (one per search) in the threads and wait for all (the barrier). An
    error in one stops the others at their next check, then is raised here."""
    futures = [threads.submit(step) for step in steps]
    out, error = [], None
    for future in futures:
        try:
            out.append(future.result())
        except BaseException as exc:  # the others still run: stop them, then raise
            with lock:
                if not reasons:
                    reasons.append("error")
            error = error or exc
            out.append(None)
    if error is not None:
        raise error
    return out


def _exchange(searches: list[IlsSearch]) -> int:
    """Every search whose best is worse than the leader's restarts from the leader's best
    plan (ties go to the lowest index, so the rule is deterministic); how many did."""
    leader = min(searches, key=lambda s: s.best_cost)
    if not math.isfinite(leader.best_cost):
        return 0
    worse = [s for s in searches
             if s is not leader and s.best_cost > leader.best_cost * (1 + 1e-12) + 1e-9]
    for s in worse:
        s.adopt(leader)
    return len(worse)


def _state_mb(search: IlsSearch) -> float:
    """The arrays a search holds of its own (states, work, archive, neighbours)."""
    arrays = [*search.cur, *search.cand, *search.best, *search.work, *search.arch,
              search.inst.neigh, search.history, search.promising]
    return sum(getattr(a, "nbytes", 0) for a in arrays) / 2**20
