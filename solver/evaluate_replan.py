"""The evaluator's part for a day in progress (``Problem.in_progress``), kept apart from
``solver.evaluate``, which calls it, and sharing no code with the engines' reduction.

- A started vehicle's route begins with its frozen stops (served, then the one it drives
  to), with their actual times where known (arrival = departure - service, or now, when
  not); the rest of the route starts at its position when it is free there (the stop it
  drives to: served from max(eta, window opening)), never earlier than ``now``, with the
  capacity and stops its route has left (distance and
  duration count the whole route); its duration counts from
  ``departed`` (default the shift start). Its breaks in ``breaks_taken`` are frozen (it
  is free no earlier than the last one ends); the others are placed on the legs of the
  rest of its route. Its driving-rule counter starts at its driving since its last
  qualifying break (``driving_since_break``, or the worst value its times allow:
  ``VehicleState.driven``). An unstarted vehicle leaves no earlier than ``now``. An unavailable vehicle serves nothing beyond its frozen stops.
- Locks hold against the reference (a locked stop left out breaks its lock).
- Disruption: stops served by another vehicle than in the reference (frozen stops aside),
  and per stop with a promised time the shift of its service start; the cost is
  ``move_cost`` per moved stop plus ``eta_cost`` per second later than promised beyond
  ``eta_tolerance`` (earlier starts are reported, not charged).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from solver.evaluate_legs import BreakVisit
from solver.problem import Problem, VehicleType
from solver.solution import Route

SHIFT_BINS = (60.0, 300.0, 900.0, 1800.0, 3600.0)  # seconds, |shift| histogram edges


@dataclass(frozen=True)
class FrozenVisit:
    stop: str
    arrival: float
    start: float
    departure: float


@dataclass(frozen=True)
class RouteStart:
    """Where the plannable rest of one route begins."""

    node: int
    time: float
    departed: float | None  # fixed departure (started vehicles); None: the usual rule
    vtype: VehicleType  # with what the route has left
    rest: list[str]  # the stops after the frozen ones
    frozen: list[FrozenVisit] = field(default_factory=list)
    breaks: list[BreakVisit] = field(default_factory=list)  # taken by ``now`` (frozen)
    distance: float = 0.0  # driven by the frozen part
    violations: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DisruptionReport:
    moved: list[str] = field(default_factory=list)  # served by another vehicle
    shifts: dict[str, float] = field(default_factory=dict)  # start minus promised
    histogram: dict[str, int] = field(default_factory=dict)  # |shift| bins, seconds
    max_shift: float = 0.0  # largest |shift|
    cost: float = 0.0


def route_start(problem: Problem, route: Route, vtype: VehicleType, node: dict[str, int],
                arc_distance) -> RouteStart:
    """The start of ``route``'s plannable rest (see the module docstring)."""
    ip = problem.in_progress
    depot = next(d for d in problem.depots if d.id == vtype.start_depot)
    earliest = max(vtype.shift.start, depot.time_window.start, ip.now)
    state = next((v for v in ip.vehicles if v.vehicle == route.vehicle), None)
    violations = []
    if route.vehicle in ip.unavailable:
        extra = [s for s in route.stops if state is None or s not in state.frozen]
        if extra:
            violations.append(("unavailable", f"vehicle {route.vehicle!r} is unavailable "
                               f"but gets stops {extra[:5]}"))
    if state is None:
        return RouteStart(node[vtype.start_depot], earliest, None, vtype, list(route.stops),
                          violations=violations)
    frozen = state.frozen
    if list(route.stops[:len(frozen)]) != frozen:
        violations.append(("frozen", f"vehicle {route.vehicle!r} must begin with its "
                           f"frozen stops {frozen}, got {list(route.stops[:len(frozen)])}"))
    stops = {s.id: s for s in problem.stops}
    visits, t = [], state.departed if state.departed is not None else vtype.shift.start
    for s in state.served:
        service = stops[s.stop].service_time
        arrival = s.arrival if s.arrival is not None else (
            s.departure - service if s.departure is not None else ip.now)
        departure = s.departure if s.departure is not None else arrival + service
        visits.append(FrozenVisit(s.stop, arrival, arrival, departure))
        t = departure
    free = max(t, ip.now)
    if state.next is not None:
        stop = stops[state.next]
        opening = min((w.start for w in stop.time_windows if w.end >= state.eta),
                      default=state.eta)
        begin = max(state.eta, opening)
        visits.append(FrozenVisit(stop.id, state.eta, begin, begin + stop.service_time))
        free = begin + stop.service_time
    length = {b.id: b.duration for b in vtype.breaks}
    taken = [BreakVisit(b.id, b.start, b.start + length[b.id]) for b in state.breaks_taken]
    free = max([free] + [b.end for b in taken])
    path = [vtype.start_depot] + frozen
    driven = math.fsum(arc_distance(node[a], node[b]) for a, b in zip(path, path[1:],
                                                                        strict=False))
    used = state.load if state.load is not None else [
        math.fsum(stops[s].demand[d] for s in frozen) for d in range(len(vtype.capacity))]
    departed = state.departed if state.departed is not None else vtype.shift.start
    driving = None if vtype.driving is None else vtype.driving.model_copy(
        update={"driven_at_start": state.driven(vtype, stops, ip.now)})
    left = vtype.model_copy(update={
        "capacity": [c - u for c, u in zip(vtype.capacity, used, strict=True)],
        "max_stops": None if vtype.max_stops is None else vtype.max_stops - len(frozen),
        "breaks": vtype.breaks[len(taken):], "driving": driving})
    rest = [s for s in route.stops if s not in frozen]
    return RouteStart(node[frozen[-1]], free, departed, left, rest, visits, taken, driven,
                      violations)


def lock_violations(problem: Problem, routes: list[Route]) -> list[tuple[str, str]]:
    """(stop, message) for every locked stop whose lock the plan breaks."""
    ip = problem.in_progress
    where = {s: (r.vehicle, j) for r in routes for j, s in enumerate(r.stops)}
    out = []
    for k, lock in enumerate(ip.locks):
        name = f"lock {k} ({lock.kind} on {lock.vehicle!r})"
        stops = ip.locked_stops(k)
        places = []
        for sid in stops:
            vehicle, j = where.get(sid, (None, -1))
            if vehicle != lock.vehicle:
                out.append((sid, f"{name}: stop {sid!r} is on "
                            f"{'no route' if vehicle is None else repr(vehicle)}"))
            places.append(j)
        if lock.kind == "assignment" or len(out) and out[-1][1].startswith(name):
            continue
        steps = [b - a for a, b in zip(places, places[1:], strict=False)]
        if any(d <= 0 for d in steps) or (lock.kind == "fixed" and any(d != 1 for d in steps)):
            out.append((stops[0], f"{name}: stops come in the order "
                        f"{sorted(stops, key=lambda s: where[s][1])}"))
        elif lock.kind == "fixed" and lock.stops is None:
            route = next(r for r in routes if r.vehicle == lock.vehicle)
            if list(route.stops) != stops:
                out.append((stops[0], f"{name}: the route changed"))
    return out


def disruption(problem: Problem, routes: list[Route],
               starts: dict[str, float]) -> DisruptionReport:
    """Moves and time shifts against the reference; ``starts``: stop -> service start."""
    ip = problem.in_progress
    frozen = {s for f in ip.frozen().values() for s in f}
    report = DisruptionReport(histogram={_bin(k): 0 for k in range(len(SHIFT_BINS) + 1)})
    promised = ip.promised()
    w = ip.disruption
    late = 0.0
    for r in routes:
        for sid in r.stops:
            if sid in frozen or sid not in promised:
                continue
            vehicle, eta = promised[sid]
            if vehicle != r.vehicle:
                report.moved.append(sid)
            if eta is not None and sid in starts:
                shift = starts[sid] - eta
                report.shifts[sid] = shift
                report.histogram[_bin(sum(abs(shift) >= e for e in SHIFT_BINS))] += 1
                report.max_shift = max(report.max_shift, abs(shift))
                late += max(shift - w.eta_tolerance, 0.0)
    report.cost = w.move_cost * len(report.moved) + w.eta_cost * late
    return report


def _bin(k: int) -> str:
    lo = 0.0 if k == 0 else SHIFT_BINS[k - 1]
    return f"{lo:g}-{SHIFT_BINS[k]:g}" if k < len(SHIFT_BINS) else f"{lo:g}+"
