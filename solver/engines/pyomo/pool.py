"""A pool of distinct feasible routes, fed by every engine, for set partitioning.

A route is a vehicle type and an ordered tuple of stop nodes; the pool keeps it only
when the evaluator's rules accept it (``solver.engines.schedule``) and stores its exact
cost, so the set-partitioning optimum is a plan whose evaluated cost is its objective.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult
from solver.engines.day_schedule import (
    day_advance,
    day_alive,
    day_dominates,
    day_finish,
    day_start,
)
from solver.engines.schedule import EPS, RouteCheck, check_route, travel_time
from solver.errors import NoSolutionError


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


def enumerate_routes(compiled: CompiledProblem, max_stops: int | None = None,
                     expired: Callable[[], bool] | None = None) -> list[PoolRoute]:
    """Every feasible elementary route, cheapest order per (type, set of stops).

    Prefixes grow one stop per level, pruned only where no extension can be feasible: by
    load, by the route limits (``max_stops``; ``max_distance``, as distances only add),
    and by time. On plain problems a visit's earliest begin decides (with FIFO travel a
    visit that is late stays late whatever follows); on operating-day problems the
    prefix's schedule states (``day_advance``: breaks, the driving rule, windows with
    their allowed lateness, the shift end with its overtime) do, extended one leg per
    step, and where the departure is fixed a prefix is dropped when another with the same
    stops and last stop dominates it (``day_dominates``, no longer). Exponential: tiny
    instances only. ``expired`` is polled as it goes; when it says so the enumeration
    stops with ``NoSolutionError`` (its routes would be no proof).
    """
    c = compiled
    stops = list(range(c.n_depots, c.n_nodes))
    best: dict[tuple[int, frozenset[int]], PoolRoute] = {}
    grown_count = 0
    for k in range(c.n_types):
        limit = min(len(stops) if max_stops is None else max_stops, int(c.max_stops[k]))
        reach = float(c.max_distance[k]) + EPS
        walk = _DayWalk(c, k) if c.day_features else _PlainWalk(c, k)
        ok = [i for i in stops
              if not (int(c.stop_skills[i]) & ~int(c.type_skills[k]))
              and np.all(c.demand[i] <= c.capacity[k] + EPS)]
        level = [_Prefix((), np.zeros(c.demand.shape[1]), walk.start(), 0.0)]
        for _ in range(limit):
            kept: dict[tuple[frozenset[int], int], list[_Prefix]] = {}
            for prefix in level:
                prev = prefix.route[-1] if prefix.route else int(c.start_depot[k])
                for i in ok:
                    if i in prefix.route:
                        continue
                    load = prefix.load + c.demand[i]
                    distance = prefix.distance + c.travel.arc_distance(prev, i)
                    if np.any(load > c.capacity[k] + EPS) or distance > reach:
                        continue
                    state = walk.extend(prefix.state, prev, i)
                    grown_count += 1
                    if expired is not None and grown_count % 64 == 1 and expired():
                        raise NoSolutionError(
                            f"route enumeration ran out of time after {grown_count} prefixes "
                            f"of routes over {len(stops)} stops")
                    if state is None:
                        continue
                    new = _Prefix(prefix.route + (i,), load, state, distance)
                    rivals = kept.setdefault((frozenset(new.route), i), [])
                    if not any(walk.dominates(o, new) for o in rivals):
                        rivals[:] = [o for o in rivals if not walk.dominates(new, o)] + [new]
            level = [p for rivals in kept.values() for p in rivals]
            for prefix in level:
                check = walk.check(prefix.state, list(prefix.route))
                key = (k, frozenset(prefix.route))
                if check.feasible and (key not in best or check.cost < best[key].cost - 1e-12):
                    best[key] = PoolRoute(k, prefix.route, check.cost)
    return list(best.values())


@dataclass(frozen=True)
class _Prefix:
    """A route's beginning in the enumeration: stops, load, walk state, distance."""

    route: tuple[int, ...]
    load: np.ndarray
    state: object
    distance: float


class _PlainWalk:
    """Prefix state of a plain problem's route: the time its last service ends, at the
    earliest (the route is priced by ``check_route`` itself)."""

    def __init__(self, c: CompiledProblem, k: int) -> None:
        self.c, self.k = c, k

    def start(self) -> float:
        return float(self.c.shift[self.k, 0])

    def extend(self, t: float, prev: int, i: int) -> float | None:
        c = self.c
        arrival = t + travel_time(c, prev, i, t)
        windows = c.tw[i, : c.tw_count[i]]
        opening = next((float(a) for a, b in windows if b + EPS >= arrival), None)
        return None if opening is None else max(arrival, opening) + float(c.service[i])

    def check(self, t: float, route: list[int]) -> RouteCheck:
        return check_route(self.c, self.k, route)

    def dominates(self, a: _Prefix, b: _Prefix) -> bool:
        return False  # a delayed departure prices the whole route: no prefix decides


class _DayWalk:
    """Prefix state of an operating-day route: its schedule states (``day_advance``),
    so a route is priced by one more leg, back to the depot."""

    def __init__(self, c: CompiledProblem, k: int) -> None:
        self.c, self.k = c, k
        self.leg = lambda i, j, t: travel_time(c, i, j, t)
        self.fixed_departure = bool(c.break_count[k] > 0) and not c.travel.time_dependent

    def start(self) -> list:
        return day_start(self.c, self.k)

    def extend(self, states: list, prev: int, i: int) -> list | None:
        grown = day_advance(self.c, self.k, states, prev, i, self.leg, False)
        return grown if day_alive(self.c, self.k, grown) else None

    def check(self, states: list, route: list[int]) -> RouteCheck:
        c, k = self.c, self.k
        back = day_advance(c, k, states, route[-1], int(c.end_depot[k]), self.leg, True)
        return check_route(c, k, route, day=day_finish(c, k, back))

    def dominates(self, a: _Prefix, b: _Prefix) -> bool:
        return (self.fixed_departure and a.distance <= b.distance
                and day_dominates(a.state, b.state))


def pool_from(compiled: CompiledProblem, results: Iterable[EngineResult]) -> RoutePool:
    """A pool holding the routes of ``results``."""
    pool = RoutePool(compiled)
    for result in results:
        pool.add_result(result)
    return pool
