"""A pool of distinct feasible routes, fed by every engine, for set partitioning.

A route is a vehicle type and an ordered tuple of stop nodes; the pool keeps it only
when the evaluator's rules accept it (``solver.engines.schedule``) and stores its exact
cost, so the set-partitioning optimum is a plan whose evaluated cost is its objective.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult
from solver.engines.schedule import EPS, check_route, travel_time


@dataclass(frozen=True)
class PoolRoute:
    vehicle_type: int
    nodes: tuple[int, ...]
    cost: float


@dataclass
class RoutePool:
    """Distinct feasible routes, keyed by (type, node order); at most ``max_size`` kept.

    One engine may feed the pool while another thread reads it (``auto``'s concurrent
    set partitioning): insertions and ``columns`` hold a lock, so a reader gets a
    consistent snapshot.
    """

    compiled: CompiledProblem
    max_size: int = 50_000
    routes: dict[tuple[int, tuple[int, ...]], PoolRoute] = field(default_factory=dict)
    rejected: int = 0
    incumbent: list[tuple[int, tuple[int, ...]]] | None = None  # see ``add_plan``
    incumbent_cost: float = math.inf
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.routes)

    def add(self, vehicle_type: int, nodes: Sequence[int]) -> bool:
        """Offer a route; True when it was new and feasible (and the pool had room)."""
        key = (int(vehicle_type), tuple(int(i) for i in nodes))
        if not key[1] or key in self.routes or len(self.routes) >= self.max_size:
            return False
        check = check_route(self.compiled, key[0], key[1])
        if not check.feasible:
            self.rejected += 1
            return False
        with self._lock:
            if key in self.routes or len(self.routes) >= self.max_size:
                return False
            self.routes[key] = PoolRoute(key[0], key[1], check.cost)
        return True

    def add_result(self, result: EngineResult) -> int:
        """Offer every route of an engine result; returns how many were new."""
        return sum(self.add(k, nodes) for k, nodes in result.routes)

    def add_plan(self, routes: Iterable[tuple[int, Sequence[int]]]) -> int:
        """Offer a plan's routes; returns how many were new.

        A plan whose routes all made it into the pool and that serves every required stop
        becomes the ``incumbent`` when it is cheaper than the one before: the MIP start
        of a set partitioning that runs while the search goes on (``auto``'s concurrent
        mode), which cannot otherwise know which pool routes form the search's best plan.
        """
        keys = [(int(k), tuple(int(i) for i in nodes)) for k, nodes in routes]
        new = sum(self.add(k, nodes) for k, nodes in keys)
        with self._lock:
            columns = [self.routes.get(key) for key in keys]
        if any(col is None for col in columns):
            return new
        served = {i for col in columns for i in col.nodes}
        c = self.compiled
        if any(c.required[i] and i not in served for i in range(c.n_depots, c.n_nodes)):
            return new
        cost = math.fsum(col.cost for col in columns) + math.fsum(
            float(c.penalty[i]) for i in range(c.n_depots, c.n_nodes)
            if not c.required[i] and i not in served)
        with self._lock:
            if cost < self.incumbent_cost:
                self.incumbent, self.incumbent_cost = keys, cost
        return new

    def columns(self) -> list[PoolRoute]:
        """A snapshot of the routes now in the pool."""
        with self._lock:
            return list(self.routes.values())


def enumerate_routes(compiled: CompiledProblem, max_stops: int | None = None) -> list[PoolRoute]:
    """Every feasible elementary route, cheapest order per (type, set of stops).

    Depth-first over extensions, pruned by load and by lateness (with FIFO travel a
    visit that is late stays late whatever follows). Exponential: tiny instances only.
    """
    c = compiled
    stops = list(range(c.n_depots, c.n_nodes))
    limit = len(stops) if max_stops is None else max_stops
    best: dict[tuple[int, frozenset[int]], PoolRoute] = {}
    for k in range(c.n_types):
        ok = [i for i in stops
              if not (int(c.stop_skills[i]) & ~int(c.type_skills[k]))
              and np.all(c.demand[i] <= c.capacity[k] + EPS)]

        def extend(route: list[int], load: np.ndarray, t: float, prev: int, k=k, ok=ok) -> None:
            if route:
                check = check_route(c, k, route)
                if check.feasible:
                    key = (k, frozenset(route))
                    if key not in best or check.cost < best[key].cost - 1e-12:
                        best[key] = PoolRoute(k, tuple(route), check.cost)
            if len(route) >= limit:
                return
            for i in ok:
                if i in route:
                    continue
                new_load = load + c.demand[i]
                if np.any(new_load > c.capacity[k] + EPS):
                    continue
                arrival = t + travel_time(c, prev, i, t)
                windows = c.tw[i, : c.tw_count[i]]
                opening = next((float(a) for a, b in windows if b + EPS >= arrival), None)
                if opening is None:
                    continue
                begin = max(arrival, opening)
                extend(route + [i], new_load, begin + float(c.service[i]), i)

        extend([], np.zeros(c.demand.shape[1]), float(c.shift[k, 0]), int(c.start_depot[k]))
    return list(best.values())


def pool_from(compiled: CompiledProblem, results: Iterable[EngineResult]) -> RoutePool:
    """A pool holding the routes of ``results``."""
    pool = RoutePool(compiled)
    for result in results:
        pool.add_result(result)
    return pool
