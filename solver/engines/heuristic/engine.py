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
from dataclasses import replace

import numpy as np

from solver.compile import BREAK_FEATURES, WALK_FEATURES, CompiledProblem
from solver.engines.base import EngineResult, RouteSink
from solver.engines.heuristic import _search as ks
from solver.engines.heuristic._rng import seed_state
from solver.engines.heuristic._routes import copy_state, total_cost, update_all
from solver.engines.heuristic._schedule import best_insertion, route_schedule
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
        """No shipments, and of the operating-day features only ``WALK_FEATURES`` (soft
        windows, overtime, route limits) and ``BREAK_FEATURES`` (breaks, the driving
        rule): the others are refused by their field names; ``auto`` then runs ortools,
        which models them."""
        if compiled.has_shipments:
            return "shipments (pickup-and-delivery pairs) are not modelled; use ortools"
        missing = [f for f in compiled.day_features
                   if f not in WALK_FEATURES + BREAK_FEATURES]
        if missing:
            return f"{', '.join(missing)} not modelled yet; use ortools"
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
        """Construct (around the routes of ``initial``, when given), then improve until
        ``stop`` answers; see the module docstring.

        A feasible ``initial`` is the first best solution, so the result is never worse.
        ``pool`` is anything with ``add(type_index, nodes) -> bool``: it is offered the
        feasible routes of the first plan and of every local optimum the search reaches.
        """
        started = time.perf_counter()
        p = self.params
        inst = build_instance(compiled, p)
        reasons = unservable(inst, compiled.n_depots)
        active = inst.active.copy()
        active[list(reasons)] = False
        windows = windows_bind(compiled)  # wider neighbourhoods until the routes are known
        inst = with_neighbours(inst, active, replace(p, n_neighbours=p.tw_neighbours)
                               if windows else p)
        work = new_work(inst, initial_penalties(inst))
        rng = seed_state(options.seed)
        cur, cand, best = new_state(inst), new_state(inst), new_state(inst)
        arch = new_archive(inst.active.shape[0], pool is not None)

        stats = np.zeros(6)
        stats[ks.BEST_COST] = math.inf
        first_feasible = math.nan

        def keep_if_better(state) -> None:
            nonlocal first_feasible
            cost = total_cost(inst, state)
            if sum(ks.violations(inst, state)) <= ks.FEAS_TOL and cost < stats[ks.BEST_COST]:
                copy_state(state, best)
                stats[ks.BEST_COST] = cost
                if math.isnan(first_feasible):
                    first_feasible = time.perf_counter() - started
                progress(ProgressEvent(time.perf_counter() - started, 0, cost, True))

        warm = initial is not None and load_routes(inst, cur, work, initial.routes) > 0
        # A warm start that leaves a required client out is no plan: as the best so far
        # it would beat every complete plan on cost (found by the replan properties).
        if warm and not np.any(inst.active & ~inst.optional & (cur.route_of < 0)):
            keep_if_better(cur)
        # A quick first plan: insertion under repair-strength penalties, so that a
        # feasible position or a free vehicle wins wherever one exists.
        scale = p.repair_factor ** p.repair_rounds
        work.pen[:] *= scale
        if warm:
            update_all(inst, cur, work.pen, False)
        ks.construct(inst, cur, work, rng)
        work.pen[:] /= scale
        update_all(inst, cur, work.pen, False)
        keep_if_better(cur)
        promising = np.ones(inst.active.shape[0], dtype=np.bool_)
        ks.local_search(inst, cur, work, rng, promising)
        ks.repair(inst, cur, work, rng, p.repair_factor, p.repair_rounds, promising)
        keep_if_better(cur)
        if windows and _clients_per_route(cur) > p.short_routes:
            inst = with_neighbours(inst, active, p)
        stats[ks.CUR_COST] = total_cost(inst, cur)
        if pool is not None:
            feed_state(pool, inst, cur, ks.FEAS_TOL)
        history = np.full(p.history, stats[ks.CUR_COST])
        search_started = time.perf_counter()
        evals_before = int(work.evals[0])

        chunk, done, stopped_by = 1, 0, "converged"
        ruin_max = min(p.ruin_max, inst.neigh.shape[1] + 1)
        while inst.active.any():
            reason = stop(done)
            if reason is not None:
                stopped_by = reason
                break
            if options.iteration_limit is not None:
                chunk = min(chunk, options.iteration_limit - done)
            tick = time.perf_counter()
            improved = ks.ils_chunk(
                inst, cur, cand, best, work, rng, history, stats, arch, promising, chunk,
                min(p.ruin_min, ruin_max), ruin_max, p.focus, p.polish_best,
                p.repair_prob, p.repair_factor, p.repair_rounds,
                p.adjust_every, p.target_feasible, p.pen_up, p.pen_down,
            )
            done += chunk
            if pool is not None:
                flush_archive(pool, inst, arch)
                if improved:  # in case the archive was full
                    feed_state(pool, inst, best, ks.FEAS_TOL)
            elapsed = time.perf_counter() - tick
            grow = min(p.chunk_seconds / max(elapsed, 1e-6), 2.0)  # at most x2: iterations vary
            chunk = int(min(max(chunk * grow, 1), MAX_CHUNK))
            if improved:
                now = time.perf_counter() - started
                if math.isnan(first_feasible):
                    first_feasible = now
                progress(ProgressEvent(now, done, float(stats[ks.BEST_COST]), True))

        search_s = time.perf_counter() - search_started
        final = best if math.isfinite(stats[ks.BEST_COST]) else cur
        routes, unassigned = _decode(inst, final, reasons)
        # with breaks the required stops the search left out get a last try too: the
        # segment data it inserts by cannot see breaks (that make, say, every route of a
        # type infeasible); elsewhere the search's own insertions were exact enough
        retry = [i for i in unassigned if i not in reasons and not inst.optional[i]
                 and inst.day is not None and inst.day.legs is not None]
        routes, left = _make_feasible(inst, routes, retry)
        unassigned = {i: reason for i, reason in unassigned.items() if i not in retry}
        unassigned.update({i: _left_out_reason(inst, i) for i in left})
        evals = int(work.evals[0]) - evals_before
        return EngineResult(
            routes=routes,
            unassigned=unassigned,
            cost=claimed_cost(inst, routes, unassigned),
            iterations=done,
            stopped_by=stopped_by,
            stats={
                "first_feasible_s": first_feasible,
                "moves_evaluated": float(evals),
                "moves_per_s": evals / search_s if search_s > 0 else 0.0,
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


def complete_warm_start(compiled: CompiledProblem, initial: EngineResult) -> EngineResult:
    """``initial`` made a complete plan where it can be (for another engine's warm start,
    e.g. a replan's reference without its broken-down van and with new orders): its
    routes made feasible and every stop it leaves out inserted at its cheapest feasible
    position (``_make_feasible``). Exact for plain problems only (no ``day_features``
    beyond locks and disruption costs, which insertions cannot break but for ``fixed``
    locks; the caller's model checks those)."""
    inst = build_instance(compiled, HeuristicParams())
    reasons = unservable(inst, compiled.n_depots)
    served = {int(i) for _, nodes in initial.routes for i in nodes}
    missing = [i for i in range(compiled.n_depots, compiled.n_nodes)
               if i not in served and i not in reasons]
    routes, left = _make_feasible(inst, list(initial.routes), missing)
    return EngineResult(routes=routes, unassigned={i: _left_out_reason(inst, i) for i in left},
                        cost=math.nan, produced_by="ils-insertion")


def _make_feasible(inst, routes, missing: list[int] | None = None):
    """Make the plan feasible by the exact schedule (the evaluator's semantics): drop from
    each infeasible route, greedily, the stop whose removal leaves the least violation,
    then re-insert every dropped stop (and every ``missing`` one) at its cheapest feasible
    position in any route or on a free vehicle. Only stops with no feasible position stay
    out (a safety net: the search is judged by the exact schedule, but may stop before it
    reached feasibility)."""
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
                cost, p = best_insertion(inst, k, nodes, nodes.size, u, buf)
                best = min(best, (cost, r, p))
        for k in np.flatnonzero((free > 0) & inst.compat[u]):
            cost, p = best_insertion(inst, k, buf[:0], 0, u, buf)
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
