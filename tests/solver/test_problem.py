"""The problem model: validation with field paths, JSON round trip, JSON Schema."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from solver.errors import InvalidProblemError
from solver.io.json import parse_model
from solver.problem import Problem, problem_json_schema
from tests.strategies import invalid_problem_dicts, problems


@given(problems())
def test_json_round_trip(problem):
    """Writing a problem as JSON and reading it back gives the same problem."""
    assert parse_model(Problem, problem.to_json(), "mem") == problem


@given(invalid_problem_dicts())
def test_invalid_problems_raise_a_clear_error_never_a_crash(data):
    """Each planted defect gives InvalidProblemError with a location, nothing else."""
    with pytest.raises(InvalidProblemError) as info:
        parse_model(Problem, json.dumps(data), "bad.json")
    assert str(info.value).startswith("bad.json")


def test_error_names_the_field_path():
    """A negative demand on the second stop is reported at stops[1].demand[0]."""
    data = {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "A", "location": {"x": 1, "y": 1}},
                  {"id": "B", "location": {"x": 1, "y": 2}, "demand": [-1]}],
        "vehicle_types": [{"id": "V", "start_depot": "D"}],
    }
    with pytest.raises(InvalidProblemError, match=r"stops\[1\]\.demand\[0\]"):
        parse_model(Problem, json.dumps(data), "p.json")


def test_mixed_location_kinds_and_wrong_travel_are_rejected():
    """x/y with lat/lon in one problem, or haversine on planar points, are errors."""
    base = {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "A", "location": {"lat": 1, "lon": 1}}],
        "vehicle_types": [{"id": "V", "start_depot": "D"}],
    }
    with pytest.raises(InvalidProblemError, match="all geographic"):
        parse_model(Problem, json.dumps(base), "p.json")
    base["stops"][0]["location"] = {"x": 1, "y": 1}
    base["travel"] = {"kind": "haversine"}
    with pytest.raises(InvalidProblemError, match="lat/lon"):
        parse_model(Problem, json.dumps(base), "p.json")


def test_json_schema_exports():
    """The JSON Schema names the top-level fields integrations fill in."""
    schema = json.loads(problem_json_schema())
    assert {"depots", "stops", "vehicle_types", "travel"} <= set(schema["properties"])
