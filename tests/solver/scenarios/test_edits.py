"""Edits are pure, typed and validated; nonsense is a ScenarioError naming edit and field."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solver.errors import InvalidProblemError
from solver.problem import Problem
from solver.scenarios import EDITS, ScenarioError, apply_edits, apply_travel_edits, parse_edits
from solver.scenarios.ops_stops import merged
from solver.travel import build_travel
from tests.scenario_strategies import edit_lists
from tests.strategies import problems


def edited(problem: Problem, *edits: dict) -> Problem:
    return apply_edits(problem, parse_edits(edits))


def test_every_issue_edit_is_registered():
    """The snake_case edit names the issue lists are all known."""
    assert {"scale_demand", "add_vehicles", "remove_vehicles", "change_capacity",
            "shift_shifts", "extend_shifts", "shift_time_windows", "widen_time_windows",
            "narrow_time_windows", "scale_service_time", "traffic", "travel_model",
            "open_depot", "close_depot", "add_stops", "drop_stops", "change_costs"} <= set(EDITS)


def test_scale_demand_filtered(problem):
    """scale_demand multiplies only the selected stops' demand."""
    out = edited(problem, {"op": "scale_demand", "factor": 2, "stops": ["S1", "S2"]})
    before = {s.id: s.demand[0] for s in problem.stops}
    after = {s.id: s.demand[0] for s in out.stops}
    assert after["S1"] == 2 * before["S1"] and after["S2"] == 2 * before["S2"]
    assert all(after[k] == before[k] for k in before if k not in ("S1", "S2"))


def test_fleet_edits(problem):
    """add/remove/set vehicles change counts; removing all of a type drops the type."""
    assert edited(problem, {"op": "add_vehicles", "count": 2, "type": "van"}
                  ).vehicle_types[0].count == 5
    out = edited(problem, {"op": "remove_vehicles", "count": 1, "type": "truck"})
    assert [v.id for v in out.vehicle_types] == ["van"]
    assert edited(problem, {"op": "set_vehicles", "count": 7, "type": "truck"}
                  ).vehicle_types[1].count == 7


def test_capacity_shifts_and_costs(problem):
    """change_capacity, shift_shifts, extend_shifts and change_costs touch the named type."""
    out = edited(problem,
                 {"op": "change_capacity", "factor": 1.5, "type": "van"},
                 {"op": "shift_shifts", "by": 60, "type": "van"},
                 {"op": "extend_shifts", "by": 100, "type": "van"},
                 {"op": "change_costs", "fixed_cost": 0, "type": "van"})
    van = out.vehicle_types[0]
    assert van.capacity == [15.0] and (van.shift.start, van.shift.end) == (60, 2160)
    assert van.fixed_cost == 0 and out.vehicle_types[1] == problem.vehicle_types[1]


def test_time_window_edits(problem):
    """Windows shift (clipped at 0), widen, and narrow down to their midpoint at most."""
    s0 = lambda p: (p.stops[0].time_windows[0].start, p.stops[0].time_windows[0].end)  # noqa: E731
    assert s0(edited(problem, {"op": "shift_time_windows", "by": -50})) == (0, 350)
    assert s0(edited(problem, {"op": "widen_time_windows", "by": 10})) == (0, 410)
    assert s0(edited(problem, {"op": "narrow_time_windows", "by": 300})) == (200, 200)
    assert math.isinf(edited(problem, {"op": "narrow_time_windows", "by": 9}
                             ).stops[1].time_windows[0].end)


def test_overlapping_windows_are_merged():
    """Widening can make windows overlap; they are merged so the stop stays valid."""
    out = merged([(12, 20), (0, 12), (30, 40)])
    assert [(w.start, w.end) for w in out] == [(0, 20), (30, 40)]


def test_depots(problem):
    """open_depot can station copies of a type there; close_depot moves types away."""
    out = edited(problem, {"op": "open_depot", "id": "D2", "location": {"x": 0, "y": 0},
                           "vehicle_type": "van", "count": 2})
    assert out.vehicle_types[-1].id == "van@D2" and out.vehicle_types[-1].start_depot == "D2"
    out = edited(problem, {"op": "close_depot", "id": "D1", "reassign_to": "D0"})
    assert [d.id for d in out.depots] == ["D0"]
    assert all(v.start_depot == "D0" for v in out.vehicle_types)


def test_add_and_drop_stops_are_seeded(problem):
    """add_stops / drop_stops sample with their seed: same seed, same stops."""
    a = edited(problem, {"op": "add_stops", "count": 4, "seed": 3})
    b = edited(problem, {"op": "add_stops", "count": 4, "seed": 3})
    assert a == b and len(a.stops) == len(problem.stops) + 4
    d = edited(problem, {"op": "drop_stops", "fraction": 0.5, "seed": 1})
    assert len(d.stops) == 6 and d == edited(problem, {"op": "drop_stops", "fraction": 0.5,
                                                       "seed": 1})


@pytest.mark.parametrize(("edit", "where", "words"), [
    ({"op": "scale_demand", "factor": 0}, "edits[0].factor", "greater than 0"),
    ({"op": "add_vehicles", "count": 1, "type": "bus"}, "edits[0].type", "unknown vehicle type"),
    ({"op": "add_vehicles", "count": 1}, "edits[0].type", "several vehicle types"),
    ({"op": "remove_vehicles", "count": 5, "type": "van"}, "edits[0].count", "only 3"),
    ({"op": "close_depot", "id": "D1"}, "edits[0].reassign_to", "name a depot"),
    ({"op": "scale_demand", "factor": 20}, "edits[0]", "exceeds every vehicle capacity"),
    ({"op": "travel_model", "model": "m2"}, "edits[0]", "only learned travel"),
    ({"op": "scale_demand", "factor": 2, "stops": ["nope"]}, "edits[0].stops.ids", "unknown"),
    ({"op": "traffic", "multiplier": 2, "start_hour": 3, "end_hour": 1}, "edits[0]",
     "end_hour"),
    ({"op": "teleport"}, "edits[0].op", "unknown edit"),
])
def test_nonsense_is_a_clear_error(problem, edit, where, words):
    """Each bad edit raises ScenarioError (a ValueError) naming the edit and the field."""
    with pytest.raises(ScenarioError) as info:
        edited(problem, edit)
    assert info.value.path == where and words in str(info.value)
    assert edit["op"] in str(info.value) or edit["op"] == "teleport"


def test_traffic_scales_durations_by_hour(problem):
    """traffic cuts the static tensor at its hours and scales departures inside them."""
    travel = build_travel(problem)
    out = apply_travel_edits(travel, parse_edits(
        [{"op": "traffic", "multiplier": 2, "start_hour": 1, "end_hour": 2}]))
    assert list(out.slice_starts) == [0, 3600, 7200]
    np.testing.assert_allclose(out.duration[1], 2 * travel.duration[0])
    np.testing.assert_allclose(out.duration[[0, 2]], travel.duration[[0, 0]])
    np.testing.assert_array_equal(out.distance, travel.distance)


@given(st.data())
def test_traffic_keeps_fifo(data):
    """After any traffic edits, leaving later never means arriving earlier."""
    from solver.evaluate_legs import travel_time

    problem = data.draw(problems(max_stops=4))
    travel = build_travel(problem)
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.floats(0, 0.2))
        travel = apply_travel_edits(travel, parse_edits([{
            "op": "traffic", "multiplier": data.draw(st.floats(0.2, 5)),
            "start_hour": start, "end_hour": start + data.draw(st.floats(0.01, 0.3))}]))
    t1 = data.draw(st.floats(0, 1500))
    t2 = t1 + data.draw(st.floats(0, 500))
    i, j = 0, travel.distance.shape[0] - 1
    assert t2 + travel_time(travel, i, j, t2) >= t1 + travel_time(travel, i, j, t1) - 1e-6


@given(st.data())
def test_random_edit_lists_give_valid_problems_or_clear_errors(data):
    """Any edit list on any problem yields a valid problem or a ScenarioError with a path;
    the base problem never changes."""
    problem = data.draw(problems(max_stops=6))
    snapshot = problem.model_dump_json()
    raw = data.draw(edit_lists(problem))
    try:
        out = apply_edits(problem, parse_edits(raw))
    except ScenarioError as exc:
        assert isinstance(exc, InvalidProblemError) and exc.path and exc.path.startswith(
            "edits[")
        assert exc.message.split(":")[0] in EDITS
    else:
        assert Problem.model_validate(out.model_dump()) == out
    assert problem.model_dump_json() == snapshot
