"""Engine ``ortools``: guided local search on an OR-Tools ``RoutingModel``.

The model (``model.py``) covers every feature of the problem model. The search has two
phases:

1. **a race of starts** (``race_share`` of the budget): each start gets an equal slice —
   a first solution by one OR-Tools strategy, or routecast's own ``hgs`` search for
   ``seed_search`` of the slice (its construction + one local search only, ~0.1 s on 200
   clients once compiled, under an iteration limit) read in as an assignment — and GLS
   from it for the rest of its slice. (Measured on X-n120-k6 at 10 s: the construction
   alone reaches 14179, GLS from it finds nothing better, plain OR-Tools reaches
   13794-14034; with 0.5 s of hgs search the seed is 13733.) Seeding GLS from another
   engine's construction is a deliberate design: at 10 s on 200-client VRPTW OR-Tools
   accepts only a few hundred solutions, so where GLS starts decides where it ends, and
   no single start wins everywhere (measured on GH200, CPU seconds at 10 s: C1_2_1 is
   won by LOCAL_CHEAPEST_INSERTION (2707 vs 2793 for parallel insertion and 3032 for the
   hgs seed), RC1_2_2 and R1_2_1 by the hgs seed; the leader after 1 s of GLS led at
   10 s and 30 s in every case). A warm start (``initial``) replaces the race.
2. **GLS from the race's best plan** for the rest of the budget; when it finds no new
   best for ``stall_share`` of the budget (or of the iteration limit), the next start of
   the race runs afresh (its first plan, then GLS) for what is left, and so on; the best
   plan met is returned. Measured: on X-n120-k6 the hgs seed wins the race (14179) and
   GLS from it finds nothing better in 10 s, while GLS from PATH_CHEAPEST_ARC's first plan
   reaches 14034 within 0.7 CPU s; on C1_2_1 under load the seed can win the race and
   stall while LOCAL_CHEAPEST_INSERTION reaches 2707.42 within ~1 CPU s.

With an iteration limit the race's slices are counted in solutions, so a seed and an
iteration limit still fix the result. The claimed cost is recomputed in Python with the
evaluator's semantics (``solver.engines.schedule``), never taken from OR-Tools' integer
objective; routes the evaluator would reject (rounding edge cases) are repaired, and
required stops the conservative parts of the model left out are inserted by the
evaluator's rules where they fit (``complete``).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
from ortools.constraint_solver import pywrapcp

from solver.compile import CompiledProblem
from solver.diagnosis import diagnose
from solver.engines.base import EngineResult, RouteSink
from solver.engines.ortools.complete import complete, repair
from solver.engines.ortools.model import Model
from solver.engines.ortools.search import Watch, search_parameters
from solver.engines.progress import ProgressCallback, no_progress
from solver.engines.schedule import plan_cost
from solver.engines.standalone import EngineLookup, standalone_engine
from solver.engines.stop import (
    AnyOf,
    MaxIterations,
    MaxRuntime,
    StopCriterion,
    remaining_seconds,
)
from solver.errors import NoSolutionError, SolveCancelled
from solver.options import SolveOptions
from solver.solution import ReasonCode

logger = logging.getLogger(__name__)

SEED = "seed"  # the name of the start built by ``OrToolsParams.seed_engine``
MIN_FALLBACK_S = 0.05  # the model that may drop stops is not built with less time left
COMPLETE_SHARE = 0.1  # of the budget kept for ``complete`` after the model with drops
MIN_COMPLETE_S = 0.25  # the least time ``complete`` gets (within the 0.3 s overrun target
#   of benchmarks/results/2026-12-03_timing.md)


@dataclass(frozen=True)
class OrToolsParams:
    """Search knobs (first-solution strategies are OR-Tools enum names).

    ``starts`` race on problems without a time dimension, ``starts_tw`` on those with one,
    ``starts_pd`` with shipments (strategies that insert pickup-and-delivery pairs
    together), ``starts_breaks`` with driver breaks (OR-Tools' break intervals make the
    insertion strategies slow and, without drops, fail). ``seed_engine`` adds that engine's construction to the race when it
    supports the problem and the budget is at least ``seed_min_s`` (its kernels may need
    compiling once per cache). ``race_share`` 0 runs the first start only.
    """

    starts: tuple[str, ...] = (SEED, "PATH_CHEAPEST_ARC", "SAVINGS")
    starts_tw: tuple[str, ...] = (SEED, "LOCAL_CHEAPEST_INSERTION", "SAVINGS",
                                  "PARALLEL_CHEAPEST_INSERTION")
    starts_pd: tuple[str, ...] = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")
    starts_breaks: tuple[str, ...] = ("SAVINGS",)  # with driver breaks, see below; no
    #   ils seed: its construction and first local search do not watch the clock, and on
    #   break days they take longer than small budgets (the 150-stop day of benchmarks/day
    #   at 10 s: seeded, no plan after 18 s; unseeded, 5693 in 10.1 s)
    fallback: str = "PARALLEL_CHEAPEST_INSERTION"  # for the model that may drop stops
    fallback_breaks: str = "LOCAL_CHEAPEST_INSERTION"  # the same with driver breaks
    #   (measured on the 150-stop day of benchmarks/day, one CPU second at most: without
    #   drops only SAVINGS found a first plan, 0.7 s; the insertions failed; with drops
    #   LOCAL_CHEAPEST_INSERTION took 0.14 s (5 stops out), PARALLEL_... 2.5 s)
    seed_engine: str | None = "ils"
    seed_min_s: float = 2.0
    seed_search: float = 0.5  # share of the seed's race slice that the seed engine searches
    #   (the rest is GLS from its plan); 0, or an iteration limit: its construction and one
    #   local search only
    race_share: float = 0.3
    stall_share: float = 0.1  # phase 2 moves on to the next start after this share of the
    #   budget (or of the iteration limit) without a new best; 0: never
    first_cap_share: float = 0.3  # without a race: the cap on the first plan's search
    first_cap_share_breaks: float = 0.4  # the same with driver breaks (SAVINGS is slow
    #   there, and the model that may drop stops has LOCAL_CHEAPEST_INSERTION after it)
    strict_first: bool = True  # try the model without drops for required stops first

    def __post_init__(self) -> None:
        if not 0.0 <= self.race_share < 1.0:
            raise ValueError("race_share must be in [0, 1)")
        if not 0.0 <= self.stall_share < 1.0:
            raise ValueError("stall_share must be in [0, 1)")


class OrToolsEngine:
    """Guided local search on an OR-Tools routing model (see the module docstring)."""

    name = "ortools"
    warm_starts = True
    insure_below_s = 5.0  # under this limit the pipeline makes the greedy plan first
    #   (``deadline.solve_in_time``): on the 300-stop operating day at 1 s OR-Tools has
    #   no first plan by the limit, and the greedy one then needs longer than the grace

    def __init__(self, params: OrToolsParams | None = None,
                 engines: EngineLookup | None = None) -> None:
        """``engines`` finds the seed engine by name (the catalog passes its lookup);
        default: the standalone engines."""
        self.params = params or OrToolsParams()
        self.engines = engines or standalone_engine

    def supports(self, compiled: CompiledProblem) -> str | None:
        """OR-Tools models every feature of the problem model (travel conservatively)."""
        return None

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
        """Solve with GLS until ``stop``; ``initial`` warm-starts, ``pool`` collects routes.

        ``pool`` is anything with ``add(type_index, nodes)``: every improving solution's
        routes are offered to it (set partitioning recombines them later).
        """
        started = time.perf_counter()
        budget = remaining_seconds(stop, options.time_limit)
        watch = Watch(progress, stop, started, pool)
        if initial is not None:  # both models below read the completed start
            initial = _completed(compiled, initial)
        model = Model(compiled, drop_required=not self.params.strict_first)
        if not model.active:
            return _result(compiled, [], model.impossible, 0, "converged")
        solution = None
        if self.params.strict_first:
            # every required stop served: the model plain OR-Tools users build, which GLS
            # searches best; when no start finds a plan there, drops are allowed
            model.close(search_parameters(self.params.fallback, budget), watch)
            ranked = self._race(model, options, budget, started, watch, initial)
            solution = self._descend(model, ranked, options, budget, started, watch)
        left = budget - (time.perf_counter() - started)
        if solution is None and watch.reason is None and left < MIN_FALLBACK_S:
            if initial is not None:  # completing it took the time (``ils``' kernels loading
                #   in a fresh process): it is the plan, as an ``ils`` warm start would be
                logger.warning("ortools: no time left after the warm start; returning it")
                return _result(compiled, initial.routes, model.impossible, 0, "time_limit",
                               started + budget)
            raise NoSolutionError(f"ortools: no plan serving every required stop within the "
                                  f"time limit ({budget:.2f} s); none left to try dropping stops")
        reserve = 0.0
        if solution is None and watch.reason is None:
            # with breaks: the relaxed model (no break intervals), repaired and completed
            # by the evaluator's rules in ``_result``
            relaxed = _has_breaks(compiled)
            if relaxed:
                logger.info("ortools: no plan with break intervals; solving the relaxed model")
            model = Model(compiled, drop_required=True, breaks=not relaxed)
            left = budget - (time.perf_counter() - started)
            reserve = min(COMPLETE_SHARE * budget, left / 2)  # for ``complete``: this
            left -= reserve  # model may leave required stops out
            params = self._params(self.params.fallback_breaks if relaxed
                                  else self.params.fallback, options, left, watch)
            model.close(params, watch)
            start = model.read(initial) if initial is not None else None
            if start is not None:
                solution = model.routing.SolveFromAssignmentWithParameters(start, params)
            else:
                solution = model.routing.SolveWithParameters(params)
        stopped_by = watch.reason or _status_reason(options, watch, budget - reserve, started)
        if solution is None:
            if stopped_by == "cancelled":
                raise SolveCancelled("ortools: cancelled before a first solution")
            raise NoSolutionError(
                f"ortools: no solution (routing status {model.routing.status()})")
        routes = model.extract(solution)
        return _result(compiled, routes, model.impossible, watch.iterations, stopped_by,
                       started + budget)

    def _params(self, strategy: str, options: SolveOptions, seconds: float, watch: Watch,
                share: float = 1.0):
        """Search parameters for ``seconds``, with ``share`` of the iterations left."""
        limit = None
        if options.iteration_limit is not None:
            left = options.iteration_limit - watch.iterations
            limit = max(int(left * share), 1)
        return search_parameters(strategy, seconds, limit)

    def _descend(self, model: Model, ranked: list[tuple[str, pywrapcp.Assignment]],
                 options: SolveOptions, budget: float, started: float,
                 watch: Watch) -> pywrapcp.Assignment | None:
        """GLS from the race's best plan; when it stalls (no new best for ``stall_share``
        of the budget), the next start afresh (its first plan, then GLS: GLS restarted
        from a plan another GLS left stalls too, measured on X-n120-k6), and so on; the
        best plan met (phase 2). The seed engine's start is not restarted: a plan read into
        a model that has been searched was refused at once (``ROUTING_FAIL_TIMEOUT``, the
        read seemingly under the last search's limit; on the multi-window demo day every
        time, on an 8-stop problem some of the time), and the seed's search time with it
        (9 s of a 30 s solve on the demo day)."""
        p = self.params
        best, best_cost = (ranked[0][1], self._cost(model, ranked[0][1])) if ranked else (
            None, math.inf)
        for n, (start, first) in enumerate(ranked):
            if watch.reason is not None:
                break
            if n > 0 and start == SEED:
                continue
            if n + 1 < len(ranked) and p.stall_share > 0:
                if options.iteration_limit is not None:
                    watch.stall_after(solutions=max(int(options.iteration_limit
                                                        * p.stall_share), 1))
                else:
                    watch.stall_after(seconds=budget * p.stall_share)
            else:
                watch.stall_after()
            left = budget - (time.perf_counter() - started)
            if n == 0:
                found = model.routing.SolveFromAssignmentWithParameters(
                    first, self._params(p.fallback, options, left, watch)) or first
            else:
                found = self._run_start(model, start, options, left, watch, 1.0)
            cost = self._cost(model, found) if found is not None else math.inf
            logger.debug("ortools: GLS from %s reached %.6g (stalled: %s)", start, cost,
                         watch.stalled)
            if cost < best_cost:
                best, best_cost = found, cost
            if not watch.stalled and found is not None:  # a start without a plan leaves
                #   its time to the next one
                break
        return best

    @staticmethod
    def _cost(model: Model, found: pywrapcp.Assignment) -> float:
        return plan_cost(model.c, model.extract(found))[0]

    def _race(self, model: Model, options: SolveOptions, budget: float, started: float,
              watch: Watch, initial: EngineResult | None,
              ) -> list[tuple[str, pywrapcp.Assignment]]:
        """Each start's name and plan after its slice of GLS, best first (phase 1)."""
        p = self.params
        if initial is not None:
            start = model.read(initial)
            return [("initial", start)] if start is not None else []
        starts = self._starts(model, budget)
        if p.race_share == 0 or len(starts) == 1:  # no race: the first start's plan only
            cap = p.first_cap_share_breaks if _has_breaks(model.c) else p.first_cap_share
            found = self._run_start(model, starts[0], options, budget * cap,
                                    watch, 0.0)
            return [(starts[0], found)] if found is not None else []
        entries = []
        share = p.race_share / len(starts)
        for n, start in enumerate(starts):
            if watch.reason is not None:
                break
            left = budget * p.race_share - (time.perf_counter() - started)
            seconds = max(left / (len(starts) - n), 0.01)
            if options.iteration_limit is not None:  # solutions decide, not the clock
                seconds = budget * p.race_share
            found = self._run_start(model, start, options, seconds, watch, share)
            if found is not None:
                entries.append((self._cost(model, found), n, start, found))
                logger.debug("ortools: start %s reached %.6g", start, entries[-1][0])
        return [(start, found) for _, _, start, found in sorted(entries, key=lambda e: e[:2])]

    def _starts(self, model: Model, budget: float) -> list[str]:
        p = self.params
        starts = (p.starts_pd if model.c.has_shipments
                  else p.starts_breaks if _has_breaks(model.c)
                  else p.starts_tw if model.has_time else p.starts)
        if SEED in starts and (p.seed_engine is None or budget < p.seed_min_s
                               or self.engines(p.seed_engine).supports(model.c) is not None):
            starts = tuple(s for s in starts if s != SEED)
        return list(starts)

    def _run_start(self, model: Model, start: str, options: SolveOptions, seconds: float,
                   watch: Watch, share: float) -> pywrapcp.Assignment | None:
        """One start's first plan, then GLS from it for the rest of ``seconds`` when
        ``share`` (of the iterations) is positive; None when it finds no plan."""
        tick = time.perf_counter()
        if start == SEED:
            engine = self.engines(self.params.seed_engine or "")
            search = self.params.seed_search * seconds
            limit = (MaxIterations(0) if options.iteration_limit is not None or search <= 0
                     else MaxRuntime(search))  # MaxIterations(0): construction + one LS
            stop = AnyOf((watch.stop, limit))
            first = model.read(engine.solve(model.c, options, no_progress, stop))
        else:
            first = model.routing.SolveWithParameters(
                search_parameters(start, seconds, solution_limit=1))
        left = seconds - (time.perf_counter() - tick)
        if first is None or share <= 0 or watch.reason is not None:
            return first
        params = self._params(self.params.fallback, options, left, watch, share)
        return model.routing.SolveFromAssignmentWithParameters(first, params) or first


def _has_breaks(compiled: CompiledProblem) -> bool:
    return bool((compiled.break_count > 0).any())


def _status_reason(options: SolveOptions, watch: Watch, budget: float, started: float) -> str:
    if options.iteration_limit is not None and watch.iterations >= options.iteration_limit:
        return "iteration_limit"
    if time.perf_counter() - started >= budget * 0.98:
        return "time_limit"
    return "converged"


def _result(compiled: CompiledProblem, routes: list[tuple[int, np.ndarray]],
            impossible: dict[int, ReasonCode], iterations: int, stopped_by: str,
            deadline: float = 0.0) -> EngineResult:
    """Repair any route the evaluator would reject, insert the required stops the model
    left out where the evaluator's rules allow (until ``deadline``, a
    ``time.perf_counter`` time, or for ``MIN_COMPLETE_S`` when that is later), diagnose
    the stops still out, price."""
    routes = [(k, repair(compiled, k, nodes)) for k, nodes in routes]
    routes = [(k, nodes) for k, nodes in routes if len(nodes)]
    served = {int(i) for _, nodes in routes for i in nodes}
    missing = [i for i in range(compiled.n_depots, compiled.n_nodes)
               if i not in served and i not in impossible and compiled.required[i]]
    if missing and stopped_by != "cancelled":
        deadline = max(deadline, time.perf_counter() + MIN_COMPLETE_S)
        routes = complete(compiled, routes, missing, deadline)
        served = {int(i) for _, nodes in routes for i in nodes}
    left = [i for i in range(compiled.n_depots, compiled.n_nodes) if i not in served]
    unassigned = dict(impossible)
    unassigned.update(diagnose(compiled, [i for i in left if i not in impossible]))
    cost, _ = plan_cost(compiled, routes)
    return EngineResult(routes=routes, unassigned=unassigned, cost=cost,
                        iterations=iterations, stopped_by=stopped_by)


def _completed(compiled: CompiledProblem, initial: EngineResult) -> EngineResult:
    """The warm start made feasible and complete where it can be. A replan's reference
    has lost its broken-down van and lacks the new orders, and its routes may have become
    late; OR-Tools' strict model rejects such a start and the drop model leaves the
    insertions to GLS, which on 500 stops had not placed 33 of them after 5 s. On plain
    problems that lack required stops ``ils``' exact insertion completes it (milliseconds,
    once its kernels are loaded); otherwise only routes that break a rule are repaired."""
    plain = set(compiled.day_features) <= {"locks (in_progress.locks)",
                                           "disruption costs (in_progress.disruption)"}
    served = {int(i) for _, nodes in initial.routes for i in nodes}
    lacking = any(compiled.required[i] and i not in served
                  for i in range(compiled.n_depots, compiled.n_nodes))
    if plain and lacking and not compiled.has_shipments:
        from solver.engines.heuristic.engine import complete_warm_start

        return complete_warm_start(compiled, initial)
    routes = [(k, repair(compiled, k, nodes)) for k, nodes in initial.routes]
    return replace(initial, routes=[(k, nodes) for k, nodes in routes if len(nodes)])

