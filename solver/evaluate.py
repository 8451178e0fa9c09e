"""The independent evaluator: recompute everything about a plan from first principles.

It reads the Problem and the Solution by ids and the travel tensor, and shares no code
with any engine: engines are judged by it, in tests, benchmarks and production.

Schedule semantics (the reference every engine must reproduce):
- a vehicle leaves its start depot at its shift start; travel from ``i`` to ``j``
  departing at ``t`` uses the time slices of the travel tensor, integrating across
  slice boundaries (Ichoua, Gendreau & Potvin 2003), which keeps FIFO;
- service starts at the opening of the first window that has not closed yet; a vehicle
  arriving after every window closed is late (a violation) and serves on arrival;
- route duration is the return time minus the departure time, where with static travel
  the departure is delayed as far as it shortens the route without making any visit
  later (Savelsbergh's forward slack); with time-dependent travel it is the shift start;
- loads: a route leaves its depot with every delivery it makes on board (the stops'
  ``demand``); each stop unloads its demand, a shipment's pickup loads its amount and
  its delivery unloads it. Capacity holds at every point: leaving the depot and leaving
  each stop. A shipment's two stops are on the same route, pickup first, or both out;
- cost = sum over used routes of fixed cost + cost/distance x distance
  + cost/time x duration, plus the penalty of every optional stop left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from solver.problem import Problem
from solver.solution import Solution
from solver.travel.build import Travel, build_travel

EPS = 1e-6


@dataclass(frozen=True)
class Violation:
    kind: str  # capacity, time_window, shift, max_duration, skill, duplicate, missing,
    # unknown_stop, unknown_vehicle_type, fleet_size, pairing, precedence
    message: str
    route: int | None = None
    stop: str | None = None
    amount: float = 0.0


@dataclass(frozen=True)
class Visit:
    stop: str
    arrival: float
    start: float
    departure: float
    wait: float
    load: tuple[float, ...]  # load on board when leaving the stop (after (un)loading)


@dataclass(frozen=True)
class RouteReport:
    vehicle_type: str
    visits: list[Visit]
    start_time: float
    end_time: float
    distance: float
    duration: float
    load: tuple[float, ...]  # peak load on board per dimension (the total delivered
    #   from the depot when the route has no shipments)
    cost: float


@dataclass
class EvaluationReport:
    """Every number and violation of a plan, as the evaluator sees it."""

    routes: list[RouteReport] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    distance: float = 0.0
    duration: float = 0.0
    route_cost: float = 0.0
    penalty_cost: float = 0.0
    unassigned_required: list[str] = field(default_factory=list)
    unassigned_optional: list[str] = field(default_factory=list)

    @property
    def cost(self) -> float:
        return self.route_cost + self.penalty_cost

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def complete(self) -> bool:
        """Feasible and every required stop served."""
        return self.feasible and not self.unassigned_required


def travel_time(travel: Travel, i: int, j: int, depart: float) -> float:
    """Arrival minus departure from ``i`` to ``j`` leaving at ``depart`` (FIFO-integrated).

    Reads one arc at a time, so dense and coordinate-only travel are judged alike.
    """
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


def evaluate(
    problem: Problem, solution: Solution, travel: Travel | None = None
) -> EvaluationReport:
    """Recompute distance, duration, cost, loads, schedule and violations of ``solution``."""
    travel = travel if travel is not None else build_travel(problem)
    node = {d.id: k for k, d in enumerate(problem.depots)}
    node.update({s.id: len(problem.depots) + k for k, s in enumerate(problem.stops)})
    stops = {s.id: s for s in problem.stops}
    depots = {d.id: d for d in problem.depots}
    types = {v.id: v for v in problem.vehicle_types}

    shipped: dict[str, tuple[float, ...]] = {}  # stop id -> load change from its shipment
    for p in problem.shipments:
        shipped[p.pickup] = tuple(p.amount)
        shipped[p.delivery] = tuple(-a for a in p.amount)

    report = EvaluationReport()
    seen: dict[str, int] = {}
    used: dict[str, int] = {}
    for r, route in enumerate(solution.routes):
        vtype = types.get(route.vehicle_type)
        if vtype is None:
            report.violations.append(
                Violation("unknown_vehicle_type", f"route {r}: unknown vehicle type "
                          f"{route.vehicle_type!r}", route=r)
            )
            continue
        used[vtype.id] = used.get(vtype.id, 0) + 1
        for sid in route.stops:
            if sid not in stops:
                report.violations.append(
                    Violation("unknown_stop", f"route {r}: unknown stop id {sid!r}", r, sid)
                )
            elif sid in seen:
                report.violations.append(
                    Violation("duplicate", f"stop {sid!r} visited twice (routes {seen[sid]}"
                              f" and {r})", r, sid)
                )
            else:
                seen[sid] = r
        known = [sid for sid in route.stops if sid in stops]
        report.routes.append(
            _route(r, vtype, [stops[s] for s in known], node, depots, travel, report,
                   shipped)
        )

    _check_pairs(problem, solution, seen, report)
    for tid, n_used in used.items():
        if n_used > types[tid].count:
            report.violations.append(
                Violation("fleet_size", f"vehicle type {tid!r}: {n_used} routes but only "
                          f"{types[tid].count} vehicles", amount=n_used - types[tid].count)
            )
    declared = {u.stop for u in solution.unassigned}
    for s in problem.stops:
        if s.id in seen:
            continue
        if not s.required:
            report.unassigned_optional.append(s.id)
        elif s.id in declared:
            report.unassigned_required.append(s.id)
        else:
            report.violations.append(
                Violation("missing", f"required stop {s.id!r} is neither routed nor "
                          "declared unassigned", stop=s.id)
            )
    report.distance = math.fsum(rr.distance for rr in report.routes)
    report.duration = math.fsum(rr.duration for rr in report.routes)
    report.route_cost = math.fsum(rr.cost for rr in report.routes)
    report.penalty_cost = math.fsum(stops[s].penalty for s in report.unassigned_optional)
    return report


def _check_pairs(problem: Problem, solution: Solution, seen: dict[str, int],
                 report: EvaluationReport) -> None:
    """Each shipment: both stops on one route, pickup first, or both left out."""
    for p in problem.shipments:
        ra, rb = seen.get(p.pickup), seen.get(p.delivery)
        if ra is None and rb is None:
            continue
        if ra is None or rb is None or ra != rb:
            where = {p.pickup: ra, p.delivery: rb}
            text = ", ".join(f"{sid!r} on {'no route' if w is None else f'route {w}'}"
                             for sid, w in where.items())
            report.violations.append(
                Violation("pairing", f"shipment {p.id!r}: pickup and delivery must share a "
                          f"route ({text})", ra if ra is not None else rb, p.pickup)
            )
            continue
        order = solution.routes[ra].stops
        if order.index(p.delivery) < order.index(p.pickup):
            report.violations.append(
                Violation("precedence", f"shipment {p.id!r}: delivery {p.delivery!r} comes "
                          f"before pickup {p.pickup!r} on route {ra}", ra, p.delivery)
            )


def _route(r, vtype, route_stops, node, depots, travel, report, shipped) -> RouteReport:
    """Walk one route, appending its violations to ``report``."""
    start_depot, end_depot = depots[vtype.start_depot], depots[vtype.end]
    shift_start = max(vtype.shift.start, start_depot.time_window.start)
    shift_end = min(vtype.shift.end, end_depot.time_window.end)
    dims = len(vtype.capacity)
    on_board = [0.0] * dims  # the depot's deliveries, loaded at the start
    for s in route_stops:
        for d in range(dims):
            on_board[d] += s.demand[d]
    loads = [tuple(on_board)]  # on board leaving the depot, then leaving each stop
    for s in route_stops:
        change = shipped.get(s.id, (0.0,) * dims)
        on_board = [on_board[d] - s.demand[d] + change[d] for d in range(dims)]
        loads.append(tuple(on_board))
    peak = [max(x[d] for x in loads) for d in range(dims)]
    for d in range(dims):
        if peak[d] > vtype.capacity[d] + EPS:
            where = next(k for k, x in enumerate(loads) if x[d] == peak[d])
            at = "leaving the depot" if where == 0 else f"after {route_stops[where - 1].id!r}"
            report.violations.append(
                Violation("capacity", f"route {r} ({vtype.id}): load {peak[d]:g} {at} exceeds "
                          f"capacity {vtype.capacity[d]:g} in dimension {d}", r,
                          amount=peak[d] - vtype.capacity[d])
            )
    for s in route_stops:
        if not set(s.skills) <= set(vtype.skills):
            report.violations.append(
                Violation("skill", f"stop {s.id!r} needs skills {sorted(s.skills)} that "
                          f"vehicle type {vtype.id!r} lacks", r, s.id)
            )

    t = shift_start
    prev = node[vtype.start_depot]
    distance_parts: list[float] = []
    visits: list[Visit] = []
    waits: list[float] = []
    slacks: list[float] = []  # latest start minus actual start, per visit (and the return)
    for k, s in enumerate(route_stops):
        cur = node[s.id]
        distance_parts.append(travel.arc_distance(prev, cur))
        arrival = t + travel_time(travel, prev, cur, t)
        window = next((w for w in s.time_windows if w.end + EPS >= arrival), None)
        if window is None:
            late = arrival - s.time_windows[-1].end
            report.violations.append(
                Violation("time_window", f"stop {s.id!r} reached at {arrival:g}, "
                          f"{late:g} after its last window closed", r, s.id, late)
            )
            begin, slack = arrival, 0.0
        else:
            begin = max(arrival, window.start)
            slack = max(window.end - begin, 0.0)
        visits.append(Visit(s.id, arrival, begin, begin + s.service_time, begin - arrival,
                            loads[k + 1]))
        waits.append(begin - arrival)
        slacks.append(slack)
        t, prev = begin + s.service_time, cur
    end = node[vtype.end]
    distance_parts.append(travel.arc_distance(prev, end))
    end_time = t + travel_time(travel, prev, end, t)
    if end_time > shift_end + EPS:
        report.violations.append(
            Violation("shift", f"route {r} ({vtype.id}) returns at {end_time:g}, after its "
                      f"shift ends at {shift_end:g}", r, amount=end_time - shift_end)
        )
    slacks.append(max(shift_end - end_time, 0.0))
    waits.append(0.0)

    depart = shift_start
    if not travel.time_dependent:
        depart += _forward_slack(waits, slacks)
    duration = end_time - depart
    if duration > vtype.max_duration + EPS:
        report.violations.append(
            Violation("max_duration", f"route {r} ({vtype.id}) lasts {duration:g}, more than "
                      f"its max duration {vtype.max_duration:g}", r,
                      amount=duration - vtype.max_duration)
        )
    distance = math.fsum(distance_parts)
    cost = vtype.fixed_cost + vtype.cost_per_distance * distance + vtype.cost_per_time * duration
    return RouteReport(vtype.id, visits, depart, end_time, distance, duration,
                       tuple(peak), cost)


def _forward_slack(waits: list[float], slacks: list[float]) -> float:
    """How long departure can be delayed without any visit starting later (Savelsbergh)."""
    best = sum(waits)
    cumulative = 0.0
    for wait, slack in zip(waits, slacks, strict=True):
        cumulative += wait
        best = min(best, cumulative + slack)
    return max(best, 0.0)
