"""Several ``ils`` searches side by side, one per core, sharing their best plan.

PyVRP, VROOM and OR-Tools' GLS each use one core; a planner's machine has several. Each
search here is a whole iterated local search with its own random stream (search 0 keeps
the caller's seed, the others derive theirs from it), run in a thread of its own (the
kernels release the GIL, ``heuristic/_jit.py``). They meet at fixed **iteration epochs**:
a search whose best plan is worse than the best met so far restarts from that plan
(``IlsSearch.adopt``), so the cores search around the elite plan with different ruins
instead of duplicating one trajectory. The epochs are counted in iterations, never in time.

- **Lockstep**, under an iteration limit (which bounds *each* search): every search runs
  ``epoch`` iterations, then at the barrier the others restart from the leader's best
  (ties to the lowest index), so a seed fixes the plan, whatever the machine's load.
  Inside an epoch each search asks the stop criterion with the iteration count of the
  epoch's start, so only the clock criteria (time limit, stall seconds, cancellation) can
  end it early; the iteration criteria (limit, stall iterations) are asked at the
  barrier. For the same reason progress events carry the epoch's start, and the routes
  the searches offer to a route pool are held per search and handed over at the barrier
  in search order (``_Deferred``): the pool's content and incumbent do not depend on
  thread timing.
- **On its own**, under a time limit alone (nothing to keep deterministic): no barrier, so
  no search waits for a slower one (threads are scheduled unevenly on a loaded machine);
  after each of its epochs a search offers its best to a shared elite copy, or restarts
  from it when it is behind.

Memory: each search holds its own states, work arrays, neighbours and kernel scratch
(``instance.own_scratch``) over one shared instance; the number of searches is capped so
that they fit ``ParallelParams.max_state_mb``.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult, RouteSink
from solver.engines.heuristic._routes import copy_state
from solver.engines.heuristic.engine import FirstPlanClock, IlsEngine, IlsSearch, SharedInstance
from solver.engines.heuristic.instance import new_state
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion
from solver.options import SolveOptions


@dataclass(frozen=True)
class ParallelParams:
    """How often the searches meet, and how much memory they may take together."""

    epoch_work: int = 50_000  # an epoch is epoch_work / clients iterations: 100 on
    #   X-n502-k39, about 1 s of a quiet core (X-n502 did 200-250 iterations in 10 s at a
    #   load of 17 on 2 cores); long enough that meeting costs little, short enough for
    #   several exchanges in 10 s
    min_epoch: int = 50
    max_state_mb: float = 2048.0  # the searches' own arrays together (the instance is shared)
    keep_first: bool = False  # search 0 never restarts: it is the one-core search, so 2
    #   cores are never worse than one at equal iterations per search (in lockstep). Off:
    #   at 10 CPU-s per core it stayed close to hgs alone (GH 1000 2.64 vs 2.63 %; 9 of the
    #   X 0.63 vs 0.65 %), where restarting every search gave GH 2.52 % and those X 0.51 %
    #   (benchmarks/results/2026-12-04b_cores-cpu_*; it lost C2 and R1 to restarts)

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
        """Construct a plan per search, then run epochs until ``stop`` answers: in lockstep
        under an iteration limit (deterministic), each on its own otherwise."""
        run = _Run(self, compiled, options.seed, progress, stop, pool)
        epoch = self.params.epoch(compiled.n_clients)
        with ThreadPoolExecutor(max_workers=len(run.searches),
                                thread_name_prefix="ils-search") as threads:
            run.together(threads, [lambda s=s: s.construct(initial, run.clock)
                                   for s in run.searches])
            run.hand_over(run.searches)
            if options.iteration_limit is None:
                ends = run.together(threads, [lambda s=s: run.on_its_own(s, epoch)
                                              for s in run.searches])
                stopped_by = next((r for r in ends if r != "converged"), "converged")
            else:
                stopped_by = run.lockstep(threads, epoch, options.iteration_limit)
        searches = run.searches
        leader = min(searches, key=lambda s: s.best_cost)  # ties: the lowest index
        result = leader.result(stopped_by)
        result.stats.update(searches=float(len(searches)), exchanges=float(run.exchanges),
                            epoch=float(epoch), leader=float(searches.index(leader)),
                            iterations_all=float(sum(s.done for s in searches)))
        return result


class _Run:
    """One solve's searches and what they share: the stop reason, progress, the elite."""

    def __init__(self, engine: ParallelIls, compiled: CompiledProblem, seed: int,
                 progress: ProgressCallback, stop: StopCriterion,
                 pool: RouteSink | None) -> None:
        started = time.perf_counter()
        shared = SharedInstance.build(compiled, engine.ils.params)
        self.lock = threading.Lock()
        self.stop, self.progress, self.pool = stop, progress, pool
        self.clock = FirstPlanClock(stop)  # the first plans' clock and the time left
        self.reasons: list[str] = []  # the first reason to stop, shared by all searches
        self.best_seen = math.inf
        self.epoch_start: int | None = None  # lockstep: the running epoch's first iteration
        self.exchanges = 0
        self.keep_first = engine.params.keep_first
        self.sinks: dict[int, _Deferred] = {}
        first = self._search(shared, seed, 0, started)
        fit = int(engine.params.max_state_mb // max(_state_mb(first), 1e-9))
        n = max(1, min(engine.cores, fit))
        self.searches = [first] + [self._search(shared, seed, i, started) for i in range(1, n)]
        self.elite = new_state(first.inst)  # on its own: the best plan met so far, a copy
        self.elite_cost = math.inf

    def _search(self, shared: SharedInstance, seed: int, index: int,
                started: float) -> IlsSearch:
        sink = _Deferred() if self.pool is not None else None
        search = IlsSearch(shared, search_seed(seed, index), self.relay, started, sink)
        if sink is not None:
            self.sinks[id(search)] = sink
        return search

    def relay(self, event: ProgressEvent) -> None:
        """Progress from any search's thread: only a better plan than any before, at the
        epoch's first iteration in lockstep (see the module docstring)."""
        with self.lock:
            if event.best_cost < self.best_seen or not event.feasible:
                self.best_seen = min(self.best_seen, event.best_cost)
                at = event.iteration if self.epoch_start is None else self.epoch_start
                self.progress(replace(event, iteration=at))

    def check(self, at: int) -> str | None:
        """The stop criterion asked at iteration ``at``; once one answers, all stop."""
        with self.lock:
            if not self.reasons:
                reason = self.stop(at)
                if reason is not None:
                    self.reasons.append(reason)
            return self.reasons[0] if self.reasons else None

    def hand_over(self, searches: list[IlsSearch]) -> None:
        """The routes ``searches`` offered since the last hand-over, into the pool."""
        if self.pool is not None:
            for search in searches:
                self.sinks[id(search)].replay(self.pool)

    def together(self, threads: ThreadPoolExecutor, steps: list) -> list:
        """Run ``steps`` (one per search) in the threads and wait for all (the barrier).
        An error in one stops the others at their next check, then is raised here."""
        futures = [threads.submit(step) for step in steps]
        out, error = [], None
        for future in futures:
            try:
                out.append(future.result())
            except BaseException as exc:  # the others still run: stop them, then raise
                with self.lock:
                    if not self.reasons:
                        self.reasons.append("error")
                error = error or exc
                out.append(None)
        if error is not None:
            raise error
        return out

    def lockstep(self, threads: ThreadPoolExecutor, epoch: int, limit: int) -> str:
        """Epochs of ``epoch`` iterations for every search up to ``limit``, the exchange at
        each barrier (deterministic); the reason to stop."""
        done = 0
        while True:
            reason = self.check(done)
            if reason is None and done >= limit:
                reason = "iteration_limit"
            if reason is not None:
                return reason
            if done > 0:  # at a barrier the searches go on from: the exchange
                self.exchanges += _exchange(self.searches, self.keep_first)
            end = min(done + epoch, limit)
            self.epoch_start = done
            ends = self.together(threads, [
                lambda s=s, at=done, until=end: s.advance(until, lambda: self.check(at))
                for s in self.searches])
            self.hand_over(self.searches)
            if "converged" in ends:  # no client to route: every search sees the same
                return "converged"
            if any(r is not None for r in ends):
                return next(r for r in ends if r is not None)
            done = end

    def on_its_own(self, search: IlsSearch, epoch: int) -> str:
        """Epochs without a barrier (under a time limit, where no waiting pays): after
        each, ``search`` offers its best to the elite copy or restarts from it."""
        while True:
            reason = search.advance(search.done + epoch, lambda: self.check(search.done),
                                    self.clock.left)
            self.hand_over([search])
            if reason is not None:
                return reason
            with self.lock:  # the elite is written and read under the lock only
                if search.best_cost < self.elite_cost * (1 - 1e-12) - 1e-9:
                    copy_state(search.best, self.elite)
                    self.elite_cost = search.best_cost
                elif (search.best_cost > self.elite_cost * (1 + 1e-12) + 1e-9
                      and not (self.keep_first and search is self.searches[0])):
                    search.adopt(self.elite, self.elite_cost)
                    self.exchanges += 1


def _exchange(searches: list[IlsSearch], keep_first: bool = False) -> int:
    """Every search whose best is worse than the leader's restarts from the leader's best
    plan (ties go to the lowest index, so the rule is deterministic), but search 0 with
    ``keep_first``; how many did."""
    leader = min(searches, key=lambda s: s.best_cost)
    if not math.isfinite(leader.best_cost):
        return 0
    worse = [s for i, s in enumerate(searches)
             if s is not leader and s.best_cost > leader.best_cost * (1 + 1e-12) + 1e-9
             and not (keep_first and i == 0)]
    for s in worse:
        s.adopt(leader.best, leader.best_cost)
    return len(worse)


def _state_mb(search: IlsSearch) -> float:
    """The arrays a search holds of its own (states, work, archive, neighbours, and the
    break labelling's labels: tens of MB on thousands of clients with breaks)."""
    day = search.inst.day
    legs = day.legs if day is not None else None
    arrays = [*search.cur, *search.cand, *search.best, *search.work, *search.arch,
              search.inst.neigh, search.history, search.promising,
              *((legs.labels, legs.trail) if legs is not None else ())]
    return sum(getattr(a, "nbytes", 0) for a in arrays) / 2**20
