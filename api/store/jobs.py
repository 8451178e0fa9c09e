"""The job lifecycle (every kind): create, read, cancel, finish, progress and events.

Keyword-only functions; legal status changes are enforced here and in
:mod:`api.store.leases` (claims, heartbeats, lost workers), both through
:func:`api.store.transitions.move`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.store.enums import JOB_TERMINAL, JOB_TRANSITIONS, JobKind, JobStatus
from api.store.tables import EventRow, JobRow, ResultRow
from api.store.transitions import (
    IdempotencyConflictError,
    IllegalTransitionError,
    JobNotFoundError,
    move,
)
from api.webhooks.outbox import enqueue_status_event
from solver.io.json_safe import json_safe

# rows a kind stores with its job, made from the new job's id (same transaction)
ExtraRows = Callable[[str], Sequence[Any]]


def now() -> float:
    """Store time: UNIX seconds."""
    return time.time()


def add_event(session: Session, *, job_id: str, kind: str, data: dict[str, Any]) -> None:
    session.add(EventRow(job_id=job_id, created_at=now(), kind=kind, data_json=json.dumps(data)))


def create_job(
    session: Session,
    *,
    owner: str,
    content_hash: str,
    problem_json: str | None = None,
    options_json: str | None = None,
    problem_name: str = "problem",
    input_format: str = "routecast",
    idempotency_key: str | None = None,
    priority: int = 0,
    max_attempts: int = 2,
    kind: JobKind = JobKind.SOLVE,
    extra: Sequence[ExtraRows] = (),
    parent_id: str | None = None,
    version: int = 1,
    _retried: bool = False,
) -> tuple[JobRow, bool]:
    """Insert a queued job; returns ``(job, created)``.

    With an ``idempotency_key`` already used by ``owner``: the same ``content_hash``
    returns the existing job (``created`` False); another hash raises
    ``IdempotencyConflictError``. ``extra`` rows (made by a callable of the new job's id)
    are inserted in the same transaction. ``parent_id`` and ``version``: the job's lineage
    (a replan's parent job and its version + 1).
    """
    if idempotency_key is not None:
        existing = session.scalar(
            select(JobRow).where(JobRow.owner == owner, JobRow.idempotency_key == idempotency_key)
        )
        if existing is not None:
            if existing.content_hash != content_hash:
                raise IdempotencyConflictError(idempotency_key, existing.id)
            return existing, False
    job = JobRow(
        id=uuid.uuid4().hex, owner=owner, kind=kind, status=JobStatus.QUEUED, priority=priority,
        input_format=input_format, problem_json=problem_json, options_json=options_json,
        problem_name=problem_name[:200], content_hash=content_hash,
        idempotency_key=idempotency_key, cancel_requested=False, attempts=0,
        max_attempts=max_attempts, created_at=now(), parent_id=parent_id, version=version,
    )
    session.add(job)
    try:
        session.flush()  # the job row first: ``extra`` rows point at it
        for make in extra:
            session.add_all(make(job.id))
        add_event(session, job_id=job.id, kind="status", data={"status": JobStatus.QUEUED})
        session.commit()
    except IntegrityError:  # a concurrent submit with the same key won the race
        session.rollback()
        if idempotency_key is None or _retried:  # once: another conflict is not a race
            raise
        return create_job(
            session, owner=owner, problem_json=problem_json, options_json=options_json,
            content_hash=content_hash, problem_name=problem_name, input_format=input_format,
            idempotency_key=idempotency_key, priority=priority, max_attempts=max_attempts,
            kind=kind, extra=extra, parent_id=parent_id, version=version, _retried=True)
    return job, True


Kinds = JobKind | tuple[JobKind, ...]


def _kinds(kind: Kinds) -> tuple[JobKind, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def get_job(session: Session, *, job_id: str, owner: str | None = None,
            kind: Kinds | None = None) -> JobRow:
    """The job, if it exists and (when given) belongs to ``owner`` and is of ``kind`` (or
    one of the kinds)."""
    job = session.scalar(select(JobRow).where(JobRow.id == job_id))
    if job is None or (owner is not None and job.owner != owner) or (
            kind is not None and job.kind not in _kinds(kind)):
        raise JobNotFoundError(job_id)
    return job


def children(session: Session, *, job_id: str, owner: str) -> list[str]:
    """The ids of ``owner``'s jobs whose parent is ``job_id``, oldest first."""
    return list(session.scalars(select(JobRow.id).where(
        JobRow.parent_id == job_id, JobRow.owner == owner).order_by(JobRow.seq)))


def list_jobs(
    session: Session, *, owner: str, status: str | None = None, before_seq: int | None = None,
    limit: int = 20, kind: Kinds | None = None,
) -> list[JobRow]:
    """Newest first; ``before_seq`` is the cursor (the ``seq`` of the last job seen)."""
    query = select(JobRow).where(JobRow.owner == owner)
    if status is not None:
        query = query.where(JobRow.status == status)
    if kind is not None:
        query = query.where(JobRow.kind.in_(_kinds(kind)))
    if before_seq is not None:
        query = query.where(JobRow.seq < before_seq)
    return list(session.scalars(query.order_by(JobRow.seq.desc()).limit(limit)))


def transition(
    session: Session, job_id: str, target: JobStatus, *, worker: str | None = None,
    reason: str | None = None, sources: Sequence[str] | None = None,
    held_by: str | None = None, **values: Any,
) -> None:
    """Move ``job_id`` to ``target`` if legal (and held by ``worker``, or by the service
    incarnation ``held_by``, when given) and log a status event; ``sources`` narrows the statuses
    it may leave. The caller commits."""
    where = [JobRow.id == job_id]
    if worker is not None:
        where.append(JobRow.worker == worker)
    if held_by is not None:
        where.append(JobRow.incarnation == held_by)
    if not move(session, JobRow, where, target, JOB_TRANSITIONS, sources=sources, **values):
        session.rollback()
        current = session.scalar(select(JobRow.status).where(JobRow.id == job_id))
        if current is None:
            raise JobNotFoundError(job_id)
        raise IllegalTransitionError(job_id, current, target)
    data: dict[str, Any] = {"status": target}
    if reason:
        data["reason"] = reason
    add_event(session, job_id=job_id, kind="status", data=data)
    enqueue_status_event(session, job_id=job_id, status=target)  # webhooks: same transaction


def record_progress(
    session: Session, *, job_id: str, elapsed_s: float, iteration: int, best_cost: float,
    feasible: bool,
) -> None:
    """Store the latest progress on the job and append a progress event."""
    best = json_safe(best_cost)
    session.execute(
        update(JobRow).where(JobRow.id == job_id).values(
            progress_elapsed=elapsed_s, progress_iterations=iteration,
            progress_best_cost=best, progress_feasible=feasible,
        )
    )
    add_event(session, job_id=job_id, kind="progress", data={
        "elapsed_s": round(elapsed_s, 4), "iteration": iteration, "best_cost": best,
        "feasible": feasible,
    })
    session.commit()


def is_cancel_requested(session: Session, *, job_id: str) -> bool:
    flag = session.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id))
    return bool(flag)


def request_cancel(session: Session, *, job_id: str, owner: str | None = None) -> JobRow:
    """Cancel a queued job at once; flag a running one (its worker stops within ~1 s).

    Raises ``IllegalTransitionError`` for a job that has already ended.
    """
    job = get_job(session, job_id=job_id, owner=owner)
    if job.status == JobStatus.QUEUED:
        try:
            transition(session, job_id, JobStatus.CANCELLED, cancel_requested=True,
                       finished_at=now(), reason="cancelled before it started")
            session.commit()
            return get_job(session, job_id=job_id)
        except IllegalTransitionError:
            job = get_job(session, job_id=job_id)  # it started meanwhile: flag it below
    if job.status == JobStatus.RUNNING:
        session.execute(update(JobRow).where(JobRow.id == job_id,
                                             JobRow.status == JobStatus.RUNNING)
                        .values(cancel_requested=True))
        add_event(session, job_id=job_id, kind="status",
                  data={"status": JobStatus.RUNNING, "cancel_requested": True})
        session.commit()
        return get_job(session, job_id=job_id)
    raise IllegalTransitionError(job_id, job.status, JobStatus.CANCELLED)


def finish_job(
    session: Session, *, job_id: str, worker: str | None, status: JobStatus,
    result: dict[str, str] | None = None, error: dict[str, Any] | None = None,
    stopped_by: str | None = None, reason: str | None = None,
    save: Callable[[Session], None] | None = None,
) -> None:
    """End a running job with ``status``, storing its result (a ``results`` row) or error,
    and whatever ``save`` writes (a kind's own rows), in one transaction.

    Only a running job: a worker whose job was requeued meanwhile (its lease had expired;
    ``worker`` still names it) cannot end the queued job.
    """
    if status not in JOB_TERMINAL:
        raise ValueError(f"finish_job needs a terminal status, got {status!r}")
    # the result first, so the transition's webhook event can read it (a refused
    # transition rolls it back with the rest)
    if result is not None:
        session.merge(ResultRow(job_id=job_id, **result))
    if save is not None:
        save(session)
    transition(
        session, job_id, status, worker=worker, reason=reason, sources=[JobStatus.RUNNING],
        finished_at=now(), lease_expires_at=None, stopped_by=stopped_by,
        error_json=json.dumps(error) if error is not None else None,
    )
    session.commit()


def _snapshot(session: Session) -> None:
    """Let the reads of the transaction that starts now see one snapshot.

    Otherwise "events, then the job's status" could see a terminal status whose status
    event it had just missed. PostgreSQL's default READ COMMITTED takes a new snapshot per
    statement: REPEATABLE READ keeps one (only read paths ask for it: a read-only
    transaction never fails to serialize; the pool resets it when the connection goes
    back). SQLite (WAL) keeps one per transaction, but Python's driver opens none before
    a SELECT, so an explicit BEGIN starts it.
    """
    if session.in_transaction():
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif dialect == "sqlite":
        session.connection().exec_driver_sql("BEGIN")


def events_after(
    session: Session, *, job_id: str, after_seq: int = 0, limit: int = 500,
) -> list[EventRow]:
    """Events of ``job_id`` after ``after_seq``, in order. Reads that follow in the same
    transaction (the job's status) see the same snapshot, on PostgreSQL as on SQLite."""
    _snapshot(session)
    return list(session.scalars(
        select(EventRow).where(EventRow.job_id == job_id, EventRow.seq > after_seq)
        .order_by(EventRow.seq).limit(limit)
    ))


def get_result(session: Session, *, job_id: str) -> ResultRow | None:
    return session.get(ResultRow, job_id)


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all()
    counts = dict.fromkeys(JobStatus, 0)
    counts.update({JobStatus(status): int(n) for status, n in rows})
    return {str(k): v for k, v in counts.items()}
