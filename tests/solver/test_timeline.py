"""Schedules in outputs: breaks as entries of their own, ISO datetimes beside seconds."""

from __future__ import annotations

import csv
import io

from solver.evaluate import evaluate
from solver.io.export import solution_to_geojson
from solver.io.solution import CSV_COLUMNS, solution_to_csv
from solver.problem import Problem
from solver.solution import Route, Solution, with_vehicles
from solver.timeline import with_schedules

DAY = {
    "time_origin": "2026-03-29", "time_zone": "Europe/Berlin",
    "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
    "stops": [{"id": "A", "location": {"x": 3600, "y": 0}, "service_time": 600,
               "time_windows": [{"start": "09:00", "end": "10:00"}]},
              {"id": "B", "location": {"x": 7200, "y": 0},
               "time_windows": [{"start": "12:00", "end": "13:00"}]}],
    "vehicle_types": [{"id": "T", "start_depot": "D", "vehicle_ids": ["van-1"],
                       "shift": {"start": "08:00", "end": "17:00"},
                       "breaks": [{"id": "lunch", "earliest_start": "11:00",
                                   "latest_start": "12:00", "duration": 1800}]}],
}


def _planned():
    problem = Problem.model_validate(DAY)
    solution = Solution(routes=[Route(vehicle="van-1", stops=["A", "B"])])
    report = evaluate(problem, solution)
    return problem, solution, report


def test_solution_schedule_lists_the_break_with_clock_times():
    """The lunch is taken while waiting for B, shown between the visits, in local time."""
    problem, solution, report = _planned()
    assert report.feasible
    schedule = with_schedules(problem, solution, report).routes[0].schedule
    assert [(e.kind, e.id) for e in schedule] == [("stop", "A"), ("break", "lunch"),
                                                  ("stop", "B")]
    lunch = schedule[1]
    assert lunch.end - lunch.start == 1800
    assert schedule[0].start_at == "2026-03-29T09:00:00+02:00"  # 8 h after CET midnight
    assert lunch.start_at.startswith("2026-03-29T1")


def test_csv_adds_break_rows_and_iso_columns_only_when_needed():
    """With a clock and breaks the CSV gains kind and *_at columns; without, it is as
    before."""
    problem, _, report = _planned()
    rows = list(csv.DictReader(io.StringIO(solution_to_csv(report, problem))))
    assert [r["kind"] for r in rows] == ["stop", "break", "stop"]
    assert rows[0]["start_at"] == "2026-03-29T09:00:00+02:00"
    plain = solution_to_csv(report)
    assert plain.splitlines()[0] == ",".join(CSV_COLUMNS) + ",kind"


def test_geojson_route_carries_vehicle_and_schedule():
    """The route feature names its vehicle and lists its schedule, the break included."""
    problem, solution, report = _planned()
    named = with_schedules(problem, with_vehicles(problem, solution), report)
    route = next(f for f in solution_to_geojson(problem, named, report)["features"]
                 if f["properties"]["kind"] == "route")
    assert route["properties"]["vehicle"] == "van-1"
    assert [e["kind"] for e in route["properties"]["schedule"]] == ["stop", "break", "stop"]
