"""POST /v1/solve (synchronous, bounded) and POST /v1/evaluate (no solving)."""

from __future__ import annotations

from tests.api.conftest import job_body, tiny_problem


def test_sync_solve_returns_the_finished_job(client) -> None:
    """/v1/solve answers 200 with the solved job, result included."""
    r = client.post("/v1/solve", json=job_body())
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "succeeded" and body["result"]["solution"]["feasible"] is True
    assert client.get(f"/v1/jobs/{body['id']}").json()["status"] == "succeeded"


def test_sync_solve_is_bounded(client_factory) -> None:
    """Sync limits (stops, time limit) are stricter and named in the 422."""
    c = client_factory(sync_max_stops=4, sync_max_time_limit=2)
    c.headers["X-API-Key"] = "key-alpha-123"
    r = c.post("/v1/solve", json=job_body(tiny_problem(5)))
    assert r.status_code == 422 and r.json()["limit"] == "sync_max_stops"
    r = c.post("/v1/solve", json=job_body(tiny_problem(3), time_limit=3))
    assert r.status_code == 422 and r.json()["limit"] == "sync_max_time_limit"


def test_sync_solve_failure_is_a_problem(client) -> None:
    """A solve that fails (unknown engine) answers with the job's problem detail."""
    r = client.post("/v1/solve", json=job_body(engine="nope"))
    assert r.status_code == 422 and r.json()["type"].endswith("/unsupported-feature")
    assert "job_id" in r.json()


def test_evaluate_times_a_plan(client) -> None:
    """/v1/evaluate recomputes cost, schedule and violations of a given plan."""
    problem = tiny_problem(4, capacity=3, vehicles=1)
    plan = {"routes": [{"vehicle_type": "van", "stops": ["1", "2", "3", "4"]}]}
    r = client.post("/v1/evaluate", json={"problem": problem, "solution": plan})
    assert r.status_code == 200
    body = r.json()
    assert body["feasible"] is False and body["violations"][0]["kind"] == "capacity"
    assert [v["stop"] for v in body["routes"][0]["visits"]] == ["1", "2", "3", "4"]
    assert body["cost"] == body["routes"][0]["cost"] > 0
    missing = client.post("/v1/evaluate", json={"problem": problem, "solution": {"routes": []}})
    assert missing.json()["complete"] is False
    assert {v["kind"] for v in missing.json()["violations"]} == {"missing"}


def test_evaluate_validation(client) -> None:
    """A malformed plan is a 422 with the path of the bad field."""
    r = client.post("/v1/evaluate", json={"problem": tiny_problem(2),
                                          "solution": {"routes": [{"vehicle_type": "van"}]}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "solution.routes[0].stops"
