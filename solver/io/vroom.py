"""VROOM-style JSON import (https://github.com/VROOM-Project/vroom/blob/master/docs/API.md).

What maps, and how:
- each vehicle becomes a vehicle type of count 1 (id = the vehicle id); its ``start`` /
  ``end`` become depots (one per distinct place); a vehicle without ``end`` returns to
  its start (routecast routes are closed), one without ``start`` starts at its end;
- ``time_window`` -> shift, ``max_travel_time`` -> max duration, ``capacity``, integer
  ``skills`` -> string skills, ``costs.fixed`` / ``per_hour`` / ``per_km`` -> fixed cost,
  cost per second (per_hour / 3600) and per meter (per_km / 1000); VROOM's default cost
  is the travel time, so ``per_hour`` defaults to 3600;
- jobs -> stops (id = the job id): ``delivery`` (or legacy ``amount``) or ``pickup`` as
  demand, ``service`` + ``setup`` as service time, ``time_windows``, ``skills``;
- shipments -> two stops (``pickup-<id>`` and ``delivery-<id>``, as VROOM numbers
  pickups and deliveries apart from jobs) and a ``Shipment`` carrying ``amount``; each
  stop keeps its location, ``service`` + ``setup``, ``time_windows`` and the shipment's
  ``skills``;
- ``matrices`` (the vehicles' one profile) or the legacy ``matrix`` with
  ``location_index`` -> explicit matrix travel; else coordinates ``[lon, lat]`` ->
  haversine travel;
- vehicle ``breaks`` -> breaks (one start window each: ``time_windows`` [[a, b]] ->
  earliest/latest start, ``service`` -> duration), ``max_tasks`` -> max stops,
  ``max_distance`` -> max distance, ``speed_factor`` -> travel durations divided by it
  (one factor for the whole fleet);
- job and shipment ``priority`` (0-100): VROOM serves high priorities first when not
  every job fits; with any priority above 0 every job becomes optional with penalty
  ``PRIORITY_PENALTY`` x (1 + priority), so leaving a job out costs more than any route
  change to serve it, and more the higher its priority;
- ``description`` fields are text only and not kept.
Every other field, and what does not map (several break windows, ``max_load``, mixed
profiles or speed factors, pickup jobs mixed with delivery jobs), is refused with an
error naming it: nothing is dropped silently.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from solver.errors import InvalidProblemError, UnsupportedFeatureError
from solver.problem import (
    Break,
    Depot,
    HaversineTravel,
    Location,
    MatrixTravel,
    NonNegFloat,
    Problem,
    Shipment,
    Stop,
    TimeWindow,
    VehicleType,
)

Coord = tuple[float, float]


PRIORITY_PENALTY = 1e6  # per (1 + priority), above any one job's insertion cost in
#   VROOM's default cost unit (seconds of travel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = None  # text only, not kept


class VroomBreak(_Model):
    id: int = Field(ge=0)
    time_windows: list[tuple[float, float]] = Field(min_length=1)
    service: float = Field(gt=0)  # the break's duration


class VroomCosts(_Model):
    fixed: float = Field(default=0, ge=0)
    per_hour: float = Field(default=3600, ge=0)
    per_km: float = Field(default=0, ge=0)


class VroomVehicle(_Model):
    id: int = Field(ge=0)
    profile: str = "car"
    start: Coord | None = None
    start_index: int | None = Field(default=None, ge=0)
    end: Coord | None = None
    end_index: int | None = Field(default=None, ge=0)
    capacity: list[float] | None = None
    skills: list[int] = Field(default_factory=list)
    time_window: tuple[float, float] | None = None
    costs: VroomCosts = VroomCosts()
    max_travel_time: float | None = Field(default=None, gt=0)
    breaks: list[VroomBreak] = Field(default_factory=list)
    max_tasks: int | None = Field(default=None, ge=1)
    max_distance: float | None = Field(default=None, gt=0)
    speed_factor: float = Field(default=1.0, gt=0, le=5)


class VroomJob(_Model):
    id: int = Field(ge=0)
    location: Coord | None = None
    location_index: int | None = Field(default=None, ge=0)
    setup: float = Field(default=0, ge=0)
    service: float = Field(default=0, ge=0)
    delivery: list[float] | None = None
    pickup: list[float] | None = None
    amount: list[float] | None = None
    skills: list[int] = Field(default_factory=list)
    priority: int = Field(default=0, ge=0, le=100)
    time_windows: list[tuple[float, float]] | None = None


class VroomStep(_Model):
    """A shipment's pickup or delivery."""

    id: int = Field(ge=0)
    location: Coord | None = None
    location_index: int | None = Field(default=None, ge=0)
    setup: float = Field(default=0, ge=0)
    service: float = Field(default=0, ge=0)
    time_windows: list[tuple[float, float]] | None = None


class VroomShipment(_Model):
    pickup: VroomStep
    delivery: VroomStep
    amount: list[NonNegFloat] = Field(default_factory=list)
    skills: list[int] = Field(default_factory=list)
    priority: int = Field(default=0, ge=0, le=100)


class VroomMatrix(_Model):
    durations: list[list[float]] | None = None
    distances: list[list[float]] | None = None


class VroomInput(_Model):
    """The part of VROOM's input that routecast maps (any other key is refused)."""

    vehicles: list[VroomVehicle] = Field(min_length=1)
    jobs: list[VroomJob] = Field(default_factory=list)
    shipments: list[VroomShipment] = Field(default_factory=list)
    matrices: dict[str, VroomMatrix] | None = None
    matrix: list[list[float]] | None = None


def read_vroom(data: dict[str, Any] | str | bytes, name: str = "vroom") -> Problem:
    """A routecast Problem from a VROOM input document (dict or JSON text)."""
    try:
        doc = (VroomInput.model_validate_json(data) if isinstance(data, str | bytes)
               else VroomInput.model_validate(data))
    except ValidationError as err:
        first = err.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            raise UnsupportedFeatureError(f"VROOM field {path!r} cannot be mapped to "
                                          "routecast (refused, not dropped)") from None
        raise InvalidProblemError(first["msg"], path or None) from None
    for k, v in enumerate(doc.vehicles):
        for b, brk in enumerate(v.breaks):
            if len(brk.time_windows) > 1:
                raise UnsupportedFeatureError(f"vehicles[{k}].breaks[{b}].time_windows: "
                                              "one start window per break is supported")
    for field in ("profile", "speed_factor"):
        if len({getattr(v, field) for v in doc.vehicles}) > 1:
            raise UnsupportedFeatureError(f"vehicles[].{field}: vehicles with different "
                                          f"{field}s are not supported")
    matrix = _matrix(doc)
    if matrix is None:
        return _build(doc, name, geo=True)
    return _build(doc, name, geo=False, matrix=matrix)


def _matrix(doc: VroomInput) -> VroomMatrix | None:
    if doc.matrices:
        profile = doc.vehicles[0].profile
        if profile not in doc.matrices:
            raise InvalidProblemError(f"no matrix for the vehicles' profile {profile!r}",
                                      "matrices")
        return doc.matrices[profile]
    if doc.matrix is not None:
        return VroomMatrix(durations=doc.matrix)
    return None


def _demands(doc: VroomInput) -> tuple[list[list[float]], int]:
    kinds = set()
    demands = []
    for j in doc.jobs:
        delivery = j.delivery if j.delivery is not None else j.amount
        has_d = bool(delivery) and any(delivery)  # type: ignore[arg-type]
        has_p = bool(j.pickup) and any(j.pickup)  # type: ignore[arg-type]
        if has_d and has_p:
            raise UnsupportedFeatureError(f"job {j.id}: both pickup and delivery amounts "
                                          "are not supported")
        if has_d or has_p:
            kinds.add("pickup" if has_p else "delivery")
        demands.append(list((j.pickup if has_p else delivery) or []))
    if len(kinds) > 1:
        raise UnsupportedFeatureError("problems mixing pickup jobs and delivery jobs are "
                                      "not supported")
    dims = max([len(d) for d in demands] + [len(v.capacity or []) for v in doc.vehicles]
               + [len(s.amount) for s in doc.shipments] + [1])
    return demands, dims


def _build(doc: VroomInput, name: str, geo: bool, matrix: VroomMatrix | None = None) -> Problem:
    demands, dims = _demands(doc)
    depot_ids: dict[Any, str] = {}
    depots: list[Depot] = []

    def place(coord: Coord | None, index: int | None, what: str) -> Location:
        if geo:
            if coord is None:
                raise InvalidProblemError("a coordinate [lon, lat] is needed without a matrix",
                                          what)
            return Location(lon=coord[0], lat=coord[1])
        if index is None:
            raise InvalidProblemError("a location index is needed with a matrix", what)
        return Location(x=float(index), y=0.0)

    def depot(coord: Coord | None, index: int | None, what: str) -> str:
        key = index if not geo else coord
        if key not in depot_ids:
            depot_ids[key] = f"depot-{len(depots)}"
            depots.append(Depot(id=depot_ids[key], location=place(coord, index, what)))
        return depot_ids[key]

    types = []
    for k, v in enumerate(doc.vehicles):
        what = f"vehicles[{k}]"
        has_start = v.start is not None if geo else v.start_index is not None
        has_end = v.end is not None if geo else v.end_index is not None
        if not has_start and not has_end:
            raise InvalidProblemError("vehicle has neither start nor end", what)
        start = (depot(v.start, v.start_index, what + ".start") if has_start
                 else depot(v.end, v.end_index, what + ".end"))
        end = depot(v.end, v.end_index, what + ".end") if has_end else start
        cap = list(v.capacity or [])
        cap = cap + [math.inf] * (dims - len(cap))
        shift = TimeWindow(start=v.time_window[0], end=v.time_window[1]) if v.time_window \
            else TimeWindow()
        types.append(VehicleType(
            id=str(v.id), count=1, capacity=cap, start_depot=start, end_depot=end,
            shift=shift, fixed_cost=v.costs.fixed, cost_per_time=v.costs.per_hour / 3600.0,
            cost_per_distance=v.costs.per_km / 1000.0,
            max_duration=v.max_travel_time or math.inf,
            skills=[str(s) for s in v.skills],
            breaks=[Break(id=str(b.id), earliest_start=b.time_windows[0][0],
                          latest_start=b.time_windows[0][1], duration=b.service)
                    for b in sorted(v.breaks, key=lambda b: tuple(b.time_windows[0]))],
            max_stops=v.max_tasks,
            max_distance=v.max_distance or math.inf,
        ))
    prioritised = any(j.priority for j in doc.jobs) or any(s.priority for s in doc.shipments)

    def optional(priority: int) -> dict[str, Any]:
        if not prioritised:
            return {}
        return {"required": False, "penalty": PRIORITY_PENALTY * (1 + priority)}
    stops = []
    for k, j in enumerate(doc.jobs):
        demand = demands[k] + [0.0] * (dims - len(demands[k]))
        windows = [TimeWindow(start=a, end=b) for a, b in (j.time_windows or [(0, math.inf)])]
        stops.append(Stop(
            id=str(j.id), location=place(j.location, j.location_index, f"jobs[{k}]"),
            demand=demand, time_windows=windows, service_time=j.service + j.setup,
            skills=[str(s) for s in j.skills], **optional(j.priority),
        ))
    shipments = []
    for k, sh in enumerate(doc.shipments):
        ids = []
        for half in ("pickup", "delivery"):
            step: VroomStep = getattr(sh, half)
            ids.append(f"{half}-{step.id}")
            windows = [TimeWindow(start=a, end=b)
                       for a, b in (step.time_windows or [(0, math.inf)])]
            stops.append(Stop(
                id=ids[-1], location=place(step.location, step.location_index,
                                           f"shipments[{k}].{half}"),
                demand=[0.0] * dims, time_windows=windows,
                service_time=step.service + step.setup, skills=[str(s) for s in sh.skills],
                **optional(sh.priority),
            ))
        amount = list(sh.amount) + [0.0] * (dims - len(sh.amount))
        shipments.append(Shipment(id=f"shipment-{k}", pickup=ids[0], delivery=ids[1],
                                  amount=amount))
    travel: HaversineTravel | MatrixTravel
    speed = doc.vehicles[0].speed_factor
    if geo:
        travel = HaversineTravel(speed=HaversineTravel().speed * speed)
    else:
        assert matrix is not None
        travel = _matrix_travel(doc, matrix, depots, depot_ids, speed)
    try:
        return Problem(name=name, depots=depots, stops=stops, vehicle_types=types,
                       shipments=shipments, travel=travel)
    except ValidationError as err:
        first = err.errors()[0]
        raise InvalidProblemError(first["msg"].removeprefix("Value error, ")) from None


def _matrix_travel(doc: VroomInput, matrix: VroomMatrix, depots: list[Depot],
                   depot_ids: dict[Any, str], speed: float) -> MatrixTravel:
    durations = matrix.durations
    distances = matrix.distances
    base = durations if durations is not None else distances
    if base is None:
        raise InvalidProblemError("a matrix needs durations or distances", "matrices")
    n = len(base)
    refs = [(depot_ids[i], i) for i in depot_ids] + [(str(j.id), j.location_index)
                                                     for j in doc.jobs]
    refs += [(f"{half}-{getattr(sh, half).id}", getattr(sh, half).location_index)
             for sh in doc.shipments for half in ("pickup", "delivery")]
    for ident, idx in refs:
        if idx is None or not 0 <= idx < n:
            raise InvalidProblemError(f"location index {idx} outside the {n} x {n} matrix",
                                      f"location of {ident}")
    for m in (durations, distances):
        if m is not None and (len(m) != n or any(len(row) != n for row in m)):
            raise InvalidProblemError(f"matrices must be square ({n} x {n})", "matrices")
    order = [idx for _, idx in refs]
    pick = lambda m: [[float(m[a][b]) for b in order] for a in order]  # noqa: E731
    # distance drives cost_per_distance; without distances, use durations for both
    return MatrixTravel(
        locations=[ident for ident, _ in refs],
        distance=pick(distances if distances is not None else base),
        duration=_slowed(pick(durations) if durations is not None else None,
                         pick(base), speed),
    )


def _slowed(durations: list[list[float]] | None, base: list[list[float]],
            speed: float) -> list[list[float]] | None:
    """Durations under ``speed_factor`` (the distances stand in for missing durations)."""
    if speed == 1.0:
        return durations
    return [[d / speed for d in row] for row in (durations if durations is not None else base)]
