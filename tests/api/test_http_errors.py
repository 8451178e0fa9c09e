"""Errors are problem+json everywhere; a 5xx has a request id and no stack trace."""

from __future__ import annotations

import logging

import pytest

from api.http_errors import field_path
from tests.api.conftest import KEY_A, job_body


def test_unknown_route_and_method_are_problems(client) -> None:
    """404 for an unknown path and 405 for a wrong method are problem+json too."""
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.delete("/v1/jobs")
    assert r.status_code == 405 and r.json()["status"] == 405


def test_internal_error_returns_request_id_and_no_traceback(client_factory, monkeypatch,
                                                            caplog) -> None:
    """An unexpected exception is a 500 with a request id, logged with its traceback."""
    c = client_factory()
    import api.routers.jobs as jobs

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(jobs, "create_job", boom)
    with caplog.at_level(logging.ERROR):
        r = c.post("/v1/jobs", json=job_body(), headers={"X-API-Key": KEY_A,
                                                         "X-Request-ID": "req-42"})
    assert r.status_code == 500
    body = r.json()
    assert body["request_id"] == "req-42" == r.headers["x-request-id"]
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert any("req-42" in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_every_response_has_a_request_id(client) -> None:
    """X-Request-ID is echoed, or generated when absent."""
    assert client.get("/healthz", headers={"X-Request-ID": "abc"}).headers["x-request-id"] == "abc"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


@pytest.mark.parametrize("loc,path", [
    (("body", "problem", "stops", 3, "demand", 0), "problem.stops[3].demand[0]"),
    (("query", "limit"), "limit"),
    (("body",), ""),
])
def test_field_path(loc, path) -> None:
    """Pydantic locations become dotted paths with [index] for list positions."""
    assert field_path(loc) == path


def test_unparseable_body_is_422_problem(client) -> None:
    """A body that is not JSON (even not UTF-8) is a 422 validation problem, not a 400."""
    r = client.post("/v1/evaluate", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == ["body"]
