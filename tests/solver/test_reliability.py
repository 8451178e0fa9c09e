"""On-time probabilities from travel quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from solver.problem import Depot, Location, MatrixTravel, Problem, Stop, TimeWindow, VehicleType
from solver.reliability import on_time_probabilities
from solver.solution import Route, Solution
from solver.travel.base import TravelTensor


def _setup(window_end: float):
    problem = Problem(
        depots=[Depot(id="D", location=Location(x=0, y=0))],
        stops=[Stop(id="A", location=Location(x=1, y=0),
                    time_windows=[TimeWindow(start=0, end=window_end)])],
        vehicle_types=[VehicleType(id="V", start_depot="D")],
        travel=MatrixTravel(locations=["D", "A"], distance=[[0, 1], [1, 0]]),
    )
    med = np.array([[[0, 100.0], [100, 0]]])
    travel = TravelTensor(distance=np.array([[0, 1.0], [1, 0]]), duration=med,
                          slice_starts=np.zeros(1),
                          quantiles={0.1: med * 0.8, 0.9: med * 1.5})
    return problem, Solution(routes=[Route(vehicle_type="V", stops=["A"])]), travel


@pytest.mark.parametrize(("end", "expected"), [(100.0, 0.5), (150.0, 0.9), (80.0, 0.1)])
def test_probability_hits_the_quantiles(end, expected):
    """A window closing at the p50/p90/p10 arrival has probability 0.5/0.9/0.1."""
    problem, solution, travel = _setup(end)
    assert on_time_probabilities(problem, solution, travel)["A"] == pytest.approx(expected, abs=1e-6)


def test_needs_quantiles():
    """Without quantile tensors the function refuses instead of guessing."""
    problem, solution, travel = _setup(100.0)
    with pytest.raises(ValueError, match="p10 and p90"):
        on_time_probabilities(problem, solution, TravelTensor.static(travel.distance))
