"""Claims, leases, heartbeats and lost workers (:mod:`api.store.leases`), on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.store import jobs, leases
from api.store.enums import JobStatus
from api.store.transitions import IllegalTransitionError
from tests.api.store.conftest import new_job


def test_claim_in_order_with_lease_and_heartbeat(sessions: Any) -> None:
    """Claims take priority first, then age; the lease starts at claim time and a
    heartbeat extends it only for the worker that holds the job."""
    with sessions() as s:
        first, second = new_job(s, body="1"), new_job(s, body="2")
        urgent = new_job(s, body="3", priority=1)
        t0 = time.time()
        claimed = leases.claim_job(s, worker="w1", lease_seconds=30)
        assert claimed is not None and claimed.id == urgent.id
        assert claimed.status == JobStatus.RUNNING and claimed.worker == "w1"
        assert claimed.attempts == 1
        assert t0 + 29 < claimed.lease_expires_at < time.time() + 31
        assert [j.id for j in (leases.claim_job(s, worker="w2", lease_seconds=30),
                               leases.claim_job(s, worker="w2", lease_seconds=30))] == [
            first.id, second.id]
        assert leases.claim_job(s, worker="w2", lease_seconds=30) is None
        assert leases.claim_job(s, worker="w3", lease_seconds=30, job_id=first.id) is None
        assert leases.heartbeat(s, job_id=urgent.id, worker="w1", lease_seconds=300)
        assert jobs.get_job(s, job_id=urgent.id).lease_expires_at > time.time() + 290
        assert not leases.heartbeat(s, job_id=urgent.id, worker="w2", lease_seconds=300)
        assert sorted(leases.running_on(s, workers=["w2"])) == sorted([first.id, second.id])


def test_concurrent_claims_take_each_job_once(sessions: Any) -> None:
    """Workers racing on the queue never take the same job twice, and take them all."""
    with sessions() as s:
        ids = {new_job(s, body=str(k)).id for k in range(30)}
    taken: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        with sessions() as s:
            while (job := leases.claim_job(s, worker=f"w{n}", lease_seconds=30)) is not None:
                with lock:
                    taken.append(job.id)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(6)))
    assert sorted(taken) == sorted(ids)
    with sessions() as s:
        assert jobs.counts_by_status(s)[JobStatus.RUNNING] == 30
        assert all(jobs.get_job(s, job_id=j).attempts == 1 for j in ids)


def test_lost_worker_retried_once_then_failed(sessions: Any) -> None:
    """An expired lease requeues the job once (its old worker can no longer end it); the
    second loss fails it with the reason; a shutdown requeue does not burn an attempt."""
    with sessions() as s:
        job = new_job(s)
        leases.claim_job(s, worker="w1", lease_seconds=0.01, job_id=job.id)
        time.sleep(0.05)
        assert leases.expired_leases(s) == [job.id]
        assert leases.release_lost(s, job_id=job.id, reason="lease expired") == JobStatus.QUEUED
        with pytest.raises(IllegalTransitionError):  # the stale worker comes back
            jobs.finish_job(s, job_id=job.id, worker="w1", status=JobStatus.CANCELLED)
        leases.claim_job(s, worker="w2", lease_seconds=10, job_id=job.id)
        leases.requeue(s, job_id=job.id, reason="service shut down")
        assert jobs.get_job(s, job_id=job.id).attempts == 1
        leases.claim_job(s, worker="w2", lease_seconds=10, job_id=job.id)
        assert leases.release_lost(s, job_id=job.id, reason="worker died") == JobStatus.FAILED
        failed = jobs.get_job(s, job_id=job.id)
        assert failed.attempts == 2 and failed.status == JobStatus.FAILED
        assert "worker died" in json.loads(failed.error_json)["detail"]
        assert leases.release_lost(s, job_id=job.id, reason="again") == JobStatus.FAILED


def test_shutdown_requeue_does_not_burn_an_attempt(sessions: Any) -> None:
    """A job interrupted by a service shutdown goes back to the queue, attempts unchanged."""
    with sessions() as s:
        job = new_job(s)
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        leases.requeue(s, job_id=job.id, reason="service shut down")
        back = jobs.get_job(s, job_id=job.id)
        assert back.status == JobStatus.QUEUED and back.attempts == 0


def test_reap_expired_releases_only_expired_leases(sessions: Any) -> None:
    """The reaper every executor runs requeues a job whose lease ran out and leaves a
    job whose worker still beats alone."""
    with sessions() as s:
        lost, alive = new_job(s, body="lost"), new_job(s, body="alive")
        leases.claim_job(s, worker="w1", lease_seconds=0.01, job_id=lost.id)
        leases.claim_job(s, worker="w2", lease_seconds=60, job_id=alive.id)
    time.sleep(0.05)
    assert leases.reap_expired(sessions) == [(lost.id, JobStatus.QUEUED)]
    with sessions() as s:
        assert jobs.get_job(s, job_id=alive.id).status == JobStatus.RUNNING


def test_release_crashed_requeues_without_burning_an_attempt(sessions: Any) -> None:
    """A job whose service incarnation died goes back to the queue with its attempt
    given back (a flagged one ends cancelled); another incarnation's job, or one that has
    moved on, is left alone."""
    with sessions() as s:
        mine, flagged, other = new_job(s, body="m"), new_job(s, body="f"), new_job(s, body="o")
        for job, incarnation in ((mine, "h:1:old"), (flagged, "h:1:old"), (other, "h:2:live")):
            leases.claim_job(s, worker="w", lease_seconds=600, job_id=job.id,
                             incarnation=incarnation)
        jobs.request_cancel(s, job_id=flagged.id)
        held = leases.held_by_incarnations(s)
        assert sorted(held["h:1:old"]) == sorted([mine.id, flagged.id])
        assert held["h:2:live"] == [other.id]
        assert leases.release_crashed(s, job_id=other.id, incarnation="h:1:old",
                                      reason="gone") == JobStatus.RUNNING
        assert leases.release_crashed(s, job_id=mine.id, incarnation="h:1:old",
                                      reason="gone") == JobStatus.QUEUED
        assert leases.release_crashed(s, job_id=flagged.id, incarnation="h:1:old",
                                      reason="gone") == JobStatus.CANCELLED
        back = jobs.get_job(s, job_id=mine.id)
        assert back.status == JobStatus.QUEUED and back.attempts == 0
        assert back.incarnation is None and back.lease_expires_at is None
        assert leases.release_crashed(s, job_id=mine.id, incarnation="h:1:old",
                                      reason="again") == JobStatus.QUEUED  # unchanged
        assert jobs.get_job(s, job_id=other.id).status == JobStatus.RUNNING
        assert list(leases.held_by_incarnations(s)) == ["h:2:live"]
