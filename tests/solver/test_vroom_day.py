"""VROOM import of operating-day fields: mapped, or refused by name, never dropped."""

from __future__ import annotations

import math

import pytest

from solver.errors import UnsupportedFeatureError
from solver.io.vroom import PRIORITY_PENALTY, read_vroom


def _doc(**vehicle):
    return {
        "vehicles": [{"id": 1, "start_index": 0, "time_window": [0, 36000], **vehicle}],
        "jobs": [{"id": 7, "location_index": 1, "time_windows": [[100, 200]],
                  "priority": 10},
                 {"id": 8, "location_index": 2}],
        "matrices": {"car": {"durations": [[0, 100, 200], [100, 0, 100], [200, 100, 0]]}},
    }


def test_breaks_limits_speed_and_priority_map():
    """breaks, max_tasks, max_distance, speed_factor, priority and windows all map."""
    p = read_vroom(_doc(breaks=[{"id": 3, "time_windows": [[1000, 2000]], "service": 900}],
                        max_tasks=5, max_distance=5000, speed_factor=2.0))
    v = p.vehicle_types[0]
    assert [(b.id, b.earliest_start, b.latest_start, b.duration) for b in v.breaks] == [
        ("3", 1000, 2000, 900)]
    assert (v.max_stops, v.max_distance, v.shift.end) == (5, 5000, 36000)
    assert p.travel.duration[0][2] == 100  # 200 at speed factor 2
    assert p.travel.distance[0][2] == 200
    by_id = {s.id: s for s in p.stops}
    assert by_id["7"].time_windows[0].end == 200
    assert not by_id["7"].required
    assert by_id["7"].penalty == PRIORITY_PENALTY * 11 > by_id["8"].penalty
    assert math.isinf(read_vroom(_doc()).vehicle_types[0].max_distance)


@pytest.mark.parametrize(("vehicle", "field"), [
    ({"steps": []}, "steps"),
    ({"breaks": [{"id": 1, "time_windows": [[0, 1], [5, 6]], "service": 1}]},
     "time_windows"),
    ({"breaks": [{"id": 1, "time_windows": [[0, 1]], "service": 1, "max_load": [3]}]},
     "max_load"),
    ({"unknown_thing": 1}, "unknown_thing"),
])
def test_unmappable_fields_are_refused_by_name(vehicle, field):
    """A field the import cannot map is an error naming it, not a silent drop."""
    with pytest.raises(UnsupportedFeatureError, match=field):
        read_vroom(_doc(**vehicle))


def test_vehicles_with_different_speed_factors_are_refused():
    """One travel model serves the fleet: differing speed factors cannot map."""
    doc = _doc(speed_factor=1.5)
    doc["vehicles"].append({"id": 2, "start_index": 0})
    with pytest.raises(UnsupportedFeatureError, match="speed_factor"):
        read_vroom(doc)
