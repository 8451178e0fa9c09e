"""Actuals of a job's routes (POST/GET /v1/jobs/{id}/actuals) and the drift of a travel
model against them (GET /v1/travel-models/{id}/drift), with their Prometheus figures."""

from __future__ import annotations

import dataclasses
import json

import pytest

from solver.actuals.simulate import simulate_actuals
from solver.problem import Problem
from solver.solution import Solution
from surrogate import SyntheticCity
from tests.actuals_days import actuals_csv, synthetic_day
from tests.api.conftest import KEY_B, job_body, wait_for
from tests.api.routers.test_travel_models import _train as train_model

pytest.importorskip("lightgbm")

CITY = SyntheticCity()  # the city of source=synthetic training
DAYS = ("2024-01-29", "2024-01-30", "2024-01-31")


def solved_day(client, day: str = DAYS[0], seed: int = 0, n_stops: int = 10
               ) -> tuple[str, Problem, Solution]:
    """A synthetic day solved by the fake engine through the API: (job id, plan)."""
    problem, _ = synthetic_day(CITY, n_stops=n_stops, n_vehicles=2, day=day, seed=seed)
    r = client.post("/v1/jobs", json=job_body(json.loads(problem.model_dump_json())))
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"])
    assert job["status"] == "succeeded", job
    solution = Solution.model_validate_json(
        client.get(f"/v1/jobs/{job['id']}/solution").text)
    return job["id"], problem, solution


def test_actuals_are_checked_stored_and_read_back(client) -> None:
    """JSON visits of a fully driven day: every leg is kept (depot out, between stops,
    back), the answer lists them with the rows they came from, GET gives the same, and
    a second POST replaces the first."""
    job_id, problem, solution = solved_day(client)
    records = simulate_actuals(problem, solution, CITY, seed=1)
    r = client.post(f"/v1/jobs/{job_id}/actuals", json={"visits": records})
    assert r.status_code == 200, r.text
    body = r.json()
    used = [route for route in solution.routes if route.stops]
    assert len(body["visits"]) == len(records)
    assert len(body["legs"]) == len(problem.stops) + len(used) and body["skipped"] == {}
    assert body["legs"][0]["rows"] == ["visits[0]", "visits[1]"]
    assert all(g["duration_s"] > 0 for g in body["legs"])
    assert client.get(f"/v1/jobs/{job_id}/actuals").json() == body
    again = simulate_actuals(problem, solution, CITY, seed=2, arrivals_only=True)
    r = client.post(f"/v1/jobs/{job_id}/actuals", content=actuals_csv(again),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["visits"][0]["row"] == "row 2"
    assert any(v["departure_estimated"] for v in r.json()["visits"])
    assert client.get(f"/v1/jobs/{job_id}/actuals").json()["legs"] == r.json()["legs"]


def _one_second_leg(records: list[dict]) -> tuple[list[dict], str]:
    """``records`` with the third visit of the first vehicle clocked one second after the
    previous departure (a wrong clock: far over 130 km/h), and that stop."""
    from datetime import datetime, timedelta

    records = [dict(r) for r in records]
    vehicle = records[0]["vehicle"]
    rows = [r for r in records if r.get("vehicle") == vehicle]
    rows[3]["arrival"] = (datetime.fromisoformat(rows[2]["departure"])
                          + timedelta(seconds=1)).isoformat()
    return records, rows[3]["stop"]


def test_implausible_legs_are_skipped_and_counted(client_factory) -> None:
    """A leg driven in one second is no training trip: the answer keeps the other legs
    and counts it under ``too_fast``; the bound is the ``actuals_max_speed_kmh`` setting
    (a service that allows any speed keeps it)."""
    from tests.api.conftest import KEY_A

    for max_speed, skipped in ((None, {"too_fast": 1}), (1e9, {})):
        client = client_factory(**({} if max_speed is None
                                   else {"actuals_max_speed_kmh": max_speed}))
        client.headers["Authorization"] = f"Bearer {KEY_A}"
        job_id, problem, solution = solved_day(client)
        records, stop = _one_second_leg(simulate_actuals(problem, solution, CITY, seed=1))
        r = client.post(f"/v1/jobs/{job_id}/actuals", json={"visits": records})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["skipped"] == skipped
        all_legs = len(problem.stops) + sum(bool(route.stops) for route in solution.routes)
        assert len(body["legs"]) == all_legs - sum(skipped.values())
        assert (stop in {g["to_stop"] for g in body["legs"]}) == (not skipped)
        assert client.get(f"/v1/jobs/{job_id}/actuals").json()["skipped"] == skipped


@pytest.mark.parametrize("row, edit, detail", [
    (2, {"stop": "NOPE"}, "row 4: unknown stop 'NOPE'"),
    (1, {"arrival": "06:59"}, "row 3: arrival 2024-01-29T06:59:00+00:00 is before the "
                              "route's start"),
    (1, {"departure": "07:00"}, "row 3: departure 2024-01-29T07:00:00+00:00 is before"),
])
def test_csv_rows_that_contradict_the_plan_are_422_naming_the_row(
        client, row: int, edit: dict[str, str], detail: str) -> None:
    """An unknown stop, a time before the route's start (08:00) and a departure before
    the arrival are refused (422 invalid-actuals) naming the CSV row; nothing is stored."""
    job_id, problem, solution = solved_day(client)
    records = simulate_actuals(problem, solution, CITY, seed=1)
    records[row].update(edit)
    r = client.post(f"/v1/jobs/{job_id}/actuals", content=actuals_csv(records),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    problem_json = r.json()
    assert problem_json["type"].endswith("/invalid-actuals")
    assert problem_json["detail"].startswith(detail), problem_json["detail"]
    assert problem_json["row"] == detail.split(":")[0]
    assert client.get(f"/v1/jobs/{job_id}/actuals").status_code == 404


def test_bad_bodies_and_other_keys(client) -> None:
    """An unknown field names visits[k]; other media types are 415; another key's job is
    a 404 for both verbs, and nothing of it leaks."""
    job_id, problem, solution = solved_day(client)
    records = simulate_actuals(problem, solution, CITY, seed=1)
    records[1]["gps"] = [1, 2]
    r = client.post(f"/v1/jobs/{job_id}/actuals", json={"visits": records})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "visits[1].gps", r.text
    r = client.post(f"/v1/jobs/{job_id}/actuals", content="x",
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    other = {"Authorization": f"Bearer {KEY_B}"}
    del records[1]["gps"]
    r = client.post(f"/v1/jobs/{job_id}/actuals", json={"visits": records}, headers=other)
    assert r.status_code == 404 and job_id in r.json()["detail"]
    assert client.get(f"/v1/jobs/{job_id}/actuals", headers=other).status_code == 404
    assert client.get("/v1/jobs/nope/actuals").status_code == 404


def _train(client) -> str:
    job = train_model(client, synthetic_trips=6000, n_estimators=60, n_zones=10)
    assert job["status"] == "succeeded", job
    return str(job["model_id"])


def _metric(text: str, name: str, model_id: str) -> float:
    prefix = f'{name}{{model_id="{model_id}"}} '
    line = next(x for x in text.splitlines() if x.startswith(prefix))
    return float(line[len(prefix):])


def test_drift_of_the_active_model_against_actuals(client) -> None:
    """Three days driven under the city's own traffic, then the same days 1.8x slower:
    the report compares every leg, the flag stays down and then rises, the bias turns
    negative (too fast), and /metrics carries the figures of the last report (the POSTs
    of actuals keep the active model's up to date)."""
    model_id = _train(client)
    assert client.get("/v1/travel-models/active/drift").status_code == 422  # no legs yet
    plans = [solved_day(client, day, seed=k, n_stops=30) for k, day in enumerate(DAYS)]
    slow = dataclasses.replace(CITY, free_speed_mps=CITY.free_speed_mps / 1.8)
    reports = []
    for city in (CITY, slow):
        n_legs = 0
        for k, (job_id, problem, solution) in enumerate(plans):
            records = simulate_actuals(problem, solution, city, seed=k)
            r = client.post(f"/v1/jobs/{job_id}/actuals", json={"visits": records})
            assert r.status_code == 200, r.text
            n_legs += len(r.json()["legs"])
        posted = client.get("/metrics").text  # brought up to date by the POSTs alone
        assert _metric(posted, "routecast_travel_drift_legs", model_id) == n_legs
        r = client.get("/v1/travel-models/active/drift")
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["model_id"] == model_id and report["active"] is True
        assert report["overall"]["n"] == n_legs
        assert sum(g["n"] for g in report["by_hour_of_week"]) == n_legs
        assert sum(g["n"] for g in report["by_zone"]) == n_legs
        assert sum(g["n"] for g in report["by_destination_zone"]) == n_legs
        reports.append(report)
        metrics = client.get("/metrics").text
        assert _metric(metrics, "routecast_travel_drift_rmsle", model_id) == \
            pytest.approx(report["overall"]["rmsle"])
        assert _metric(metrics, "routecast_travel_drift_flag", model_id) == report["flag"]
        zone = report["by_destination_zone"][0]
        assert f'routecast_travel_drift_dest_zone_legs{{model_id="{model_id}",zone="' \
               f'{int(zone["zone"])}"}} {float(zone["n"])}' in metrics
    same, slower = reports
    assert not same["flag"] and slower["flag"], (same["reason"], slower["reason"])
    assert slower["overall"]["bias_log"] < -0.3 < same["overall"]["bias_log"]
    assert client.get(f"/v1/travel-models/{model_id}/drift", params={"legs": 5}
                      ).json()["overall"]["n"] == 5
    assert client.get(f"/v1/travel-models/{model_id}/drift",
                      headers={"Authorization": f"Bearer {KEY_B}"}).status_code == 404


def test_a_job_without_a_plan_is_409(client) -> None:
    """A job that failed has no plan to compare actuals with: 409 naming its status."""
    problem, _ = synthetic_day(CITY, n_stops=14, n_vehicles=2, day=DAYS[0])
    r = client.post("/v1/jobs", json=job_body(json.loads(problem.model_dump_json()),
                                              engine="fake-broken"))
    job = wait_for(client, r.json()["id"])
    assert job["status"] == "failed", job
    r = client.post(f"/v1/jobs/{job['id']}/actuals",
                    json={"visits": [{"stop": "S1", "arrival": "09:00"}]})
    assert r.status_code == 409 and "failed" in r.json()["detail"], r.text


def test_contradicting_leg_bounds_are_refused_at_start(tmp_path) -> None:
    """A minimum speed above the maximum is a settings error, not a service that
    skips every leg."""
    from pydantic import ValidationError

    from tests.api.conftest import make_settings

    with pytest.raises(ValidationError, match="min_speed_kmh < max_speed_kmh"):
        make_settings(tmp_path, actuals_min_speed_kmh=200.0)
    assert make_settings(tmp_path).leg_bounds().max_speed_kmh == 130.0
