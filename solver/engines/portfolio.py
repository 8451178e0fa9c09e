"""Engine ``auto``: picks and combines engines from the problem's features.

1. **main**: ``ils`` when it supports the problem, else ``ortools`` (features only
   OR-Tools models); problems with shipments always go to ``ortools``, which models the
   pickup-and-delivery pairs;
2. **polish**: OR-Tools GLS warm-started from the main plan, feeding the route pool with
   every improving plan it finds (when the main engine was not OR-Tools itself, whose
   own search already fed the pool), on problems with a time dimension only (where it
   was measured to pay);
3. **set partitioning** (Pyomo + HiGHS) over the pool, under a time cap: the best plan
   the pool's routes make, never worse than any plan whose routes are all in the pool.
   The main engine feeds the pool (ils: the routes of its new best plans and accepted
   local optima; OR-Tools: every accepted solution),
   so the recombination draws on the whole search, not just the final plan. In the
   **concurrent** mode (``PortfolioParams.concurrent_setpart``) it runs in a second
   thread over a snapshot of the pool taken ``concurrent_lead`` of the budget before the
   main engine's end, while the main engine keeps its whole share: with the same seed
   the main engine follows the trajectory it follows alone (up to timing noise), and the
   step can only add a better plan. Otherwise it runs after the main engine, which then
   gets ``setpart_share`` less time. Set partitioning and the bound run only where
   Pyomo is loaded or the budget pays for loading it (``pyomo_min_budget_s``);
4. **lower bound** (two-index LP with rounded capacity cuts) for problems up to
   ``bound_max_stops`` stops, reported with the gap when the plan is complete. It runs
   before the main engine: a plan that matches it is proven optimal and ends the solve
   (``stopped_by="optimal"``; the later phases skipped).

0. **proof first** on tiny problems (``exact_max_stops``, fewer where ``exact``
   enumerates routes: ``exact_enumerated_max_stops``): the exact engine under
   ``exact_share`` of the budget; an optimal plan ends the solve at once
   (``stopped_by="optimal"``), since a limit is a maximum. Otherwise its plan, if any,
   is one more candidate and the phases above share what is left.

Cold and short budgets: where ``ils`` cannot load its kernels in the budget
(``cold_start_s``) OR-Tools is the main engine, and where OR-Tools is the main engine
under ``insure_below_s`` the greedy construction (``greedy.py``) runs first, a candidate
that stands when OR-Tools finds no first plan in time.

Every phase works inside the caller's stop criterion and a share of its time budget.
The stats record which phases ran and what each achieved.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from solver.compile import CompiledProblem
from solver.diagnosis import diagnose
from solver.engines.base import Engine, EngineResult, RouteSink
from solver.engines.deadline import greedy_insurance, loadable
from solver.engines.ortools import OrToolsEngine
from solver.engines.ortools.scaling import needs_time
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.pyomo.exact import beyond_the_mip
from solver.engines.pyomo.pool import RoutePool
from solver.engines.schedule import check_route, plan_cost
from solver.engines.standalone import EngineLookup, standalone_engine
from solver.engines.stop import (
    AnyOf,
    MaxRuntime,
    ReachedBound,
    StopCriterion,
    matches_bound,
    remaining_seconds,
)
from solver.errors import NoSolutionError
from solver.options import SolveOptions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortfolioParams:
    """Shares of the time budget per phase; a share of 0 switches the phase off."""

    polish_share: float = 0.05
    polish_needs_time: bool = True  # polish only problems with a time dimension: on X
    #   (10 s) it never improved hgs's plan; on GH200 R1_2_1 / RC1_2_2 it did in 11 of 12
    #   runs (by <= 0.3%), never on C1_2_1
    setpart_share: float = 0.05  # with hgs's plan as MIP start the cap costs only time;
    #   10% found X-n101-k25's BKS on 3 of 3 seeds but cost hgs 0.06-0.21% elsewhere
    #   (benchmarks/results/2026-11-23_engines.md, section 2)
    bound_share: float = 0.10
    bound_max_stops: int = 300
    bound_min_s: float = 3.0  # a bound gets at least this long, or is skipped (measured:
    #   X-n101-k25 reaches 9,793 in 1.4 s and 24,982 in 8 s, against a BKS of 27,591) ...
    bound_quick_stops: int = 50  # ... except up to this many stops, where its LPs take
    #   milliseconds and a plan that matches it ends the solve (12 stops: 0.1 s)
    min_phase_s: float = 0.05  # other phases that would get less than this are skipped
    insure_below_s: float = 5.0  # with OR-Tools as the main engine and less time than
    #   this, a greedy plan first (``deadline.greedy_insurance``): OR-Tools' first plan on the 300-stop
    #   operating day came 2.7 s after a cold solve call (load 6), none at 1 s
    insure_share: float = 0.9  # the greedy plan's deadline, as a share of the budget (the
    #   operating day's took 0.4-0.9 s at load 8-17: OR-Tools finds nothing in less)
    polish_min_s: float = 0.5  # the polish first builds and closes an OR-Tools model
    #   (GH C1_2_1, 200 stops: its 0.25 s share at 5 s took 0.58-1.04 s under load 15)
    exact_max_stops: int = 8  # proof first (phase 0) up to this many stops; 0: never
    exact_share: float = 0.5  # HiGHS proves 4-8 stops in 0.05-0.3 s once loaded
    exact_enumerated_max_stops: int = 6  # ... and up to this many where exact enumerates
    #   routes (``exact.beyond_the_mip``: breaks, soft windows with a cost per time): 6
    #   stops took 0.07-0.35 s, 7 stops 0.3-3.4 s (load 5-9), more than a 1 s budget's share
    pyomo_min_budget_s: float = 10.0  # set partitioning and the bound need Pyomo, whose
    #   import pulls in scipy.stats (2 s on a quiet core, 14 s measured under load 15): a
    #   process that has not loaded it yet loads it only for budgets of at least this
    exact_min_s: float = 0.3  # ... and gets at least this, even when loading the engines
    #   used up the budget: a proof is cheaper than loading hgs's kernels (seconds)
    concurrent_setpart: bool | None = None  # set partitioning beside the main engine (a
    #   second thread) instead of after it; None: when this process may use >= 2 cores and
    #   no polish runs (the polish's routes join the pool after the main engine)
    concurrent_lead: float = 0.10  # beside: the step's snapshot is taken this share of the
    #   budget before the main engine's end, and that is its time cap (it costs the main
    #   engine no time, so it may be longer than ``setpart_share``)

    def __post_init__(self) -> None:
        shares = (self.polish_share, self.setpart_share, self.bound_share)
        if any(s < 0 for s in shares) or sum(shares) >= 0.9:
            raise ValueError("phase shares must be >= 0 and leave the main engine >= 10%")
        if not 0 < self.concurrent_lead < 1:
            raise ValueError("concurrent_lead must be in (0, 1)")

    def concurrent(self, polish: bool, cores: int) -> bool:
        """Whether set partitioning runs beside the main engine (see the field)."""
        if self.concurrent_setpart is not None:
            return self.concurrent_setpart
        return not polish and cores >= 2


class PortfolioEngine:
    """``auto``: main engine, OR-Tools polish, set partitioning, lower bound."""

    name = "auto"
    warm_starts = True

    def __init__(self, params: PortfolioParams | None = None, main: str | Engine | None = None,
                 engines: EngineLookup | None = None) -> None:
        """``engines`` finds ``ils``, ``exact`` and a ``main`` given by name (the catalog
        passes its lookup); default: the standalone engines."""
        self.params = params or PortfolioParams()
        self.main = main
        self.engines = engines or standalone_engine
        self._ortools = OrToolsEngine(engines=self.engines)

    def supports(self, compiled: CompiledProblem) -> str | None:
        """``auto`` solves whatever one of its engines solves."""
        return self._main(compiled)[1]

    def _main(self, compiled: CompiledProblem):
        if self.main:
            names = [self.main]
        elif compiled.has_shipments:  # only OR-Tools models pickup-and-delivery pairs
            names = ["ortools"]
        else:
            names = ["ils", "ortools"]
        reasons = []
        for name in names:
            if not isinstance(name, str):  # an engine object (tests, benchmarks)
                engine, name = name, name.name
            else:
                engine = self._ortools if name == "ortools" else self.engines(name)
            reason = engine.supports(compiled)
            if reason is None:
                return engine, None
            reasons.append(f"{name}: {reason}")
        return None, "; ".join(reasons)

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
        """Run the phases of the module docstring inside ``stop``'s budget.

        ``initial`` (a warm start, e.g. the base plan of a scenario) goes to the main
        engine when it takes one; its feasible routes always join the pool, and it is a
        candidate plan itself, so ``auto`` never returns worse than its feasible part.
        """
        p = self.params
        started = time.perf_counter()
        engine, reason = self._main(compiled)
        if engine is None:
            raise ValueError(f"auto: no engine supports this problem ({reason})")
        cores = options.core_count()
        proof, proof_s = self._prove(compiled, options, progress, stop)
        if proof is not None and proof.stopped_by == "optimal":
            proof.stats.update(exact_s=proof_s, gap=0.0)
            proof.produced_by = "exact"
            return proof
        engine, cold = loadable(engine, self._ortools, compiled, options,
                                remaining_seconds(stop, options.time_limit))
        if cores > 1 and engine.name == "ils":  # one search per core, once it may load
            from solver.engines.parallel import ParallelIls  # loads the kernels: ils's cost

            engine = ParallelIls(engine, cores)
        budget = remaining_seconds(stop, options.time_limit)
        insurance = (greedy_insurance(compiled, budget * p.insure_share)
                     if engine is self._ortools and budget < p.insure_below_s
                     and options.iteration_limit is None else None)
        budget = remaining_seconds(stop, options.time_limit)
        dense = compiled.travel.dense  # OR-Tools and the LP bound need the matrix
        use_bound = (dense and p.bound_share > 0 and compiled.n_clients <= p.bound_max_stops
                     and (budget * p.bound_share >= p.bound_min_s
                          or compiled.n_clients <= p.bound_quick_stops))
        use_sp = p.setpart_share > 0 and budget * p.setpart_share >= p.min_phase_s
        use_polish = (dense and p.polish_share > 0 and engine is not self._ortools
                      and budget * p.polish_share >= max(p.min_phase_s, p.polish_min_s)
                      and (needs_time(compiled) or not p.polish_needs_time))
        skipped = (use_sp or use_bound) and not _mip_loaded(budget, p)
        if skipped:
            use_sp = use_bound = False
        if use_sp or use_bound:  # imported before the main engine, which pays for it
            from solver.engines.pyomo import bound, setpart
        beside = use_sp and p.concurrent(use_polish, cores)
        main_share = 1.0 - (p.bound_share if use_bound else 0.0) - (
            p.setpart_share if use_sp and not beside else 0.0) - (
            p.polish_share if use_polish else 0.0)
        stats: dict[str, float] = {"pyomo_skipped": 1.0} if skipped else {}
        if cold:
            stats["ils_skipped_cold"] = 1.0
        sink, pool = pool, RoutePool(compiled)

        best_seen = best_feasible = math.inf

        def relay(event: ProgressEvent) -> None:
            nonlocal best_seen, best_feasible
            if event.feasible:
                best_feasible = min(best_feasible, event.best_cost)
            if event.best_cost < best_seen or not event.feasible:
                best_seen = min(best_seen, event.best_cost)
                progress(ProgressEvent(time.perf_counter() - started, event.iteration,
                                       best_seen, event.feasible))

        def phase_stop(seconds: float) -> StopCriterion:
            return AnyOf((stop, MaxRuntime(max(seconds, 0.01))))

        # 4. lower bound, first: the main engine stops at a plan that matches it
        lower = None
        main_seconds = budget * main_share
        if use_bound:  # its share, what it leaves of it going to the main engine
            tick = time.perf_counter()
            if _fits(stop, budget, p.min_phase_s, stats, "bound"):
                lower = self._bound(compiled, budget * p.bound_share, stats)
            main_seconds += max(budget * p.bound_share - (time.perf_counter() - tick), 0.0)

        # 1. main engine
        main_stop = phase_stop(main_seconds)
        if lower is not None:  # valid for plans serving every required stop (the LP
            #   prices optional ones with their penalties): a plan leaving a required
            #   stop out pays far more than the bound, and no other ends the search
            main_stop = AnyOf((main_stop, ReachedBound(lower, lambda: best_feasible)))
        start = _feasible_part(compiled, initial) if initial is not None else None
        extra: dict[str, object] = {}
        if start is not None and engine.warm_starts:
            extra["initial"] = start
        if use_sp:  # routes from the whole search, not just its plan
            extra["pool"] = pool
        background = (setpart.BackgroundSetPartitioning(
            compiled, pool, time.perf_counter() + main_seconds, budget * p.concurrent_lead)
            if beside else None)
        cpu = time.thread_time()
        try:
            try:
                result = engine.solve(compiled, options, relay, main_stop, **extra)
            except NoSolutionError as exc:
                if insurance is None:
                    raise
                logger.warning("auto: %s; keeping the greedy plan", exc)
                result, stats["main_failed"] = insurance, 1.0
        except BaseException:
            if background is not None:
                background.finish(run=False)
            raise
        stats[f"{engine.name}_cpu_s"] = time.thread_time() - cpu
        failed = "main_failed" in stats  # then ``result`` is the greedy plan
        if not failed:
            stats[f"{engine.name}_cost"] = result.cost
            stats["searches"] = result.stats.get("searches", 1.0)  # ils searches side by side
        stats[f"{engine.name}_s"] = time.perf_counter() - started
        pool.add_result(result)
        stats["main_pool_routes"] = float(len(pool))
        candidates = [] if failed else [("main", result.routes)]
        if insurance is not None:
            candidates.append(("greedy", insurance.routes))
        if proof is not None:
            candidates.append(("exact", proof.routes))
            stats["exact_s"] = proof_s
        # a warm start under locks may break them (a reference that orders stops against
        # a sequence lock): only the engine's lock-keeping copy of it stands, never itself
        if start is not None and not _has_locks(compiled):
            pool.add_result(start)
            candidates.append(("initial", start.routes))
            if _key(compiled, start.routes) < _key(compiled, result.routes):
                result = start  # the polish starts from the better of the two
        iterations = result.iterations
        stopped_by = result.stopped_by
        proved = lower is not None and stopped_by == "optimal"  # the main plan matched
        #   the bound: no phase can gain

        def may_go_on() -> bool:
            """Whether a later phase may run: no proof, and the caller's stop is silent."""
            return not proved and stop(iterations) is None

        # 2. OR-Tools polish, warm-started, feeding the pool
        polish_min = max(p.min_phase_s, p.polish_min_s)
        if use_polish and may_go_on() and _fits(stop, budget, polish_min, stats, "polish"):
            tick = time.perf_counter()
            try:
                polished = self._ortools.solve(compiled, options, relay,
                                               phase_stop(budget * p.polish_share), initial=result,
                                               pool=pool)
            except NoSolutionError as exc:  # the main plan stands; the polish is optional
                logger.warning("auto: OR-Tools polish found nothing (%s); keeping %s's plan",
                               exc, engine.name)
                stats["polish_failed"] = 1.0
            else:
                pool.add_result(polished)
                candidates.append(("polish", polished.routes))
                stats["polish_cost"] = polished.cost
            stats["polish_s"] = time.perf_counter() - tick

        # 3. set partitioning over the pool
        sp = None
        if background is not None:
            (left_out, _), _, incumbent = _best(compiled, candidates)
            tick = time.perf_counter()
            sp = background.finish(run=may_go_on(), start=incumbent,
                                   cover_required=left_out == 0)
            stats["setpart_wait_s"] = time.perf_counter() - tick
            stats["setpart_cpu_s"] = background.cpu_s
            if background.began_at is not None:
                stats["setpart_s"] = time.perf_counter() - background.began_at
                stats["setpart_began_s"] = background.began_at - started
        elif use_sp and may_go_on() and _fits(stop, budget, p.min_phase_s, stats, "setpart"):
            tick = time.perf_counter()
            left = remaining_seconds(stop, budget)
            (left_out, _), _, incumbent = _best(compiled, candidates)
            sp = setpart.set_partitioning(compiled, pool, max(min(left, budget * p.setpart_share * 2),
                                                      0.05), cover_required=left_out == 0,
                                  start=incumbent)
            stats["setpart_s"] = time.perf_counter() - tick
        if sp is not None:
            stats["pool_routes"] = float(sp.columns)
            stats["setpart_solve_s"] = sp.mip.runtime_s
            if sp.routes is not None:
                candidates.append(("setpart", sp.routes))
                stats["setpart_cost"] = plan_cost(compiled, sp.routes)[0]
                stats["setpart_optimal"] = float(sp.mip.status == "optimal")

        # pick the best plan
        (left_out, cost), name, routes = _best(compiled, candidates)
        produced_by = {"main": engine.name, "initial": "warm start", "polish": "ortools",
                       "greedy": "greedy",
                       "setpart": "setpart", "exact": "exact"}[name]
        relay(ProgressEvent(time.perf_counter() - started, iterations, cost, True))

        if lower is not None and left_out == 0:  # the bound holds for complete plans only
            stats["lower_bound"] = lower
            stats["gap"] = bound.gap(cost, lower)
        if proved and not (left_out == 0 and matches_bound(cost, lower)):
            logger.error("auto: %s reported a plan at the bound %.6f, but the chosen plan "
                         "costs %.6f with %d stops left out", engine.name, lower, cost,
                         left_out)
            stopped_by = "converged"

        if sink is not None:  # the caller's pool gets the chosen plan's routes
            for k, nodes in routes:
                sink.add(int(k), nodes)
        served = {int(i) for _, nodes in routes for i in nodes}
        unassigned = diagnose(compiled, [i for i in range(compiled.n_depots, compiled.n_nodes)
                                         if i not in served])
        return EngineResult(
            routes=[(int(k), np.asarray(nodes, dtype=np.int64)) for k, nodes in routes],
            unassigned=unassigned,
            cost=cost,
            iterations=iterations,
            stopped_by=stopped_by,
            stats=stats,
            produced_by=produced_by,
        )


    def cold_start_s(self, compiled: CompiledProblem, budget: float = math.inf) -> float:
        """What the main engine still needs to load in this process where OR-Tools
        cannot stand in for it (coordinate-only travel); else 0 (``loadable`` swaps)."""
        engine, _ = self._main(compiled)
        cold = getattr(engine, "cold_start_s", None)
        return 0.0 if cold is None or compiled.travel.dense else cold(compiled, budget)

    def _bound(self, compiled: CompiledProblem, seconds: float,
               stats: dict[str, float]) -> float | None:
        """Phase 4's lower bound within ``seconds`` (None when none was reached)."""
        from solver.engines.pyomo import bound

        tick = time.perf_counter()
        outcome = bound.lower_bound(compiled, max(seconds, 0.05), self.params.bound_max_stops)
        stats["bound_s"] = time.perf_counter() - tick
        if outcome.value is None:
            return None
        stats["bound_rounds"] = float(outcome.rounds)
        stats["bound_cuts"] = float(outcome.cuts)
        return outcome.value

    def _prove(self, compiled: CompiledProblem, options: SolveOptions,
               progress: ProgressCallback, stop: StopCriterion,
               ) -> tuple[EngineResult | None, float]:
        """Phase 0: the exact MIP on a tiny problem, under ``exact_share`` of the budget;
        its result (None when skipped or planless) and its seconds."""
        p = self.params
        if compiled.n_clients > p.exact_max_stops or (
                compiled.n_clients > p.exact_enumerated_max_stops and beyond_the_mip(compiled)):
            return None, 0.0
        exact = self.engines("exact")
        if exact.supports(compiled) is not None:
            return None, 0.0
        tick = time.perf_counter()
        seconds = max(remaining_seconds(stop, options.time_limit) * p.exact_share,
                      p.exact_min_s)
        try:  # not under ``stop``'s clock: the floor may pass it
            result = exact.solve(compiled, options.model_copy(update={"time_limit": seconds}),
                                 progress, MaxRuntime(seconds))
        except NoSolutionError as exc:
            logger.info("auto: exact found no plan in its share (%s)", exc)
            result = None
        return result, time.perf_counter() - tick


def _fits(stop: StopCriterion, budget: float, need: float, stats: dict[str, float],
          phase: str) -> bool:
    """Whether the wall clock left still gives ``phase`` its minimum ``need``: planned at
    the start, it may find less (loading the main engine, an uninterruptible first plan),
    and a phase that cannot finish must not start. A late skip is recorded in ``stats``."""
    if remaining_seconds(stop, budget) >= need:
        return True
    stats[f"{phase}_skipped_late"] = 1.0
    return False


def _mip_loaded(budget: float, p: PortfolioParams) -> bool:
    """Whether the Pyomo phases may run: Pyomo is loaded, or its import fits the budget."""
    return "pyomo.environ" in sys.modules or budget >= p.pyomo_min_budget_s


def _has_locks(compiled: CompiledProblem) -> bool:
    ip = compiled.problem.in_progress
    return ip is not None and bool(ip.locks)


def _feasible_part(compiled: CompiledProblem, initial: EngineResult) -> EngineResult:
    """The warm start's routes that the evaluator's rules and the fleet accept."""
    left = compiled.type_count.copy()
    seen: set[int] = set()
    routes = []
    for k, nodes in initial.routes:
        k, nodes = int(k), np.asarray(nodes, dtype=np.int64)
        if (len(nodes) and 0 <= k < compiled.n_types and left[k] > 0
                and not seen.intersection(nodes.tolist())
                and check_route(compiled, k, nodes).feasible):
            routes.append((k, nodes))
            left[k] -= 1
            seen.update(nodes.tolist())
    return EngineResult(routes=routes, unassigned={}, cost=plan_cost(compiled, routes)[0])


def _best(compiled: CompiledProblem, candidates: list) -> tuple[tuple[int, float], str, list]:
    """The candidate (name, routes) with fewest required stops left out, then lowest cost."""
    scored = [(_key(compiled, routes), name, routes) for name, routes in candidates]
    return min(scored, key=lambda t: t[0])


def _key(compiled: CompiledProblem, routes) -> tuple[int, float]:
    served = {int(i) for _, nodes in routes for i in nodes}
    left = sum(1 for i in range(compiled.n_depots, compiled.n_nodes)
               if compiled.required[i] and i not in served)
    return left, plan_cost(compiled, routes)[0]

