"""Checking actuals against the plan they executed: rows -> an :class:`ExecutedDay`.

Every row must name a visit of the plan: a stop on one of its routes (and, when the row
names a vehicle, that route's vehicle), or a route's start depot (with its departure) or
end depot (with its arrival), which needs the vehicle. No time may lie before the
route's start (its vehicle's shift start: no vehicle drives before its shift), a
departure may not come before its arrival, a visit may not be reported twice, and two
visits of one vehicle may not overlap. Each failure raises
:class:`~solver.errors.InvalidActualsError` naming the row.

An "arrived at" event (no departure) gets the departure the evaluator's rule gives:
service starts at the opening of the first window not yet closed (or on arrival), and
lasts the stop's service time (``departure_estimated`` says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Literal

from solver.actuals.read import ActualRow
from solver.clock import Clock
from solver.errors import InvalidActualsError
from solver.problem import LearnedTravel, Problem
from solver.solution import Solution, with_vehicles

Kind = Literal["start", "stop", "end"]
#: no reported time lies further after its route's start (a learned horizon is <= 7 days)
MAX_AFTER_START_S = 7 * 86400.0


@dataclass(frozen=True)
class VisitPlace:
    """A visit of the plan: its vehicle, place and where it comes in the route.

    ``position`` is the visit's place in the plan's route: 0 the start depot, 1..k the
    stops, k + 1 the end depot.
    """

    vehicle: str
    place: str
    kind: Kind
    position: int
    lat: float
    lon: float


@dataclass(frozen=True)
class ExecutedVisit(VisitPlace):
    """One reported visit of a route (from the row ``where``); times are UNIX seconds."""

    where: str = ""
    arrival: float | None = None
    departure: float | None = None
    departure_estimated: bool = False

    @property
    def first_time(self) -> float:
        return self.arrival if self.arrival is not None else float(self.departure or 0.0)


@dataclass(frozen=True)
class ExecutedDay:
    """The checked actuals of one plan, by vehicle, each route's visits in time order.

    ``planned_stops`` counts each route's planned stops (to know when a route is fully
    reported); ``breaks_after`` holds the plan positions after which the plan put a
    driver break (None: the route has breaks but the plan carries no schedule).
    """

    tz: str
    routes: dict[str, list[ExecutedVisit]]
    planned_stops: dict[str, int]
    breaks_after: dict[str, frozenset[int] | None] = field(default_factory=dict)

    @property
    def visits(self) -> list[ExecutedVisit]:
        return [v for route in self.routes.values() for v in route]


def plan_clock(problem: Problem) -> Clock:
    """The clock that places the plan's seconds in time: its ``time_origin``, else its
    learned travel's departure (which needs a UTC offset)."""
    clock = problem.clock
    if clock is not None:
        return clock
    travel = problem.travel
    if isinstance(travel, LearnedTravel) and travel.departure.tzinfo is not None:
        return Clock(origin=travel.departure.astimezone(UTC), zone=travel.departure.tzinfo)
    raise InvalidActualsError(
        "the plan has no clock: give its problem a time_origin (or learned travel with a "
        "departure carrying a UTC offset), so that actual times can be placed", "plan")


def zone_name(clock: Clock) -> str:
    """The clock's zone as pandas reads it (an IANA key, or a fixed offset)."""
    key = getattr(clock.zone, "key", None)
    if key:
        return str(key)
    offset = clock.origin.astimezone(clock.zone).utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class _Planned(VisitPlace):
    service: float = 0.0
    windows: tuple[tuple[float, float], ...] = ()


def _plan_index(problem: Problem, solution: Solution
                ) -> tuple[dict[str, _Planned], dict[tuple[str, str, Kind], _Planned],
                           dict[str, float], dict[str, int], dict[str, frozenset[int] | None]]:
    """Stops by id, depot visits by (vehicle, depot, kind), shift start, planned stop
    count and break positions by vehicle."""
    stops = {s.id: s for s in problem.stops}
    depots = {d.id: d for d in problem.depots}
    types = {v.id: v for v in problem.vehicle_types}
    by_stop: dict[str, _Planned] = {}
    by_depot: dict[tuple[str, str, Kind], _Planned] = {}
    start: dict[str, float] = {}
    planned: dict[str, int] = {}
    breaks: dict[str, frozenset[int] | None] = {}
    for route in with_vehicles(problem, solution).routes:
        vtype = types.get(route.vehicle_type or "")
        if vtype is None or route.vehicle is None:
            raise InvalidActualsError(f"route of vehicle {route.vehicle!r} names no vehicle "
                                      "type of the problem", "plan")
        name = route.vehicle
        start[name] = vtype.shift.start
        planned[name] = len(route.stops)
        ends: tuple[tuple[Kind, str, int], ...] = (
            ("start", vtype.start_depot, 0), ("end", vtype.end, len(route.stops) + 1))
        for kind, depot_id, pos in ends:
            loc = depots[depot_id].location
            by_depot[(name, depot_id, kind)] = _Planned(
                name, depot_id, kind, pos, float(loc.lat or 0.0), float(loc.lon or 0.0))
        for pos, sid in enumerate(route.stops, start=1):
            s = stops.get(sid)
            if s is None:
                raise InvalidActualsError(f"route of vehicle {name!r} visits {sid!r}, which "
                                          "is no stop of the problem", "plan")
            if sid in by_stop:
                raise InvalidActualsError(f"the plan visits stop {sid!r} twice (vehicles "
                                          f"{by_stop[sid].vehicle!r} and {name!r})", "plan")
            by_stop[sid] = _Planned(name, sid, "stop", pos, float(s.location.lat or 0.0),
                                    float(s.location.lon or 0.0), s.service_time,
                                    tuple((w.start, w.end) for w in s.time_windows))
        breaks[name] = _break_positions(route.schedule) if vtype.breaks else frozenset()
    return by_stop, by_depot, start, planned, breaks


def _break_positions(schedule: Sequence[object] | None) -> frozenset[int] | None:
    """Plan positions after which a break was scheduled (0: before the first stop)."""
    if schedule is None:
        return None
    out, pos = set(), 0
    for entry in schedule:
        if getattr(entry, "kind", None) == "break":
            out.add(pos)
        else:
            pos += 1
    return frozenset(out)


def _service_end(arrival: float, p: _Planned) -> float:
    """The evaluator's rule: start at the first window not yet closed, then serve."""
    opens = next((a for a, b in p.windows if b >= arrival), arrival)
    return max(arrival, opens) + p.service


def check_actuals(problem: Problem, solution: Solution, rows: Sequence[ActualRow]
                  ) -> ExecutedDay:
    """The rows checked against the plan, as executed visits in UNIX seconds.

    Parameters
    ----------
    problem, solution
        The plan the routes executed (the job's problem and its solution).
    rows
        From :func:`~solver.actuals.read_actuals_csv` or ``read_actuals_records``, times
        in seconds from the plan's origin (:func:`plan_clock`).

    Raises
    ------
    InvalidActualsError
        Naming the row: an unknown stop or vehicle, a depot row without its vehicle, a
        visit given twice, a time before the route's start (or over 7 days after it),
        a departure before its arrival, two overlapping visits of one vehicle.
    """
    if any(s.location.lat is None for s in problem.stops):
        raise InvalidActualsError("actuals need lat/lon locations (training trips are "
                                  "geographic)", "plan")
    clock = plan_clock(problem)
    origin = clock.origin.timestamp()
    by_stop, by_depot, shift_start, planned, breaks = _plan_index(problem, solution)
    seen: dict[tuple[str, str, Kind], str] = {}
    routes: dict[str, list[ExecutedVisit]] = {}
    for row in rows:
        p = _match(row, by_stop, by_depot, shift_start)
        key = (p.vehicle, p.place, p.kind)
        if key in seen:
            raise InvalidActualsError(f"{_label(p)} is already given in {seen[key]}",
                                      row.where)
        seen[key] = row.where
        for name, t in (("arrival", row.arrival), ("departure", row.departure)):
            start = shift_start[p.vehicle]
            if t is not None and t < start:
                raise InvalidActualsError(
                    f"{name} {_show(clock, t)} is before the route's start "
                    f"({clock.iso(start)}, vehicle {p.vehicle!r})", row.where)
            if t is not None and t > start + MAX_AFTER_START_S:
                raise InvalidActualsError(
                    f"{name} {_show(clock, t)} is more than 7 days after the route's start "
                    f"({clock.iso(start)}, vehicle {p.vehicle!r})", row.where)
        if row.arrival is not None and row.departure is not None \
                and row.departure < row.arrival:
            raise InvalidActualsError(f"departure {clock.iso(row.departure)} is before its "
                                      f"arrival {clock.iso(row.arrival)}", row.where)
        departure, estimated = row.departure, False
        if departure is None and p.kind == "stop" and row.arrival is not None:
            departure, estimated = _service_end(row.arrival, p), True
        routes.setdefault(p.vehicle, []).append(ExecutedVisit(
            p.vehicle, p.place, p.kind, p.position, p.lat, p.lon, row.where,
            None if row.arrival is None else origin + row.arrival,
            None if departure is None else origin + departure, estimated))
    for visits in routes.values():
        visits.sort(key=lambda v: (v.first_time, v.position))
        _check_no_overlap(visits, clock, origin)
    return ExecutedDay(zone_name(clock), routes, planned, breaks)


def _show(clock: Clock, t: float) -> str:
    """A time for a message: ISO 8601, or seconds when no calendar date holds it."""
    try:
        return clock.iso(t)
    except (OverflowError, ValueError):
        return f"{t:g} s from the plan's origin"


def _label(p: _Planned) -> str:
    if p.kind == "stop":
        return f"stop {p.place!r}"
    return f"the {p.kind} depot {p.place!r} of vehicle {p.vehicle!r}"


def _match(row: ActualRow, by_stop: dict[str, _Planned],
           by_depot: dict[tuple[str, str, Kind], _Planned],
           shift_start: dict[str, float]) -> _Planned:
    """The planned visit a row reports."""
    if row.vehicle is not None and row.vehicle not in shift_start:
        raise InvalidActualsError(f"unknown vehicle {row.vehicle!r}: no route of the plan "
                                  "drives it", row.where)
    p = by_stop.get(row.stop)
    if p is not None:
        if row.vehicle is not None and row.vehicle != p.vehicle:
            raise InvalidActualsError(f"stop {row.stop!r} is on vehicle {p.vehicle!r} in "
                                      f"the plan, not {row.vehicle!r}", row.where)
        return p
    if not any(place == row.stop for _, place, _ in by_depot):
        raise InvalidActualsError(f"unknown stop {row.stop!r}: not on any route of the "
                                  "plan", row.where)
    if row.vehicle is None:
        raise InvalidActualsError(f"depot {row.stop!r}: a depot row needs its vehicle",
                                  row.where)
    if row.departure is not None and row.arrival is None:
        kind: Kind = "start"
    elif row.arrival is not None and row.departure is None:
        kind = "end"
    else:
        raise InvalidActualsError(f"depot {row.stop!r}: give the departure from the start "
                                  "depot or the arrival at the end depot, in separate rows",
                                  row.where)
    p = by_depot.get((row.vehicle, row.stop, kind))
    if p is None:
        raise InvalidActualsError(f"depot {row.stop!r} is not the {kind} depot of vehicle "
                                  f"{row.vehicle!r}", row.where)
    return p


def _check_no_overlap(visits: Sequence[ExecutedVisit], clock: Clock, origin: float) -> None:
    """A vehicle is at one place at a time: a reported departure after the next visit's
    first reported time is an error naming the later row."""
    for a, b in zip(visits, visits[1:], strict=False):
        if a.departure is not None and not a.departure_estimated \
                and b.first_time < a.departure:
            raise InvalidActualsError(
                f"{b.place!r} at {clock.iso(b.first_time - origin)} overlaps the visit to "
                f"{a.place!r} ({a.where}, left at {clock.iso(a.departure - origin)})", b.where)
