"""A started vehicle under a driving rule: ``driving_since_break`` in the changes
(``POST /v1/jobs/{id}/replan`` and ``routecast replan``) is kept in the day problem and
planned with; a negative value or one above ``max_driving`` is a 422 / exit 2 naming
the field."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from solver.evaluate import evaluate
from solver.problem import Problem
from solver.solution import Solution, with_vehicles
from tests.api.conftest import job_body, tiny_problem, wait_for
from tests.api.replan_day import ENGINE

FIELD = "changes.vehicles[0].driving_since_break"


def _problem() -> dict[str, Any]:
    problem = tiny_problem(6, seed=3, capacity=4, vehicles=2, name="driving-day")
    problem["vehicle_types"][0]["driving"] = {"max_driving": 1000, "break_duration": 60}
    return problem


def _changes(problem: Problem, plan: Solution, since: float | None) -> dict[str, Any]:
    """The first route's vehicle has served its first stop, with ``since`` driven."""
    route = with_vehicles(problem, plan).routes[0]
    vehicle: dict[str, Any] = {"vehicle": route.vehicle, "served": [{"stop": route.stops[0]}]}
    if since is not None:
        vehicle["driving_since_break"] = since
    return {"now": 200, "vehicles": [vehicle]}


def test_the_service_keeps_the_value_and_refuses_bad_ones_by_name(client: TestClient):
    raw = _problem()
    job = client.post("/v1/jobs", json=job_body(raw, **ENGINE)).json()
    done = wait_for(client, job["id"], timeout=120)
    assert done["status"] == "succeeded", done
    problem = Problem.model_validate(raw)
    plan = Solution.model_validate(done["result"]["solution"])
    for bad in (-1, 1000.5):
        r = client.post(f"/v1/jobs/{job['id']}/replan",
                        json={"changes": _changes(problem, plan, bad)})
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == FIELD, r.json()
    r = client.post(f"/v1/jobs/{job['id']}/replan",
                    json={"changes": _changes(problem, plan, 100)})
    assert r.status_code == 202, r.json()
    child = wait_for(client, r.json()["id"], timeout=120)
    assert child["status"] == "succeeded", child
    day = Problem.model_validate(client.get(f"/v1/jobs/{child['id']}/plan").json()["problem"])
    assert day.in_progress.vehicles[0].driving_since_break == 100
    new = Solution.model_validate(child["result"]["solution"])
    report = evaluate(day, new)
    assert report.feasible and report.complete, report.violations


def test_the_cli_exits_2_naming_the_field(tmp_path):
    runner = CliRunner()
    (tmp_path / "p.json").write_text(json.dumps(_problem()))
    solved = runner.invoke(app, ["solve", str(tmp_path / "p.json"), "--engine", "ortools",
                                 "--time-limit", "1", "--out", str(tmp_path / "plan.json")])
    assert solved.exit_code == 0, solved.output
    problem = Problem.model_validate(_problem())
    plan = Solution.model_validate_json((tmp_path / "plan.json").read_text())
    for bad in (-1, 1000.5):
        (tmp_path / "c.json").write_text(json.dumps(_changes(problem, plan, bad)))
        result = runner.invoke(app, ["replan", str(tmp_path / "p.json"),
                                     str(tmp_path / "plan.json"), str(tmp_path / "c.json")])
        assert result.exit_code == 2, result.output
        assert "driving_since_break" in result.output
