"""A final plan of ``ils`` as the evaluator will see it: repaired by the exact schedule
(``make_feasible``, also the completion of another engine's warm start) and priced by it
(``claimed_cost``). The search judges moves on segment data; these run once, at the end."""

from __future__ import annotations

import logging
import math

import numpy as np

from solver.engines.heuristic import replan
from solver.engines.heuristic._schedule import route_schedule
from solver.solution import ReasonCode

logger = logging.getLogger(__name__)


def left_out_reason(inst, i: int) -> ReasonCode:
    return ReasonCode.UNPROFITABLE if inst.optional[i] else ReasonCode.NO_VEHICLE


def violation(inst, k: int, nodes: np.ndarray) -> float:
    return float(sum(route_schedule(inst, k, nodes, nodes.shape[0])[3:]))


def make_feasible(inst, routes, missing: list[int] | None = None):
    """Make the plan feasible by the exact schedule (the evaluator's semantics): drop from
    each infeasible route, greedily, the stop whose removal leaves the least violation,
    then re-insert every dropped stop (and every ``missing`` one) at its cheapest feasible
    position in any route or on a free vehicle. Only stops with no feasible position stay
    out (a safety net: the search is judged by the exact schedule, but may stop before it
    reached feasibility). A replan's locks hold (``replan.insertion``)."""
    out, dropped = [], list(missing or [])
    for k, nodes in routes:
        while nodes.size and violation(inst, k, nodes) > 0.0:
            trial = [violation(inst, k, np.delete(nodes, p)) for p in range(nodes.size)]
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
