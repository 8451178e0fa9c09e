"""The web app's data endpoints: a job's timed plan, a what-if run's plan, conversion."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from solver.evaluate import evaluate
from solver.problem import Problem
from solver.solution import Solution
from tests.api.conftest import KEY_B, job_body, tiny_problem, wait_for
from tests.api.routers.test_scenarios import batch_body, wait_batch

VRPLIB = """NAME : tiny-vrp
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 0 10
3 10 10
4 10 0
DEMAND_SECTION
1 0
2 3
3 4
4 2
DEPOT_SECTION
1
-1
EOF
"""
FLEET = {"depot_lat": 52.37, "depot_lon": 4.89, "vehicles": 2, "capacity": 5,
         "shift_start": "07:00", "shift_end": "18:00"}


def test_plan_of_a_job_is_timed_by_the_evaluator(client: TestClient) -> None:
    """409 before a solution exists; then the problem, the solution and a schedule whose
    cost and visits are the evaluator's."""
    job = client.post("/v1/jobs", json=job_body(tiny_problem(8))).json()
    early = client.get(f"/v1/jobs/{job['id']}/plan")
    assert early.status_code in (200, 409)
    assert wait_for(client, job["id"])["status"] == "succeeded"
    plan = client.get(f"/v1/jobs/{job['id']}/plan").json()
    problem = Problem.model_validate(plan["problem"])
    solution = Solution.model_validate(plan["solution"])
    report = evaluate(problem, solution)
    assert plan["schedule"]["cost"] == report.cost
    assert [[v["stop"] for v in r["visits"]] for r in plan["schedule"]["routes"]] == [
        r.stops for r in solution.routes]
    assert plan["problem"]["vehicle_types"][0]["max_duration"] == "Infinity"
    assert client.get(f"/v1/jobs/{job['id']}/plan",
                      headers={"Authorization": f"Bearer {KEY_B}"}).status_code == 404


def test_plan_of_each_whatif_run(client: TestClient) -> None:
    """Every run that solved has its plan on its own edited problem; unknown runs 404."""
    batch = client.post("/v1/scenarios", json=batch_body()).json()
    done = wait_batch(client, batch["id"])
    assert done["status"] == "succeeded", done
    for run in done["runs"]:
        r = client.get(f"/v1/scenarios/{batch['id']}/runs/{quote(run['key'], safe='')}/plan")
        assert r.status_code == 200, r.text
        plan = r.json()
        problem = Problem.model_validate(plan["problem"])
        report = evaluate(problem, Solution.model_validate(plan["solution"]))
        assert report.cost == run["total_cost"]
        fleet = sum(v.count for v in problem.vehicle_types)
        assert fleet == (3 if run["variant"] == "one more van" else 2)
    missing = client.get(f"/v1/scenarios/{batch['id']}/runs/{quote('nope#0')}/plan")
    assert missing.status_code == 404


def test_convert_each_format(client: TestClient) -> None:
    """VRPLIB, VROOM and a CSV of stops become routecast JSON; routecast JSON is checked."""
    vrp = client.post("/v1/convert", json={"format": "vrplib", "text": VRPLIB,
                                           "name": "tiny.vrp"})
    assert vrp.status_code == 200, vrp.text
    assert [(s["id"], s["demand"]) for s in vrp.json()["stops"]] == [  # .sol numbering
        ("1", [3.0]), ("2", [4.0]), ("3", [2.0])]
    vroom = client.post("/v1/convert", json={"format": "vroom", "text": (
        '{"vehicles": [{"id": 1, "start": [4.89, 52.37], "capacity": [4]}],'
        ' "jobs": [{"id": 7, "location": [4.9, 52.38], "delivery": [1]}]}')})
    assert vroom.status_code == 200, vroom.text
    assert len(vroom.json()["stops"]) == 1
    csv = client.post("/v1/convert", json={"format": "csv", "fleet": FLEET, "text":
                                           "id,lat,lon,demand\na,52.38,4.9,2\n"})
    assert csv.status_code == 200, csv.text
    assert csv.json()["vehicle_types"][0]["shift"] == {"start": 25200.0, "end": 64800.0}
    again = client.post("/v1/convert", json={"format": "routecast", "text": csv.text})
    assert again.json() == csv.json()


def test_convert_errors_name_the_place(client: TestClient) -> None:
    """A CSV without a fleet, a bad CSV cell and a bad VRPLIB text answer 422 saying where."""
    no_fleet = client.post("/v1/convert", json={"format": "csv", "text": "id,lat,lon\n"})
    assert no_fleet.status_code == 422 and no_fleet.json()["errors"][0]["path"] == "fleet"
    bad = client.post("/v1/convert", json={"format": "csv", "fleet": FLEET,
                                           "text": "id,lat,lon\na,52,4.9\nb,x,4.9\n"})
    assert bad.status_code == 422 and "row 3, column 'lat'" in bad.json()["detail"]
    vrp = client.post("/v1/convert", json={"format": "vrplib", "text": "NAME : x\nnonsense\n",
                                           "name": "mine.vrp"})
    assert vrp.status_code == 422, vrp.text
    assert vrp.json()["detail"].startswith("mine.vrp: not a valid vrplib instance")
    assert client.post("/v1/convert", json={"format": "csv", "text": "x"},
                       headers={"Authorization": ""}).status_code == 401


def test_app_config_tells_auth_and_tiles_without_a_key(client_factory: Any) -> None:
    """The page shell and its config need no key; the tile template is the setting's."""
    plain = client_factory()
    assert plain.get("/app/config.json").json() == {"auth": True, "tiles": None}
    tiles = "https://tiles.example/{z}/{x}/{y}.png"
    tiled = client_factory(map_tiles=tiles, api_keys=[])
    assert tiled.get("/app/config.json").json() == {"auth": False, "tiles": tiles}
    page = tiled.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/js/main.js">' in page.text
