"""Breaks of started vehicles: a break taken is frozen, one not taken is placed after now;
what cannot hold is an error naming the item."""

from __future__ import annotations

import pytest

from solver.errors import InvalidProblemError
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.solve import solve_replan
from solver.solution import Solution

LUNCH = {"id": "lunch", "earliest_start": 100, "latest_start": 400, "duration": 60}


def _day(vehicles: list[dict], now: float = 150, driving: dict | None = None) -> dict:
    """Two vans on a line of six stops, a lunch break each; ``vehicles``: started ones."""
    return {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": f"s{i}", "location": {"x": 10.0 * i, "y": 0}, "demand": [1],
                   "service_time": 5} for i in range(1, 7)],
        "vehicle_types": [{"id": "T", "count": 2, "capacity": [10], "start_depot": "D",
                           "vehicle_ids": ["a", "b"], "shift": {"start": 0, "end": 2000},
                           "breaks": [LUNCH], "driving": driving}],
        "travel": {"kind": "euclidean"},
        "in_progress": {"now": now, "vehicles": vehicles,
                        "reference": [{"vehicle": "a", "stops": ["s1", "s2", "s3"]},
                                      {"vehicle": "b", "stops": ["s4", "s5", "s6"]}]}}


A_LUNCHED = {"vehicle": "a", "served": [{"stop": "s1", "arrival": 10, "departure": 15},
                                        {"stop": "s2", "arrival": 25, "departure": 30}],
             "breaks_taken": [{"id": "lunch", "start": 120}]}
B_NOT_YET = {"vehicle": "b", "served": [{"stop": "s4", "arrival": 40, "departure": 45}]}


def test_a_taken_break_is_frozen_and_one_not_taken_comes_after_now():
    """A taken break stays where it was; one not taken yet starts after now (ortools)."""
    day = Problem.model_validate(_day([A_LUNCHED, B_NOT_YET]))
    out = solve_replan(day, SolveOptions(engine="ortools", time_limit=10,
                                         iteration_limit=100))
    report = out.report
    assert report.complete, report.violations
    routes = {r.vehicle: r for r in report.routes}
    plans = {r.vehicle: list(r.stops) for r in out.solution.routes}
    assert plans["a"][:2] == ["s1", "s2"] and plans["b"][:1] == ["s4"]
    (a_lunch,) = routes["a"].breaks
    assert (a_lunch.start, a_lunch.end) == (120, 180)
    # a is free when its lunch ends: nothing after its frozen stops starts before 180
    assert all(v.start >= 180 for v in routes["a"].visits[2:])
    (b_lunch,) = routes["b"].breaks
    assert day.in_progress.now <= b_lunch.start <= LUNCH["latest_start"]
    assert evaluate(day, out.solution).cost == pytest.approx(out.solution.cost)


def test_the_evaluator_reports_a_break_left_out_of_a_started_route():
    """A started vehicle that has not taken its break must take it after now: the
    evaluator places it (or reports it) on the rest of the route, never forgets it."""
    day = Problem.model_validate(_day([B_NOT_YET], now=390))
    plan = {"routes": [{"vehicle": "b", "stops": ["s4", "s5", "s6"]},
                       {"vehicle": "a", "stops": ["s1", "s2", "s3"]}]}
    report = evaluate(day, Solution.model_validate(plan))
    b = next(r for r in report.routes if r.vehicle == "b")
    assert [x.id for x in b.breaks] == ["lunch"]
    assert 390 <= b.breaks[0].start <= LUNCH["latest_start"]


@pytest.mark.parametrize(("vehicle", "now", "message"), [
    ({**B_NOT_YET, "breaks_taken": [{"id": "nap", "start": 100}]}, 150,
     r"breaks_taken\[0\]: break 'nap' is not the next break"),
    ({**B_NOT_YET, "breaks_taken": [{"id": "lunch", "start": 200}]}, 150,
     r"breaks_taken\[0\]\.start: 200 is after now"),
    (B_NOT_YET, 450, r"has not taken break 'lunch', whose latest start 400 is before now"),
])
def test_breaks_that_cannot_be_are_refused_by_name(vehicle, now, message):
    with pytest.raises(ValueError, match=message):
        Problem.model_validate(_day([vehicle], now=now))


def test_a_vehicle_busy_past_its_break_is_an_error_naming_the_break():
    """Driving to a stop it serves until after the break's latest start: no plan can keep
    the break, so the replan says so rather than return a broken plan."""
    busy = {"vehicle": "b", "served": [{"stop": "s4", "arrival": 40, "departure": 45}],
            "next": "s5", "eta": 398}
    day = Problem.model_validate(_day([busy], now=390))
    with pytest.raises(InvalidProblemError, match=r"busy until 403.*break 'lunch'"):
        solve_replan(day, SolveOptions(engine="ortools", time_limit=2))

