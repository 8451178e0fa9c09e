"""Small hand-made problems for the engine tests, one feature each."""

from __future__ import annotations

import random

from solver.problem import (
    Depot,
    EuclideanTravel,
    HaversineTravel,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)


def _loc(rng: random.Random) -> Location:
    return Location(x=float(rng.randint(0, 100)), y=float(rng.randint(0, 100)))


def cvrp(n: int, seed: int = 0, capacity: float = 20.0, count: int = 10) -> Problem:
    """``n`` stops of demand 1..9 around one central depot, rounded distances."""
    rng = random.Random(seed)
    stops = [Stop(id=f"S{k}", location=_loc(rng), demand=[float(rng.randint(1, 9))])
             for k in range(n)]
    return Problem(
        name=f"cvrp{n}",
        depots=[Depot(id="D", location=Location(x=50, y=50))],
        stops=stops,
        vehicle_types=[VehicleType(id="V", count=count, capacity=[capacity], start_depot="D")],
        travel=EuclideanTravel(rounding="round"),
    )


def vrptw(n: int, seed: int = 0, windows: int = 1) -> Problem:
    """Stops with ``windows`` disjoint windows each, service 10, horizon 1000."""
    rng = random.Random(seed)
    stops = []
    for k in range(n):
        start = float(rng.randint(0, 300))
        tws = []
        for _ in range(windows):
            tws.append(TimeWindow(start=start, end=start + rng.randint(30, 120)))
            start = tws[-1].end + rng.randint(50, 200)
        stops.append(Stop(id=f"S{k}", location=_loc(rng), demand=[float(rng.randint(1, 5))],
                          time_windows=tws, service_time=10.0))
    return Problem(
        name=f"vrptw{n}",
        depots=[Depot(id="D", location=Location(x=50, y=50),
                      time_window=TimeWindow(start=0, end=1000))],
        stops=stops,
        vehicle_types=[VehicleType(id="V", count=n, capacity=[30.0], start_depot="D",
                                   shift=TimeWindow(start=0, end=1000))],
    )


def mixed(seed: int = 0) -> Problem:
    """Two depots, two demand dimensions, a fleet mix with costs and limits, skills,
    optional stops, a max duration."""
    rng = random.Random(seed)
    stops = []
    for k in range(14):
        stops.append(Stop(
            id=f"S{k}", location=_loc(rng),
            demand=[float(rng.randint(1, 6)), float(rng.randint(0, 3))],
            service_time=5.0,
            required=k % 5 != 0,
            penalty=float(rng.choice([5, 200])),
            skills=["cold"] if k % 4 == 0 else [],
        ))
    return Problem(
        name="mixed",
        depots=[Depot(id="A", location=Location(x=20, y=20)),
                Depot(id="B", location=Location(x=80, y=70))],
        stops=stops,
        vehicle_types=[
            VehicleType(id="van", count=2, capacity=[15.0, 6.0], start_depot="A",
                        fixed_cost=30.0, cost_per_distance=1.0, cost_per_time=0.1,
                        max_duration=400.0),
            VehicleType(id="truck", count=1, capacity=[30.0, 10.0], start_depot="B",
                        end_depot="A", fixed_cost=80.0, cost_per_distance=1.5,
                        skills=["cold"]),
        ],
    )


def city_day(n: int = 40, seed: int = 0, width: float = 3600.0, count: int = 8):
    """A weekday morning in the synthetic city (surrogate.synthetic): true travel times in
    24 half-hour slices from midnight, so slice 0 is free flow and the 08:00 peak slows
    trips by up to ~2.5x; a 06:00-12:00 shift, ``n`` stops with windows of ``width``
    seconds, ``count`` vans. Returns ``(problem, travel)``; time 0 is Monday 00:00 UTC."""
    import numpy as np

    from solver.travel.base import TravelTensor
    from surrogate.synthetic import SyntheticCity

    city = SyntheticCity(seed=seed, size_m=10_000.0)
    gen = np.random.default_rng(seed)
    points = city.sample_locations(n + 1, gen)
    starts = np.arange(24) * 1800.0
    orig = np.repeat(points, n + 1, axis=0)
    dest = np.tile(points, (n + 1, 1))
    monday = 1_704_067_200.0  # 2024-01-01 00:00 UTC
    duration = np.stack([city.true_travel_time(orig, dest, monday + s).reshape(n + 1, n + 1)
                         for s in starts])
    distance = city.street_distance_m(orig, dest).reshape(n + 1, n + 1)
    shift = TimeWindow(start=21_600.0, end=43_200.0)
    opens = gen.uniform(shift.start, shift.end - width, size=n)
    stops = [Stop(id=f"S{k}", location=Location(lat=points[k + 1, 0], lon=points[k + 1, 1]),
                  demand=[1.0], service_time=300.0,
                  time_windows=[TimeWindow(start=float(o), end=float(o) + width)])
             for k, o in enumerate(opens)]
    problem = Problem(
        name=f"city{n}",
        depots=[Depot(id="D", location=Location(lat=points[0, 0], lon=points[0, 1]),
                      time_window=shift)],
        stops=stops,
        vehicle_types=[VehicleType(id="V", count=count, capacity=[10.0], start_depot="D",
                                   shift=shift, cost_per_distance=0.001, cost_per_time=0.01,
                                   fixed_cost=50.0)],
        travel=HaversineTravel(),  # replaced by the returned tensor
    )
    return problem, TravelTensor(distance, duration, starts)
