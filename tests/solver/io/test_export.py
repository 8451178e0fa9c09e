"""solver/io/export.py: GeoJSON of a plan (routes, points, schedule; [lon, lat])."""

from __future__ import annotations

import pytest

from solver.evaluate import evaluate
from solver.io.export import solution_to_geojson
from solver.io.vroom import read_vroom
from solver.problem import Problem
from solver.solution import Route, Solution, Unassigned
from tests.api.conftest import tiny_problem


def test_geojson_routes_points_and_schedule() -> None:
    """Routes are depot-to-depot LineStrings; stops carry route, sequence and arrival."""
    problem = Problem.model_validate(tiny_problem(3, vehicles=2))
    solution = Solution(routes=[Route(vehicle_type="van", stops=["2", "1"])],
                        unassigned=[Unassigned(stop="3", reason="NO_VEHICLE")])
    report = evaluate(problem, solution)
    geo = solution_to_geojson(problem, solution, report)
    assert geo["type"] == "FeatureCollection" and geo["properties"]["crs"] == "planar"
    line = geo["features"][0]
    assert line["geometry"]["type"] == "LineString"
    depot = [50.0, 50.0]
    assert line["geometry"]["coordinates"][0] == depot == line["geometry"]["coordinates"][-1]
    assert len(line["geometry"]["coordinates"]) == 4
    assert line["properties"]["distance"] == pytest.approx(report.routes[0].distance)
    stops = {f["properties"]["id"]: f["properties"] for f in geo["features"]
             if f["properties"]["kind"] == "stop"}
    assert stops["2"]["sequence"] == 1 and stops["1"]["sequence"] == 2
    assert stops["1"]["arrival"] == pytest.approx(report.routes[0].visits[1].arrival)
    assert stops["3"]["unassigned_reason"] == "NO_VEHICLE" and "route" not in stops["3"]


def test_geojson_geo_coordinates_are_lon_lat() -> None:
    """Geographic problems are written [lon, lat] (RFC 7946)."""
    doc = {"vehicles": [{"id": 1, "start": [2.35, 48.85]}],
           "jobs": [{"id": 5, "location": [2.40, 48.80]}]}
    problem = read_vroom(doc)
    geo = solution_to_geojson(problem, Solution(routes=[Route(vehicle_type="1", stops=["5"])]))
    assert geo["features"][0]["geometry"]["coordinates"][1] == [2.40, 48.80]
    assert geo["properties"]["crs"] == "EPSG:4326"
