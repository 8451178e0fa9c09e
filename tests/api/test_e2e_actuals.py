"""End to end through a real `routecast serve` and the CLI: train a travel model, plan
two days, post what the drivers really did (1.8x slower streets), read the drift (flag
up, on /metrics too), and turn the same actuals into trips with `routecast travel
actuals` on the plan document the service returns, and `routecast travel drift` of the
service's model on them."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.auth import KeyRing
from solver.actuals.simulate import simulate_actuals
from solver.problem import Problem
from solver.solution import Solution
from surrogate import SyntheticCity
from tests.actuals_days import actuals_csv, synthetic_day
from tests.api.conftest import job_body
from tests.api.test_e2e import KEY, REPO, Server, _wait, server  # noqa: F401 (the fixture)

pytest.importorskip("lightgbm")

CITY = SyntheticCity()
SLOW = dataclasses.replace(CITY, free_speed_mps=CITY.free_speed_mps / 1.8)


def _train(c) -> str:
    r = c.post("/v1/travel-models", params={"source": "synthetic", "synthetic_trips": 6000,
                                            "n_estimators": 60, "n_zones": 10})
    assert r.status_code == 202, r.text
    job = r.json()
    deadline = time.monotonic() + 300
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = c.get(job["links"]["self"]).json()
    assert job["status"] == "succeeded", job
    return str(job["model_id"])


def test_actuals_then_drift_through_serve_and_the_cli(
        server: Server, tmp_path: Path) -> None:  # noqa: F811 (the imported fixture)
    """Actuals posted over HTTP are stored with their jobs; the drift of the active
    model over them flags the slower traffic, with the same figures on /metrics; the
    CLI turns the plan document and a CSV of the same actuals into the same legs."""
    n_legs = 0
    with server.client() as c:
        model_id = _train(c)
        for k, day in enumerate(("2024-01-29", "2024-01-30")):
            problem, _ = synthetic_day(CITY, n_stops=30, n_vehicles=2, day=day, seed=k)
            r = c.post("/v1/jobs", json=job_body(json.loads(problem.model_dump_json())))
            assert r.status_code == 202, r.text
            job = _wait(c, r.json()["id"], timeout=120)
            assert job["status"] == "succeeded", job
            plan = c.get(f"/v1/jobs/{job['id']}/plan").json()
            solution = Solution.model_validate(plan["solution"])
            records = simulate_actuals(Problem.model_validate(plan["problem"]), solution,
                                       SLOW, seed=k)
            r = c.post(f"/v1/jobs/{job['id']}/actuals", json={"visits": records})
            assert r.status_code == 200, r.text
            legs = r.json()["legs"]
            n_legs += len(legs)
            assert c.get(f"/v1/jobs/{job['id']}/actuals").json()["legs"] == legs
        drift = c.get("/v1/travel-models/active/drift")
        assert drift.status_code == 200, drift.text
        report = drift.json()
        metrics = c.get("/metrics").text
    assert report["model_id"] == model_id and report["overall"]["n"] == n_legs
    assert report["flag"] is True and report["overall"]["bias_log"] < -0.3, report["reason"]
    assert f'routecast_travel_drift_flag{{model_id="{model_id}"}} 1.0' in metrics
    assert f'routecast_travel_drift_legs{{model_id="{model_id}"}} {float(n_legs)}' in metrics

    plan_file, csv_file = tmp_path / "plan.json", tmp_path / "actuals.csv"
    plan_file.write_text(json.dumps(plan))
    csv_file.write_text(actuals_csv(records))
    exe = Path(sys.executable).with_name("routecast")
    done = subprocess.run([str(exe), "travel", "actuals", str(plan_file), str(csv_file)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == len(legs) + 1
    durations = sorted(float(line.split(",")[5]) for line in done.stdout.splitlines()[1:])
    assert durations == pytest.approx(sorted(g["duration_s"] for g in legs))
    trips_file = tmp_path / "trips.csv"
    trips_file.write_text(done.stdout)
    owner = KeyRing([KEY]).principal(KEY)
    assert owner is not None
    registry = server.data_dir / "registry" / owner.id
    done = subprocess.run([str(exe), "travel", "drift", str(registry), str(trips_file),
                           "--json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    local = json.loads(done.stdout)
    assert local["model_id"] == model_id and local["overall"]["n"] == len(legs)
    assert local["flag"] is True and local["overall"]["bias_log"] < -0.3
