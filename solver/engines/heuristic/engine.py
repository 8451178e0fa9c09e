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
from solver.engines.heuristic._rng import seed_state
from solver.engines.heuristic._routes import copy_state, total_cost, update_all
from solver.engines.heuristic._schedule import route_schedule
from solver.engines.heuristic._state import Instance, State
from solver.engines.heuristic.instance import (
    build_instance,
    initial_penalties,
    new_state,
    new_work,
    unservable,
    windows_bind,
    with_neighbours,
)
from solver.engines.heuristic.params import HeuristicParams
from solver.engines.heuristic.support import ils_supports
from solver.engines.heuristic.warm import feed_state, flush_archive, load_routes, new_archive
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion
from solver.options import SolveOptions
from solver.solution import ReasonCode

logger = logging.getLogger(__name__)

MAX_CHUNK = 100_000


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
        ``stop`` answers; see the module docstring.

        A feasible ``initial`` is the first best solution, so the result is never worse.
        ``pool`` is anything with ``add(type_index, nodes) -> bool``: it is offered the
        feasible routes of the first plan and of every local optimum the search reaches.
        """
        started = time.perf_counter()
        shared = SharedInstance.build(compiled, self.params)
        search = IlsSearch(shared, options.seed, progress, started, pool)
        search.construct(initial)
        reason = search.advance(options.iteration_limit, lambda: stop(search.done))
        return search.result(reason or "iteration_limit")


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
        self.inst = with_neighbours(shared.inst, shared.active,
                                    replace(p, n_neighbours=p.tw_neighbours)
                                    if shared.windows else p)
        self.work = new_work(self.inst, initial_penalties(self.inst))
        self.rng = seed_state(seed)
        self.cur, self.cand, self.best = (new_state(self.inst) for _ in range(3))
        self.arch = new_archive(self.inst.active.shape[0], pool is not None)
        self.stats = np.zeros(6)
        self.stats[ks.BEST_COST] = math.inf
        self.first_feasible = math.nan
        self.promising = np.ones(self.inst.active.shape[0], dtype=np.bool_)
        self.history = np.zeros(p.history)
        self.done, self.chunk = 0, 1
        self.search_s, self.evals_before = 0.0, 0

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

    def construct(self, initial: EngineResult | None) -> None:
        """The first plan (around ``initial``'s routes) and its local optimum."""
        p, inst, cur, work, rng = self.params, self.inst, self.cur, self.work, self.rng
        warm = initial is not None and load_routes(
            inst, cur, work, replan.keep_locks(inst, initial.routes)) > 0
        # A warm start that leaves a required client out is no plan: as the best so far
        # it would beat every complete plan on cost (found by the replan properties).
        if warm and not np.any(inst.active & ~inst.optional & (cur.route_of < 0)):
            self._keep_if_better(cur)
        # A quick first plan: insertion under repair-strength penalties, so that a
        # feasible position or a free vehicle wins wherever one exists.
        scale = p.repair_factor ** p.repair_rounds
        work.pen[:] *= scale
        if warm:
            update_all(inst, cur, work.pen, False)
        ks.construct(inst, cur, work, rng)
        work.pen[:] /= scale
        update_all(inst, cur, work.pen, False)
        self._keep_if_better(cur)
        ks.local_search(inst, cur, work, rng, self.promising)
        ks.repair(inst, cur, work, rng, p.repair_factor, p.repair_rounds, self.promising)
        self._keep_if_better(cur)
        if self.shared.windows and _clients_per_route(cur) > p.short_routes:
            self.inst = with_neighbours(self.shared.inst, self.shared.active, p)
        self.stats[ks.CUR_COST] = total_cost(self.inst, cur)
        if self.pool is not None:
            feed_state(self.pool, self.inst, cur, ks.FEAS_TOL)
        self.history[:] = self.stats[ks.CUR_COST]
        self.evals_before = int(work.evals[0])

    def advance(self, until: int | None, check: Callable[[], str | None]) -> str | None:
        """Iterate in chunks of about ``chunk_seconds`` until ``until`` iterations are done
        (None), or ``check`` (asked between chunks) gives a reason to stop, or no client is
        left to route ("converged"): that reason. With ``until`` the chunks end exactly on
        it, so a seed and an iteration count fix the search's state."""
        p, inst = self.params, self.inst
        ruin_max = min(p.ruin_max, inst.neigh.shape[1] + 1)
        while inst.active.any():
            reason = check()
            if reason is not None:
                return reason
            if until is not None:
                if self.done >= until:
                    return None
                self.chunk = min(self.chunk, until - self.done)
            tick = time.perf_counter()
            improved = ks.ils_chunk(
                inst, self.cur, self.cand, self.best, self.work, self.rng, self.history,
                self.stats, self.arch, self.promising, self.chunk,
                min(p.ruin_min, ruin_max), ruin_max, self._route_ruin(), p.route_short,
                p.focus, p.polish_best,
                p.repair_prob, p.repair_factor, p.repair_rounds,
                p.adjust_every, p.target_feasible, p.pen_up, p.pen_down,
            )
            self.done += self.chunk
            if self.pool is not None:
                flush_archive(self.pool, inst, self.arch)
                if improved:  # in case the archive was full
                    feed_state(self.pool, inst, self.best, ks.FEAS_TOL)
            elapsed = time.perf_counter() - tick
            self.search_s += elapsed
            grow = min(p.chunk_seconds / max(elapsed, 1e-6), 2.0)  # at most x2: iterations vary
            self.chunk = int(min(max(self.chunk * grow, 1), MAX_CHUNK))
            if improved:
                self._reached_feasible()
                self.progress(ProgressEvent(time.perf_counter() - self.started, self.done,
                                            self.best_cost, True))
        return "converged"

    def _route_ruin(self) -> float:
        """``route_ruin`` where windows bind and the current plan's routes are long (more
        than ``short_routes`` clients each), else 0: measured only there (GH R2/RC2/C2)."""
        p = self.params
        long = self.shared.windows and _clients_per_route(self.cur) > p.short_routes
        return p.route_ruin if long else 0.0

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
        """The best plan made feasible by the exact schedule, its cost recomputed."""
        inst = self.inst
        final = self.best if math.isfinite(self.best_cost) else self.cur
        routes, unassigned = _decode(inst, final, self.shared.reasons)
        # on day problems the required stops the search left out get a last exact try:
        # the segment data it inserts by cannot see breaks or route limits (that make,
        # say, the cheapest-looking route infeasible); elsewhere its insertions were exact
        retry = [i for i in unassigned if i not in self.shared.reasons
                 and not inst.optional[i] and inst.day is not None]
        routes, left = _make_feasible(inst, routes, retry)
        routes += self.shared.fixed
        unassigned = {i: reason for i, reason in unassigned.items() if i not in retry}
        unassigned.update({i: _left_out_reason(inst, i) for i in left})
        evals = int(self.work.evals[0]) - self.evals_before
        return EngineResult(
            routes=routes,
            unassigned=unassigned,
            cost=claimed_cost(inst, routes, unassigned),
            iterations=self.done,
            stopped_by=stopped_by,
            stats={
                "first_feasible_s": self.first_feasible,
                "moves_evaluated": float(evals),
                "moves_per_s": evals / self.search_s if self.search_s > 0 else 0.0,
            },
        )


def _clients_per_route(st) -> float:
    used = st.length > 0
    return float(st.length[used].mean()) if used.any() else math.inf


def _left_out_reason(inst, i: int) -> ReasonCode:
    return ReasonCode.UNPROFITABLE if inst.optional[i] else ReasonCode.NO_VEHICLE


def _decode(inst, st, reasons: dict[int, str]):
    routes = [
        (int(inst.route_type[r]), st.nodes[r, : st.length[r]].copy())
        for r in range(st.length.shape[0])
        if st.length[r] > 0
    ]
    unassigned = {i: ReasonCode(reason) for i, reason in reasons.items()}
    for i in np.flatnonzero(inst.active & (st.route_of < 0)):
        unassigned[int(i)] = _left_out_reason(inst, int(i))
    return routes, unassigned


def _violation(inst, k: int, nodes: np.ndarray) -> float:
    return float(sum(route_schedule(inst, k, nodes, nodes.shape[0])[3:]))


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
    position (``_make_feasible``), keeping a replan's locks (``fixed`` routes as they
    are). Exact for plain problems only (no ``day_features`` beyond locks and disruption
    costs)."""
    inst, reasons, fixed = _held_instance(compiled, HeuristicParams())
    held = {k for k, _ in fixed}
    kept = replan.keep_locks(inst, [(k, nodes) for k, nodes in initial.routes
                                    if k not in held])
    served = {int(i) for _, nodes in kept for i in nodes}
    missing = [int(i) for i in np.flatnonzero(inst.active)
               if i not in served and i not in reasons]
    routes, left = _make_feasible(inst, kept, missing)
    return EngineResult(routes=routes + fixed,
                        unassigned={i: _left_out_reason(inst, i) for i in left},
                        cost=math.nan, produced_by="ils-insertion")


def _make_feasible(inst, routes, missing: list[int] | None = None):
    """Make the plan feasible by the exact schedule (the evaluator's semantics): drop from
    each infeasible route, greedily, the stop whose removal leaves the least violation,
    then re-insert every dropped stop (and every ``missing`` one) at its cheapest feasible
    position in any route or on a free vehicle. Only stops with no feasible position stay
    out (a safety net: the search is judged by the exact schedule, but may stop before it
    reached feasibility). A replan's locks hold (``replan.insertion``)."""
    out, dropped = [], list(missing or [])
    for k, nodes in routes:
        while nodes.size and _violation(inst, k, nodes) > 0.0:
            trial = [_violation(inst, k, np.delete(nodes, p)) for p in range(nodes.size)]
            p = int(np.argmin(trial))
            dropped.append(int(nodes[p]))
            nodes = np.delete(nodes, p)
        if nodes.size:
            out.append((k, nodes))
    free = np.bincount(inst.route_type, minlength=inst.capacity.shape[0])
    free -= np.bincount([k for k, _ in out], minlength=free.size)
    left = []
    for u in sorted(dropped, key=lambda i: -inst.penalty[i]):
        buf = np.zeros(max((n.size for _, n in out), default=0) + 1, dtype=np.int64)
        best = (inst.penalty[u] if inst.optional[u] else np.inf, -1, -1)
        for r, (k, nodes) in enumerate(out):
            if inst.compat[u, k]:
                cost, p = replan.insertion(inst, k, nodes, u, buf)
                best = min(best, (cost, r, p))
        for k in np.flatnonzero((free > 0) & inst.compat[u]):
            cost, p = replan.insertion(inst, k, buf[:0], u, buf)
            best = min(best, (cost, len(out) + int(k), p))
        _, r, p = best
        if p < 0:
            left.append(u)
        elif r < len(out):
            out[r] = (out[r][0], np.insert(out[r][1], p, u))
        else:
            out.append((r - len(out), np.array([u], dtype=np.int64)))
            free[out[-1][0]] -= 1
    if left:
        logger.warning("final exact check left %d stop(s) without a feasible position", len(left))
    return out, left


def claimed_cost(inst, routes, unassigned) -> float:
    """Route costs by the exact schedule plus the penalties of optional stops left out."""
    parts = [route_schedule(inst, k, nodes, nodes.shape[0])[0] for k, nodes in routes]
    parts += [float(inst.penalty[i]) for i in unassigned if inst.optional[i]]
    return math.fsum(parts)
