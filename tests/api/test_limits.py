"""Limits: body size (413), stops / vehicles / time limit (422 naming the limit), rate (429)."""

from __future__ import annotations

from tests.api.conftest import KEY_A, KEY_B, job_body, tiny_problem


def test_body_too_large_is_413(client_factory) -> None:
    """A body over max_body_bytes is refused with 413 problem+json before parsing."""
    c = client_factory(max_body_bytes=2000)
    c.headers["X-API-Key"] = KEY_A
    r = c.post("/v1/jobs", json=job_body(tiny_problem(40)))
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["limit"] == "max_body_bytes"


def test_problem_limits_are_422_naming_the_limit(client_factory) -> None:
    """Too many stops / vehicles or too long a time limit: 422 with the limit's name."""
    c = client_factory(max_stops=5, max_vehicles=3, max_time_limit=60)
    c.headers["X-API-Key"] = KEY_A
    cases = [
        (job_body(tiny_problem(6)), "max_stops", "problem.stops"),
        (job_body(tiny_problem(3, vehicles=4)), "max_vehicles", "problem.vehicle_types"),
        (job_body(tiny_problem(3), time_limit=61), "max_time_limit", "options.time_limit"),
    ]
    for body, limit, path in cases:
        r = c.post("/v1/jobs", json=body)
        assert r.status_code == 422, limit
        problem = r.json()
        assert problem["limit"] == limit and limit in problem["detail"]
        assert problem["errors"][0]["path"] == path
    assert c.post("/v1/jobs", json=job_body(tiny_problem(5))).status_code == 202


def test_rate_limit_is_per_key_with_retry_after(client_factory) -> None:
    """Past the burst a key gets 429 with Retry-After; another key is unaffected."""
    c = client_factory(rate_limit_per_minute=60, rate_limit_burst=3)
    a, b = {"X-API-Key": KEY_A}, {"X-API-Key": KEY_B}
    codes = [c.get("/v1/jobs", headers=a).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.get("/v1/jobs", headers=a)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"] == "application/problem+json"
    assert c.get("/v1/jobs", headers=b).status_code == 200
