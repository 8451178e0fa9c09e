"""Routes from the OR-Tools model, put right by the evaluator's rules.

The model is conservative in places (integer rounding, the driving rule bounded as time
between breaks), so a plan it returns can break a rule by a rounding hair (``repair``
drops stops until each route passes) or leave out required stops that the true rules
allow (``complete`` inserts them where ``check_route`` accepts them, cheapest first).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.schedule import check_route

logger = logging.getLogger(__name__)

Routes = list[tuple[int, np.ndarray]]
CANDIDATES = 8  # insertion positions checked at a time, least added distance first


def repair(compiled: CompiledProblem, k: int, nodes: Sequence[int]) -> np.ndarray:
    """Drop stops (a shipment's two together) until the route passes the evaluator's
    rules (rounding edge cases)."""
    nodes = [int(i) for i in nodes]

    def without(i: int) -> list[int]:
        gone = {i, int(compiled.pair[i])}
        return [j for j in nodes if j not in gone]

    while nodes and not check_route(compiled, k, nodes).feasible:
        for i in nodes:
            trial = without(i)
            if check_route(compiled, k, trial).feasible:
                break
        else:
            i, trial = nodes[-1], without(nodes[-1])
        logger.warning("ortools: stop node %d removed from a route the evaluator rejects", i)
        nodes = trial
    return np.array(nodes, dtype=np.int64)


def complete(compiled: CompiledProblem, routes: Routes, missing: Sequence[int],
             deadline: float) -> Routes:
    """``routes`` with each required stop of ``missing`` (shipments excepted: a pair would
    need two positions) inserted, in turn until ``deadline`` (``time.perf_counter``), where
    the evaluator accepts it: alone on an idle vehicle, or at one of the positions that
    add the least distance (``CANDIDATES`` at a time, the cheapest accepted one)."""
    c = compiled
    routes = [(int(k), [int(i) for i in nodes]) for k, nodes in routes]
    idle = c.type_count.astype(np.int64).copy()
    for k, _ in routes:
        idle[k] -= 1
    costs = [check_route(c, k, nodes).cost for k, nodes in routes]
    for stop in (int(i) for i in missing):
        if time.perf_counter() > deadline:
            break
        if not c.required[stop] or c.pair[stop] >= 0:
            continue
        best = _best_insertion(c, routes, costs, idle, stop, deadline)
        if best is None:
            continue
        added, r, trial = best
        if r < 0:
            idle[-1 - r] -= 1
            routes.append((-1 - r, trial))
            costs.append(added)
        else:
            routes[r] = (routes[r][0], trial)
            costs[r] += added
        logger.info("ortools: stop node %d inserted by the evaluator's rules", stop)
    return [(k, np.array(nodes, dtype=np.int64)) for k, nodes in routes]


def _best_insertion(c: CompiledProblem, routes: list[tuple[int, list[int]]],
                    costs: list[float], idle: np.ndarray, stop: int, deadline: float,
                    ) -> tuple[float, int, list[int]] | None:
    """(added cost, route index or -1 - type of an idle vehicle, the new route's nodes) of
    the cheapest accepted insertion: alone, or among the first ``CANDIDATES`` positions
    with any accepted one; None if none is accepted."""
    best: tuple[float, int, list[int]] | None = None
    for k in np.flatnonzero(idle > 0):
        check = check_route(c, int(k), [stop])
        if check.feasible and (best is None or check.cost < best[0]):
            best = (check.cost, -1 - int(k), [stop])
    arc = c.travel.arc_distance
    places = []
    for r, (k, nodes) in enumerate(routes):
        path = [int(c.start_depot[k])] + nodes + [int(c.end_depot[k])]
        places += [(arc(a, stop) + arc(stop, b) - arc(a, b), r, pos)
                   for pos, (a, b) in enumerate(zip(path, path[1:], strict=False))]
    places.sort()
    inserted = False
    for first in range(0, len(places), CANDIDATES):
        for _, r, pos in places[first: first + CANDIDATES]:
            k, nodes = routes[r]
            trial = nodes[:pos] + [stop] + nodes[pos:]
            check = check_route(c, k, trial)
            if check.feasible and (best is None or check.cost - costs[r] < best[0]):
                best, inserted = (check.cost - costs[r], r, trial), True
        if inserted or time.perf_counter() > deadline:
            break
    return best
