"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

from tests.api.conftest import job_body, wait_for


def test_healthz_and_readyz(client) -> None:
    """Liveness is always ok; readiness checks the store and the workers."""
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["store"] == "ok"


def test_metrics_expose_jobs_queue_solve_and_latency(client) -> None:
    """After a job, /metrics shows jobs by status, queue depth, solve durations, latencies."""
    job = client.post("/v1/jobs", json=job_body()).json()
    wait_for(client, job["id"])
    text = client.get("/metrics").text
    assert 'routecast_jobs{status="succeeded"} 1.0' in text
    assert "routecast_queue_depth 0.0" in text
    assert 'routecast_solve_duration_seconds_count{status="succeeded"} 1.0' in text
    assert 'routecast_http_request_duration_seconds_count{method="POST",route="/v1/jobs"}' in text
    assert "routecast_workers 2.0" in text


def test_openapi_documents_job_bodies_and_problem_errors(client) -> None:
    """The OpenAPI schema has JobCreate with an example, and errors as problem+json."""
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["JobCreate"]["examples"]
    post = schema["paths"]["/v1/jobs"]["post"]
    assert "application/problem+json" in post["responses"]["422"]["content"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
