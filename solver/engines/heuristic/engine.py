"""The ``ils`` engine (``hgs`` is an accepted alias): Python orchestration of the Numba kernels.

Construction and every iteration run inside kernels; between chunks of about
``chunk_seconds`` of work this module asks the stop criterion, reports progress, and
sizes the next chunk. With an iteration limit the chunks end exactly on it, so a seed
and an iteration limit fix the result. The claimed cost is recomputed from the final
routes with the exact schedule (time-dependent travel and every window included).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult, RouteSink
from solver.engines.heuristic import _search as ks
from solver.engines.heuristic import replan
from solver.engines.heuristic._rng import seed_state, shuffle
from solver.engines.heuristic._routes import copy_state, total_cost, update_all
from solver.engines.heuristic._state import Instance, State
from solver.engines.heuristic.finish import claimed_cost, left_out_reason, make_feasible
from solver.engines.heuristic.instance import (
    build_instance,
    initial_penalties,
    new_state,
    new_work,
    own_scratch,
    unservable,
    windows_bind,
    with_neighbours,
)
from solver.engines.heuristic.params import HeuristicParams
from solver.engines.heuristic.starts import probe_starts, worth_probing
from solver.engines.heuristic.support import ils_supports
from solver.engines.heuristic.warm import feed_state, flush_archive, load_routes, new_archive
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion, remaining_seconds
from solver.options import SolveOptions
from solver.solution import ReasonCode

logger = logging.getLogger(__name__)

MAX_CHUNK = 100_000
FIRST_CHUNK = 64  # candidate routes priced before the first check
MAX_CHUNK_WORK = 10_000_000
LEFT_SHARE = 0.5  # a chunk is sized to at most this share of the time left at the last
#   chunk's pace: under load (two searches on two busy cores) the pace halved from one
#   chunk to the next, and a chunk sized to the whole time left ended 0.3 s past it
FIRST_PLAN_STOPS = frozenset({"time_limit", "cancelled"})  # the reasons that may cut the
#   first plan short; iteration counts and stalls are about the search after it


class IlsEngine:
    """Granular local search (HGS-CVRP's moves) inside an iterated local search with late
    acceptance. Named for what it is: there is no population or crossover, so it is not
    a hybrid genetic search; ``hgs``, its former name, stays an alias in the catalog."""

    name = "ils"
    warm_starts = True

    def __init__(self, params: HeuristicParams | None = None) -> None:
        self.params = params or HeuristicParams()

    def supports(self, compiled: CompiledProblem) -> str | None:
        """See ``support.ils_supports`` (kept apart so that asking loads no kernel)."""
        return ils_supports(compiled)

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
        """Construct (around the routes of ``initial``, when given), then improve until
        ``stop`` answers; see the module docstring. Where windows bind and routes are
        long, a second start is probed first (``starts``, ``HeuristicParams.probe_share``).

        A feasible ``initial`` is the first best solution, so the result is never worse.
        ``pool`` is anything with ``add(type_index, nodes) -> bool``: it is offered the
        feasible routes of the first plan and of every local optimum the search reaches.
        """
        started = time.perf_counter()
        shared = SharedInstance.build(compiled, self.params)
        search = IlsSearch(shared, options.seed, progress, started, pool)
        clock = FirstPlanClock(stop)
        search.construct(initial, clock)
        reason, spread = None, None
        probe_s = self.params.probe_share * clock.left()
        if worth_probing(search, initial, options.iteration_limit, probe_s,
                         self.params.probe_min_s):
            search, reason, spread = probe_starts(
                search, lambda progress: IlsSearch(shared, options.seed, progress, started, pool),
                options.seed, stop, clock, probe_s)
        if reason is None:
            reason = search.advance(options.iteration_limit, lambda: stop(search.done),
                                    clock.left)
        result = search.result(reason or "iteration_limit")
        if spread is not None:
            result.stats["spread_start"] = float(spread)
        return result


@dataclass(frozen=True)
class SharedInstance:
    """The flat instance every search reads (never writes), with the stops no vehicle can
    serve and whether windows bind: built once, however many searches run."""

    compiled: CompiledProblem
    params: HeuristicParams
    inst: Instance
    reasons: dict[int, str]
    fixed: list[tuple[int, np.ndarray]]
    active: np.ndarray
    windows: bool

    @classmethod
    def build(cls, compiled: CompiledProblem, params: HeuristicParams) -> SharedInstance:
        inst, reasons, fixed = _held_instance(compiled, params)
        active = inst.active.copy()
        active[list(reasons)] = False
        return cls(compiled, params, inst, reasons, fixed, active, windows_bind(compiled))


class IlsSearch:
    """One iterated local search: its own state, penalties, random stream and
    late-acceptance history over a shared instance. ``ils`` runs one; ``parallel`` runs
    several in threads (the kernels release the GIL) and lets one ``adopt`` another's best.
    Only the granular neighbours are its own (they follow its first local optimum)."""

    def __init__(self, shared: SharedInstance, seed: int, progress: ProgressCallback,
                 started: float, pool: RouteSink | None = None) -> None:
        p = self.params = shared.params
        self.shared, self.progress, self.started, self.pool = shared, progress, started, pool
        # wider neighbourhoods until the routes are known
        tick = time.perf_counter()
        self.inst = own_scratch(with_neighbours(shared.inst, shared.active,
                                                replace(p, n_neighbours=p.tw_neighbours)
                                                if shared.windows else p))
        self.neighbours_s = time.perf_counter() - tick  # what narrowing them may take
        self.work = new_work(self.inst, initial_penalties(self.inst))
        self.rng = seed_state(seed)
        self.cur, self.cand, self.best = (new_state(self.inst) for _ in range(3))
        self.arch = new_archive(self.inst.active.shape[0], pool is not None)
        self.stats = np.zeros(ks.N_STATS)
        self.stats[ks.BEST_COST] = math.inf
        self.first_feasible = math.nan
        self.partial: State | None = None  # a feasible warm start missing required clients
        self.promising = np.ones(self.inst.active.shape[0], dtype=np.bool_)
        self.history = np.zeros(p.history)
        self.done, self.chunk = 0, 1
        self.search_s, self.evals_before = 0.0, 0
        self.cut: str | None = None  # why the first plan was cut short, if it was
        self.pace = math.inf  # candidate routes priced per second in the last chunk

    @property
    def best_cost(self) -> float:
        """The best feasible plan's cost (inf before one is found)."""
        return float(self.stats[ks.BEST_COST])

    def _keep_if_better(self, state) -> None:
        cost = total_cost(self.inst, state)
        if sum(ks.violations(self.inst, state)) <= ks.FEAS_TOL and cost < self.best_cost:
            copy_state(state, self.best)
            self.stats[ks.BEST_COST] = cost
            self._reached_feasible()
            self.progress(ProgressEvent(time.perf_counter() - self.started, 0, cost, True))

    def _reached_feasible(self) -> None:
        if math.isnan(self.first_feasible):
            self.first_feasible = time.perf_counter() - self.started

    def construct(self, initial: EngineResult | None,
                  check: FirstPlanClock | None = None) -> str | None:
        """The first plan (around ``initial``'s routes) and its local optimum. The
        insertion, the local search and its repair run in chunks of about
        ``chunk_seconds``, none sized past the time left; ``check``, asked between them,
        may cut them short (issue 15: on a large operating day the first local search
        alone took longer than a 10 s limit). Its reason is returned, and the plan is
        the state reached, a whole plan between two moves (clients not inserted yet stay
        out). Uncut, the chunks apply the same moves as one kernel call would."""
        p, inst, cur, work, rng = self.params, self.inst, self.cur, self.work, self.rng
        self._iterate(0)
        warm = initial is not None and load_routes(
            inst, cur, work, replan.keep_locks(inst, initial.routes)) > 0
        # A warm start that leaves a required client out is no plan: as the best so far
        # it would beat every complete plan on cost (found by the replan properties). When
        # feasible it is kept apart, for ``result`` to fall back on if no plan is complete.
        if warm and not np.any(inst.active & ~inst.optional & (cur.route_of < 0)):
            self._keep_if_better(cur)
        elif warm and sum(ks.violations(inst, cur)) <= ks.FEAS_TOL:
            self.partial = new_state(inst)
            copy_state(cur, self.partial)
        # A quick first plan: insertion under repair-strength penalties, so that a
        # feasible position or a free vehicle wins wherever one exists.
        scale = p.repair_factor ** p.repair_rounds
        work.pen[:] *= scale
        if warm:
            update_all(inst, cur, work.pen, False)
        shuffle(rng, work.order)
        at = [0]

        def insert(size: int) -> bool:
            at[0] = ks.construct_from(inst, cur, work, at[0], size)
            return at[0] < 0

        self.cut = self._in_chunks(insert, check)
        work.pen[:] /= scale
        update_all(inst, cur, work.pen, False)
        self._keep_if_better(cur)
        if self.cut is None:
            self.cut = self._local_search(check) or self._repair(check)
            self._keep_if_better(cur)
        # no search follows a cut, nor one that ends before the narrower neighbourhoods
        # are built (seconds on a large day under load)
        if (self.cut is None and self.long_routes()
                and (check is None or check.left() > 2 * self.neighbours_s)):
            self.inst = own_scratch(with_neighbours(self.shared.inst, self.shared.active,
                                                    replace(p, n_neighbours=p.long_neighbours)))
        self.stats[ks.CUR_COST] = total_cost(self.inst, cur)
        if self.pool is not None:
            feed_state(self.pool, self.inst, cur, ks.FEAS_TOL)
        self.history[:] = self.stats[ks.CUR_COST]
        self.evals_before = int(work.evals[0])
        return self.cut

    def _in_chunks(self, step: Callable[[int], bool],
                   check: FirstPlanClock | None) -> str | None:
        """Call ``step(size)`` (a resumable kernel: ``size`` more candidate routes priced,
        True once it is done) until it is done, or ``check``, asked before each call,
        gives a reason: that reason. Sizes grow towards ``chunk_seconds`` as
        ``advance``'s, within what the last pace allows in ``LEFT_SHARE`` of the time
        left."""
        size = FIRST_CHUNK
        while True:
            reason = check() if check is not None else None
            if reason is not None:
                return reason
            tick, evals = time.perf_counter(), int(self.work.evals[0])
            if step(size):
                return None
            elapsed = max(time.perf_counter() - tick, 1e-6)
            self.pace = (int(self.work.evals[0]) - evals) / elapsed
            grow = min(self.params.chunk_seconds / elapsed, 2.0)
            left = check.left() if check is not None else math.inf
            size = int(min(size * grow, size / elapsed * left * LEFT_SHARE, MAX_CHUNK_WORK))
            size = max(size, 1)

    def _local_search(self, check: FirstPlanClock | None) -> str | None:
        """``ks.local_search`` on the current plan, in chunks of candidate routes priced."""
        inst, cur, work, promising = self.inst, self.cur, self.work, self.promising
        shuffle(self.rng, work.order)
        at = [np.int64(0), np.bool_(False)]

        def improve(size: int) -> bool:
            at[:] = ks.search_from(inst, cur, work, promising, at[0], at[1], size)
            return at[0] < 0

        return self._in_chunks(improve, check)

    def _repair(self, check: FirstPlanClock | None) -> str | None:
        """``ks.repair`` on the current plan, its local searches in chunks; cut short,
        the penalties are restored all the same."""
        p, reason, scale = self.params, None, 1.0
        for _ in range(p.repair_rounds):
            if not ks.repair_round(self.inst, self.cur, self.work, p.repair_factor,
                                   self.promising):
                break
            scale *= p.repair_factor
            reason = self._local_search(check)
            if reason is not None:
                break
        ks.scale_penalties(self.inst, self.cur, self.work, 1.0, scale)
        return reason

    def advance(self, until: int | None, check: Callable[[], str | None],
                left: Callable[[], float] | None = None) -> str | None:
        """Iterate in chunks of about ``chunk_seconds`` until ``until`` iterations are done
        (None), or ``check`` (asked between chunks) gives a reason to stop, or no client is
        left to route ("converged"): that reason. With ``until`` the chunks end exactly on
        it, so a seed and an iteration count fix the search's state; with ``left`` (the
        seconds left on the time limit) no chunk, nor the priced routes of its last
        iteration, is sized past ``LEFT_SHARE`` of it at the last pace."""
        p, inst = self.params, self.inst
        while inst.active.any():
            reason = check()
            if reason is not None:
                return reason
            if until is not None:
                if self.done >= until:
                    return None
                self.chunk = min(self.chunk, until - self.done)
            tick, evals, before = time.perf_counter(), int(self.work.evals[0]), self.iterations
            allowed = math.inf if left is None else max(left() * LEFT_SHARE, 0.0)
            # at least one priced route, so that a chunk always starts an iteration: a pace
            # of 0 (a chunk that priced nothing, as on tiny problems) gave a budget of 0,
            # and the search ran no iteration until the limit, chunk after chunk
            budget = (-1 if math.isinf(allowed) or not 0.0 < self.pace < math.inf
                      else max(int(self.pace * allowed), 1))
            improved = self._iterate(self.chunk, budget)
            self.done += self.iterations - before  # fewer than the chunk where the budget cut
            if self.pool is not None:
                flush_archive(self.pool, inst, self.arch)
                if improved:  # in case the archive was full
                    feed_state(self.pool, inst, self.best, ks.FEAS_TOL)
            elapsed = time.perf_counter() - tick
            self.search_s += elapsed
            self.pace = (int(self.work.evals[0]) - evals) / max(elapsed, 1e-6)
            grow = min(p.chunk_seconds / max(elapsed, 1e-6), 2.0)  # at most x2: iterations vary
            size = self.chunk * grow
            if left is not None:
                size = min(size, self.chunk / max(elapsed, 1e-6) * left() * LEFT_SHARE)
            self.chunk = int(min(max(size, 1), MAX_CHUNK))
            if improved:
                self._reached_feasible()
                self.progress(ProgressEvent(time.perf_counter() - self.started, self.done,
                                            self.best_cost, True))
        return "converged"

    @property
    def iterations(self) -> int:
        """ILS iterations run (``ks.ils_chunk``'s count)."""
        return int(self.stats[ks.ITERATION])

    def _iterate(self, n: int, budget: int = -1) -> bool:
        """``n`` iterations of ``ks.ils_chunk`` within ``budget`` priced routes (-1: no
        budget); True when the best plan improved. With ``n`` 0 it only loads the kernel:
        ``construct`` does so first, inside the clock it watches, since loading it from
        the cache took 0.3 s and more under load, past the limit when it came as the
        first chunk of ``advance``."""
        p, inst = self.params, self.inst
        ruin_max = min(p.long_ruin_max if self.long_routes() else p.ruin_max,
                       inst.neigh.shape[1] + 1)
        return ks.ils_chunk(
            inst, self.cur, self.cand, self.best, self.work, self.rng, self.history,
            self.stats, self.arch, self.promising, n,
            min(p.ruin_min, ruin_max), ruin_max, self._route_ruin(), p.route_short,
            p.focus, self._polish_share(),
            self._repair_prob(), p.repair_factor, p.repair_rounds,
            p.adjust_every, p.target_feasible, p.pen_up, p.pen_down, budget,
        )

    def long_routes(self) -> bool:
        """Whether windows bind and the current plan's routes are long (more than
        ``short_routes`` clients each): GH C2/R2/RC2 rather than C1/R1/RC1."""
        return self.shared.windows and _clients_per_route(self.cur) > self.params.short_routes

    def _repair_prob(self) -> float:
        """Where windows bind, ``short_repair_prob`` on short routes and ``repair_prob``
        on long ones; elsewhere 0 (unless ``repair_without_windows``): on CVRP the
        repairs cost most of the search and lost (``HeuristicParams``)."""
        p = self.params
        if not self.shared.windows:
            return p.repair_prob if p.repair_without_windows else 0.0
        return p.repair_prob if self.long_routes() else p.short_repair_prob

    def _polish_share(self) -> float:
        """The share of the work new bests' polishes may take: 0 without ``polish_best``,
        ``timed_polish_share`` where a vehicle pays per second (a route's waiting then
        bounds no move, so each polish is a full local search with little pruned), else 1
        (every new best, as in PyVRP); see ``HeuristicParams``."""
        p = self.params
        if not p.polish_best:
            return 0.0
        return p.timed_polish_share if self.inst.cost_time.any() else 1.0

    def _route_ruin(self) -> float:
        """``route_ruin`` on long routes where windows bind, else 0: measured only there
        (GH R2/RC2/C2)."""
        return self.params.route_ruin if self.long_routes() else 0.0

    def adopt(self, plan: State, cost: float) -> None:
        """Restart from another search's best ``plan`` (feasible, of ``cost``): it becomes
        this search's current and best plan, priced under this search's own penalties,
        with a fresh acceptance history."""
        copy_state(plan, self.cur)
        copy_state(plan, self.best)
        update_all(self.inst, self.cur, self.work.pen, False)
        self.stats[ks.BEST_COST] = cost
        self.stats[ks.CUR_COST] = total_cost(self.inst, self.cur)
        self.history[:] = self.stats[ks.CUR_COST]

    def result(self, stopped_by: str) -> EngineResult:
        """The best plan made feasible by the exact schedule, its cost recomputed. Without
        a feasible best, the current plan so repaired, or the feasible warm start that
        left required clients out when it leaves out fewer, or as many at less cost
        (the repair drops stops by violation, not cost: found by the replan properties,
        one van of capacity 10 that the reference sent to 1 unit at its depot)."""
        plans = [self._repaired(self.best if math.isfinite(self.best_cost) else self.cur)]
        if not math.isfinite(self.best_cost) and self.partial is not None:
            plans.append(self._repaired(self.partial))
        routes, unassigned, cost = min(plans, key=lambda plan: (sum(
            not self.inst.optional[i] for i in plan[1]), plan[2]))
        evals = int(self.work.evals[0]) - self.evals_before
        return EngineResult(
            routes=routes,
            unassigned=unassigned,
            cost=cost,
            iterations=self.done,
            stopped_by=stopped_by,
            stats={
                "first_feasible_s": self.first_feasible,
                "moves_evaluated": float(evals),
                "moves_per_s": evals / self.search_s if self.search_s > 0 else 0.0,
                "polish_share": float(self.stats[ks.POLISHED]) / max(evals, 1),
                "first_plan_cut": float(self.cut is not None),
            },
        )

    def _repaired(self, st: State) -> tuple[list[tuple[int, np.ndarray]], dict, float]:
        """``st`` made feasible by the exact schedule: routes, unassigned, claimed cost."""
        inst = self.inst
        routes, unassigned = _decode(inst, st, self.shared.reasons)
        # on day problems the required stops the search left out get a last exact try:
        # the segment data it inserts by cannot see breaks or route limits (that make,
        # say, the cheapest-looking route infeasible); elsewhere its insertions were exact.
        # Not when the clock cut the first plan: the insertion it stopped may have left
        # hundreds out, too many to try in the time left (the pipeline's greedy plan is
        # the answer there, ``deadline.solve_in_time``)
        retry = [i for i in unassigned if i not in self.shared.reasons
                 and not inst.optional[i] and inst.day is not None and self.cut is None]
        routes, left = make_feasible(inst, routes, retry)
        routes += self.shared.fixed
        unassigned = {i: reason for i, reason in unassigned.items() if i not in retry}
        unassigned.update({i: left_out_reason(inst, i) for i in left})
        return routes, unassigned, claimed_cost(inst, routes, unassigned)


@dataclass(frozen=True)
class FirstPlanClock:
    """``stop`` as the first plan asks it: before any iteration, answering only
    ``FIRST_PLAN_STOPS``; and the seconds left on its time limit (inf without one)."""

    stop: StopCriterion

    def __call__(self) -> str | None:
        reason = self.stop(0)
        return reason if reason in FIRST_PLAN_STOPS else None

    def left(self) -> float:
        return remaining_seconds(self.stop, math.inf)


def _clients_per_route(st) -> float:
    used = st.length > 0
    return float(st.length[used].mean()) if used.any() else math.inf


def _decode(inst, st, reasons: dict[int, str]):
    routes = [
        (int(inst.route_type[r]), st.nodes[r, : st.length[r]].copy())
        for r in range(st.length.shape[0])
        if st.length[r] > 0
    ]
    unassigned = {i: ReasonCode(reason) for i, reason in reasons.items()}
    for i in np.flatnonzero(inst.active & (st.route_of < 0)):
        unassigned[int(i)] = left_out_reason(inst, int(i))
    return routes, unassigned


def _held_instance(compiled: CompiledProblem, params: HeuristicParams):
    """The instance, the reason codes of the stops it cannot serve, and the routes of
    ``fixed`` locks, which it keeps out of the search (``replan.hold_fixed``)."""
    inst = build_instance(compiled, params)
    fixed = replan.fixed_routes(compiled)
    reasons = unservable(inst, compiled.n_depots)
    held = {int(i) for _, nodes in fixed for i in nodes}
    return (replan.hold_fixed(inst, fixed),
            {i: r for i, r in reasons.items() if i not in held}, fixed)


def complete_warm_start(compiled: CompiledProblem, initial: EngineResult) -> EngineResult:
    """``initial`` made a complete plan where it can be (for another engine's warm start,
    e.g. a replan's reference without its broken-down van and with new orders): its
    routes made feasible and every stop it leaves out inserted at its cheapest feasible
    position (``make_feasible``), keeping a replan's locks (``fixed`` routes as they
    are). Exact for plain problems only (no ``day_features`` beyond locks and disruption
    costs)."""
    inst, reasons, fixed = _held_instance(compiled, HeuristicParams())
    held = {k for k, _ in fixed}
    kept = replan.keep_locks(inst, [(k, nodes) for k, nodes in initial.routes
                                    if k not in held])
    served = {int(i) for _, nodes in kept for i in nodes}
    missing = [int(i) for i in np.flatnonzero(inst.active)
               if i not in served and i not in reasons]
    routes, left = make_feasible(inst, kept, missing)
    return EngineResult(routes=routes + fixed,
                        unassigned={i: left_out_reason(inst, i) for i in left},
                        cost=math.nan, produced_by="ils-insertion")
