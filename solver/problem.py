"""The routecast problem model (Pydantic v2): what a planner sends.

Stops, depots and vehicle types are referred to by their ids, never by position.
Times are seconds from the planning origin (``travel.departure`` for learned travel);
with a ``time_origin`` they may also be written as clock times (``solver.clock``), which
validation converts to seconds once. Distances are in the travel's unit (meters for
haversine, instance units for benchmarks).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, ModelWrapValidatorHandler, field_validator, model_validator

from solver.clock import Clock, parsing_clock
from solver.fields import (
    MODEL_ID_PATTERN,
    ClockTime,
    Coordinate,
    DetourFactor,
    Id,
    Limit,
    NonNegFloat,
    PositiveFloat,
    PositiveLimit,
    Speed,
    _Frozen,
)
from solver.replan.state import InProgress
from solver.replan.validate import check_in_progress
from solver.td_travel import TimeDependentMatrixTravel

SCHEMA_VERSION = 1
DEPARTURE_YEARS = (1900, 2200)  # a horizon past year 9999 cannot even be computed


class Location(_Frozen):
    """A point: planar ``x``/``y`` (benchmark sets) or ``lat``/``lon`` in degrees."""

    x: Coordinate | None = None
    y: Coordinate | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_kind(self) -> Location:
        planar = self.x is not None and self.y is not None
        geo = self.lat is not None and self.lon is not None
        if planar == geo or (planar and (self.lat is not None or self.lon is not None)):
            raise ValueError("give either x and y, or lat and lon")
        return self

    @property
    def kind(self) -> Literal["planar", "geo"]:
        return "planar" if self.x is not None else "geo"


class TimeWindow(_Frozen):
    """An interval in which service may start."""

    start: ClockTime = 0.0
    end: ClockTime = math.inf

    @model_validator(mode="after")
    def _finite_start(self) -> TimeWindow:
        if not math.isfinite(self.start):
            raise ValueError("start must be finite")
        return self

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end < self.start:
            raise ValueError(f"time window closes ({self.end:g}) before it opens ({self.start:g})")
        return self


class Depot(_Frozen):
    id: Id
    location: Location
    time_window: TimeWindow = TimeWindow()


class Stop(_Frozen):
    """A client to visit. Optional stops (``required=False``) cost ``penalty`` when skipped."""

    id: Id
    location: Location
    demand: list[NonNegFloat] = Field(default_factory=lambda: [0.0])
    time_windows: list[TimeWindow] = Field(default_factory=lambda: [TimeWindow()], min_length=1)
    service_time: NonNegFloat = 0.0
    required: bool = True
    penalty: NonNegFloat = 0.0
    skills: list[str] = Field(default_factory=list)
    late_cost: NonNegFloat = Field(
        default=0.0, description="cost per second of lateness past the last window's end "
        "(soft window); 0 with no max_lateness keeps the window hard", examples=[0.05])
    max_lateness: Limit | None = Field(
        default=None, description="hard limit on lateness, seconds; default: unlimited when "
        "late_cost > 0, else 0", examples=[600])

    @model_validator(mode="after")
    def _windows_disjoint(self) -> Stop:
        for a, b in zip(self.time_windows, self.time_windows[1:], strict=False):
            if b.start <= a.end:
                raise ValueError("time windows must be sorted and must not overlap")
        return self

    @property
    def lateness_limit(self) -> float:
        """How late service may start past the last window's end (0: a hard window)."""
        if self.max_lateness is not None:
            return self.max_lateness
        return math.inf if self.late_cost > 0 else 0.0


class Shipment(_Frozen):
    """A pickup-and-delivery pair: ``amount`` is loaded at ``pickup`` and unloaded at
    ``delivery``, later on the same route; both stops are served or both left out."""

    id: Id
    pickup: Id  # a Stop id
    delivery: Id  # a Stop id
    amount: list[NonNegFloat] = Field(default_factory=lambda: [0.0])


class Break(_Frozen):
    """A driver break of ``duration`` seconds starting in [earliest_start, latest_start]."""

    id: Id
    earliest_start: ClockTime = Field(examples=["12:00"])
    latest_start: ClockTime = Field(examples=["14:00"])
    duration: PositiveFloat = Field(examples=[1800])

    @model_validator(mode="after")
    def _ordered(self) -> Break:
        if self.latest_start < self.earliest_start:
            raise ValueError(f"latest_start ({self.latest_start:g}) is before earliest_start "
                             f"({self.earliest_start:g})")
        if not math.isfinite(self.latest_start):
            raise ValueError("latest_start must be finite")
        return self


class DrivingRule(_Frozen):
    """At most ``max_driving`` seconds of driving between two breaks of at least
    ``break_duration`` seconds (e.g. the EU rule: 4.5 h, then 45 min)."""

    max_driving: PositiveFloat = Field(examples=[16200])
    break_duration: PositiveFloat = Field(examples=[2700])
    driven_at_start: NonNegFloat = Field(
        default=0.0, description="seconds driven since the last qualifying break when the "
        "route starts (a re-planned started vehicle's, from in_progress; at most "
        "max_driving)", examples=[3600])

    @model_validator(mode="after")
    def _within_rule(self) -> DrivingRule:
        if self.driven_at_start > self.max_driving:
            raise ValueError(f"driven_at_start: {self.driven_at_start:g} is above "
                             f"max_driving ({self.max_driving:g})")
        return self


class VehicleType(_Frozen):
    """``count`` identical vehicles starting at ``start_depot``, ending at ``end_depot``."""

    id: Id
    count: int = Field(default=1, ge=1)
    capacity: list[Limit] = Field(default_factory=lambda: [math.inf])
    start_depot: Id
    end_depot: Id | None = None
    shift: TimeWindow = TimeWindow()
    fixed_cost: NonNegFloat = 0.0
    cost_per_distance: NonNegFloat = 1.0
    cost_per_time: NonNegFloat = 0.0
    max_duration: PositiveLimit = math.inf
    skills: list[str] = Field(default_factory=list)
    vehicle_ids: list[Id] | None = Field(
        default=None, description="one name per vehicle (as many as count); routes then "
        "name their vehicle by it, else 'TYPE#k'", examples=[["van-01", "van-02"]])
    breaks: list[Break] = Field(
        default_factory=list, description="breaks every used route takes exactly once, in "
        "this order, while waiting or between two stops (never during a service)",
        examples=[[{"id": "lunch", "earliest_start": "12:00", "latest_start": "13:30",
                    "duration": 1800}]])
    driving: DrivingRule | None = Field(default=None, description="driving-time rule")
    max_overtime: NonNegFloat = Field(
        default=0.0, description="seconds a route may return after its shift end",
        examples=[3600])
    overtime_cost: NonNegFloat = Field(
        default=0.0, description="cost per second of overtime", examples=[0.0125])
    max_stops: int | None = Field(default=None, ge=1, description="stops per route",
                                  examples=[25])
    max_distance: PositiveLimit = Field(default=math.inf, description="distance per route",
                                examples=[250000])

    @model_validator(mode="after")
    def _operating_day(self) -> VehicleType:
        if self.vehicle_ids is not None:
            if len(self.vehicle_ids) != self.count:
                raise ValueError(f"vehicle_ids: {len(self.vehicle_ids)} ids for count "
                                 f"{self.count}")
            if len(set(self.vehicle_ids)) != len(self.vehicle_ids):
                raise ValueError("vehicle_ids: ids must be unique")
        if self.max_overtime > 0 and not math.isfinite(self.shift.end):
            raise ValueError("max_overtime: needs a finite shift.end")
        length = self.shift.end - self.shift.start + self.max_overtime
        seen: set[str] = set()
        for k, b in enumerate(self.breaks):
            if b.id in seen:
                raise ValueError(f"breaks[{k}].id: {b.id!r} used twice")
            seen.add(b.id)
            if b.duration > length:
                raise ValueError(f"breaks[{k}].duration: break {b.id!r} ({b.duration:g} s) "
                                 f"is longer than the shift ({length:g} s)")
            if k and (b.earliest_start < self.breaks[k - 1].earliest_start
                      or b.latest_start < self.breaks[k - 1].latest_start):
                raise ValueError(f"breaks[{k}]: breaks must be listed in time order")
        return self

    @property
    def end(self) -> str:
        return self.end_depot if self.end_depot is not None else self.start_depot

    def vehicle_name(self, k: int) -> str:
        """The name of this type's ``k``-th vehicle (0-based)."""
        return self.vehicle_ids[k] if self.vehicle_ids is not None else f"{self.id}#{k + 1}"


class EuclideanTravel(_Frozen):
    """Planar distances, rounded by a benchmark convention; duration = distance / speed."""

    kind: Literal["euclidean"] = "euclidean"
    rounding: Literal["exact", "round", "dimacs", "ceil"] = "exact"
    speed: Speed = 1.0


class HaversineTravel(_Frozen):
    """Great-circle meters; duration = distance / speed (m/s) x detour factor."""

    kind: Literal["haversine"] = "haversine"
    speed: Speed = Field(default=8.0, description="meters per second")
    detour_factor: DetourFactor = 1.3


class MatrixTravel(_Frozen):
    """Explicit matrices over ``locations`` (depot and stop ids, in matrix order)."""

    kind: Literal["matrix"] = "matrix"
    locations: list[Id]
    distance: list[list[NonNegFloat]]
    duration: list[list[NonNegFloat]] | None = None

    @model_validator(mode="after")
    def _square(self) -> MatrixTravel:
        n = len(self.locations)
        for name in ("distance", "duration"):
            m = getattr(self, name)
            if m is not None and (len(m) != n or any(len(row) != n for row in m)):
                raise ValueError(f"{name} must be a {n} x {n} matrix (one row per location)")
        return self


class LearnedTravel(_Frozen):
    """Durations from a registered travel-time model, per time slice from ``departure``."""

    kind: Literal["learned"] = "learned"
    model: str = Field(default="active", pattern=MODEL_ID_PATTERN,
                       description="a model id of the caller's registry, or 'active'")
    departure: datetime
    slice_minutes: int = Field(default=60, ge=5, le=24 * 60)
    horizon_hours: float = Field(default=24.0, gt=0, le=7 * 24)
    detour_factor: DetourFactor = 1.3
    plan_quantile: Literal[0.9] | None = Field(
        default=None, description="plan on the p90 travel times (robust) instead of the median"
    )

    @field_validator("departure")
    @classmethod
    def _plausible_departure(cls, value: datetime) -> datetime:
        if not DEPARTURE_YEARS[0] <= value.year <= DEPARTURE_YEARS[1]:
            raise ValueError(f"year {value.year} is outside {DEPARTURE_YEARS[0]}-"
                             f"{DEPARTURE_YEARS[1]}")
        return value


TravelSpec = Annotated[
    EuclideanTravel | HaversineTravel | MatrixTravel | LearnedTravel | TimeDependentMatrixTravel,
    Field(discriminator="kind"),
]
# Travel over explicit matrices: no entries for a location the problem gains later.
ExplicitTravel = (MatrixTravel, TimeDependentMatrixTravel)


class Problem(_Frozen):
    """A vehicle-routing problem: depots, stops, a fleet and how to travel."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = "problem"
    time_origin: str | None = Field(
        default=None, description="the instant times count from: an ISO 8601 datetime with "
        "offset, or a date (local midnight in time_zone); times may then be clock times",
        examples=["2026-03-29T00:00:00+01:00", "2026-03-29"])
    time_zone: str | None = Field(
        default=None, description="IANA zone of local 'HH:MM' times and of outputs",
        examples=["Europe/Berlin"])
    depots: list[Depot] = Field(min_length=1)
    stops: list[Stop]
    vehicle_types: list[VehicleType] = Field(min_length=1)
    shipments: list[Shipment] = Field(default_factory=list)
    travel: TravelSpec = EuclideanTravel()
    in_progress: InProgress | None = Field(
        default=None, description="a day under way: now, what each started vehicle has "
        "done, unavailable vehicles, the reference plan, locks and disruption costs "
        "(solver.replan)")

    @model_validator(mode="wrap")
    @classmethod
    def _with_clock(cls, data: object, handler: ModelWrapValidatorHandler[Problem]) -> Problem:
        """Validate with the problem's clock visible to its time fields."""
        clock = None
        if isinstance(data, dict):
            origin, zone = data.get("time_origin"), data.get("time_zone")
            if origin is not None:
                clock = Clock.parse(str(origin), None if zone is None else str(zone))
            elif zone is not None:
                raise ValueError("time_zone: needs a time_origin")
        with parsing_clock(clock):
            return handler(data)

    @property
    def clock(self) -> Clock | None:
        """The problem's clock, when it has a ``time_origin``."""
        if self.time_origin is None:
            return None
        return Clock.parse(self.time_origin, self.time_zone)

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        _check_unique_ids(self)
        depot_ids = {d.id for d in self.depots}
        dims = ({len(s.demand) for s in self.stops} | {len(v.capacity) for v in self.vehicle_types}
                | {len(p.amount) for p in self.shipments})
        if len(dims) > 1:
            raise ValueError(
                "demand, capacity and shipment amount vectors must all have the same length, "
                f"got {sorted(dims)}"
            )
        kinds = {d.location.kind for d in self.depots} | {s.location.kind for s in self.stops}
        if len(kinds) > 1:
            raise ValueError("all locations must be planar (x/y) or all geographic (lat/lon)")
        for k, v in enumerate(self.vehicle_types):
            for field in ("start_depot", "end_depot"):
                ref = getattr(v, field)
                if ref is not None and ref not in depot_ids:
                    raise ValueError(f"vehicle_types[{k}].{field}: unknown depot id {ref!r}")
        self._check_travel(kinds.pop())
        _check_carriable(self)
        _check_shipments(self)
        if self.in_progress is not None:
            check_in_progress(self)
        return self

    def _check_travel(self, kind: str) -> None:
        travel = self.travel
        if isinstance(travel, EuclideanTravel) and kind != "planar":
            raise ValueError("travel.kind 'euclidean' needs x/y locations; use 'haversine'")
        if isinstance(travel, HaversineTravel | LearnedTravel) and kind != "geo":
            raise ValueError(f"travel.kind {travel.kind!r} needs lat/lon locations")
        clock = self.clock
        if isinstance(travel, LearnedTravel) and clock is not None:
            when = travel.departure
            if when.tzinfo is None:
                when = when.replace(tzinfo=clock.zone)
            if when != clock.origin:
                raise ValueError("travel.departure: with a time_origin, learned travel must "
                                 f"depart at it ({clock.origin.isoformat()}), since times "
                                 "count from both")
        if isinstance(travel, ExplicitTravel):
            known = {d.id for d in self.depots} | {s.id for s in self.stops}
            missing = known - set(travel.locations)
            if missing:
                raise ValueError(f"travel.locations misses ids {sorted(missing)[:5]}")
        if isinstance(travel, TimeDependentMatrixTravel) and travel.distance() is None:
            for k, v in enumerate(self.vehicle_types):
                if v.cost_per_distance > 0 or math.isfinite(v.max_distance):
                    raise ValueError(
                        f"vehicle_types[{k}]: prices or bounds distance, but no slice of "
                        "travel gives a distance matrix; give one, or set cost_per_distance "
                        "to 0 and drop max_distance")

    @property
    def n_dims(self) -> int:
        return len(self.vehicle_types[0].capacity)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_defaults=False)


def _check_unique_ids(problem: Problem) -> None:
    seen: dict[str, str] = {}
    for kind, items in (("depot", problem.depots), ("stop", problem.stops)):
        for item in items:
            if item.id in seen:
                raise ValueError(f"{kind} id {item.id!r} already used by a {seen[item.id]}")
            seen[item.id] = kind
    type_ids = [v.id for v in problem.vehicle_types]
    if len(set(type_ids)) != len(type_ids):
        raise ValueError("vehicle type ids must be unique")
    names: set[str] = set()
    for k, v in enumerate(problem.vehicle_types):
        for name in (v.vehicle_name(j) for j in range(v.count)):
            if name in names:
                raise ValueError(f"vehicle_types[{k}].vehicle_ids: vehicle {name!r} is "
                                 "named twice")
            names.add(name)


def _check_carriable(problem: Problem) -> None:
    """A required stop must fit, alone, in at least one vehicle type."""
    for k, stop in enumerate(problem.stops):
        if stop.required and not any(
            all(d <= c for d, c in zip(stop.demand, v.capacity, strict=True))
            for v in problem.vehicle_types
        ):
            raise ValueError(
                f"stops[{k}] ({stop.id!r}): demand {stop.demand} exceeds every vehicle capacity"
            )


def _check_shipments(problem: Problem) -> None:
    """Pairs of distinct known stops, one pair per stop, both halves alike, carriable."""
    stops = {s.id: s for s in problem.stops}
    owner: dict[str, str] = {}
    ids: set[str] = set()
    for k, p in enumerate(problem.shipments):
        where = f"shipments[{k}] ({p.id!r})"
        if p.id in ids:
            raise ValueError(f"{where}: shipment id already used")
        ids.add(p.id)
        if p.pickup == p.delivery:
            raise ValueError(f"{where}: pickup and delivery are the same stop {p.pickup!r}")
        for field in ("pickup", "delivery"):
            ref = getattr(p, field)
            if ref not in stops:
                raise ValueError(f"shipments[{k}].{field}: unknown stop id {ref!r}")
            if ref in owner:
                raise ValueError(f"shipments[{k}].{field}: stop {ref!r} is already in "
                                 f"shipment {owner[ref]!r}")
            owner[ref] = p.id
        pickup, delivery = stops[p.pickup], stops[p.delivery]
        if pickup.required != delivery.required:
            raise ValueError(f"{where}: pickup {pickup.id!r} and delivery {delivery.id!r} must "
                             "both be required or both optional")
        skills = set(pickup.skills) | set(delivery.skills)
        if not any(skills <= set(v.skills)
                   and all(a <= c for a, c in zip(p.amount, v.capacity, strict=True))
                   for v in problem.vehicle_types):
            raise ValueError(f"shipments[{k}].amount: {p.amount} fits no vehicle type with "
                             f"the skills {sorted(skills)} of both stops")


def problem_json_schema() -> str:
    """The JSON Schema of the routecast problem format."""
    return json.dumps(Problem.model_json_schema(), indent=2)
