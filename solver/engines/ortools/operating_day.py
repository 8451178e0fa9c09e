"""The operating-day parts of the OR-Tools model (called by ``Model`` when a problem
uses them; ``model.py`` itself only widens the hard limits by the allowed lateness and
overtime).

- soft windows: a soft upper bound at the last window's end on each stop's time cumul,
  ``late_cost`` per second (the cap at end + ``max_lateness`` is the cumul's range);
- overtime: a soft upper bound at the shift end on the route's end cumul;
- breaks: break intervals per vehicle in the time dimension, performed exactly when the
  vehicle is used (they may not overlap a service: the service is each node's visit
  transit), in order, inside the route (start no earlier than the route's start, end no
  later than its end); the route is priced and its duration bounded as leaving at its
  shift start, as the evaluator schedules routes with breaks, but its start cumul is
  free (``_leave_at_shift_start``);
- driving-time rule: ``SetBreakDistanceDurationOfVehicle`` bounds the *time* between
  qualifying breaks (and from the route's start to the first, from the last to its
  end) by ``max_driving``, which is stricter than the driving time it bounds
  (conservative: every plan it allows keeps the rule). A route that starts with
  driving since its last break (``driven_at_start``, a re-planned started vehicle) has
  that much less time before its first qualifying break, or to its end when it takes
  none (``_driven_at_start``; vehicles without breaks are left to the repair). Where it
  leaves required stops out, the engine inserts them by the evaluator's rules
  (``complete``);
- the relaxed model (``Model(breaks=False)``, the engine's fallback on days with breaks):
  no break intervals, each route's end earlier by its breaks' total length;
- ``max_stops``: a counting dimension; ``max_distance``: a distance dimension with
  distances rounded up and limits down (conservative).

Integer rounding follows ``scaling`` (one cost scale for distance, time, lateness and
overtime); the claimed cost is recomputed by the engine with
the evaluator's semantics, and routes it rejects are repaired there.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from solver.engines.ortools.model import Model

DISTANCE_UNITS = 10**7  # the largest finite max_distance, in distance-dimension units


def apply(model: Model) -> None:
    """Add every operating-day feature ``model.c`` uses to the routing model."""
    if model.has_time:
        _soft_windows(model)
        _overtime(model)
        if model.breaks:
            _breaks(model)
        else:
            _reserve_breaks(model)
    _max_stops(model)
    _max_distance(model)


def _soft_windows(model: Model) -> None:
    c, dim = model.c, model.time
    for pos, node in enumerate(model.nodes):
        if node < c.n_depots or c.late_cost[node] <= 0:
            continue
        close = model._down(float(c.tw[node, c.tw_count[node] - 1, 1]))
        dim.SetCumulVarSoftUpperBound(model.manager.NodeToIndex(pos), close,
                                      model.scaling.per_time_unit(float(c.late_cost[node])))


def _overtime(model: Model) -> None:
    c, dim, routing = model.c, model.time, model.routing
    for v, k in enumerate(model.vehicle_type):
        if c.overtime_cost[k] > 0 and math.isfinite(float(c.shift[k, 1])):
            dim.SetCumulVarSoftUpperBound(routing.End(v), model._down(float(c.shift[k, 1])),
                                          model.scaling.per_time_unit(float(c.overtime_cost[k])))


def _breaks(model: Model) -> None:
    c, dim, routing = model.c, model.time, model.routing
    if not (c.break_count > 0).any():
        return
    solver = routing.solver()
    service = np.ceil(c.service[model.nodes] * model.scaling.time - 1e-9).astype(np.int64)
    visit = [int(service[model.manager.IndexToNode(index)])  # per routing index
             for index in range(routing.Size())]
    for v, k in enumerate(model.vehicle_type):
        n_breaks = int(c.break_count[k])
        if n_breaks == 0:
            continue
        start, end = dim.CumulVar(routing.Start(v)), dim.CumulVar(routing.End(v))
        _leave_at_shift_start(model, v, k)
        intervals = []
        used = routing.ActiveVehicleVar(v)
        for b in range(n_breaks):
            earliest, latest, length = (float(x) for x in c.breaks[k, b])
            interval = solver.FixedDurationIntervalVar(
                model._up(earliest), model._down(latest),
                int(math.ceil(length * model.scaling.time - 1e-9)), True, f"break{v}_{b}")
            solver.Add(interval.PerformedExpr() == used)  # an unused vehicle takes none
            solver.Add(interval.SafeStartExpr(model.horizon) >= start)
            solver.Add(interval.SafeEndExpr(0) <= end)
            if intervals:
                solver.Add(interval.SafeStartExpr(model.horizon)
                           >= intervals[-1].SafeEndExpr(0))
            intervals.append(interval)
        dim.SetBreakIntervalsOfVehicle(intervals, v, visit)
        limit, qualifying, driven = (float(x) for x in c.driving[k])
        if math.isfinite(limit):
            dim.SetBreakDistanceDurationOfVehicle(
                model._down(limit), int(math.ceil(qualifying * model.scaling.time - 1e-9)), v)
            if driven > 0:
                _driven_at_start(model, v, k, intervals, limit - driven)


def _driven_at_start(model: Model, v: int, k: int, intervals: list, room: float) -> None:
    """A route that starts with driving since its last break (a re-planned started
    vehicle) has ``room`` seconds before its first qualifying break, or to its end when it
    takes none: bounded as time, like the rule itself (conservative)."""
    c, dim, routing = model.c, model.time, model.routing
    start = dim.CumulVar(routing.Start(v))
    qualifying = float(c.driving[k, 1])
    first = next((iv for iv, length in zip(intervals, c.breaks[k, :len(intervals), 2],
                                           strict=True) if length + 1e-6 >= qualifying), None)
    latest = model._down(room)
    if first is not None:  # an unused vehicle's break is not performed: no bound
        routing.solver().Add(first.SafeStartExpr(0) <= start + latest)
    else:
        routing.solver().Add(dim.CumulVar(routing.End(v)) <= start + latest)


def _reserve_breaks(model: Model) -> None:
    """The relaxed model: no break intervals (OR-Tools' break constraints make its search
    slow: without them a first plan of a large day comes in time); each route ends its
    breaks' total length earlier instead, so that its plan mostly keeps room for them.
    The engine then repairs and completes it by the evaluator's rules."""
    c, dim, routing = model.c, model.time, model.routing
    for v, k in enumerate(model.vehicle_type):
        reserve = float(c.breaks[k, : int(c.break_count[k]), 2].sum())
        if reserve > 0:
            end = dim.CumulVar(routing.End(v))
            end.SetMax(max(end.Min(), end.Max() - int(math.ceil(reserve * model.scaling.time))))


def _leave_at_shift_start(model: Model, v: int, k: int) -> None:
    """Price and bound vehicle ``v`` as leaving at its shift start, as the evaluator times
    routes with breaks, while its start cumul stays free: a later start only stands for
    waiting (at the depot here, at the first stop in the evaluator's schedule, which is no
    later and drives no more), and it keeps the driving bound (time since the route's
    start) from counting the early hours of a shift whose first break comes late."""
    c, dim, routing = model.c, model.time, model.routing
    shift_start = model._up(float(c.shift[k, 0]))
    rate = model.scaling.per_time_unit(float(c.cost_per_time[k]))
    if rate:  # with the span cost: rate x (end - shift start), the evaluator's duration
        dim.SetCumulVarSoftUpperBound(routing.Start(v), shift_start, rate)
    if math.isfinite(float(c.max_duration[k])):  # the duration counts from the shift start
        end = dim.CumulVar(routing.End(v))
        end.SetMax(min(end.Max(), shift_start + model._down(float(c.max_duration[k]))))


def _max_stops(model: Model) -> None:
    c, routing = model.c, model.routing
    caps = [int(c.max_stops[k]) for k in model.vehicle_type]
    if min(caps) >= c.n_clients:
        return
    count = routing.RegisterUnaryTransitVector(
        [0 if node < c.n_depots else 1 for node in model.nodes])
    routing.AddDimensionWithVehicleCapacity(count, 0, caps, True, "stops")


def _max_distance(model: Model) -> None:
    c, routing = model.c, model.routing
    limits = c.max_distance[model.vehicle_type]
    finite = limits[np.isfinite(limits)]
    if finite.size == 0:
        return
    scale = DISTANCE_UNITS / float(finite.max())
    dist = c.travel.distance[np.ix_(model.nodes, model.nodes)] * scale
    arcs = np.ceil(np.minimum(dist, DISTANCE_UNITS * 4.0) - 1e-9).astype(np.int64)
    caps = [int(math.floor(x * scale + 1e-9)) if math.isfinite(x) else DISTANCE_UNITS * 4
            * len(model.nodes) for x in limits]
    index = routing.RegisterTransitMatrix(arcs.tolist())
    routing.AddDimensionWithVehicleCapacity(index, 0, caps, True, "distance")
