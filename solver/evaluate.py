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
- soft windows: a stop with ``late_cost`` (or ``max_lateness``) reached after its last
  window closed is served on arrival, late by arrival minus that end, up to its
  ``max_lateness`` (beyond it, a time-window violation); lateness delays what follows;
- overtime: a route may return up to ``max_overtime`` after its shift end (depot hours
  included), paying ``overtime_cost`` per second past it; ``max_stops`` and
  ``max_distance`` bound each route;
- breaks: a used route takes each of its type's breaks exactly once, in order, starting
  within [earliest_start, latest_start], on a leg: after one service and before the next
  (while waiting there, or on the road: a leg's driving may be split by its breaks, and
  with time-dependent travel a leg's driving time is that of leaving when the vehicle is
  free). A route with breaks leaves at its shift start (no delayed departure). Of all
  ways to place the breaks on legs, the evaluator takes the one with fewest violations,
  then lowest route cost, then earliest return; on each leg a break comes as late as the
  driving allows (driving as much before it as the driving rule permits and its latest
  start, less what the leg's later breaks need, allows), which finishes the leg
  earliest. The driving rule: at most ``max_driving``
  seconds of driving between breaks of at least ``break_duration``;
- cost = sum over used routes of fixed cost + cost/distance x distance
  + cost/time x duration + late_cost x lateness + overtime_cost x overtime, plus the
  penalty of every optional stop left out.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from solver.evaluate_legs import EPS, BreakVisit, best_schedule, path
from solver.evaluate_replan import DisruptionReport, RouteStart, lock_violations, route_start
from solver.evaluate_replan import disruption as disruption_report
from solver.problem import Problem
from solver.solution import Solution, with_vehicles
from solver.travel.build import Travel, build_travel


@dataclass(frozen=True)
class Violation:
    kind: str  # capacity, time_window, shift, max_duration, skill, duplicate, missing,
    # unknown_stop, unknown_vehicle_type, unknown_vehicle, vehicle_twice, fleet_size,
    # pairing, precedence, break, driving, max_stops, max_distance
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
    lateness: float = 0.0  # start past the last window's end (soft windows)


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
    vehicle: str = ""
    breaks: tuple[BreakVisit, ...] = ()
    lateness_cost: float = 0.0
    overtime: float = 0.0
    overtime_cost: float = 0.0


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
    disruption: DisruptionReport | None = None  # days in progress with a reference plan

    @property
    def cost(self) -> float:
        extra = self.disruption.cost if self.disruption is not None else 0.0
        return self.route_cost + self.penalty_cost + extra

    @property
    def lateness_cost(self) -> float:
        return math.fsum(r.lateness_cost for r in self.routes)

    @property
    def overtime_cost(self) -> float:
        return math.fsum(r.overtime_cost for r in self.routes)

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def complete(self) -> bool:
        """Feasible and every required stop served."""
        return self.feasible and not self.unassigned_required


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
    solution = with_vehicles(problem, solution)
    named = {v.vehicle_name(k): v.id for v in problem.vehicle_types for k in range(v.count)}
    driven: dict[str, int] = {}
    for r, route in enumerate(solution.routes):
        vtype = types.get(route.vehicle_type or "")
        if route.vehicle in driven:
            report.violations.append(
                Violation("vehicle_twice", f"route {r}: vehicle {route.vehicle!r} already "
                          f"drives route {driven[route.vehicle]}", route=r))
        driven.setdefault(route.vehicle or "", r)
        if vtype is None:
            if route.vehicle_type is None:
                report.violations.append(
                    Violation("unknown_vehicle", f"route {r}: unknown vehicle "
                              f"{route.vehicle!r}", route=r))
            else:
                report.violations.append(
                    Violation("unknown_vehicle_type", f"route {r}: unknown vehicle type "
                              f"{route.vehicle_type!r}", route=r))
            continue
        if route.vehicle in named and named[route.vehicle] != vtype.id:
            report.violations.append(
                Violation("unknown_vehicle", f"route {r}: vehicle {route.vehicle!r} is of "
                          f"type {named[route.vehicle]!r}, not {vtype.id!r}", route=r))
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
        start = None
        if problem.in_progress is not None:
            start = route_start(problem, route, vtype, node, travel.arc_distance)
            for kind, message in start.violations:
                report.violations.append(Violation(kind, f"route {r}: {message}", r))
        known = [sid for sid in (route.stops if start is None else start.rest)
                 if sid in stops]
        rr = _route(r, vtype if start is None else start.vtype, [stops[s] for s in known],
                    node, depots, travel, report, shipped, start)
        report.routes.append(rr if route.vehicle is None else
                             dataclasses.replace(rr, vehicle=route.vehicle))

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
    if problem.in_progress is not None:
        _check_in_progress(problem, solution, report)
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


def _check_in_progress(problem: Problem, solution: Solution,
                       report: EvaluationReport) -> None:
    """Frozen stops stay on their vehicles, locks hold; the disruption against the
    reference (``solver.evaluate_replan``)."""
    driven = {r.vehicle for r in solution.routes}
    for name, frozen in problem.in_progress.frozen().items():
        if name not in driven:
            report.violations.append(Violation(
                "frozen", f"vehicle {name!r} has no route, but its stops {frozen} are frozen"))
    for sid, message in lock_violations(problem, solution.routes):
        report.violations.append(Violation("lock", message, stop=sid))
    starts = {v.stop: v.start for rr in report.routes for v in rr.visits}
    report.disruption = disruption_report(problem, solution.routes, starts)


def _route(r, vtype, route_stops, node, depots, travel, report, shipped,
           start: RouteStart | None = None) -> RouteReport:
    """Walk one route (from ``start`` for a day in progress), appending its violations
    to ``report``."""
    start_depot, end_depot = depots[vtype.start_depot], depots[vtype.end]
    shift_start = max(vtype.shift.start, start_depot.time_window.start)
    origin = node[vtype.start_depot]
    if start is not None:
        shift_start, origin = start.time, start.node
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

    distance_parts = [travel.arc_distance(a, b) for a, b in zip(
        [origin] + [node[s.id] for s in route_stops],
        [node[s.id] for s in route_stops] + [node[vtype.end]], strict=True)]
    if start is not None:
        distance_parts.append(start.distance)
    best = best_schedule(vtype, route_stops, node, travel, shift_start, shift_end, origin)
    legs = path(best)
    visits: list[Visit] = []
    waits: list[float] = []
    slacks: list[float] = []  # latest start minus actual start, per visit (and the return)
    breaks: list[BreakVisit] = []
    for k, leg in enumerate(legs):
        breaks.extend(leg.breaks)
        for kind, message, amount in leg.violations:
            sid = route_stops[k].id if k < len(route_stops) else None
            report.violations.append(Violation(kind, f"route {r} ({vtype.id}): {message}", r,
                                               sid, amount))
        if leg.visit is not None:
            arrival, begin, wait, slack, lateness = leg.visit
            s = route_stops[k]
            visits.append(Visit(s.id, arrival, begin, begin + s.service_time, wait,
                                loads[k + 1], lateness))
            waits.append(wait)
            slacks.append(slack)
    end_time = best.time
    overtime = max(end_time - shift_end, 0.0)
    if overtime > vtype.max_overtime + EPS:
        extra = f" plus {vtype.max_overtime:g} overtime" if vtype.max_overtime else ""
        report.violations.append(
            Violation("shift", f"route {r} ({vtype.id}) returns at {end_time:g}, after its "
                      f"shift ends at {shift_end:g}{extra}", r,
                      amount=overtime - vtype.max_overtime)
        )
    slacks.append(max(shift_end - end_time, 0.0))
    waits.append(0.0)

    depart = shift_start
    if start is not None and start.departed is not None:
        depart = start.departed
        visits = [Visit(f.stop, f.arrival, f.start, f.departure, 0.0, loads[0])
                  for f in start.frozen] + visits
        breaks = list(start.breaks) + breaks
    elif not travel.time_dependent and not vtype.breaks:
        depart += _forward_slack(waits, slacks)
    duration = end_time - depart
    if duration > vtype.max_duration + EPS:
        report.violations.append(
            Violation("max_duration", f"route {r} ({vtype.id}) lasts {duration:g}, more than "
                      f"its max duration {vtype.max_duration:g}", r,
                      amount=duration - vtype.max_duration)
        )
    distance = math.fsum(distance_parts)
    if vtype.max_stops is not None and len(route_stops) > vtype.max_stops:
        report.violations.append(
            Violation("max_stops", f"route {r} ({vtype.id}) has {len(route_stops)} stops, "
                      f"more than {vtype.max_stops}", r,
                      amount=len(route_stops) - vtype.max_stops))
    if distance > vtype.max_distance + EPS:
        report.violations.append(
            Violation("max_distance", f"route {r} ({vtype.id}) drives {distance:g}, more than "
                      f"{vtype.max_distance:g}", r, amount=distance - vtype.max_distance))
    overtime_cost = vtype.overtime_cost * overtime
    cost = (vtype.fixed_cost + vtype.cost_per_distance * distance
            + vtype.cost_per_time * duration + best.late_cost + overtime_cost)
    return RouteReport(vtype.id, visits, depart, end_time, distance, duration,
                       tuple(peak), cost, breaks=tuple(breaks), lateness_cost=best.late_cost,
                       overtime=overtime, overtime_cost=overtime_cost)


def _forward_slack(waits: list[float], slacks: list[float]) -> float:
    """How long departure can be delayed without any visit starting later (Savelsbergh)."""
    best = sum(waits)
    cumulative = 0.0
    for wait, slack in zip(waits, slacks, strict=True):
        cumulative += wait
        best = min(best, cumulative + slack)
    return max(best, 0.0)
