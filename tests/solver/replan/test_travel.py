"""Travel read off one build (``solver.replan.travel``) is the travel a build of the
smaller problem makes: the parent's from the union, the residual's (position depots
included) from the day's."""

from __future__ import annotations

import numpy as np
import pytest

from solver.problem import Problem
from solver.replan.changes import apply_changes, read_changes
from solver.replan.residual import residual_problem
from solver.replan.travel import travel_for, union
from solver.solution import Solution
from solver.travel.build import build_travel


def _parent(travel: dict) -> Problem:
    names = ["D"] + [f"s{i}" for i in range(1, 7)]
    coords = {"D": (0, 0)} | {f"s{i}": (10.0 * i, (i % 3) * 7.0) for i in range(1, 7)}
    if travel["kind"] == "matrix":
        travel = {**travel, "locations": names, "distance": [
            [abs(coords[a][0] - coords[b][0]) + abs(coords[a][1] - coords[b][1]) + (a != b)
             for b in names] for a in names]}
    return Problem.model_validate({
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": s, "location": {"x": coords[s][0], "y": coords[s][1]},
                   "demand": [1]} for s in names[1:]],
        "vehicle_types": [{"id": "T", "count": 2, "start_depot": "D",
                           "vehicle_ids": ["a", "b"]}],
        "travel": travel})


def _same(a, b) -> None:
    assert np.array_equal(a.distance, b.distance)
    assert np.array_equal(a.duration, b.duration)
    assert np.array_equal(a.slice_starts, b.slice_starts)


@pytest.mark.parametrize("travel", [{"kind": "euclidean", "speed": 2.0},
                                    {"kind": "matrix"}])
def test_read_off_one_build_equals_its_own_build(travel):
    parent = _parent(travel)
    plan = Solution.model_validate({"routes": [{"vehicle": "a", "stops": ["s1", "s2", "s3"]},
                                               {"vehicle": "b", "stops": ["s4", "s5", "s6"]}]})
    changes = {"now": 30, "cancelled": ["s3"],
               "vehicles": [{"vehicle": "a", "served": [{"stop": "s1"}]},
                            {"vehicle": "b", "next": "s4", "eta": 45}]}
    if travel["kind"] == "euclidean":
        changes["new_stops"] = [{"id": "n1", "location": {"x": 33, "y": 4}, "demand": [1]}]
    day = apply_changes(parent, plan, read_changes(parent, changes))
    every = union(day, parent)
    assert {s.id for s in every.stops} == {s.id for s in parent.stops} | {
        s.id for s in day.stops}
    built = build_travel(every)
    _same(travel_for(parent, every, built), build_travel(parent))
    day_travel = travel_for(day, every, built)
    _same(day_travel, build_travel(day))
    residual = residual_problem(day, day_travel)
    assert set(residual.positions) == {"@a", "@b"}
    _same(travel_for(residual.problem, day, day_travel, residual.positions),
          build_travel(residual.problem))
