"""End to end through a real `routecast serve`: train a travel model, plan a week and a
day, post what the drivers really did on 1.8x slower streets, retrain (a job): the
challenger is promoted, becomes the active model, and the comparison is listed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from solver.actuals.simulate import simulate_actuals
from solver.problem import Problem
from solver.solution import Solution
from tests.actuals_days import synthetic_day
from tests.api.conftest import job_body
from tests.api.test_e2e import Server, _wait, server  # noqa: F401 (the fixture)
from tests.api.test_e2e_actuals import CITY, SLOW, _train

pytest.importorskip("lightgbm")


def test_retrain_on_posted_actuals_through_serve(server: Server,  # noqa: F811 (fixture)
                                                 tmp_path: Path) -> None:
    with server.client() as c:
        champion = _train(c)
        for k in range(6):
            day = f"2024-02-{5 + k + 2 * (k // 5):02d}"
            problem, _ = synthetic_day(CITY, n_stops=30, n_vehicles=2, day=day, seed=k)
            r = c.post("/v1/jobs", json=job_body(json.loads(problem.model_dump_json())))
            assert r.status_code == 202, r.text
            job = _wait(c, r.json()["id"], timeout=120)
            assert job["status"] == "succeeded", job
            plan = c.get(f"/v1/jobs/{job['id']}/plan").json()
            records = simulate_actuals(Problem.model_validate(plan["problem"]),
                                       Solution.model_validate(plan["solution"]), SLOW, seed=k)
            r = c.post(f"/v1/jobs/{job['id']}/actuals", json={"visits": records})
            assert r.status_code == 200, r.text
        r = c.post("/v1/travel-models/retrain", json={})
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 300
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            job = c.get(job["links"]["self"]).json()
        assert job["status"] == "succeeded", job
        assert job["result"]["decision"] == "promoted", job["result"]["reason"]
        assert job["result"]["champion"]["model_id"] == champion
        active = [m["model_id"] for m in c.get("/v1/travel-models").json() if m["active"]]
        assert active == [job["model_id"]] != [champion]
        listed = c.get("/v1/travel-models/retrain/comparisons").json()
        assert listed[0]["challenger"]["model_id"] == job["model_id"]
