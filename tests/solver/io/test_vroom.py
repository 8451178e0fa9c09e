"""solver/io/vroom.py: VROOM-style documents read into problems, or refused clearly."""

from __future__ import annotations

import math

import pytest

from solver.errors import InvalidProblemError, UnsupportedFeatureError
from solver.evaluate import evaluate
from solver.io.vroom import read_vroom
from solver.solution import Route, Solution


def test_vroom_coordinates_vehicles_and_jobs() -> None:
    """VROOM vehicles become count-1 types with depots; jobs become stops with windows."""
    doc = {
        "vehicles": [
            {"id": 1, "start": [2.35, 48.85], "end": [2.30, 48.80], "capacity": [10, 2],
             "skills": [3], "time_window": [0, 36000], "costs": {"fixed": 100, "per_km": 500}},
            {"id": 2, "start": [2.35, 48.85], "capacity": [5, 1]},
        ],
        "jobs": [
            {"id": 11, "location": [2.36, 48.86], "delivery": [2, 1], "service": 300,
             "setup": 60, "skills": [3], "time_windows": [[0, 3600], [7200, 9000]]},
            {"id": 12, "location": [2.37, 48.84], "amount": [1]},
        ],
    }
    p = read_vroom(doc)
    assert [d.id for d in p.depots] == ["depot-0", "depot-1"]
    v1, v2 = p.vehicle_types
    assert (v1.id, v1.start_depot, v1.end_depot, v2.end) == ("1", "depot-0", "depot-1", "depot-0")
    assert v1.fixed_cost == 100 and v1.cost_per_distance == 0.5 and v1.cost_per_time == 1.0
    assert v1.skills == ["3"] and v1.shift.end == 36000
    s11, s12 = p.stops
    assert s11.id == "11" and s11.service_time == 360 and len(s11.time_windows) == 2
    assert s12.demand == [1.0, 0.0]
    assert p.travel.kind == "haversine"


def test_vroom_matrix_and_location_indices() -> None:
    """With matrices, location indices select the rows of an explicit matrix."""
    durations = [[0, 5, 7], [5, 0, 3], [7, 3, 0]]
    doc = {"vehicles": [{"id": 0, "start_index": 0, "end_index": 0}],
           "jobs": [{"id": 1, "location_index": 2}, {"id": 2, "location_index": 1}],
           "matrices": {"car": {"durations": durations}}}
    p = read_vroom(doc)
    assert p.travel.kind == "matrix"
    assert p.travel.locations == ["depot-0", "1", "2"]
    assert p.travel.distance == [[0, 7, 5], [7, 0, 3], [5, 3, 0]]
    report = evaluate(p, Solution(routes=[Route(vehicle_type="0", stops=["1", "2"])]))
    assert report.duration == 15 and math.isclose(report.cost, 15)


@pytest.mark.parametrize("doc,error", [
    ({"vehicles": [{"id": 1, "start": [0, 0]}], "shipments": [{"pickup": {}}]},
     InvalidProblemError),
    ({"vehicles": [{"id": 1, "start": [0, 0], "breaks": [{"id": 1}]}]},
     UnsupportedFeatureError),
    ({"vehicles": [{"id": 1, "start": [0, 0]}], "jobs": [
        {"id": 1, "location": [0, 1], "delivery": [1]}, {"id": 2, "location": [1, 1],
                                                         "pickup": [1]}]},
     UnsupportedFeatureError),
    ({"vehicles": []}, InvalidProblemError),
    ({"vehicles": [{"id": 1}]}, InvalidProblemError),
    ({"vehicles": [{"id": 1, "start_index": 0}], "jobs": [{"id": 1, "location_index": 9}],
      "matrix": [[0, 1], [1, 0]]}, InvalidProblemError),
])
def test_vroom_rejects_what_it_cannot_represent(doc, error) -> None:
    """Breaks, mixed pickups/deliveries and malformed documents (a shipment without its
    delivery) are clear errors."""
    with pytest.raises(error):
        read_vroom(doc)
