"""Operating-day fields of the problem model: clock times, names, breaks, limits."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from solver.problem import Problem, problem_json_schema

BASE = {
    "time_origin": "2026-03-29", "time_zone": "Europe/Berlin",
    "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
    "stops": [{"id": "S", "location": {"x": 1, "y": 1},
               "time_windows": [{"start": "09:00", "end": "11:00"}],
               "late_cost": 0.1, "max_lateness": 600}],
    "vehicle_types": [{"id": "T", "count": 2, "start_depot": "D", "vehicle_ids": ["a", "b"],
                       "shift": {"start": "08:00", "end": "17:00"},
                       "max_overtime": 3600, "overtime_cost": 0.02, "max_stops": 25,
                       "max_distance": 250000,
                       "breaks": [{"id": "lunch", "earliest_start": "12:00",
                                   "latest_start": "14:00", "duration": 1800}],
                       "driving": {"max_driving": 16200, "break_duration": 1800}}],
}


def _with(path: list, value) -> dict:
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DROP = object()


def test_clock_times_become_seconds_once():
    """HH:MM on a DST day becomes real seconds; the model round-trips through JSON."""
    p = Problem.model_validate(BASE)
    assert p.stops[0].time_windows[0].start == 8 * 3600  # 09:00 CEST = 8 h after 00:00 CET
    assert p.vehicle_types[0].shift.start == 7 * 3600
    assert p.vehicle_types[0].breaks[0].earliest_start == 11 * 3600
    assert Problem.model_validate_json(p.to_json()) == p


def test_seconds_still_work_without_origin():
    """Without an origin, numbers are seconds as before."""
    data = _with(["time_origin"], _DROP)
    del data["time_zone"]
    data["stops"][0]["time_windows"] = [{"start": 10, "end": 20}]
    data["vehicle_types"][0]["shift"] = {"start": 0, "end": 10000}
    data["vehicle_types"][0]["breaks"][0].update(earliest_start=100, latest_start=200)
    assert Problem.model_validate(data).stops[0].time_windows[0].end == 20


@pytest.mark.parametrize(("path", "value", "field"), [
    (["vehicle_types", 0, "breaks", 0, "duration"], 90000, "breaks[0].duration"),
    (["time_zone"], "Europe/Atlantis", "time_zone"),
    (["time_origin"], _DROP, "time_zone"),
    (["stops", 0, "late_cost"], -1, "stops.0.late_cost"),
    (["vehicle_types", 0, "max_stops"], 0, "vehicle_types.0.max_stops"),
    (["vehicle_types", 0, "vehicle_ids"], ["a"], "vehicle_ids"),
    (["vehicle_types", 0, "breaks", 0, "latest_start"], "11:00", "latest_start"),
])
def test_bad_input_names_the_field(path, value, field):
    """Each kind of bad operating-day input is refused with an error naming its field."""
    with pytest.raises(ValidationError, match=field.replace("[", r"\[").replace(".", r"\.")):
        Problem.model_validate(_with(path, value))


def test_hhmm_without_origin_names_the_field():
    """A clock time without a time_origin is refused at that field."""
    data = _with(["time_origin"], _DROP)
    del data["time_zone"]
    with pytest.raises(ValidationError) as err:
        Problem.model_validate(data)
    assert "stops.0.time_windows.0.start" in str(err.value)
    assert "time_origin" in str(err.value)


def test_vehicle_names_are_unique_across_types():
    """Two types may not name a vehicle alike (routes are matched by name)."""
    data = copy.deepcopy(BASE)
    data["vehicle_types"].append(dict(data["vehicle_types"][0], id="U"))
    with pytest.raises(ValidationError, match="named twice"):
        Problem.model_validate(data)


def test_schema_documents_the_new_fields_with_examples():
    """The JSON Schema carries each operating-day field with an example."""
    schema = json.loads(problem_json_schema())
    defs = schema["$defs"]
    for model, fields in {
        "VehicleType": ["vehicle_ids", "breaks", "driving", "max_overtime", "overtime_cost",
                        "max_stops", "max_distance"],
        "Stop": ["late_cost", "max_lateness"],
        "Break": ["earliest_start", "latest_start", "duration"],
        "DrivingRule": ["max_driving", "break_duration"],
    }.items():
        for name in fields:
            prop = defs[model]["properties"][name]
            assert "examples" in prop or name == "driving", (model, name)
    assert "examples" in schema["properties"]["time_origin"]
    assert "examples" in defs["TimeWindow"]["properties"]["start"]


def test_learned_travel_departs_at_the_time_origin():
    """Times count from both the origin and the learned travel's departure: they must
    be one instant."""
    data = copy.deepcopy(BASE)
    data["depots"][0]["location"] = {"lat": 45.0, "lon": 7.0}
    data["stops"][0]["location"] = {"lat": 45.01, "lon": 7.01}
    data["travel"] = {"kind": "learned", "departure": "2026-03-29T00:00:00+01:00"}
    assert Problem.model_validate(data).travel.departure.hour == 0
    data["travel"]["departure"] = "2026-03-29T06:00:00+01:00"
    with pytest.raises(ValidationError, match="travel.departure"):
        Problem.model_validate(data)
