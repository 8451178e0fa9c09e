"""A stalled database (issue 14, section 3): a solve survives it, clients get 503 with
``Retry-After`` instead of 500, and /readyz fails when the store cannot be read.

The stall is simulated by making the store's functions raise ``OperationalError`` (what
SQLite's "database is locked" and a lost PostgreSQL connection raise) or block."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.progress_writer import LatestWriter
from api.store import jobs as store_jobs
from tests.api.conftest import KEY_A, job_body, wait_for


def _locked(*_: Any, **__: Any) -> Any:
    raise OperationalError("UPDATE jobs ...", {}, Exception("database is locked"))


def test_a_job_succeeds_while_progress_writes_fail(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every progress write and cancel check failing does not fail the solve."""
    monkeypatch.setattr(store_jobs, "record_progress", _locked)
    monkeypatch.setattr(store_jobs, "is_cancel_requested", _locked)
    job = client.post("/v1/jobs", json=job_body(iteration_limit=20)).json()
    done = wait_for(client, job["id"], timeout=60)
    assert done["status"] == "succeeded", done
    assert done["result"]["solution"]["feasible"] is True


def test_a_blocked_progress_write_does_not_block_the_solver() -> None:
    """offer() returns at once while a write hangs; the latest value is written after."""
    release = threading.Event()
    written: list[int] = []

    def write(value: int) -> None:
        release.wait(5)
        written.append(value)

    writer: LatestWriter[int] = LatestWriter(write, name="test-writer")
    writer.start()
    started = time.perf_counter()
    for k in range(100):
        writer.offer(k)
    assert time.perf_counter() - started < 0.5
    release.set()
    writer.close(timeout=5)
    assert written[-1] == 99 and len(written) <= 3


def test_a_failed_write_is_retried_until_it_succeeds() -> None:
    """A write that fails twice is retried with the same (latest) value."""
    calls: list[int] = []

    def write(value: int) -> None:
        calls.append(value)
        if len(calls) < 3:
            raise OperationalError("x", {}, Exception("database is locked"))

    writer: LatestWriter[int] = LatestWriter(write, name="test-retry", retry_seconds=0.01)
    writer.start()
    writer.offer(7)
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.close(timeout=5)
    assert calls == [7, 7, 7] and writer.failures == 2


def test_a_locked_store_answers_503_with_retry_after(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads and submits during a stall answer 503 + Retry-After (problem+json), not 500."""
    monkeypatch.setattr(store_jobs, "get_job", _locked)
    monkeypatch.setattr(store_jobs, "create_job", _locked)
    for r in (client.get("/v1/jobs/abc"), client.post("/v1/jobs", json=job_body())):
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"].isdigit()
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/store-unavailable")


def test_readyz_fails_when_the_jobs_table_cannot_be_read(client: TestClient) -> None:
    """A store that answers ``SELECT 1`` but cannot read its jobs is not ready."""
    assert client.get("/readyz").status_code == 200
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        session.execute(text("ALTER TABLE jobs RENAME TO jobs_away"))
        session.commit()
    try:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["store"].startswith("error")
    finally:
        with sessions() as session:
            session.execute(text("ALTER TABLE jobs_away RENAME TO jobs"))
            session.commit()


def test_a_really_locked_sqlite_store_answers_503_soon(client_factory: Any,
                                                       tmp_path: Any) -> None:
    """Another process's write lock on the SQLite file: the service's connections wait
    ``store_busy_timeout`` (not SQLite's 30 s of old), then a submit answers 503 naming
    the lock, with Retry-After; once the lock is gone it is accepted."""
    import sqlite3

    db = tmp_path / "locked.db"
    c = client_factory(database_url=f"sqlite:///{db}", store_busy_timeout=0.4)
    c.headers["Authorization"] = f"Bearer {KEY_A}"
    sessions = c.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:  # the setting reaches the connections
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 400
    # the service's own workers may be writing at this moment: wait for them to take it
    holder = sqlite3.connect(db, timeout=10)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a long write would hold it
    try:
        r = c.post("/v1/jobs", json=job_body())
    finally:
        holder.rollback()
        holder.close()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"].isdigit()
    body = r.json()
    assert body["reason"] == "the database is locked by another writer"
    assert body["reason"] in body["detail"] and str(db) not in r.text
    assert c.post("/v1/jobs", json=job_body()).status_code == 202


def test_a_locked_postgresql_row_answers_503_soon(client_factory: Any,
                                                  postgres_url: str) -> None:
    """PostgreSQL: the service's statements wait ``store_busy_timeout`` for a row lock
    (its lock_timeout), then a cancel answers 503 naming the lock, with Retry-After."""
    import psycopg
    from sqlalchemy.engine import make_url

    c = client_factory(database_url=postgres_url, store_busy_timeout=0.4)
    c.headers["Authorization"] = f"Bearer {KEY_A}"
    with c.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.execute(text("SHOW lock_timeout")).scalar() == "400ms"
    job = c.post("/v1/jobs", json=job_body(iteration_limit=None, time_limit=60)).json()
    url = make_url(postgres_url)
    schema = url.query["options"].split("=", 1)[1]
    with psycopg.connect(host=url.host, port=url.port, dbname=url.database,
                         user=url.username) as holder:
        holder.execute(f'SET search_path = "{schema}"')
        holder.execute("SELECT 1 FROM jobs WHERE id = %s FOR UPDATE", (job["id"],))
        r = c.post(f"/v1/jobs/{job['id']}/cancel")
        holder.rollback()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"].isdigit()
    assert r.json()["reason"] == "a database lock was not granted in time"
    assert c.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
