"""`routecast replan PROBLEM PLAN CHANGES.json`: the whole day's plan, or exit 2 naming
the item."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app
from solver.problem import Depot, Location, Problem, Stop, TimeWindow, VehicleType

runner = CliRunner()


def _files(tmp_path):
    problem = Problem(
        depots=[Depot(id="D", location=Location(x=0, y=0))],
        stops=[Stop(id=f"s{i}", location=Location(x=float(i * 7 % 50), y=float(i * 13 % 40)),
                    demand=[1.0], service_time=5, time_windows=[TimeWindow(start=0, end=2000)])
               for i in range(8)],
        vehicle_types=[VehicleType(id="T", count=3, capacity=[4.0], start_depot="D",
                                   vehicle_ids=["a", "b", "c"])])
    (tmp_path / "p.json").write_text(problem.to_json())
    result = runner.invoke(app, ["solve", str(tmp_path / "p.json"), "--engine", "ortools",
                                 "--time-limit", "1", "--out", str(tmp_path / "plan.json")])
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "plan.json").read_text())


def test_replan_keeps_the_frozen_stops_and_serves_the_new_one(tmp_path):
    """A started vehicle keeps its served stop first, the cancelled stop is gone, the new
    stop is served, the unavailable vehicle gets nothing, and the plan is feasible."""
    plan = _files(tmp_path)
    first = plan["routes"][0]
    down = next(r["vehicle"] for r in plan["routes"][1:]) if len(plan["routes"]) > 1 else "c"
    cancelled = plan["routes"][-1]["stops"][-1]
    changes = {"now": 30, "vehicles": [{"vehicle": first["vehicle"],
                                        "served": [{"stop": first["stops"][0]}]}],
               "new_stops": [{"id": "n1", "location": {"x": 20, "y": 20}, "demand": [1]}],
               "cancelled": [cancelled] if cancelled != first["stops"][0] else [],
               "unavailable": [down] if down != first["vehicle"] else [],
               "disruption": {"move_cost": 10}}
    (tmp_path / "c.json").write_text(json.dumps(changes))
    result = runner.invoke(app, ["replan", str(tmp_path / "p.json"), str(tmp_path / "plan.json"),
                                 str(tmp_path / "c.json"), "--engine", "ortools",
                                 "--time-limit", "1", "--out", str(tmp_path / "new.json")])
    assert result.exit_code == 0, result.output
    new = json.loads((tmp_path / "new.json").read_text())
    routes = {r["vehicle"]: r["stops"] for r in new["routes"]}
    assert routes[first["vehicle"]][0] == first["stops"][0]
    served = {s for stops in routes.values() for s in stops}
    assert "n1" in served and not set(changes["cancelled"]) & served
    assert not routes.get(down) or down == first["vehicle"]
    assert new["feasible"] is True


def test_bad_changes_exit_2_naming_the_item(tmp_path):
    """An unknown cancelled stop and an unknown vehicle exit 2 with the item named."""
    _files(tmp_path)
    for changes, named in (({"now": 0, "cancelled": ["nope"]}, "changes.cancelled[0]"),
                           ({"now": 0, "unavailable": ["zz"]}, "unavailable[0]")):
        (tmp_path / "c.json").write_text(json.dumps(changes))
        result = runner.invoke(app, ["replan", str(tmp_path / "p.json"),
                                     str(tmp_path / "plan.json"), str(tmp_path / "c.json")])
        assert result.exit_code == 2
        assert named in result.output
