"""Who runs a job: claims, leases, heartbeats, and jobs whose worker was lost.

A worker claims a queued job with a lease that its heartbeat extends. A job whose lease
expired (its worker died or hung) is released by :func:`reap_expired`: retried while
attempts remain, else failed with the reason. Every executor reaps through this module.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.store.enums import JobStatus
from api.store.fairness import next_queued_id
from api.store.jobs import add_event, get_job, now, transition
from api.store.tables import JobRow
from api.store.transitions import IllegalTransitionError

logger = logging.getLogger(__name__)


def claim_job(
    session: Session, *, worker: str, lease_seconds: float, job_id: str | None = None,
    incarnation: str | None = None,
) -> JobRow | None:
    """Take ``job_id`` (or the next queued job, fair between owners: see
    :mod:`api.store.fairness`) and start its lease,
    recording the ``incarnation`` of the service that holds it (None: no service owns the
    worker, e.g. a Dask worker, which outlives a service restart).

    Returns None when there is nothing to take (or another worker was faster).
    """
    for _ in range(5):
        if job_id is None:
            candidate = next_queued_id(session)
            if candidate is None:
                session.rollback()
                return None
        else:
            candidate = job_id
        started = now()
        done = session.execute(
            update(JobRow)
            .where(JobRow.id == candidate, JobRow.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, worker=worker, incarnation=incarnation,
                    lease_expires_at=started + lease_seconds,
                    attempts=JobRow.attempts + 1, started_at=started)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            add_event(session, job_id=candidate, kind="status",
                      data={"status": JobStatus.RUNNING, "worker": worker})
            session.commit()
            return get_job(session, job_id=candidate)
        session.rollback()
        if job_id is not None:
            return None
    return None


def heartbeat(session: Session, *, job_id: str, worker: str, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer running on ``worker``."""
    done = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.worker == worker, JobRow.status == JobStatus.RUNNING)
        .values(lease_expires_at=now() + lease_seconds)
    )
    session.commit()
    return done.rowcount == 1  # type: ignore[attr-defined]


def release_lost(session: Session, *, job_id: str, reason: str) -> JobStatus:
    """A running job lost its worker: requeue it if attempts remain, else fail it.

    Returns the new status.
    """
    job = get_job(session, job_id=job_id)
    if job.status != JobStatus.RUNNING:
        session.rollback()
        return JobStatus(job.status)
    if job.cancel_requested:
        transition(session, job_id, JobStatus.CANCELLED,
                   reason=f"{reason}; it was being cancelled", finished_at=now(),
                   lease_expires_at=None, worker=job.worker)
        session.commit()
        return JobStatus.CANCELLED
    if job.attempts < job.max_attempts:
        transition(session, job_id, JobStatus.QUEUED, worker=job.worker,
                   reason=f"{reason}; retrying (attempt {job.attempts + 1} of "
                          f"{job.max_attempts})",
                   lease_expires_at=None)
        session.commit()
        return JobStatus.QUEUED
    error = {
        "type": "https://routecast.dev/problems/worker-lost",
        "title": "Worker lost",
        "status": 500,
        "detail": f"{reason}; gave up after {job.attempts} attempts",
    }
    transition(session, job_id, JobStatus.FAILED, worker=job.worker, reason=error["detail"],
               finished_at=now(), lease_expires_at=None, error_json=json.dumps(error))
    session.commit()
    return JobStatus.FAILED


def held_by_incarnations(session: Session) -> dict[str, list[str]]:
    """Running jobs by the service incarnation that holds their lease."""
    held: dict[str, list[str]] = {}
    for job_id, incarnation in session.execute(
            select(JobRow.id, JobRow.incarnation).where(JobRow.status == JobStatus.RUNNING,
                                                        JobRow.incarnation.is_not(None))):
        held.setdefault(incarnation, []).append(job_id)
    session.rollback()
    return held


def release_crashed(session: Session, *, job_id: str, incarnation: str,
                    reason: str) -> JobStatus:
    """The service ``incarnation`` that held ``job_id`` is dead (the job was not at fault):
    requeue it without counting the attempt, or end it cancelled if that was asked. A job
    that moved on meanwhile (reaped, claimed by another incarnation, ended) is left alone.
    Returns the job's status afterwards."""
    job = get_job(session, job_id=job_id)
    if job.status != JobStatus.RUNNING or job.incarnation != incarnation:
        session.rollback()
        return JobStatus(job.status)
    try:
        if job.cancel_requested:
            transition(session, job_id, JobStatus.CANCELLED, held_by=incarnation,
                       reason=f"{reason}; it was being cancelled", finished_at=now(),
                       lease_expires_at=None, incarnation=None)
            target = JobStatus.CANCELLED
        else:
            transition(session, job_id, JobStatus.QUEUED, held_by=incarnation,
                       reason=f"{reason}; requeued (the attempt does not count)",
                       lease_expires_at=None, incarnation=None, attempts=JobRow.attempts - 1)
            target = JobStatus.QUEUED
    except IllegalTransitionError:  # it moved on between the read and the update
        return JobStatus(get_job(session, job_id=job_id).status)
    session.commit()
    return target


def requeue(session: Session, *, job_id: str, reason: str) -> None:
    """Put a running job back in the queue without counting the attempt (shutdown)."""
    transition(session, job_id, JobStatus.QUEUED, reason=reason, lease_expires_at=None,
               attempts=JobRow.attempts - 1)
    session.commit()


def queued_ids(session: Session) -> list[str]:
    """Queued jobs by priority, then age (what an executor resubmits at start; workers
    that claim "the next job" take them fairly between owners, see api.store.fairness)."""
    return list(session.scalars(select(JobRow.id).where(JobRow.status == JobStatus.QUEUED)
                                .order_by(JobRow.priority.desc(), JobRow.seq)))


def any_queued(sessions: Callable[[], Session]) -> bool:
    """Whether a job is queued; False when the store cannot be read (logged: callers
    look again on their next round)."""
    try:
        with sessions() as session:
            return session.scalar(select(JobRow.id).where(JobRow.status == JobStatus.QUEUED)
                                  .limit(1)) is not None
    except Exception:  # noqa: BLE001
        logger.warning("queue unreadable", exc_info=True)
        return False


def expired_leases(session: Session, *, at: float | None = None) -> list[str]:
    """Running jobs whose lease ran out before ``at`` (default: now)."""
    at = now() if at is None else at
    return list(session.scalars(
        select(JobRow.id).where(JobRow.status == JobStatus.RUNNING,
                                JobRow.lease_expires_at < at)
    ))


def running_on(session: Session, *, workers: Sequence[str]) -> list[str]:
    return list(session.scalars(
        select(JobRow.id).where(JobRow.status == JobStatus.RUNNING,
                                JobRow.worker.in_(list(workers)))
    ))


def reap_expired(sessions: Callable[[], Session]) -> list[tuple[str, JobStatus]]:
    """Release every running job whose lease expired (its worker died or hung): retried
    while attempts remain, else failed with the reason. Returns ``(job_id, new status)``;
    a failing database is logged and left to the next round."""
    released = []
    try:
        with sessions() as session:
            for job_id in expired_leases(session):
                status = release_lost(session, job_id=job_id,
                                      reason="lease expired (no heartbeat)")
                logger.warning("job %s lease expired: now %s", job_id, status)
                released.append((job_id, status))
    except Exception:  # noqa: BLE001  (the next round retries)
        logger.warning("lease reaper failed", exc_info=True)
    return released
