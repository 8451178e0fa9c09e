"""Finite extremes and unsafe names are refused by the problem model, naming the field
(issue 14, defects 1 and 7): coordinates and matrix entries of 1e308, a speed of 1e-320,
an infinite detour factor, a departure in 9999, a travel-model id that is a path."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from pydantic import ValidationError

from solver.problem import Problem


def _planar(**travel: Any) -> dict[str, Any]:
    return {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "A", "location": {"x": 3, "y": 4}}],
        "vehicle_types": [{"id": "v", "start_depot": "D"}],
        "travel": travel or {"kind": "euclidean"},
    }


def _geo(**travel: Any) -> dict[str, Any]:
    return {
        "depots": [{"id": "D", "location": {"lat": 40.7, "lon": -74.0}}],
        "stops": [{"id": "A", "location": {"lat": 40.8, "lon": -73.9}}],
        "vehicle_types": [{"id": "v", "start_depot": "D"}],
        "travel": travel,
    }


def _error_paths(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Problem.model_validate_json(json.dumps(doc))
    return [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]


def test_huge_coordinates_are_refused_naming_the_field() -> None:
    """x = 1e308 is finite but overflows every distance: refused at stops.0.location.x."""
    doc = _planar()
    doc["stops"][0]["location"]["x"] = 1e308
    assert any(p.startswith("stops.0.location.x") for p in _error_paths(doc))


def test_huge_matrix_entries_are_refused_naming_the_field() -> None:
    """A 1e308 distance entry is refused at travel.matrix.distance.<row>.<col>."""
    doc = _planar(kind="matrix", locations=["D", "A"], distance=[[0, 1e308], [1, 0]])
    assert any("travel.matrix.distance.0.1" in p for p in _error_paths(doc))


@pytest.mark.parametrize(("field", "value"), [("demand", [1e308]), ("service_time", 1e308),
                                              ("time_windows", [{"start": 0, "end": 1e308}])])
def test_huge_stop_quantities_are_refused(field: str, value: Any) -> None:
    """Demand, service time and window ends of 1e308 are refused at their stop's field."""
    doc = _planar()
    doc["stops"][0][field] = value
    doc["vehicle_types"][0]["capacity"] = [math.inf]
    assert any(p.startswith(f"stops.0.{field}") for p in _error_paths(doc))


def test_infinite_limits_stay_allowed() -> None:
    """An absent limit is Infinity: a window end and a capacity may still be infinite."""
    doc = _planar()
    doc["stops"][0]["time_windows"] = [{"start": 0, "end": "Infinity"}]
    doc["vehicle_types"][0]["capacity"] = ["Infinity"]
    problem = Problem.model_validate_json(json.dumps(doc))
    assert problem.stops[0].time_windows[0].end == math.inf


def test_denormal_speed_is_refused() -> None:
    """speed 1e-320 makes every duration infinite: refused at travel.euclidean.speed."""
    assert any("speed" in p for p in _error_paths(_planar(kind="euclidean", speed=1e-320)))


@pytest.mark.parametrize("kind", ["haversine", "learned"])
def test_infinite_detour_factor_is_refused(kind: str) -> None:
    """detour_factor "Infinity" (valid JSON as a string) is refused for both geo kinds."""
    travel: dict[str, Any] = {"kind": kind, "detour_factor": "Infinity"}
    if kind == "learned":
        travel["departure"] = "2024-03-04T08:00:00Z"
    assert any(p.endswith("detour_factor") for p in _error_paths(_geo(**travel)))


def test_departure_in_year_9999_is_refused() -> None:
    """A departure whose horizon cannot be computed is refused at travel.learned.departure."""
    paths = _error_paths(_geo(kind="learned", departure="9999-12-31T23:00:00Z"))
    assert any(p.endswith("departure") for p in paths)


@pytest.mark.parametrize("model", ["/etc/passwd", "../../key-0123/models/tt-1", "a/b",
                                   ".hidden", "..", ""])
def test_model_ids_that_are_paths_are_refused(model: str) -> None:
    """travel.model is a plain id (or "active"); an absolute or relative path is refused."""
    doc = _geo(kind="learned", departure="2024-03-04T08:00:00Z", model=model)
    assert any(p.endswith("model") for p in _error_paths(doc))


def test_legitimate_values_still_pass() -> None:
    """Large but real values pass: 1e9 coordinates, a slow walker, a 3x detour, 2099."""
    doc = _planar(kind="euclidean", speed=0.001)
    doc["stops"][0]["location"]["x"] = 1e9
    Problem.model_validate_json(json.dumps(doc))
    Problem.model_validate_json(json.dumps(_geo(
        kind="learned", departure="2099-01-01T00:00:00Z", detour_factor=3.0,
        model="tt-0123456789ab")))


@pytest.mark.parametrize(("field", "value"), [
    ("late_cost", 1e308), ("max_lateness", 1e308)])
def test_huge_operating_day_stop_fields_are_refused(field: str, value: float) -> None:
    """The operating day's stop fields share the bounds: 1e308 is refused at the field."""
    doc = _planar()
    doc["stops"][0][field] = value
    assert any(p.startswith(f"stops.0.{field}") for p in _error_paths(doc))


@pytest.mark.parametrize(("field", "value"), [
    ("max_duration", 1e308), ("max_distance", 1e308), ("max_overtime", 1e308),
    ("overtime_cost", 1e308), ("driving", {"max_driving": 1e308, "break_duration": 60}),
    ("breaks", [{"id": "b", "earliest_start": 0, "latest_start": 1e308, "duration": 60}]),
    ("breaks", [{"id": "b", "earliest_start": 0, "latest_start": 10, "duration": 1e308}])])
def test_huge_operating_day_vehicle_fields_are_refused(field: str, value: Any) -> None:
    """Shift limits, overtime, driving rules and breaks of 1e308 are refused at the field
    (max_duration and max_distance stay Infinity when absent)."""
    doc = _planar()
    doc["vehicle_types"][0][field] = value
    assert any(p.startswith(f"vehicle_types.0.{field}") for p in _error_paths(doc))
    del doc["vehicle_types"][0][field]
    vehicle = Problem.model_validate_json(json.dumps(doc)).vehicle_types[0]
    assert vehicle.max_duration == vehicle.max_distance == math.inf
