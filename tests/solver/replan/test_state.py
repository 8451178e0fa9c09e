"""in_progress validation: every error names the item; clock times read as elsewhere."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from solver.problem import Depot, Location, Problem, Stop, VehicleType


def _day(in_progress: dict, **extra) -> Problem:
    return Problem.model_validate({
        "depots": [Depot(id="D", location=Location(x=0, y=0)).model_dump()],
        "stops": [Stop(id=f"s{i}", location=Location(x=i, y=0), demand=[1]).model_dump()
                  for i in range(4)],
        "vehicle_types": [VehicleType(id="T", count=2, capacity=[3], start_depot="D",
                                      vehicle_ids=["a", "b"]).model_dump()],
        "in_progress": in_progress, **extra})


REF = [{"vehicle": "a", "stops": ["s0", "s1"]}, {"vehicle": "b", "stops": ["s2", "s3"]}]


@pytest.mark.parametrize(("in_progress", "message"), [
    ({"now": 10, "vehicles": [{"vehicle": "zz", "served": [{"stop": "s0"}]}]},
     "vehicles[0].vehicle: unknown vehicle 'zz'"),
    ({"now": 10, "vehicles": [{"vehicle": "a", "served": [{"stop": "nope"}]}]},
     "served[0]: unknown stop 'nope'"),
    ({"now": 10, "vehicles": [{"vehicle": "a", "served": [{"stop": "s0", "arrival": 20}]}]},
     "served[0].arrival: stop 's0' at 20, after now (10)"),
    ({"now": 10, "vehicles": [{"vehicle": "a", "served": [{"stop": "s0"}]},
                              {"vehicle": "b", "served": [{"stop": "s0"}]}]},
     "stop 's0' is frozen on 'a' and on 'b'"),
    ({"now": 10, "vehicles": [{"vehicle": "a", "next": "s1", "eta": 5}]},
     "vehicles[0].eta: 5 is before now (10)"),
    ({"now": 10, "vehicles": [{"vehicle": "a", "served": [{"stop": "s0"}], "load": [4]}]},
     "vehicles[0].load"),
    ({"now": 10, "unavailable": ["zz"]}, "unavailable[0]: unknown vehicle 'zz'"),
    ({"now": 10, "reference": REF, "unavailable": ["a"],
      "locks": [{"kind": "assignment", "vehicle": "a"}]},
     "locks[0] (assignment on 'a'): vehicle 'a' is unavailable"),
    ({"now": 10, "reference": REF, "locks": [{"kind": "fixed", "vehicle": "a",
                                              "stops": ["s2"]}]},
     "locks[0] (fixed on 'a'): stop 's2' is on 'b' in the reference plan"),
    ({"now": 10, "reference": REF, "locks": [{"kind": "sequence", "vehicle": "a"},
                                             {"kind": "assignment", "vehicle": "a",
                                              "stops": ["s1"]}]},
     "locks[1] (assignment on 'a'): stop 's1' is already in lock 0"),
    ({"now": 10, "reference": [{"vehicle": "a", "stops": ["s0", "gone"]}]},
     "reference[0].stops: unknown stop 'gone'"),
])
def test_errors_name_the_item(in_progress, message):
    """Unknown stops and vehicles, times after now, double freezes and infeasible or
    contradictory locks are refused with a message naming the item."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        _day(in_progress)


def test_now_and_actual_times_read_clock_times():
    """With a time_origin, now and actual times may be HH:MM, converted to seconds."""
    day = _day({"now": "10:30", "vehicles": [
        {"vehicle": "a", "served": [{"stop": "s0", "arrival": "10:00"}]}]},
        time_origin="2026-03-29T08:00:00+02:00")
    assert day.in_progress.now == 2.5 * 3600
    assert day.in_progress.vehicles[0].served[0].arrival == 2 * 3600
