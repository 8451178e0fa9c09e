"""The job store: legal transitions only, idempotency, leases, retries — checked against a
dict model with a Hypothesis state machine (zarr style)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from api.store import repository as repo
from api.store.db import init_db, make_engine, session_factory


def _sessions(path: Path):
    engine = make_engine(f"sqlite:///{path / 'jobs.db'}")
    init_db(engine)
    return session_factory(engine)


def _new(session, owner: str = "a", key: str | None = None, body: str = "p") -> repo.JobRow:
    job, _ = repo.create_job(session, owner=owner, problem_json=body, options_json="{}",
                             content_hash=body, idempotency_key=key)
    return job


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    """The default SQLite store runs in WAL mode (readers never block the writer)."""
    sessions = _sessions(tmp_path)
    with sessions() as s:
        from sqlalchemy import text

        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_claim_takes_jobs_in_order_with_priority_first(tmp_path: Path) -> None:
    """Workers take the oldest queued job; a sync (priority) job jumps the queue."""
    sessions = _sessions(tmp_path)
    with sessions() as s:
        first, second = _new(s, body="1"), _new(s, body="2")
        urgent, _ = repo.create_job(s, owner="a", problem_json="3", options_json="{}",
                                    content_hash="3", priority=1)
        order = [repo.claim_job(s, worker="w", lease_seconds=10).id for _ in range(3)]
        assert order == [urgent.id, first.id, second.id]
        assert repo.claim_job(s, worker="w", lease_seconds=10) is None


def test_illegal_transitions_are_refused(tmp_path: Path) -> None:
    """Finishing a queued job, or cancelling a finished one, raises IllegalTransitionError."""
    sessions = _sessions(tmp_path)
    with sessions() as s:
        job = _new(s)
        with pytest.raises(repo.IllegalTransitionError):
            repo.finish_job(s, job_id=job.id, worker=None, status=repo.SUCCEEDED)
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        with pytest.raises(repo.IllegalTransitionError):  # held by another worker
            repo.finish_job(s, job_id=job.id, worker="other", status=repo.SUCCEEDED)
        repo.finish_job(s, job_id=job.id, worker="w", status=repo.SUCCEEDED)
        with pytest.raises(repo.IllegalTransitionError):
            repo.request_cancel(s, job_id=job.id)
        assert repo.get_job(s, job_id=job.id).status == repo.SUCCEEDED


def test_lost_worker_retried_once_then_failed(tmp_path: Path) -> None:
    """An expired lease requeues the job once; the second loss fails it with the reason."""
    sessions = _sessions(tmp_path)
    with sessions() as s:
        job = _new(s)
        repo.claim_job(s, worker="w1", lease_seconds=0.01, job_id=job.id)
        time.sleep(0.02)
        assert repo.expired_leases(s) == [job.id]
        assert repo.release_lost(s, job_id=job.id, reason="lease expired") == repo.QUEUED
        repo.claim_job(s, worker="w2", lease_seconds=10, job_id=job.id)
        assert repo.heartbeat(s, job_id=job.id, worker="w2", lease_seconds=10)
        assert not repo.heartbeat(s, job_id=job.id, worker="w1", lease_seconds=10)
        assert repo.release_lost(s, job_id=job.id, reason="worker died") == repo.FAILED
        failed = repo.get_job(s, job_id=job.id)
        assert failed.attempts == 2
        assert "worker died" in json.loads(failed.error_json)["detail"]
        kinds = [json.loads(e.data_json).get("status") for e in repo.events_after(s, job_id=job.id)]
        assert kinds == ["queued", "running", "queued", "running", "failed"]


def test_shutdown_requeue_does_not_burn_an_attempt(tmp_path: Path) -> None:
    """A job interrupted by a service shutdown goes back to the queue, attempts unchanged."""
    sessions = _sessions(tmp_path)
    with sessions() as s:
        job = _new(s)
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        repo.requeue(s, job_id=job.id, reason="service shut down")
        back = repo.get_job(s, job_id=job.id)
        assert back.status == repo.QUEUED and back.attempts == 0


def test_concurrent_submits_with_one_idempotency_key_make_one_job(tmp_path: Path) -> None:
    """Racing submits with the same key and body all get the same job (no 500)."""
    from concurrent.futures import ThreadPoolExecutor

    sessions = _sessions(tmp_path)

    def submit(_: int) -> str:
        with sessions() as s:
            return _new(s, key="same", body="b").id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(submit, range(16)))
    assert len(ids) == 1


class JobLifecycle(RuleBasedStateMachine):
    """Random submit / claim / finish / cancel / lose / duplicate-submit sequences agree with a
    dict model of the legal transitions."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.sessions = _sessions(Path(self.dir.name))
        self.model: dict[str, str] = {}
        self.attempts: dict[str, int] = {}
        self.keys: dict[str, tuple[str, str]] = {}

    def teardown(self) -> None:
        self.dir.cleanup()

    @rule(key=st.sampled_from([None, "k1", "k2"]), body=st.sampled_from(["x", "y"]))
    def submit(self, key: str | None, body: str) -> None:
        with self.sessions() as s:
            if key in self.keys and self.keys[key][1] != body:
                with pytest.raises(repo.IdempotencyConflictError):
                    _new(s, key=key, body=body)
                return
            job = _new(s, key=key, body=body)
        if key in self.keys:
            assert job.id == self.keys[key][0]
            return
        if key is not None:
            self.keys[key] = (job.id, body)
        self.model[job.id] = repo.QUEUED
        self.attempts[job.id] = 0

    @rule()
    def claim(self) -> None:
        with self.sessions() as s:
            job = repo.claim_job(s, worker="w", lease_seconds=100)
        queued = [j for j, st_ in self.model.items() if st_ == repo.QUEUED]
        assert (job is None) == (not queued)
        if job is not None:
            assert job.id == queued[0]  # oldest first
            self.model[job.id] = repo.RUNNING
            self.attempts[job.id] += 1

    @precondition(lambda self: self.model)
    @rule(data=st.data(), status=st.sampled_from([repo.SUCCEEDED, repo.FAILED, repo.CANCELLED]))
    def finish(self, data: st.DataObject, status: str) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        with self.sessions() as s:
            if self.model[job_id] == repo.RUNNING:
                repo.finish_job(s, job_id=job_id, worker="w", status=status)
                self.model[job_id] = status
            else:
                with pytest.raises(repo.IllegalTransitionError):
                    repo.finish_job(s, job_id=job_id, worker="w", status=status)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        with self.sessions() as s:
            if self.model[job_id] in repo.TERMINAL:
                with pytest.raises(repo.IllegalTransitionError):
                    repo.request_cancel(s, job_id=job_id)
                return
            job = repo.request_cancel(s, job_id=job_id)
        if self.model[job_id] == repo.QUEUED:
            self.model[job_id] = repo.CANCELLED
        assert job.status == self.model[job_id] and job.cancel_requested

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def lose_worker(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        with self.sessions() as s:
            cancel_flag = repo.get_job(s, job_id=job_id).cancel_requested
            status = repo.release_lost(s, job_id=job_id, reason="lost")
        if self.model[job_id] == repo.RUNNING:
            if cancel_flag:
                expected = repo.CANCELLED
            elif self.attempts[job_id] < 2:
                expected = repo.QUEUED
            else:
                expected = repo.FAILED
            self.model[job_id] = expected
        assert status == self.model[job_id]

    @invariant()
    def store_matches_model(self) -> None:
        with self.sessions() as s:
            for job_id, status in self.model.items():
                assert repo.get_job(s, job_id=job_id).status == status
            counts = repo.counts_by_status(s)
        for status in repo.STATUSES:
            assert counts[status] == sum(1 for v in self.model.values() if v == status)


JobLifecycle.TestCase.settings = settings(max_examples=15, stateful_step_count=12,
                                          deadline=None,
                                          suppress_health_check=list(HealthCheck))
test_job_lifecycle = JobLifecycle.TestCase
