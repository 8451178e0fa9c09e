"""The job lifecycle in the store (:mod:`api.store.jobs`), on SQLite and PostgreSQL: legal
transitions only, idempotency, cancel, progress and events, and a Hypothesis state machine
against a dict model."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from api.store import jobs, leases
from api.store.db import init_db, make_engine, session_factory
from api.store.enums import JOB_TERMINAL, JobStatus
from api.store.transitions import (
    IdempotencyConflictError,
    IllegalTransitionError,
    JobNotFoundError,
)
from tests.api.store.conftest import new_job


def statuses(session: Any, job_id: str) -> list[str | None]:
    return [json.loads(e.data_json).get("status")
            for e in jobs.events_after(session, job_id=job_id)]


def test_create_and_idempotent_create(sessions: Any) -> None:
    """Same key and body -> the same job; another body -> conflict; keys are per owner."""
    with sessions() as s:
        job, created = jobs.create_job(s, owner="a", problem_json="p", options_json="{}",
                                       content_hash="h1", idempotency_key="k")
        assert created and job.status == JobStatus.QUEUED and job.attempts == 0
        again, created = jobs.create_job(s, owner="a", problem_json="p", options_json="{}",
                                         content_hash="h1", idempotency_key="k")
        assert not created and again.id == job.id
        with pytest.raises(IdempotencyConflictError):
            jobs.create_job(s, owner="a", problem_json="q", options_json="{}",
                            content_hash="h2", idempotency_key="k")
        other, created = jobs.create_job(s, owner="b", problem_json="p", options_json="{}",
                                         content_hash="h1", idempotency_key="k")
        assert created and other.id != job.id
        assert jobs.counts_by_status(s)[JobStatus.QUEUED] == 2
        with pytest.raises(JobNotFoundError):
            jobs.get_job(s, job_id=job.id, owner="b")


def test_concurrent_submits_with_one_idempotency_key_make_one_job(sessions: Any) -> None:
    """Racing submits with the same key and body all get the same job (the unique index
    makes the losers wait, then read the winner's job)."""
    def submit(_: int) -> str:
        with sessions() as s:
            return new_job(s, key="same", body="b").id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(submit, range(24)))
    assert len(ids) == 1


def test_legal_and_illegal_transitions(sessions: Any) -> None:
    """Only the lifecycle's moves happen: finishing a queued job, finishing another worker's
    job or cancelling a finished one raise IllegalTransitionError and change nothing."""
    with sessions() as s:
        job = new_job(s)
        with pytest.raises(IllegalTransitionError) as err:
            jobs.finish_job(s, job_id=job.id, worker=None, status=JobStatus.SUCCEEDED)
        assert err.value.current == JobStatus.QUEUED
        with pytest.raises(ValueError):
            jobs.finish_job(s, job_id=job.id, worker=None, status=JobStatus.RUNNING)
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        with pytest.raises(IllegalTransitionError):
            jobs.finish_job(s, job_id=job.id, worker="other", status=JobStatus.SUCCEEDED)
        jobs.finish_job(s, job_id=job.id, worker="w", status=JobStatus.SUCCEEDED, stopped_by="time",
                        result={"solution_json": "{}", "kpis_json": "{}",
                                "violations_json": "[]", "csv": "a,b\n", "geojson": "{}"})
        for target in (JobStatus.FAILED, JobStatus.CANCELLED):
            with pytest.raises(IllegalTransitionError):
                jobs.finish_job(s, job_id=job.id, worker="w", status=target)
        with pytest.raises(IllegalTransitionError):
            jobs.request_cancel(s, job_id=job.id)
        with pytest.raises(JobNotFoundError):
            jobs.request_cancel(s, job_id="nope")
        done = jobs.get_job(s, job_id=job.id)
        assert done.status == JobStatus.SUCCEEDED and done.finished_at is not None
        assert done.lease_expires_at is None and done.stopped_by == "time"
        assert jobs.get_result(s, job_id=job.id).csv == "a,b\n"
        assert statuses(s, job.id) == ["queued", "running", "succeeded"]


def test_cancel_flag(sessions: Any) -> None:
    """A queued job is cancelled at once; a running one is flagged, its worker sees the
    flag and ends it cancelled; a lost flagged job ends cancelled, not retried."""
    with sessions() as s:
        queued, running, lost = new_job(s, body="q"), new_job(s, body="r"), new_job(s, body="l")
        assert jobs.request_cancel(s, job_id=queued.id, owner="a").status == JobStatus.CANCELLED
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=running.id)
        assert not jobs.is_cancel_requested(s, job_id=running.id)
        flagged = jobs.request_cancel(s, job_id=running.id)
        assert flagged.status == JobStatus.RUNNING and flagged.cancel_requested
        assert jobs.is_cancel_requested(s, job_id=running.id)
        jobs.finish_job(s, job_id=running.id, worker="w", status=JobStatus.CANCELLED,
                        stopped_by="cancelled")
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=lost.id)
        jobs.request_cancel(s, job_id=lost.id)
        assert leases.release_lost(s, job_id=lost.id, reason="lease expired") == JobStatus.CANCELLED
        assert statuses(s, queued.id) == ["queued", "cancelled"]
        assert statuses(s, running.id) == ["queued", "running", "running", "cancelled"]
        assert jobs.counts_by_status(s)[JobStatus.CANCELLED] == 3


def test_events_progress_and_cursor(sessions: Any) -> None:
    """Progress lands on the job and as events; events come in order and resume after a
    cursor; a non-finite best cost is stored as null."""
    with sessions() as s:
        job = new_job(s)
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        jobs.record_progress(s, job_id=job.id, elapsed_s=0.5, iteration=3, best_cost=12.5,
                             feasible=True)
        jobs.record_progress(s, job_id=job.id, elapsed_s=1.0, iteration=3_000_000_000,
                             best_cost=float("inf"), feasible=False)
        events = jobs.events_after(s, job_id=job.id)
        assert [e.kind for e in events] == ["status", "status", "progress", "progress"]
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        assert json.loads(events[2].data_json)["best_cost"] == 12.5
        assert json.loads(events[3].data_json)["best_cost"] is None
        assert [e.seq for e in jobs.events_after(s, job_id=job.id,
                                                 after_seq=events[1].seq)] == [
            events[2].seq, events[3].seq]
        row = jobs.get_job(s, job_id=job.id)
        assert row.progress_iterations == 3_000_000_000 and row.progress_best_cost is None


def test_events_and_status_read_one_snapshot(sessions: Any) -> None:
    """Reading events then the job's status in one session sees one snapshot (as SQLite
    WAL does): a job that ends in between is not seen ended without its status event."""
    with sessions() as s:
        job = new_job(s)
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
    with sessions() as reader:
        events = jobs.events_after(reader, job_id=job.id)
        with sessions() as writer:
            jobs.finish_job(writer, job_id=job.id, worker="w", status=JobStatus.SUCCEEDED)
        assert jobs.get_job(reader, job_id=job.id).status == JobStatus.RUNNING
        assert len(events) == 2
    with sessions() as reader:
        assert jobs.get_job(reader, job_id=job.id).status == JobStatus.SUCCEEDED
        assert statuses(reader, job.id)[-1] == JobStatus.SUCCEEDED


class JobLifecycle(RuleBasedStateMachine):
    """The store against a dict model of the legal transitions."""

    # set by the test: () -> (sessions, teardown) on a fresh empty store
    fresh_store: Callable[[], tuple[Any, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.sessions, self._teardown = self.fresh_store()
        self.model: dict[str, str] = {}
        self.attempts: dict[str, int] = {}
        self.keys: dict[str, tuple[str, str]] = {}

    def teardown(self) -> None:
        self._teardown()

    @rule(key=st.sampled_from([None, "k1", "k2"]), body=st.sampled_from(["x", "y"]))
    def submit(self, key: str | None, body: str) -> None:
        with self.sessions() as s:
            if key in self.keys and self.keys[key][1] != body:
                with pytest.raises(IdempotencyConflictError):
                    new_job(s, key=key, body=body)
                return
            job = new_job(s, key=key, body=body)
        if key in self.keys:
            assert job.id == self.keys[key][0]
            return
        if key is not None:
            self.keys[key] = (job.id, body)
        self.model[job.id] = JobStatus.QUEUED
        self.attempts[job.id] = 0

    @rule()
    def claim(self) -> None:
        with self.sessions() as s:
            job = leases.claim_job(s, worker="w", lease_seconds=100)
        queued = [j for j, st_ in self.model.items() if st_ == JobStatus.QUEUED]
        assert (job is None) == (not queued)
        if job is not None:
            assert job.id == queued[0]  # oldest first
            self.model[job.id] = JobStatus.RUNNING
            self.attempts[job.id] += 1

    @precondition(lambda self: self.model)
    @rule(data=st.data(), status=st.sampled_from([JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED]))
    def finish(self, data: st.DataObject, status: str) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        with self.sessions() as s:
            if self.model[job_id] == JobStatus.RUNNING:
                jobs.finish_job(s, job_id=job_id, worker="w", status=status)
                self.model[job_id] = status
            else:
                with pytest.raises(IllegalTransitionError):
                    jobs.finish_job(s, job_id=job_id, worker="w", status=status)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        with self.sessions() as s:
            if self.model[job_id] in JOB_TERMINAL:
                with pytest.raises(IllegalTransitionError):
                    jobs.request_cancel(s, job_id=job_id)
                return
            job = jobs.request_cancel(s, job_id=job_id)
        if self.model[job_id] == JobStatus.QUEUED:
            self.model[job_id] = JobStatus.CANCELLED
        assert job.status == self.model[job_id] and job.cancel_requested

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def lose_worker(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        with self.sessions() as s:
            cancel_flag = jobs.get_job(s, job_id=job_id).cancel_requested
            status = leases.release_lost(s, job_id=job_id, reason="lost")
        if self.model[job_id] == JobStatus.RUNNING:
            if cancel_flag:
                expected = JobStatus.CANCELLED
            elif self.attempts[job_id] < 2:
                expected = JobStatus.QUEUED
            else:
                expected = JobStatus.FAILED
            self.model[job_id] = expected
        assert status == self.model[job_id]

    @invariant()
    def store_matches_model(self) -> None:
        with self.sessions() as s:
            for job_id, status in self.model.items():
                assert jobs.get_job(s, job_id=job_id).status == status
            counts = jobs.counts_by_status(s)
        for status in JobStatus:
            assert counts[status] == sum(1 for v in self.model.values() if v == status)


def _sqlite_store() -> tuple[Any, Callable[[], None]]:
    folder = tempfile.TemporaryDirectory()
    engine = make_engine(f"sqlite:///{Path(folder.name) / 'jobs.db'}")
    init_db(engine)

    def teardown() -> None:
        engine.dispose()
        folder.cleanup()

    return session_factory(engine), teardown


def _postgres_store(admin: Any) -> tuple[Any, Callable[[], None]]:
    import uuid

    from sqlalchemy import text

    schema = f"rc_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(admin.url.update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False))
    init_db(engine)

    def teardown() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    return session_factory(engine), teardown


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_job_lifecycle_state_machine(backend: str, request: pytest.FixtureRequest) -> None:
    """Random submit / claim / finish / cancel / lose / duplicate-submit sequences agree
    with a dict model of the legal transitions; a fresh store per example."""
    if backend == "sqlite":
        factory = _sqlite_store
    else:
        admin = request.getfixturevalue("postgres_admin")

        def factory() -> tuple[Any, Callable[[], None]]:
            return _postgres_store(admin)

    machine = type("Lifecycle", (JobLifecycle,), {"fresh_store": staticmethod(factory)})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=10, stateful_step_count=12, deadline=None,
        suppress_health_check=list(HealthCheck)))
