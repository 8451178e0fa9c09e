"""Keyword-only store functions. Legal status transitions are enforced here, and only here.

Every status change is a conditional UPDATE (``WHERE status IN (legal sources)``), so two
processes racing for the same job cannot both win, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.store.fairness import next_queued_id
from api.store.tables import EventRow, JobRow, ResultRow, ScenarioBatchRow, ScenarioRunRow
from api.webhooks.outbox import enqueue_status_event

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued", "running", "succeeded", "failed", "cancelled",
)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
# from -> the statuses it may move to (running -> queued is the retry after a lost worker)
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, CANCELLED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELLED, QUEUED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}


class StoreError(Exception):
    """Base of the store's own errors."""


class JobNotFoundError(StoreError, LookupError):
    """No such job, or it belongs to someone else (the two are indistinguishable)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id!r} not found")


class IllegalTransitionError(StoreError):
    """A status change that the lifecycle does not allow (e.g. cancelling a finished job)."""

    def __init__(self, job_id: str, current: str, target: str) -> None:
        self.job_id, self.current, self.target = job_id, current, target
        super().__init__(f"job {job_id!r} is {current}; it cannot become {target}")


class IdempotencyConflictError(StoreError):
    """An Idempotency-Key reused with a different request body."""

    def __init__(self, key: str, job_id: str) -> None:
        self.key, self.job_id = key, job_id
        super().__init__(f"Idempotency-Key {key!r} was used for job {job_id!r} with a "
                         "different body")


def sources_of(target: str) -> list[str]:
    """The statuses from which ``target`` may be reached."""
    return [s for s, targets in TRANSITIONS.items() if target in targets]


def _now() -> float:
    return time.time()


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def add_event(session: Session, *, job_id: str, kind: str, data: dict[str, Any]) -> None:
    session.add(EventRow(job_id=job_id, created_at=_now(), kind=kind, data_json=json.dumps(data)))


def create_job(
    session: Session,
    *,
    owner: str,
    problem_json: str,
    options_json: str,
    content_hash: str,
    problem_name: str = "problem",
    input_format: str = "routecast",
    idempotency_key: str | None = None,
    priority: int = 0,
    max_attempts: int = 2,
    kind: str = "solve",
    extra: Sequence[Any] = (),
    _retried: bool = False,
) -> tuple[JobRow, bool]:
    """Insert a queued job; returns ``(job, created)``.

    With an ``idempotency_key`` already used by ``owner``: the same ``content_hash``
    returns the existing job (``created`` False); another hash raises
    ``IdempotencyConflictError``. ``extra`` rows (made by a callable of the new job's id)
    are inserted in the same transaction.
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
        id=uuid.uuid4().hex, owner=owner, kind=kind, status=QUEUED, priority=priority,
        input_format=input_format, problem_json=problem_json, options_json=options_json,
        problem_name=problem_name[:200], content_hash=content_hash,
        idempotency_key=idempotency_key, cancel_requested=False, attempts=0,
        max_attempts=max_attempts, created_at=_now(),
    )
    session.add(job)
    try:
        session.flush()  # the job row first: ``extra`` rows point at it
        for make in extra:
            session.add_all(make(job.id))
        add_event(session, job_id=job.id, kind="status", data={"status": QUEUED})
        session.commit()
    except IntegrityError:  # a concurrent submit with the same key won the race
        session.rollback()
        if idempotency_key is None or _retried:  # once: another conflict is not a race
            raise
        return create_job(
            session, owner=owner, problem_json=problem_json, options_json=options_json,
            content_hash=content_hash, problem_name=problem_name, input_format=input_format,
            idempotency_key=idempotency_key, priority=priority, max_attempts=max_attempts,
            kind=kind, extra=extra, _retried=True)
    return job, True


def get_job(session: Session, *, job_id: str, owner: str | None = None,
            kind: str | None = None) -> JobRow:
    """The job, if it exists and (when given) belongs to ``owner`` and is of ``kind``."""
    job = session.scalar(select(JobRow).where(JobRow.id == job_id))
    if job is None or (owner is not None and job.owner != owner) or (
            kind is not None and job.kind != kind):
        raise JobNotFoundError(job_id)
    return job


def list_jobs(
    session: Session, *, owner: str, status: str | None = None, before_seq: int | None = None,
    limit: int = 20, kind: str | None = None,
) -> list[JobRow]:
    """Newest first; ``before_seq`` is the cursor (the ``seq`` of the last job seen)."""
    query = select(JobRow).where(JobRow.owner == owner)
    if status is not None:
        query = query.where(JobRow.status == status)
    if kind is not None:
        query = query.where(JobRow.kind == kind)
    if before_seq is not None:
        query = query.where(JobRow.seq < before_seq)
    return list(session.scalars(query.order_by(JobRow.seq.desc()).limit(limit)))


def _transition(
    session: Session, job_id: str, target: str, *, worker: str | None = None,
    reason: str | None = None, sources: Sequence[str] | None = None, **values: Any,
) -> None:
    """Move ``job_id`` to ``target`` if legal (and held by ``worker`` when given);
    ``sources`` narrows the statuses it may leave."""
    legal = sources_of(target)
    if sources is not None:
        legal = [s for s in legal if s in sources]
    cond = [JobRow.id == job_id, JobRow.status.in_(legal)]
    if worker is not None:
        cond.append(JobRow.worker == worker)
    done = session.execute(update(JobRow).where(*cond).values(status=target, **values))
    if done.rowcount != 1:  # type: ignore[attr-defined]
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


def claim_job(
    session: Session, *, worker: str, lease_seconds: float, job_id: str | None = None,
) -> JobRow | None:
    """Take ``job_id`` (or the next queued job, see :mod:`api.store.fairness`) and start
    its lease.

    Returns None when there is nothing to take (or another worker was faster).
    """
    for _ in range(5):
        if job_id is None:
            candidate = next_queued_id(session)  # fair between owners
            if candidate is None:
                session.rollback()
                return None
        else:
            candidate = job_id
        now = _now()
        done = session.execute(
            update(JobRow)
            .where(JobRow.id == candidate, JobRow.status == QUEUED)
            .values(status=RUNNING, worker=worker, lease_expires_at=now + lease_seconds,
                    attempts=JobRow.attempts + 1, started_at=now)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            add_event(session, job_id=candidate, kind="status",
                      data={"status": RUNNING, "worker": worker})
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
        .where(JobRow.id == job_id, JobRow.worker == worker, JobRow.status == RUNNING)
        .values(lease_expires_at=_now() + lease_seconds)
    )
    session.commit()
    return done.rowcount == 1  # type: ignore[attr-defined]


def record_progress(
    session: Session, *, job_id: str, elapsed_s: float, iteration: int, best_cost: float,
    feasible: bool,
) -> None:
    """Store the latest progress on the job and append a progress event."""
    best = _finite(best_cost)
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
    if job.status == QUEUED:
        try:
            _transition(session, job_id, CANCELLED, cancel_requested=True, finished_at=_now(),
                        reason="cancelled before it started")
            session.commit()
            return get_job(session, job_id=job_id)
        except IllegalTransitionError:
            job = get_job(session, job_id=job_id)  # it started meanwhile: flag it below
    if job.status == RUNNING:
        session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == RUNNING)
                        .values(cancel_requested=True))
        add_event(session, job_id=job_id, kind="status",
                  data={"status": RUNNING, "cancel_requested": True})
        session.commit()
        return get_job(session, job_id=job_id)
    raise IllegalTransitionError(job_id, job.status, CANCELLED)


def finish_job(
    session: Session, *, job_id: str, worker: str | None, status: str,
    result: dict[str, str] | None = None, error: dict[str, Any] | None = None,
    stopped_by: str | None = None, reason: str | None = None,
) -> None:
    """End a running job with ``status``, storing its result or error in one transaction.

    Only a running job: a worker whose job was requeued meanwhile (its lease had expired;
    ``worker`` still names it) cannot end the queued job.
    """
    if status not in TERMINAL:
        raise ValueError(f"finish_job needs a terminal status, got {status!r}")
    if result is not None:  # first, so the webhook event of the transition can read it
        session.merge(ResultRow(job_id=job_id, **result))
    _transition(
        session, job_id, status, worker=worker, reason=reason, sources=[RUNNING],
        finished_at=_now(),
        lease_expires_at=None, stopped_by=stopped_by,
        error_json=json.dumps(error) if error is not None else None,
    )
    session.commit()


def release_lost(session: Session, *, job_id: str, reason: str) -> str:
    """A running job lost its worker: requeue it if attempts remain, else fail it.

    Returns the new status.
    """
    job = get_job(session, job_id=job_id)
    if job.status != RUNNING:
        status = job.status
        session.rollback()
        return status
    if job.cancel_requested:
        _transition(session, job_id, CANCELLED, reason=f"{reason}; it was being cancelled",
                    finished_at=_now(), lease_expires_at=None, worker=job.worker)
        session.commit()
        return CANCELLED
    if job.attempts < job.max_attempts:
        _transition(session, job_id, QUEUED, worker=job.worker,
                    reason=f"{reason}; retrying (attempt {job.attempts + 1} of "
                           f"{job.max_attempts})",
                    lease_expires_at=None)
        session.commit()
        return QUEUED
    error = {
        "type": "https://routecast.dev/problems/worker-lost",
        "title": "Worker lost",
        "status": 500,
        "detail": f"{reason}; gave up after {job.attempts} attempts",
    }
    _transition(session, job_id, FAILED, worker=job.worker, reason=error["detail"],
                finished_at=_now(), lease_expires_at=None, error_json=json.dumps(error))
    session.commit()
    return FAILED


def queued_ids(session: Session) -> list[str]:
    """Queued jobs by priority, then age (what an executor resubmits at start; workers
    that claim "the next job" take them fairly between owners, see api.store.fairness)."""
    return list(session.scalars(select(JobRow.id).where(JobRow.status == QUEUED)
                                .order_by(JobRow.priority.desc(), JobRow.seq)))


def expired_leases(session: Session, *, now: float | None = None) -> list[str]:
    now = _now() if now is None else now
    ids = list(session.scalars(
        select(JobRow.id).where(JobRow.status == RUNNING, JobRow.lease_expires_at < now)
    ))
    return ids


def running_on(session: Session, *, workers: Sequence[str]) -> list[str]:
    ids = list(session.scalars(
        select(JobRow.id).where(JobRow.status == RUNNING, JobRow.worker.in_(list(workers)))
    ))
    return ids


def _snapshot(session: Session) -> None:
    """Let the reads of the transaction that starts now see one snapshot.

    SQLite (WAL) gives every read transaction a snapshot; PostgreSQL's default READ
    COMMITTED takes a new one per statement, so "events, then the job's status" could see
    a terminal status whose status event it had just missed. REPEATABLE READ restores the
    SQLite behaviour; it is only asked for by read paths (a read-only transaction never
    fails to serialize), and the pool resets it when the connection goes back.
    """
    if session.in_transaction():
        return
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def events_after(
    session: Session, *, job_id: str, after_seq: int = 0, limit: int = 500,
) -> list[EventRow]:
    """Events of ``job_id`` after ``after_seq``, in order. Reads that follow in the same
    transaction (the job's status) see the same snapshot, on PostgreSQL as on SQLite."""
    _snapshot(session)
    rows = list(session.scalars(
        select(EventRow).where(EventRow.job_id == job_id, EventRow.seq > after_seq)
        .order_by(EventRow.seq).limit(limit)
    ))
    return rows


def get_result(session: Session, *, job_id: str) -> ResultRow | None:
    return session.get(ResultRow, job_id)


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def requeue(session: Session, *, job_id: str, reason: str) -> None:
    """Put a running job back in the queue without counting the attempt (shutdown)."""
    _transition(session, job_id, QUEUED, reason=reason, lease_expires_at=None,
                attempts=JobRow.attempts - 1)
    session.commit()


# -- scenario batches ---------------------------------------------------------------------
# A batch is a job of kind "scenarios" (status, lease, retries and cancel flag are the
# job's); its runs have their own small lifecycle, enforced here like the jobs'.
SCENARIOS = "scenarios"
DONE = "done"
RUN_STATUSES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
RUN_TERMINAL = frozenset({DONE, FAILED, CANCELLED})
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, DONE, FAILED, CANCELLED}),
    RUNNING: frozenset({DONE, FAILED, CANCELLED}),
    DONE: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}


def create_scenario_batch(
    session: Session, *, owner: str, problem_json: str, options_json: str, set_json: str,
    name: str, warm_start: bool, axes: list[str], runs: Sequence[dict[str, Any]],
    content_hash: str, problem_name: str = "problem", idempotency_key: str | None = None,
    max_attempts: int = 2,
) -> tuple[JobRow, bool]:
    """Insert a queued batch: its job row, its set and one queued row per run, at once.

    ``runs`` are ``{"key", "variant", "seed", "cell"}`` in run order (base first).
    Idempotency works as for :func:`create_job`.
    """
    now = _now()

    def rows(job_id: str) -> list[Any]:
        out: list[Any] = [ScenarioBatchRow(
            job_id=job_id, name=name[:200], set_json=set_json, warm_start=warm_start,
            n_runs=len(runs), axes_json=json.dumps(axes))]
        out += [ScenarioRunRow(batch_id=job_id, position=k, key=r["key"][:260],
                               variant=r["variant"][:220], seed=r["seed"],
                               cell_json=json.dumps(r.get("cell") or {}, default=str),
                               status=QUEUED, updated_at=now)
                for k, r in enumerate(runs)]
        return out

    return create_job(session, owner=owner, problem_json=problem_json,
                      options_json=options_json, content_hash=content_hash,
                      problem_name=problem_name, input_format="routecast",
                      idempotency_key=idempotency_key, max_attempts=max_attempts,
                      kind=SCENARIOS, extra=[rows])


def get_batch(session: Session, *, batch_id: str) -> ScenarioBatchRow:
    row = session.get(ScenarioBatchRow, batch_id)
    if row is None:
        raise JobNotFoundError(batch_id)
    return row


def scenario_runs(session: Session, *, batch_id: str) -> list[ScenarioRunRow]:
    """The runs of a batch in run order (the base of each seed first)."""
    return list(session.scalars(select(ScenarioRunRow).where(ScenarioRunRow.batch_id == batch_id)
                                .order_by(ScenarioRunRow.position)))


def run_sources_of(target: str) -> list[str]:
    return [s for s, targets in RUN_TRANSITIONS.items() if target in targets]


def update_run(
    session: Session, *, batch_id: str, key: str, status: str, elapsed_s: float | None = None,
    iterations: int | None = None, best_cost: float | None = None,
) -> bool:
    """Move a run to ``status`` (or record progress: ``status`` running on a running run).

    An illegal move is ignored and returns False: run events may arrive out of order
    (a run's ``running`` after its result), and a finished run never changes again.
    """
    values: dict[str, Any] = {"status": status, "updated_at": _now()}
    if elapsed_s is not None:
        values["elapsed_s"] = elapsed_s
    if iterations is not None:
        values["iterations"] = iterations
    if best_cost is not None:
        values["best_cost"] = _finite(best_cost)
    sources = run_sources_of(status) + ([RUNNING] if status == RUNNING else [])
    done = session.execute(update(ScenarioRunRow).where(
        ScenarioRunRow.batch_id == batch_id, ScenarioRunRow.key == key,
        ScenarioRunRow.status.in_(sources)).values(**values))
    changed = done.rowcount == 1  # type: ignore[attr-defined]
    if changed:  # the batch's event stream (SSE) shows each run's updates
        add_event(session, job_id=batch_id, kind="run", data={
            "key": key, "status": status, "elapsed_s": elapsed_s, "iterations": iterations,
            "best_cost": values.get("best_cost")})
    session.commit()
    return changed


def set_run_outcome(session: Session, *, batch_id: str, key: str, total_cost: float | None,
                    feasible: bool | None, error: str | None, elapsed_s: float | None,
                    iterations: int | None) -> None:
    """Store a finished run's numbers (its status moves through :func:`update_run`)."""
    session.execute(update(ScenarioRunRow).where(
        ScenarioRunRow.batch_id == batch_id, ScenarioRunRow.key == key).values(
        total_cost=_finite(total_cost), feasible=feasible, error=error, elapsed_s=elapsed_s,
        iterations=iterations, updated_at=_now()))
    session.commit()


def reset_runs(session: Session, *, batch_id: str) -> None:
    """A batch (re)starts: every run back to queued, progress cleared. Only the worker
    that holds the running batch calls this (a retry after a lost worker reruns all)."""
    status = session.scalar(select(JobRow.status).where(JobRow.id == batch_id))
    if status != RUNNING:
        session.rollback()
        raise IllegalTransitionError(batch_id, str(status), "running (runs reset)")
    session.execute(update(ScenarioRunRow).where(ScenarioRunRow.batch_id == batch_id).values(
        status=QUEUED, elapsed_s=None, iterations=None, best_cost=None, total_cost=None,
        feasible=None, error=None, updated_at=_now()))
    session.commit()


def close_runs(session: Session, *, batch_id: str, status: str) -> None:
    """Runs that had not ended when their batch did take ``status`` (cancelled/failed)."""
    closed = session.scalars(update(ScenarioRunRow).where(
        ScenarioRunRow.batch_id == batch_id,
        ScenarioRunRow.status.in_(run_sources_of(status))).values(
        status=status, updated_at=_now()).returning(ScenarioRunRow.key)).all()
    for key in closed:  # the batch's event stream shows these runs ending too
        add_event(session, job_id=batch_id, kind="run", data={"key": key, "status": status})
    session.commit()


def save_comparison(session: Session, *, batch_id: str, comparison_json: str,
                    csv: str) -> None:
    session.execute(update(ScenarioBatchRow).where(ScenarioBatchRow.job_id == batch_id).values(
        comparison_json=comparison_json, csv=csv, html=None))
    session.commit()


def save_html(session: Session, *, batch_id: str, html: str) -> None:
    session.execute(update(ScenarioBatchRow).where(ScenarioBatchRow.job_id == batch_id).values(
        html=html))
    session.commit()
