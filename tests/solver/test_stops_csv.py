"""The CSV-of-stops import: columns, clock times, defaults, and errors naming row/column."""

from __future__ import annotations

import math

import pytest

from solver.errors import InstanceFormatError
from solver.evaluate import evaluate
from solver.io.stops_csv import Fleet, parse_time, read_stops_csv
from solver.problem import HaversineTravel
from solver.solution import Route, Solution
from solver.travel.build import build_travel

FLEET = Fleet(depot_lat=52.37, depot_lon=4.89, vehicles=2, capacity=10,
              shift_start="07:00", shift_end="18:00")
CSV = """id,lat,lon,demand,window start,window end,service time
a,52.38,4.90,3,08:00,10:30,300
b,52.36,4.88,2,,,120
c,52.37,4.91,0,9:15:30,36000,
"""


def test_reads_stops_fleet_and_clock_times() -> None:
    """Every column lands in the problem; HH:MM is seconds from midnight; blanks are open."""
    problem = read_stops_csv(CSV, FLEET, name="amsterdam")
    assert problem.name == "amsterdam"
    assert [s.id for s in problem.stops] == ["a", "b", "c"]
    a, b, c = problem.stops
    assert (a.location.lat, a.location.lon, a.demand, a.service_time) == (52.38, 4.90, [3.0],
                                                                          300.0)
    assert (a.time_windows[0].start, a.time_windows[0].end) == (8 * 3600, 10.5 * 3600)
    assert (b.time_windows[0].start, b.time_windows[0].end, b.service_time) == (0.0, math.inf,
                                                                                120.0)
    assert c.time_windows[0].start == 9 * 3600 + 15 * 60 + 30 and c.service_time == 0.0
    vt = problem.vehicle_types[0]
    assert (vt.count, vt.capacity, vt.shift.start, vt.shift.end) == (2, [10.0], 25200, 64800)
    assert problem.depots[0].location.lat == 52.37
    assert isinstance(problem.travel, HaversineTravel)


def test_imported_problem_evaluates() -> None:
    """The import is a valid problem: a plan over it is timed by the evaluator."""
    problem = read_stops_csv(CSV, FLEET)
    report = evaluate(problem, Solution(routes=[Route(vehicle_type="vehicle",
                                                      stops=["a", "c", "b"])]),
                      build_travel(problem, None))
    assert report.complete and report.routes[0].visits[0].start >= 8 * 3600


def test_depot_id_never_clashes_with_a_stop() -> None:
    """A stop named 'depot' pushes the depot to another id."""
    problem = read_stops_csv("id,lat,lon\ndepot,52.3,4.8\n", FLEET)
    assert problem.depots[0].id != "depot"


@pytest.mark.parametrize(("text", "message"), [
    ("id,lat,lon\na,95,4.9\n", "row 2, column 'lat'"),
    ("id,lat,lon,demand\na,52,4.9,1\nb,52,4.9,lots\n", "row 3, column 'demand': 'lots'"),
    ("id,lat,lon,window_start\na,52,4.9,25:99\n", "row 2, column 'window_start'"),
    ("id,lat,lon,window_start,window_end\na,52,4.9,10:00,09:00\n", "row 2, column 'window_end'"),
    ("id,lat,lon\na,52,4.9\na,52,4.8\n", "row 3, column 'id': stop id 'a' already used in row 2"),
    ("id,lat,lon\na,52\n", "row 2: 2 cells, the header has 3"),
    ("id,lat,lon,colour\na,52,4.9,red\n", "column 4 'colour': unknown column"),
    ("id,lat\na,52\n", "missing column(s) lon"),
    ("", "the CSV is empty"),
    ("id,lat,lon\n", "no stops"),
    ("id,lat,lon,demand\na,52,4.9,11\n", "exceeds every vehicle capacity"),
])
def test_bad_rows_name_row_and_column(text: str, message: str) -> None:
    """A bad cell, header or row raises an error naming where it is."""
    with pytest.raises(InstanceFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_stops_csv(text, FLEET)


def test_parse_time_rejects_negative_and_garbage() -> None:
    """Times are seconds or HH:MM[:SS]; anything else is an error naming the field."""
    assert parse_time("01:30", "x") == 5400 and parse_time(12.5, "x") == 12.5
    for bad in ("-1", "noon", "1:2:3:4"):
        with pytest.raises(InstanceFormatError, match="^x: "):
            parse_time(bad, "x")
