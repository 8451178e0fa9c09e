"""A CSV of stops (one row per stop) plus a fleet description -> a routecast Problem.

Planners keep their stops in spreadsheets: ``id, lat, lon, demand, window_start,
window_end, service_time``. Times are seconds from the planning origin or clock times
``HH:MM[:SS]`` (seconds from midnight); an empty window bound leaves the window open.
Every cell is checked: a bad one raises :class:`InstanceFormatError` naming the row (as
a spreadsheet numbers it, the header being row 1) and the column. A column routecast
does not know is an error too, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from pydantic import ValidationError

from solver.errors import InstanceFormatError
from solver.problem import (
    Depot,
    HaversineTravel,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)

REQUIRED = ("id", "lat", "lon")
OPTIONAL = ("demand", "window_start", "window_end", "service_time")
ALIASES = {"start": "window_start", "end": "window_end", "tw_start": "window_start",
           "tw_end": "window_end", "service": "service_time", "latitude": "lat",
           "longitude": "lon", "lng": "lon"}


@dataclass(frozen=True)
class Fleet:
    """The fleet form: one depot, identical vehicles, one shift (times as in the CSV)."""

    depot_lat: float
    depot_lon: float
    vehicles: int = 1
    capacity: float = math.inf
    shift_start: str | float = 0.0
    shift_end: str | float = math.inf
    speed: float = 8.0  # meters per second, haversine travel


def parse_time(value: str | float, where: str) -> float:
    """Seconds from a number of seconds or a clock time ``HH:MM[:SS]``."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        try:
            if ":" in text:
                parts = [int(p) for p in text.split(":")]
                if len(parts) not in (2, 3) or not all(0 <= p < 60 for p in parts[1:]):
                    raise ValueError
                seconds = float(parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2
                                                                    else 0))
            else:
                seconds = float(text)
        except ValueError:
            raise InstanceFormatError(f"{where}: {value!r} is not a time (seconds or "
                                      "HH:MM[:SS])") from None
    if math.isnan(seconds) or seconds < 0:
        raise InstanceFormatError(f"{where}: {value!r} must be a non-negative time")
    return seconds


def _number(value: str, where: str, low: float | None = None, high: float | None = None
            ) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InstanceFormatError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number) or (low is not None and number < low) \
            or (high is not None and number > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
        raise InstanceFormatError(f"{where}: {value!r} must be a finite number {bounds}")
    return number


def _columns(header: list[str]) -> list[str]:
    names = []
    for k, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_").replace("-", "_")
        name = ALIASES.get(name, name)
        if name not in REQUIRED + OPTIONAL:
            raise InstanceFormatError(
                f"header, column {k + 1} {raw!r}: unknown column (expected "
                f"{', '.join(REQUIRED + OPTIONAL)})")
        if name in names:
            raise InstanceFormatError(f"header, column {k + 1} {raw!r}: column given twice")
        names.append(name)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InstanceFormatError(f"header: missing column(s) {', '.join(missing)}")
    return names


def _stop(cells: dict[str, str], row: int) -> Stop:
    def at(column: str) -> str:
        return f"row {row}, column {column!r}"

    stop_id = cells["id"].strip()
    if not stop_id:
        raise InstanceFormatError(f"{at('id')}: empty stop id")
    start = cells.get("window_start", "").strip()
    end = cells.get("window_end", "").strip()
    window_start = parse_time(start, at("window_start")) if start else 0.0
    window_end = parse_time(end, at("window_end")) if end else math.inf
    if window_end < window_start:
        raise InstanceFormatError(f"{at('window_end')}: {end!r} closes before the window "
                                  f"opens ({start!r})")
    demand = cells.get("demand", "").strip()
    service = cells.get("service_time", "").strip()
    return Stop(
        id=stop_id,
        location=Location(lat=_number(cells["lat"], at("lat"), -90, 90),
                          lon=_number(cells["lon"], at("lon"), -180, 180)),
        demand=[_number(demand, at("demand"), 0) if demand else 0.0],
        time_windows=[TimeWindow(start=window_start, end=window_end)],
        service_time=parse_time(service, at("service_time")) if service else 0.0,
    )


def read_stops_csv(text: str, fleet: Fleet, name: str = "stops") -> Problem:
    """The Problem of a CSV of stops served from ``fleet`` (haversine travel)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [(k + 1, r) for k, r in enumerate(rows) if any(c.strip() for c in r)]
    if not rows:
        raise InstanceFormatError("the CSV is empty (expected a header: "
                                  f"{', '.join(REQUIRED + OPTIONAL)})")
    names = _columns(rows[0][1])
    stops: list[Stop] = []
    seen: dict[str, int] = {}
    for number, cells in rows[1:]:
        if len(cells) != len(names):
            raise InstanceFormatError(f"row {number}: {len(cells)} cells, the header has "
                                      f"{len(names)}")
        stop = _stop(dict(zip(names, cells, strict=True)), number)
        if stop.id in seen:
            raise InstanceFormatError(f"row {number}, column 'id': stop id {stop.id!r} "
                                      f"already used in row {seen[stop.id]}")
        seen[stop.id] = number
        stops.append(stop)
    if not stops:
        raise InstanceFormatError("the CSV has a header but no stops")
    return _problem(stops, fleet, name)


def _problem(stops: list[Stop], fleet: Fleet, name: str) -> Problem:
    shift = TimeWindow(start=parse_time(fleet.shift_start, "fleet.shift_start"),
                       end=parse_time(fleet.shift_end, "fleet.shift_end"))
    depot_id = "depot"
    while depot_id in {s.id for s in stops}:
        depot_id += "_"
    try:
        return Problem(
            name=name,
            depots=[Depot(id=depot_id, location=Location(lat=fleet.depot_lat,
                                                         lon=fleet.depot_lon),
                          time_window=shift)],
            stops=stops,
            vehicle_types=[VehicleType(id="vehicle", count=fleet.vehicles,
                                       capacity=[fleet.capacity], start_depot=depot_id,
                                       shift=shift)],
            travel=HaversineTravel(speed=fleet.speed),
        )
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InstanceFormatError(f"{loc or 'problem'}: {first['msg']}") from None
