"""The routecast problem model (Pydantic v2): what a planner sends.

Stops, depots and vehicle types are referred to by their ids, never by position.
Times are seconds from the planning origin (``travel.departure`` for learned travel),
distances are in the travel's unit (meters for haversine, instance units for benchmarks).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

# Finite but absurd values (1e308) overflow to infinity once summed over a route; no real
# coordinate, distance or duration comes near this bound.
MAX_MAGNITUDE = 1e12


def _absent_or_bounded(value: float) -> float:
    """A limit is infinite (absent) or at most MAX_MAGNITUDE (NaN fails ``ge=0`` first)."""
    if value != math.inf and value > MAX_MAGNITUDE:
        raise ValueError(f"must be at most {MAX_MAGNITUDE:g} or Infinity (no limit)")
    return value


NonNegFloat = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Coordinate = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Speed = Annotated[float, Field(ge=1e-6, le=MAX_MAGNITUDE, allow_inf_nan=False)]
DetourFactor = Annotated[float, Field(ge=1.0, le=10.0, allow_inf_nan=False,
                                      description="road / great-circle meters")]
# An upper limit that may be absent: JSON carries it as "Infinity" (a string, valid JSON).
Limit = Annotated[float, Field(ge=0), AfterValidator(_absent_or_bounded)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
# A travel-model id (or "active"): a plain name, never a path, so that it resolves only
# inside the caller's own registry.
MODEL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
DEPARTURE_YEARS = (1900, 2200)  # a horizon past year 9999 cannot even be computed


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")


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

    start: NonNegFloat = 0.0
    end: Limit = math.inf

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

    @model_validator(mode="after")
    def _windows_disjoint(self) -> Stop:
        for a, b in zip(self.time_windows, self.time_windows[1:], strict=False):
            if b.start <= a.end:
                raise ValueError("time windows must be sorted and must not overlap")
        return self


class Shipment(_Frozen):
    """A pickup-and-delivery pair: ``amount`` is loaded at ``pickup`` and unloaded at
    ``delivery``, later on the same route; both stops are served or both left out."""

    id: Id
    pickup: Id  # a Stop id
    delivery: Id  # a Stop id
    amount: list[NonNegFloat] = Field(default_factory=lambda: [0.0])


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
    max_duration: float = Field(default=math.inf, gt=0)
    skills: list[str] = Field(default_factory=list)

    @property
    def end(self) -> str:
        return self.end_depot if self.end_depot is not None else self.start_depot


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
    EuclideanTravel | HaversineTravel | MatrixTravel | LearnedTravel, Field(discriminator="kind")
]


class Problem(_Frozen):
    """A vehicle-routing problem: depots, stops, a fleet and how to travel."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = "problem"
    depots: list[Depot] = Field(min_length=1)
    stops: list[Stop]
    vehicle_types: list[VehicleType] = Field(min_length=1)
    shipments: list[Shipment] = Field(default_factory=list)
    travel: TravelSpec = EuclideanTravel()

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
        return self

    def _check_travel(self, kind: str) -> None:
        travel = self.travel
        if isinstance(travel, EuclideanTravel) and kind != "planar":
            raise ValueError("travel.kind 'euclidean' needs x/y locations; use 'haversine'")
        if isinstance(travel, HaversineTravel | LearnedTravel) and kind != "geo":
            raise ValueError(f"travel.kind {travel.kind!r} needs lat/lon locations")
        if isinstance(travel, MatrixTravel):
            known = {d.id for d in self.depots} | {s.id for s in self.stops}
            missing = known - set(travel.locations)
            if missing:
                raise ValueError(f"travel.locations misses ids {sorted(missing)[:5]}")

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
