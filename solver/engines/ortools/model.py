"""The OR-Tools routing model of a compiled problem, and the maps between their nodes.

Modelled: multi-dimensional capacities, several time windows per stop (the gaps are
forbidden intervals of the time cumul), service times, shifts, fixed costs and per-type costs per
distance and per time (span cost), optional stops as disjunctions with their penalty,
skills and capacities as allowed vehicles, max route duration (span upper bound), and
shipments (``AddPickupAndDelivery``: same vehicle, pickup no later than delivery, both
performed or both not; loads then follow ``-demand + pd_load`` from a free start cumul,
which the end cumul of 0 pins to the route's depot deliveries). Time-dependent travel is
planned on the slowest slice of each arc, with departures at the shift start, which is
conservative (FIFO travel is never slower than its slowest slice); the integer scaling
is conservative too (``scaling``).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np
from ortools.constraint_solver import pywrapcp

from solver.compile import CompiledProblem
from solver.diagnosis import impossible_stops
from solver.engines.base import EngineResult
from solver.engines.ortools import locks, operating_day
from solver.engines.ortools.scaling import (
    drop_penalty,
    horizon,
    needs_time,
    scaled_up,
    scaling,
)
from solver.travel.lazy import require_dense

if TYPE_CHECKING:
    from solver.engines.ortools.search import Watch

logger = logging.getLogger(__name__)

class Model:
    """The routing model and the maps between OR-Tools nodes and compiled nodes."""

    def __init__(self, compiled: CompiledProblem, drop_required: bool = True,
                 breaks: bool = True) -> None:
        """``breaks`` False: the relaxed model of ``operating_day`` (no break intervals)."""
        c = self.c = compiled
        require_dense(c.travel, "ortools")  # registers every arc as a transit matrix
        self.drop_required, self.breaks = drop_required, breaks
        self.impossible = impossible_stops(c)
        for i, reason in list(self.impossible.items()):  # a pair goes out as a whole
            if c.pair[i] >= 0:
                self.impossible.setdefault(int(c.pair[i]), reason)
        stops = [i for i in range(c.n_depots, c.n_nodes) if i not in self.impossible]
        self.active = bool(stops)
        depots = sorted(set(c.start_depot.tolist()) | set(c.end_depot.tolist()))
        self.nodes = np.array(depots + stops, dtype=np.int64)  # OR-Tools node -> compiled
        self.position = {int(n): k for k, n in enumerate(self.nodes)}
        self.vehicle_type = np.repeat(np.arange(c.n_types), c.type_count)
        if not self.active:
            return
        starts = [self.position[int(c.start_depot[k])] for k in self.vehicle_type]
        ends = [self.position[int(c.end_depot[k])] for k in self.vehicle_type]
        self.manager = pywrapcp.RoutingIndexManager(len(self.nodes), len(starts), starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.has_time = needs_time(c)
        self.scaling = scaling(c, self.nodes, self.has_time)
        self._costs()
        self._capacities()
        if self.has_time:
            self._time()
        self._stops(stops)
        self._shipments(stops)
        if c.day_features:
            operating_day.apply(self)
        locks.apply(self)

    # -- objective -------------------------------------------------------------------
    def _costs(self) -> None:
        c, s, routing = self.c, self.scaling, self.routing
        dist = c.travel.distance[np.ix_(self.nodes, self.nodes)]
        by_rate: dict[float, int] = {}
        for v, k in enumerate(self.vehicle_type):
            rate = float(c.cost_per_distance[k])
            if rate not in by_rate:
                arc = np.rint(dist * rate * s.cost).astype(np.int64)
                by_rate[rate] = routing.RegisterTransitMatrix(arc.tolist())
            routing.SetArcCostEvaluatorOfVehicle(by_rate[rate], v)
            routing.SetFixedCostOfVehicle(int(round(float(c.fixed_cost[k]) * s.cost)), v)

    def _capacities(self) -> None:
        c, s, routing = self.c, self.scaling, self.routing
        for d in range(c.demand.shape[1]):
            shipped = np.any(c.pd_load[self.nodes, d] != 0)
            if not np.any(c.demand[self.nodes, d] > 0) and not shipped:
                continue
            scale, exact = int(s.demand[d]), bool(s.demand_exact[d])
            dem = scaled_up(c.demand[self.nodes, d] * scale, exact)
            total = int(dem.sum()) + 1
            if shipped:
                # amounts rounded up at the pickup, the same integer unloaded at delivery
                amount = scaled_up(np.abs(c.pd_load[self.nodes, d]) * scale, exact)
                moved = np.where(c.pickup[self.nodes], amount, -amount)
                total += int(amount[c.pickup[self.nodes]].sum())
            caps = []
            for k in self.vehicle_type:
                cap = float(c.capacity[k, d]) * scale
                caps.append(total if not math.isfinite(cap) else
                            min(total, int(round(cap) if exact else math.floor(cap + 1e-9))))
            if not shipped:  # cumul = delivered so far, from 0
                cb = routing.RegisterUnaryTransitVector(dem.tolist())
                routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
                continue
            # cumul = load on board: free at the start, -demand + pd_load per stop, 0 at
            # the end, so the start holds exactly the route's depot deliveries
            cb = routing.RegisterUnaryTransitVector((moved - dem).tolist())
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, f"load{d}")
            dim = routing.GetDimensionOrDie(f"load{d}")
            for v in range(len(self.vehicle_type)):
                dim.CumulVar(routing.End(v)).SetValue(0)

    def _time(self) -> None:
        c, s, routing = self.c, self.scaling, self.routing
        dur = c.travel.duration.max(axis=0)[np.ix_(self.nodes, self.nodes)]
        raw = (dur + c.service[self.nodes][:, None]) * s.time
        transit = (np.rint(raw) if s.time_exact else np.ceil(raw - 1e-9)).astype(np.int64)
        self.horizon = horizon(c, self.nodes, transit, s)
        cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(cb, self.horizon, self.horizon, False, "time")
        self.time = dim = routing.GetDimensionOrDie("time")
        td = c.travel.time_dependent
        for v, k in enumerate(self.vehicle_type):
            lo = self._up(float(c.shift[k, 0]))
            hi = self._down(float(c.shift[k, 1]) + float(c.max_overtime[k]))  # hard limit
            start, end = dim.CumulVar(routing.Start(v)), dim.CumulVar(routing.End(v))
            start.SetRange(lo, lo if td else max(lo, hi))
            end.SetRange(lo, max(lo, hi))
            if math.isfinite(float(c.max_duration[k])):
                dim.SetSpanUpperBoundForVehicle(self._down(float(c.max_duration[k])), v)
            coef = s.per_time_unit(float(c.cost_per_time[k]))
            if coef:
                dim.SetSpanCostCoefficientForVehicle(coef, v)
            routing.AddVariableMinimizedByFinalizer(end)
            routing.AddVariableMaximizedByFinalizer(start)
        for pos, node in enumerate(self.nodes):
            if node < c.n_depots:
                continue
            cumul = dim.CumulVar(self.manager.NodeToIndex(pos))
            windows = c.tw[node, : c.tw_count[node]]
            opens = [self._up(float(a)) for a, _ in windows]
            closes = [self._down(float(b)) for _, b in windows]
            late = self._down(float(c.max_late[node]))  # soft windows: the hard cap
            cumul.SetRange(opens[0], max(opens[0], closes[-1] + late))
            gaps = [(closes[w] + 1, opens[w + 1] - 1) for w in range(len(windows) - 1)
                    if opens[w + 1] - 1 >= closes[w] + 1]
            if gaps:
                # not RemoveInterval: OR-Tools removes a hole value by value into a bitset
                # of the whole horizon (ms units: 19.6 of 20 s on the demo day); this
                # constraint keeps the gaps as intervals (benchmarks/timing/ortools_windows.md)
                solver = routing.solver()
                solver.Add(solver.NotMemberCt(cumul, [a for a, _ in gaps],
                                              [b for _, b in gaps]))

    def _up(self, value: float) -> int:
        if not math.isfinite(value):
            return self.horizon
        x = value * self.scaling.time
        return min(int(round(x) if self.scaling.time_exact else math.ceil(x - 1e-9)), self.horizon)

    def _down(self, value: float) -> int:
        if not math.isfinite(value):
            return self.horizon
        x = value * self.scaling.time
        return min(int(round(x) if self.scaling.time_exact else math.floor(x + 1e-9)),
                   self.horizon)

    # -- stops -----------------------------------------------------------------------
    def _stops(self, stops: list[int]) -> None:
        c, routing = self.c, self.routing
        big = self.big = drop_penalty(c, self.nodes, self.scaling)
        n_vehicles = len(self.vehicle_type)
        # may type k serve node i: skills (of the stop and its shipment partner) and
        # capacity, per type, then per vehicle (a replan has a type per vehicle)
        skills = c.compatible()
        fit = (skills & skills[np.where(c.pair >= 0, c.pair, np.arange(c.n_nodes))]
               & np.all(c.demand[:, None, :] <= c.capacity[None] + 1e-6, axis=2)
               & np.all(np.abs(c.pd_load)[:, None, :] <= c.capacity[None] + 1e-6, axis=2))
        fit = fit[:, self.vehicle_type]
        for node in stops:
            index = self.manager.NodeToIndex(self.position[node])
            fits = np.flatnonzero(fit[node]).tolist()
            if len(fits) < n_vehicles:
                # SetAllowedVehiclesForIndex's Span binding is broken in 9.15: restrict
                # the vehicle variable directly (-1 = unperformed, the disjunction's way)
                routing.VehicleVar(index).SetValues([-1] + fits)
            if c.required[node] and not self.drop_required:
                continue
            penalty = big if c.required[node] else int(round(float(c.penalty[node])
                                                                * self.scaling.cost))
            routing.AddDisjunction([index], penalty)

    def _shipments(self, stops: list[int]) -> None:
        """Pickup-and-delivery pairs: same vehicle, pickup first, both or neither served."""
        c, routing, manager = self.c, self.routing, self.manager
        solver = routing.solver()
        order = None
        if not self.has_time:  # precedence needs a cumul that grows along the route
            cb = routing.RegisterUnaryTransitVector([1] * len(self.nodes))
            routing.AddDimension(cb, 0, len(self.nodes) + 1, True, "order")
            order = routing.GetDimensionOrDie("order")
        dim = self.time if self.has_time else order
        for node in stops:
            if not c.pickup[node]:
                continue
            p = manager.NodeToIndex(self.position[node])
            d = manager.NodeToIndex(self.position[int(c.pair[node])])
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
            solver.Add(dim.CumulVar(p) <= dim.CumulVar(d))

    # -- solving ---------------------------------------------------------------------
    def close(self, params, watch: Watch) -> None:
        """Close the model and attach the watch (progress, pool, stop) to its search."""
        self.routing.CloseModelWithParameters(params)
        watch.model, self.watch = self, watch
        self.routing.AddAtSolutionCallback(watch.at_solution)
        self.routing.AddSearchMonitor(watch.monitor(self.routing.solver()))

    def read(self, result: EngineResult):
        """The warm start as an assignment, or None when this model rejects it (call
        after ``close``). OR-Tools places the dimension variables by a search that, once it
        has placed them, goes on improving their values until the model's time limit: on
        the multi-window demo day that was the whole of a 30 s budget, for the seed engine's
        plan. The watch ends that search at its first solution; GLS improves from there."""
        self.watch.reading = True
        try:
            assignment = self.routing.ReadAssignmentFromRoutes(self.vehicle_routes(result),
                                                               True)
        finally:
            self.watch.reading = False
        if assignment is None:
            logger.info("ortools: warm start rejected by the %s model",
                        "drop" if self.drop_required else "strict")
        return assignment

    # -- solutions -------------------------------------------------------------------
    def vehicle_routes(self, result: EngineResult) -> list[list[int]]:
        """A warm start in OR-Tools routing indices (not nodes: a depot that is only an
        end, as on a replan whose vehicles there have all started, shifts the indices of
        the nodes after it): each route goes to a free vehicle of its type."""
        free: dict[int, list[int]] = {}
        for v, k in enumerate(self.vehicle_type):
            free.setdefault(int(k), []).append(v)
        out: list[list[int]] = [[] for _ in self.vehicle_type]
        for k, nodes in result.routes:
            kept = [self.manager.NodeToIndex(self.position[int(i)]) for i in nodes
                    if int(i) in self.position and int(i) >= self.c.n_depots]
            if kept and free.get(int(k)):
                out[free[int(k)].pop(0)] = kept
        return out

    def extract(self, assignment: pywrapcp.Assignment) -> list[tuple[int, np.ndarray]]:
        routing, manager = self.routing, self.manager
        routes = []
        for v, k in enumerate(self.vehicle_type):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            nodes = []
            while not routing.IsEnd(index):
                nodes.append(int(self.nodes[manager.IndexToNode(index)]))
                index = assignment.Value(routing.NextVar(index))
            if nodes:
                routes.append((int(k), np.array(nodes, dtype=np.int64)))
        return routes

    def current_routes(self) -> list[tuple[int, list[int]]]:
        """Routes of the solution being reported (inside a solution callback)."""
        routing, manager = self.routing, self.manager
        out = []
        for v, k in enumerate(self.vehicle_type):
            index = routing.NextVar(routing.Start(v)).Value()
            nodes = []
            while not routing.IsEnd(index):
                nodes.append(int(self.nodes[manager.IndexToNode(index)]))
                index = routing.NextVar(index).Value()
            if nodes:
                out.append((int(k), nodes))
        return out
