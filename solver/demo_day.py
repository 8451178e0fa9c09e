"""A realistic operating day, generated: the example ``instances/day/operating_day.json``.

300 stops around a made-up city, 3 depots, 25 named vans on clock times in
Europe/Berlin: a lunch break and the EU driving rule for every driver, shifts with paid
overtime, route limits (stops and meters), and a mix of hard delivery slots, soft
windows with lateness costs (some capped) and open stops. Deterministic for a seed.

Run ``python -m solver.demo_day [PATH]`` to write it (the default path is the example's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from solver.clock import Clock, parsing_clock
from solver.demo import CITY_CENTER
from solver.problem import (
    Break,
    Depot,
    DrivingRule,
    HaversineTravel,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "instances" / "day" / "operating_day.json"
HOUR = 3600.0
ZONE = "Europe/Berlin"
SLOTS = [("08:00", "10:00"), ("09:00", "12:00"), ("10:00", "13:00"), ("13:00", "16:00"),
         ("14:00", "17:00")]


def operating_day(n_stops: int = 300, seed: int = 11, date: str = "2026-03-30",
                  vans: int = 25) -> Problem:
    """The example day (see the module docstring); larger days want about one van per 12
    stops (the benchmarks of re-planning use 500 and 1,000 stops)."""
    with parsing_clock(Clock.parse(date, ZONE)):  # the parts are written in clock times
        return _build(n_stops, seed, date, vans)


def _build(n_stops: int, seed: int, date: str, vans: int) -> Problem:
    rng = np.random.default_rng(seed)
    lat0, lon0 = CITY_CENTER
    depot_at = {"north": (lat0 + 0.04, lon0 - 0.01), "east": (lat0, lon0 + 0.05),
                "south": (lat0 - 0.04, lon0 - 0.02)}
    depots = [Depot(id=name, location=Location(lat=lat, lon=lon),
                    time_window=TimeWindow(start="06:00", end="20:00"))
              for name, (lat, lon) in depot_at.items()]
    pts = rng.normal(size=(n_stops, 2)) * [0.03, 0.04] + [lat0, lon0]
    stops = []
    for k, (lat, lon) in enumerate(pts):
        kind = rng.choice(["hard", "soft", "capped", "open"], p=[0.3, 0.3, 0.15, 0.25])
        windows = [TimeWindow(start="07:00", end="18:00")]
        extra: dict[str, float] = {}
        if kind != "open":
            a, b = SLOTS[int(rng.integers(len(SLOTS)))]
            windows = [TimeWindow(start=a, end=b)]
        if kind in ("soft", "capped"):
            extra["late_cost"] = float(rng.choice([0.01, 0.02, 0.05]))  # per second late
        if kind == "capped":
            extra["max_lateness"] = float(rng.choice([15, 30])) * 60
        stops.append(Stop(
            id=f"C{k + 1:03d}", location=Location(lat=float(lat), lon=float(lon)),
            demand=[float(rng.integers(1, 12))], time_windows=windows,
            service_time=float(rng.integers(3, 12) * 60), **extra,
        ))
    lunch = Break(id="lunch", earliest_start="11:30", latest_start="13:30", duration=1800)
    rule = DrivingRule(max_driving=4.5 * HOUR, break_duration=1800)
    types = []
    third = vans // 3  # 25 vans: 9 north, 8 east, 8 south
    fleet = [("north", vans - 2 * third, "07:00", "15:30"), ("east", third, "07:30", "16:00"),
             ("south", third, "08:00", "16:30")]
    first = 1
    for depot, count, start, end in fleet:
        types.append(VehicleType(
            id=f"van-{depot}", count=count, capacity=[120], start_depot=depot,
            vehicle_ids=[f"van-{n:02d}" for n in range(first, first + count)],
            shift=TimeWindow(start=start, end=end), fixed_cost=80.0,
            cost_per_distance=0.0005, cost_per_time=25.0 / HOUR,  # 0.50/km, 25/h
            max_overtime=HOUR, overtime_cost=37.5 / HOUR,  # 1.5x the hourly rate
            max_stops=25, max_distance=180_000.0, breaks=[lunch], driving=rule,
        ))
        first += count
    return Problem(name="operating-day", time_origin=date, time_zone=ZONE,
                   depots=depots, stops=stops, vehicle_types=types,
                   travel=HaversineTravel(speed=8.0, detour_factor=1.35))


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(operating_day().to_json(indent=None) + "\n")
    sys.stderr.write(f"wrote {path}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
