"""Fixtures for scenario tests: a tiny planar base problem and the fake engine."""

from __future__ import annotations

import pytest

from solver.engines.catalog import load_plugin
from solver.problem import Depot, EuclideanTravel, Location, Problem, Stop, TimeWindow, VehicleType
from tests import fakes

load_plugin(fakes.__name__)  # fake-greedy, fake-slow, fake-broken in this process


def small_problem(n_stops: int = 12) -> Problem:
    """Two depots, two vehicle types, windows on every third stop; hand-sized."""
    stops = [
        Stop(id=f"S{k}", location=Location(x=float((k * 37) % 100), y=float((k * 61) % 100)),
             demand=[float(1 + k % 4)], service_time=5.0,
             time_windows=[TimeWindow(start=0, end=400)] if k % 3 == 0 else [TimeWindow()])
        for k in range(n_stops)
    ]
    return Problem(
        name="small",
        depots=[Depot(id="D0", location=Location(x=50, y=50)),
                Depot(id="D1", location=Location(x=10, y=90))],
        stops=stops,
        vehicle_types=[
            VehicleType(id="van", count=3, capacity=[10], start_depot="D0",
                        shift=TimeWindow(start=0, end=2000), fixed_cost=100),
            VehicleType(id="truck", count=1, capacity=[25], start_depot="D1",
                        cost_per_distance=1.5),
        ],
        travel=EuclideanTravel(rounding="exact"),
    )


@pytest.fixture
def problem() -> Problem:
    """The small base problem."""
    return small_problem()


@pytest.fixture
def engine() -> str:
    """Name of the fast deterministic test engine."""
    return fakes.GREEDY
