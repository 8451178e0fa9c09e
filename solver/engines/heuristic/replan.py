"""A replan's locks and disruption costs for ``ils``: the ``Replan`` arrays the kernels
read (``_locks``) and the ``fixed`` whole routes it keeps out of the search and adds
back as they are (what ``ils`` refuses of a replan is in ``support``, which loads no
kernel).

The kernels tell vehicles apart by type, so locks and move costs are taken where every
vehicle they name is the only one of its type: always so on a replan's residual problem
(``solver.replan.residual``), where each vehicle has a type of its own.
"""

from __future__ import annotations

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.heuristic._locks import Replan, row_in_order
from solver.engines.heuristic._schedule import best_insertion, route_schedule
from solver.engines.heuristic._state import Instance
from solver.engines.heuristic.support import REPLAN_FEATURES
from solver.errors import InvalidProblemError


def _type_of(c: CompiledProblem) -> dict[str, int]:
    """Vehicle name -> type index, for the types of one vehicle."""
    out = {}
    for k, tid in enumerate(c.type_ids):
        vt = next(v for v in c.problem.vehicle_types if v.id == tid)
        if vt.count == 1:
            out[vt.vehicle_name(0)] = k
    return out


def replan_arrays(c: CompiledProblem) -> Replan | None:
    """The kernels' ``Replan`` tuple, or None when ``c`` has no locks and no disruption
    costs (the kernels then compile without them)."""
    if not set(c.day_features) & set(REPLAN_FEATURES):
        return None
    ip = c.problem.in_progress
    n, n_types = c.n_nodes, c.n_types
    index = c.stop_index()
    type_of = _type_of(c)
    frozen = {s for v in ip.vehicles for s in v.frozen}
    w = ip.disruption
    move = np.zeros((n, n_types))
    due = np.full(n, np.inf)
    for sid, (vehicle, eta) in ip.promised().items():
        i = index.get(sid)
        if i is None or sid in frozen:
            continue
        move[i] = w.move_cost
        if vehicle in type_of:
            move[i, type_of[vehicle]] = 0.0
        if eta is not None and w.eta_cost > 0:
            due[i] = eta + w.eta_tolerance
    lock_type = np.full(n, -1, dtype=np.int64)
    group = np.full(n, -1, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    adjacent, ordered = [], np.zeros(n_types, dtype=bool)
    for g, lock in enumerate(ip.locks):
        if lock.vehicle not in type_of:
            raise InvalidProblemError(f"vehicle {lock.vehicle!r} is not in the fleet",
                                      f"in_progress.locks[{g}]")
        k = type_of[lock.vehicle]
        nodes = [index[s] for s in ip.locked_stops(g) if s in index]
        lock_type[nodes] = k
        adjacent.append(lock.kind == "fixed")
        if lock.kind != "assignment":
            group[nodes] = g
            rank[nodes] = np.arange(len(nodes))
            ordered[k] |= bool(nodes)
    groups = max(len(adjacent), 1)
    return Replan(move=move, due=due, eta_cost=float(w.eta_cost), lock_type=lock_type,
                  group=group, rank=rank, adjacent=np.array(adjacent or [False], dtype=bool),
                  ordered=ordered, seen=np.zeros(groups, dtype=np.int64),
                  last=np.zeros((groups, 2), dtype=np.int64), gen=np.zeros(1, dtype=np.int64))


def fixed_routes(c: CompiledProblem) -> list[tuple[int, np.ndarray]]:
    """The routes of ``fixed`` locks naming no stops: their vehicle's reference route."""
    ip = c.problem.in_progress
    if ip is None or not ip.locks:
        return []
    index, type_of = c.stop_index(), _type_of(c)
    return [(type_of[lock.vehicle], np.array([index[s] for s in ip.locked_stops(g)
                                              if s in index], dtype=np.int64))
            for g, lock in enumerate(ip.locks) if lock.kind == "fixed" and lock.stops is None]


def hold_fixed(inst: Instance, fixed: list[tuple[int, np.ndarray]]) -> Instance:
    """``inst`` without the fixed routes: their stops inactive, their types serving
    nothing (the skills flag on, so the search reads ``compat``)."""
    if not fixed:
        return inst
    active, compat = inst.active.copy(), inst.compat.copy()
    for k, nodes in fixed:
        active[nodes] = False
        compat[:, k] = False
    return inst._replace(active=active, compat=compat, skills=True)


def insertion(inst: Instance, k: int, nodes: np.ndarray, u: int,
              buf: np.ndarray) -> tuple[float, int]:
    """``best_insertion`` that keeps the locks: ``(inf, -1)`` on a type ``u`` is not
    locked to, and on a type with ordering locks only the positions that keep them."""
    rp = inst.replan
    if rp is None:
        return best_insertion(inst, k, nodes, nodes.size, u, buf)
    if rp.lock_type[u] >= 0 and rp.lock_type[u] != k:
        return np.inf, -1
    if not rp.ordered[k]:
        return best_insertion(inst, k, nodes, nodes.size, u, buf)
    base = route_schedule(inst, k, nodes, nodes.size)[0] if nodes.size else 0.0
    best = (np.inf, -1)
    for p in range(nodes.size + 1):
        row = np.insert(nodes, p, u)
        if not row_in_order(rp, row, row.size):
            continue
        cost, _, _, *violations = route_schedule(inst, k, row, row.size)
        if sum(violations) <= 0.0:
            best = min(best, (cost - base, p))
    return best


def keep_locks(inst: Instance, routes) -> list[tuple[int, np.ndarray]]:
    """Warm-start ``routes`` without the stops that break a lock there (a lock may order
    its stops otherwise than the reference does): the search inserts them again where
    the locks allow, and every state it reaches keeps them."""
    rp = inst.replan
    if rp is None:
        return list(routes)
    out = []
    for k, nodes in routes:
        kept: list[int] = []
        for i in np.asarray(nodes, dtype=np.int64).ravel():
            if rp.lock_type[i] in (-1, k):
                row = np.array(kept + [int(i)], dtype=np.int64)
                if not rp.ordered[k] or row_in_order(rp, row, row.size):
                    kept.append(int(i))
        out.append((k, np.array(kept, dtype=np.int64)))
    return out
