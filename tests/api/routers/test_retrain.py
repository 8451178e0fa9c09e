"""POST /v1/travel-models/retrain: a champion/challenger job on the key's actuals, through
the real endpoints: a synthetic model trained as a job, days planned as solve jobs, what
the drivers did posted to /v1/jobs/{id}/actuals, then the retrain job."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from solver.actuals.simulate import simulate_actuals
from solver.problem import Problem
from solver.solution import Solution
from surrogate import SyntheticCity
from tests.actuals_days import synthetic_day
from tests.api.conftest import KEY_B, job_body, wait_for
from tests.api.routers.test_travel_models import _train

pytest.importorskip("lightgbm")

CITY = SyntheticCity()  # the city of source=synthetic training (January 2024)
SLOWER = dataclasses.replace(CITY, free_speed_mps=8.0)


def _champion(client) -> str:
    job = _train(client, synthetic_trips=4000, n_estimators=150, n_zones=20)
    assert job["status"] == "succeeded", job
    return str(job["model_id"])


def _drive(client, city: SyntheticCity, days: int) -> int:
    """Plan ``days`` weekdays from 2024-02-05 (fake engine), post the visits as driven in
    ``city``; returns the number of legs kept."""
    legs = 0
    for k in range(days):
        day = f"2024-02-{5 + k + 2 * (k // 5):02d}"  # Monday to Friday
        problem, _ = synthetic_day(CITY, n_stops=40, n_vehicles=3, day=day, seed=k)
        r = client.post("/v1/jobs", json=job_body(json.loads(problem.model_dump_json())))
        assert r.status_code == 202, r.text
        job = wait_for(client, r.json()["id"])
        assert job["status"] == "succeeded", job
        plan = client.get(f"/v1/jobs/{job['id']}/plan").json()
        records = simulate_actuals(Problem.model_validate(plan["problem"]),
                                   Solution.model_validate(plan["solution"]), city, seed=k)
        r = client.post(f"/v1/jobs/{job['id']}/actuals", json={"visits": records})
        assert r.status_code == 200, r.text
        legs += len(r.json()["legs"])
    return legs


def _wait(client, url: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).json()
        if body["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_retrain_is_refused_before_queueing_when_it_cannot_run(client) -> None:
    """No active model: 422 naming the champion; a model but too few actuals: 422 naming
    them; a policy out of bounds: 422 naming the field."""
    r = client.post("/v1/travel-models/retrain")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "champion"
    assert "no travel model is active" in r.json()["detail"]
    _champion(client)
    r = client.post("/v1/travel-models/retrain", json={"margin": 0.05})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "actuals"
    assert "0 actual legs are too few" in r.json()["detail"]
    r = client.post("/v1/travel-models/retrain", json={"margin": 0.9})
    assert r.status_code == 422 and "margin" in r.json()["errors"][0]["path"]


def test_retrain_job_promotes_after_a_traffic_change(client) -> None:
    """Two weeks of slower traffic in the key's actuals: the job's challenger wins on the
    latest legs and becomes the key's active model; the comparison is listed; the other
    key sees neither the job nor the comparison."""
    champion = _champion(client)
    legs = _drive(client, SLOWER, days=6)
    r = client.post("/v1/travel-models/retrain", json={"margin": 0.02})
    assert r.status_code == 202, r.json()
    job = _wait(client, r.json()["links"]["self"])
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["decision"] == "promoted", result["reason"]
    assert result["champion"]["model_id"] == champion
    assert job["model_id"] == result["challenger"]["model_id"] == result["active"]
    assert (result["windows"]["training_actuals"]["n_trips"]
            + result["windows"]["holdout"]["n_trips"]) == legs
    assert result["windows"]["original_trips"]["n_trips"] == 4000
    active = [m for m in client.get("/v1/travel-models").json() if m["active"]]
    assert [m["model_id"] for m in active] == [job["model_id"]]
    listed = client.get("/v1/travel-models/retrain/comparisons").json()
    assert [c["challenger"]["model_id"] for c in listed] == [job["model_id"]]
    assert {"champion_metrics", "challenger_metrics", "windows", "policy", "baseline",
            "baseline_gain", "level_shift"} <= set(listed[0])
    client.headers["Authorization"] = f"Bearer {KEY_B}"
    assert client.get(r.json()["links"]["self"]).status_code == 404
    assert client.get("/v1/travel-models/retrain/comparisons").json() == []
    r = client.post("/v1/travel-models/retrain")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "champion"
