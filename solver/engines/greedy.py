"""A construction without compiled kernels or solver libraries: the plan of last resort.

Why: a process that has not loaded the ILS kernels (Numba) or OR-Tools needs seconds
before either has a first plan, and OR-Tools may find none in a short limit on a large
operating day; a time limit is a promise all the same. This builds routes one at a time
in NumPy and Python: a route is seeded with the most urgent stop left (earliest closing
window, else the farthest from the depot) and extended by the nearest stop (in time
where windows bind: Solomon's time-oriented nearest neighbour) that the evaluator's own
rules accept (``schedule.check_route``: capacities, skills, windows, shifts, breaks, route
limits, shipments' pairs). Every route it returns is feasible by those rules. It is no
search: the pipeline uses it only when the engine cannot have a plan in time
(``solver.engines.deadline``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from solver.compile import CompiledProblem
from solver.diagnosis import diagnose
from solver.engines.base import EngineResult
from solver.engines.schedule import EPS, RouteCheck, check_route, plan_cost
from solver.errors import NoSolutionError
from solver.solution import ReasonCode

LOCKS = "locks (in_progress.locks)"  # the day feature's name in ``CompiledProblem``
GROWTH = 2.0  # a route is checked exactly when its unit count reaches the next of a
#   geometric series (4, 8, 16, ...) and when it closes; a failed check truncates it
#   to its longest feasible prefix (bisection). The operating day's exact schedule costs
#   ~0.2 ms per stop; checking every extension took 0.9 s on its 300 stops.


def greedy_plan(compiled: CompiledProblem, deadline: float,
                clock: Callable[[], float] = time.perf_counter) -> EngineResult:
    """Routes by nearest-neighbour extension (module docstring), by ``deadline`` on
    ``clock``; stops no vehicle can serve are left out with the diagnosis' reason.
    ``NoSolutionError`` when the deadline passes first, or when a required stop that a
    vehicle could serve found no room (a partial plan is no plan)."""
    if LOCKS in compiled.day_features:  # a lock binds stops to vehicles: not modelled
        raise NoSolutionError("greedy construction: locks (in_progress.locks) are not "
                              "modelled")
    g = _Greedy(compiled)
    routes: list[tuple[int, list[int]]] = []
    free = compiled.type_count.copy()
    while g.left.any() and free.any():
        if clock() > deadline:
            raise NoSolutionError(f"greedy construction: {int(g.left.sum())} unit(s) not "
                                  "placed by the deadline")
        route = g.open_route(free)
        if route is None:
            break
        k, u, check = route
        routes.append((k, g.grow(k, u, check)))
        free[k] -= 1
    for u in np.flatnonzero(g.left & g.required):  # e.g. a skill whose vans filled up
        if clock() > deadline:
            break
        g.insert(routes, int(u))
    served = {i for _, nodes in routes for i in nodes}
    out = diagnose(compiled, [i for i in range(compiled.n_depots, compiled.n_nodes)
                              if i not in served])
    lacking = [i for i, reason in out.items()
               if compiled.required[i] and reason == ReasonCode.NO_VEHICLE]
    if lacking:
        raise NoSolutionError(
            f"greedy construction: {len(lacking)} required stop(s) that a vehicle could "
            f"serve found no room (e.g. {compiled.node_id(lacking[0])!r}): no complete plan")
    return EngineResult(
        routes=[(k, np.asarray(nodes, dtype=np.int64)) for k, nodes in routes],
        unassigned=out,
        cost=plan_cost(compiled, routes)[0],
        stopped_by="time_limit",
        produced_by="greedy",
    )


class _Greedy:
    """The units left (a stop, or a shipment's pickup and delivery), and the steps."""

    def __init__(self, c: CompiledProblem) -> None:
        self.c = c
        d = c.n_depots
        heads = [i for i in range(d, c.n_nodes) if c.pair[i] < 0 or c.pickup[i]]
        self.head = np.array(heads, dtype=np.int64)  # a unit by its first stop
        self.tail = np.array([int(c.pair[i]) if c.pair[i] >= 0 else i for i in heads],
                             dtype=np.int64)
        self.left = np.ones(len(heads), dtype=bool)
        self.required = c.required[self.head]
        paired = (self.tail != self.head)[:, None]
        self.need = np.maximum(c.demand[self.head] + c.demand[self.tail] * paired,
                               c.pd_load[self.head])  # what the unit adds to the peak load
        last = c.tw_count[self.head] - 1
        self.open = c.tw[self.head, 0, 0]
        self.close = c.tw[self.head, last, 1] + c.max_late[self.head]
        self.windows_bind = bool(len(heads) and (
            np.any(self.open > c.shift[:, 0].min() + EPS)
            or np.any(self.close < c.shift[:, 1].max() - EPS)))
        self.compat = c.compatible()[self.head]
        self.scarcity = self.compat.sum(axis=1)  # seed the units fewest types serve first
        self.failed_alone: set[tuple[int, int]] = set()

    def _unit(self, u: int) -> list[int]:
        h, t = int(self.head[u]), int(self.tail[u])
        return [h] if h == t else [h, t]

    def open_route(self, free: np.ndarray) -> tuple[int, int, RouteCheck] | None:
        """A new route's type and first unit: the type with vehicles left and the most
        capacity (then the lowest fixed cost) that can serve a unit alone, seeded with
        the most urgent unit (required units first)."""
        c = self.c
        types = sorted(np.flatnonzero(free > 0),
                       key=lambda k: (-float(c.capacity[k].sum()), float(c.fixed_cost[k])))
        for k in types:
            k = int(k)
            units = np.flatnonzero(self.left & self.compat[:, k])
            if self.windows_bind:
                urgency = self.close[units]
            else:
                urgency = -self._distances(int(c.start_depot[k]), self.head[units])
            for u in units[np.lexsort((urgency, self.scarcity[units], ~self.required[units]))]:
                if (k, int(u)) in self.failed_alone:
                    continue
                check = check_route(c, k, self._unit(int(u)))
                if check.feasible:
                    self.left[u] = False
                    return k, int(u), check
                self.failed_alone.add((k, int(u)))
        return None

    def grow(self, k: int, first: int, check: RouteCheck) -> list[int]:
        """The route from unit ``first``: extended by ``_next`` while it passes the exact
        checks (see ``GROWTH``), truncated to its longest feasible prefix when one fails;
        the units cut off go back to the pool."""
        units, good, due = [first], 1, 4.0
        t = check.starts[-1] + float(self.c.service[self._unit(first)[-1]])
        while (step := self._next(k, units, t)) is not None:
            u, t = step
            units.append(u)
            self.left[u] = False
            if len(units) >= due:
                due *= GROWTH
                check = check_route(self.c, k, self._nodes(units))
                if not check.feasible:
                    break
                good = len(units)
                t = check.starts[-1] + float(self.c.service[self._nodes(units)[-1]])
        else:
            if good == len(units) or check_route(self.c, k, self._nodes(units)).feasible:
                return self._nodes(units)
        lo, hi = good, len(units) - 1  # units[:lo] is feasible, units[:hi + 1] is not
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if check_route(self.c, k, self._nodes(units[:mid])).feasible:
                lo = mid
            else:
                hi = mid - 1
        self.left[units[lo:]] = True
        return self._nodes(units[:lo])

    def insert(self, routes: list[tuple[int, list[int]]], u: int) -> None:
        """Unit ``u`` at its cheapest feasible position in a compatible route (a
        shipment's pair consecutively), if it has one."""
        best: tuple[float, int, int] | None = None
        unit = self._unit(u)
        for r, (k, nodes) in enumerate(routes):
            if not self.compat[u, k]:
                continue
            base = check_route(self.c, k, nodes).cost
            for p in range(len(nodes) + 1):
                trial = check_route(self.c, k, nodes[:p] + unit + nodes[p:])
                if trial.feasible and (best is None or trial.cost - base < best[0]):
                    best = (trial.cost - base, r, p)
        if best is not None:
            _, r, p = best
            k, nodes = routes[r]
            routes[r] = (k, nodes[:p] + unit + nodes[p:])
            self.left[u] = False

    def _nodes(self, units: list[int]) -> list[int]:
        return [i for u in units for i in self._unit(u)]

    def _next(self, k: int, units: list[int], t: float) -> tuple[int, float] | None:
        """The nearest unit left that passes the filters after ``units`` (load, skills,
        reaching its window from the last stop at ``t``; an optional one only when its
        penalty exceeds its detour at the type's rates), and the time its service ends."""
        c = self.c
        last = self._unit(units[-1])[-1]
        cand = np.flatnonzero(self.left & self.compat[:, k])
        if cand.size == 0:
            return None
        load = self.need[units].sum(axis=0)
        heads = self.head[cand]
        travel = self._durations(last, heads, t)
        arrival = t + travel
        fits = (arrival <= self.close[cand] + EPS) & np.all(
            self.need[cand] + load <= c.capacity[k] + EPS, axis=1)
        if not self.required[cand].all():
            depot = int(c.end_depot[k])
            detour = (self._distances(last, heads) + self._distances(depot, heads)
                      - float(self._distances(last, np.array([depot]))[0]))
            price = (float(c.cost_per_distance[k]) * detour
                     + float(c.cost_per_time[k]) * travel)
            fits &= self.required[cand] | (price < c.penalty[heads])
        cand, arrival = cand[fits], arrival[fits]
        if cand.size == 0:
            return None
        if self.windows_bind:
            score = np.maximum(arrival, self.open[cand]) - t
        else:
            score = self._distances(last, self.head[cand])
        # a unit few types can serve looks nearer to a route that can (skills: the vans
        # with a skill must not fill up with stops any vehicle could take)
        best = int(np.argmin(score * self.scarcity[cand] / self.compat.shape[1]))
        u = int(cand[best])
        begin = max(float(arrival[best]), float(self.open[u]))
        end = begin + float(c.service[self.head[u]])
        if self.tail[u] != self.head[u]:  # the delivery right after its pickup
            tail = np.array([self.tail[u]])
            end += float(self._durations(int(self.head[u]), tail, end)[0])
            end = max(end, float(c.tw[self.tail[u], 0, 0])) + float(c.service[self.tail[u]])
        return u, end

    def _distances(self, i: int, js: np.ndarray) -> np.ndarray:
        travel = self.c.travel
        if travel.dense:
            return travel.distance[i, js]
        return travel.distances(np.full(js.shape, i), js)

    def _durations(self, i: int, js: np.ndarray, depart: float) -> np.ndarray:
        """Travel times from ``i`` leaving at ``depart``, in the slice that holds it (a
        filter only: the exact check integrates across slices)."""
        travel = self.c.travel
        if not travel.dense:
            return travel.durations(np.full(js.shape, i), js)
        s = max(int(np.searchsorted(travel.slice_starts, depart, side="right")) - 1, 0)
        return travel.duration[s, i, js]
