"""Route feasibility and cost on compiled arrays, with the evaluator's exact semantics.

Engines must claim the cost the evaluator will compute, so this module re-implements the
schedule rules of ``solver.evaluate`` (its docstring is the reference) on node indices:
leave at the shift start, serve at the opening of the first window not yet closed, delay
the departure by Savelsbergh's forward slack when travel is static, and price a route as
fixed + cost/distance x distance + cost/time x duration. Loads are checked at every point
(the depot's deliveries on board at the start, then ``-demand + pd_load`` per stop), and a
route holding one half of a shipment holds the other after it. It shares no code with the
evaluator on purpose: the evaluator stays an independent judge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.day_schedule import DaySchedule, day_schedule
from solver.engines.disruption import disruption_cost

EPS = 1e-6  # the evaluator's tolerance


@dataclass(frozen=True)
class RouteCheck:
    """One route as the evaluator would see it: ``violation`` is None when feasible."""

    feasible: bool
    violation: str | None  # pairing, precedence, capacity, skill, time_window, shift,
    #   max_duration, break, driving, max_stops, max_distance
    cost: float
    distance: float
    duration: float
    end_time: float
    starts: tuple[float, ...] = ()  # service start per stop (a replan's promised times)


def travel_time(compiled: CompiledProblem, i: int, j: int, depart: float) -> float:
    """Arrival minus departure from ``i`` to ``j`` leaving at ``depart`` (FIFO-integrated).

    Ichoua, Gendreau & Potvin (2003): the arc's speed changes at slice boundaries.
    """
    travel = compiled.travel
    starts = travel.slice_starts
    if len(starts) == 1:
        return travel.arc_duration(0, i, j)
    s = max(int(np.searchsorted(starts, depart, side="right")) - 1, 0)
    t, remaining = depart, 1.0
    while True:
        d = travel.arc_duration(s, i, j)
        if d <= 0.0:
            return t - depart
        boundary = float(starts[s + 1]) if s + 1 < len(starts) else math.inf
        if t + remaining * d <= boundary:
            return t + remaining * d - depart
        remaining -= (boundary - t) / d
        t, s = boundary, s + 1


def check_route(compiled: CompiledProblem, k: int, nodes: Sequence[int],
                day: DaySchedule | None = None) -> RouteCheck:
    """Feasibility, distance, duration and cost of stop ``nodes`` served by type ``k``.

    ``day``: the route's ``day_schedule`` when the caller built it leg by leg (route
    enumeration extends its prefixes' schedules), on operating-day problems only."""
    c = compiled
    nodes = [int(i) for i in nodes]
    violation = _pairs_violation(c, nodes) if c.has_shipments else None
    load = c.demand[nodes].sum(axis=0) if nodes else np.zeros(c.demand.shape[1])
    if c.has_shipments:
        load = _peak_load(c, nodes, load)
    if violation is not None:
        pass  # the first failing rule names the route's violation
    elif np.any(load > c.capacity[k] + EPS):
        violation = "capacity"
    elif any(int(c.stop_skills[i]) & ~int(c.type_skills[k]) for i in nodes):
        violation = "skill"
    if c.day_features:
        return _day_route(c, k, nodes, violation, day)
    shift_start, shift_end = float(c.shift[k, 0]), float(c.shift[k, 1])
    t, prev = shift_start, int(c.start_depot[k])
    parts: list[float] = []
    waits: list[float] = []
    slacks: list[float] = []
    starts: list[float] = []
    for i in nodes:
        parts.append(c.travel.arc_distance(prev, i))
        arrival = t + travel_time(c, prev, i, t)
        windows = c.tw[i, : c.tw_count[i]]
        begin, slack = arrival, 0.0
        for w_start, w_end in windows:
            if w_end + EPS >= arrival:
                begin = max(arrival, float(w_start))
                slack = max(float(w_end) - begin, 0.0)
                break
        else:
            violation = violation or "time_window"
        waits.append(begin - arrival)
        slacks.append(slack)
        starts.append(begin)
        t, prev = begin + float(c.service[i]), i
    end = int(c.end_depot[k])
    parts.append(c.travel.arc_distance(prev, end))
    end_time = t + travel_time(c, prev, end, t)
    if end_time > shift_end + EPS:
        violation = violation or "shift"
    slacks.append(max(shift_end - end_time, 0.0))
    waits.append(0.0)
    depart = shift_start
    if not c.travel.time_dependent:
        depart += forward_slack(waits, slacks)
    duration = end_time - depart
    if duration > float(c.max_duration[k]) + EPS:
        violation = violation or "max_duration"
    distance = math.fsum(parts)
    cost = (float(c.fixed_cost[k]) + float(c.cost_per_distance[k]) * distance
            + float(c.cost_per_time[k]) * duration)
    return RouteCheck(violation is None, violation, cost, distance, duration, end_time,
                      tuple(starts))


def _day_route(c: CompiledProblem, k: int, nodes: list[int],
               violation: str | None, day: DaySchedule | None) -> RouteCheck:
    """``check_route`` for operating-day problems (``day_schedule``), route limits too."""
    if day is None:
        day = day_schedule(c, k, nodes, lambda i, j, t: travel_time(c, i, j, t))
    violation = violation or day.violation
    if day.duration > float(c.max_duration[k]) + EPS:
        violation = violation or "max_duration"
    distance = math.fsum(c.travel.arc_distance(i, j) for i, j in zip(
        [int(c.start_depot[k])] + nodes, nodes + [int(c.end_depot[k])], strict=True))
    if len(nodes) > int(c.max_stops[k]):
        violation = violation or "max_stops"
    if distance > float(c.max_distance[k]) + EPS:
        violation = violation or "max_distance"
    cost = (float(c.fixed_cost[k]) + float(c.cost_per_distance[k]) * distance
            + float(c.cost_per_time[k]) * day.duration + day.late_cost
            + float(c.overtime_cost[k]) * day.overtime)
    return RouteCheck(violation is None, violation, cost, distance, day.duration,
                      day.end_time, day.starts)


def _pairs_violation(c: CompiledProblem, nodes: list[int]) -> str | None:
    """'pairing' when a shipment's partner is missing, 'precedence' when it comes first."""
    position = {i: p for p, i in enumerate(nodes)}
    for p, i in enumerate(nodes):
        partner = int(c.pair[i])
        if partner < 0:
            continue
        q = position.get(partner)
        if q is None:
            return "pairing"
        if (q < p) == bool(c.pickup[i]):
            return "precedence"
    return None


def _peak_load(c: CompiledProblem, nodes: list[int], start: np.ndarray) -> np.ndarray:
    """Highest load on board per dimension: leaving the depot, then leaving each stop."""
    if not nodes:
        return start
    change = c.pd_load[nodes] - c.demand[nodes]
    return np.maximum(start, (start + np.cumsum(change, axis=0)).max(axis=0))


def forward_slack(waits: list[float], slacks: list[float]) -> float:
    """How long departure can be delayed without any visit starting later (Savelsbergh)."""
    best = sum(waits)
    cumulative = 0.0
    for wait, slack in zip(waits, slacks, strict=True):
        cumulative += wait
        best = min(best, cumulative + slack)
    return max(best, 0.0)


def plan_cost(
    compiled: CompiledProblem, routes: Iterable[tuple[int, Sequence[int]]]
) -> tuple[float, list[RouteCheck]]:
    """Total cost of a plan as the evaluator sums it: routes, optional penalties, and the
    disruption against a replan's reference (``disruption_cost``)."""
    routes = [(k, nodes) for k, nodes in routes if len(nodes) > 0]
    checks = [check_route(compiled, k, nodes) for k, nodes in routes]
    served = {int(i) for _, nodes in routes for i in nodes}
    d = compiled.n_depots
    penalties = [
        float(compiled.penalty[i]) for i in range(d, compiled.n_nodes)
        if not compiled.required[i] and i not in served
    ]
    return (math.fsum(ch.cost for ch in checks) + math.fsum(penalties)
            + disruption_cost(compiled, routes, checks)), checks
