"""The embedded demo: a small delivery day in a made-up city (no data needed)."""

from __future__ import annotations

import numpy as np

from solver.problem import (
    Depot,
    HaversineTravel,
    Location,
    Problem,
    Stop,
    TimeWindow,
    TravelSpec,
    VehicleType,
)

# lat, lon: the centre of surrogate.SyntheticCity's default box, so that the demo travel
# model (trained on that city) covers every demo stop.
CITY_CENTER = (45.0, 7.0)
HOUR = 3600.0


def demo_problem(n_stops: int = 60, seed: int = 7, travel: TravelSpec | None = None) -> Problem:
    """Two depots, vans and a truck, morning/afternoon windows, a few optional stops.

    ``travel`` defaults to haversine at 7 m/s; the CLI demo plans on learned travel.
    """
    rng = np.random.default_rng(seed)
    lat0, lon0 = CITY_CENTER
    pts = rng.normal(size=(n_stops, 2)) * [0.025, 0.03] + [lat0, lon0]
    depots = [
        Depot(id="north", location=Location(lat=lat0 + 0.03, lon=lon0 - 0.01),
              time_window=TimeWindow(start=0, end=12 * HOUR)),
        Depot(id="south", location=Location(lat=lat0 - 0.03, lon=lon0 + 0.01),
              time_window=TimeWindow(start=0, end=12 * HOUR)),
    ]
    stops = []
    for k, (lat, lon) in enumerate(pts):
        slot = rng.integers(0, 3)
        windows = [
            [TimeWindow(start=0, end=12 * HOUR)],
            [TimeWindow(start=1 * HOUR, end=4 * HOUR)],
            [TimeWindow(start=0.5 * HOUR, end=2 * HOUR), TimeWindow(start=5 * HOUR, end=7 * HOUR)],
        ][slot]
        stops.append(Stop(
            id=f"S{k + 1:03d}",
            location=Location(lat=float(lat), lon=float(lon)),
            demand=[float(rng.integers(1, 8)), float(rng.integers(0, 3))],
            time_windows=windows,
            service_time=float(rng.integers(3, 10) * 60),
            required=k % 15 != 14,
            penalty=0.0 if k % 15 != 14 else 2_000.0,
            skills=["fridge"] if k % 10 == 3 else [],
        ))
    vehicles = [
        VehicleType(id="van-north", count=4, capacity=[40, 6], start_depot="north",
                    shift=TimeWindow(start=0, end=9 * HOUR), fixed_cost=500,
                    cost_per_distance=0.4, cost_per_time=0.01, skills=["fridge"]),
        VehicleType(id="van-south", count=4, capacity=[40, 6], start_depot="south",
                    shift=TimeWindow(start=0, end=9 * HOUR), fixed_cost=500,
                    cost_per_distance=0.4, cost_per_time=0.01),
        VehicleType(id="truck", count=1, capacity=[120, 20], start_depot="south",
                    shift=TimeWindow(start=0, end=10 * HOUR), fixed_cost=1200,
                    cost_per_distance=0.8, cost_per_time=0.01, max_duration=8 * HOUR),
    ]
    return Problem(name="demo-city", depots=depots, stops=stops, vehicle_types=vehicles,
                   travel=travel or HaversineTravel(speed=7.0, detour_factor=1.35))
