"""The webhook outbox: events written beside the status change, claimed with a lease.

:func:`enqueue_status_event` runs inside the transaction that moves a job to a terminal
status, so the delivery rows commit (or roll back) with the change itself: a restart
between the commit and the send loses nothing. Delivery loops claim due rows with a
conditional UPDATE and a lease, so two replicas never send the same row at once.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from api.store.enums import JobKind, JobStatus
from api.store.tables import (
    JobRow,
    TrainingRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookRow,
)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
TERMINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
# job kind -> terminal status -> event type
EVENT_TYPES: dict[str, dict[str, str]] = {
    "solve": {s: f"job.{s}" for s in TERMINAL_STATUSES},
    "replan": {s: f"job.{s}" for s in TERMINAL_STATUSES},  # a replan is a job too
    "scenarios": {s: f"scenario_batch.{s}" for s in TERMINAL_STATUSES},
    "train": {"succeeded": "travel_model.trained", "failed": "travel_model.training_failed",
              "cancelled": "travel_model.training_cancelled"},
    "retrain": {"succeeded": "travel_model.retrained", "failed": "travel_model.retrain_failed",
                "cancelled": "travel_model.retrain_cancelled"},
}
# kinds whose jobs send no events: an evaluation's requester gets the answer itself
SILENT_KINDS = frozenset({"evaluate"})
EVENTS: tuple[str, ...] = tuple(dict.fromkeys(
    e for kinds in EVENT_TYPES.values() for e in kinds.values()))
LINKS = {"solve": "/v1/jobs/{}", "replan": "/v1/jobs/{}", "scenarios": "/v1/scenarios/{}",
         "train": "/v1/jobs/{}", "retrain": "/v1/travel-models/retrain/jobs/{}"}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base_s``, doubling, each wait at most ``max_delay_s``; the
    last attempt is made ``window_s`` after the event, then the delivery fails."""

    base_s: float = 5.0
    max_delay_s: float = 6 * 3600.0
    window_s: float = 24 * 3600.0

    def next_attempt(self, attempts: int, created_at: float, now: float) -> float | None:
        """When to try again after ``attempts`` failures; None when the window is over."""
        deadline = created_at + self.window_s
        if now >= deadline:
            return None
        delay = min(self.base_s * 2 ** (attempts - 1), self.max_delay_s)
        return min(now + delay, deadline)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _data(session: Session, job: JobRow, status: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": job.id, "kind": job.kind, "status": status,
                            "url": LINKS.get(job.kind, "/v1/jobs/{}").format(job.id)}
    if job.kind in (JobKind.TRAIN, JobKind.RETRAIN):  # saved by finish_job before the move
        training = session.get(TrainingRow, job.id)
        if training is not None and training.result_json:
            document = json.loads(training.result_json)
            data.update(model_id=document.get("model_id"), metrics=document.get("metrics"))
            if job.kind == JobKind.RETRAIN:
                data.update(decision=document.get("decision"), active=document.get("active"),
                            metrics=document.get("challenger_metrics"))
    if job.kind == JobKind.REPLAN:
        data.update(parent_id=job.parent_id, version=job.version)
    return data


def enqueue_status_event(session: Session, *, job_id: str, status: str) -> int:
    """Add one outbox row per subscribed webhook of the job's owner for the job reaching
    ``status``; the caller commits. Returns the number of rows added."""
    if status not in TERMINAL_STATUSES:
        return 0
    job = session.scalar(select(JobRow).where(JobRow.id == job_id))
    if job is None or job.kind in SILENT_KINDS:
        return 0
    event_type = EVENT_TYPES.get(job.kind, {}).get(status)
    if event_type is None:
        raise ValueError(f"no webhook event for a {job.kind!r} job becoming {status!r}")
    hooks = [h for h in session.scalars(select(WebhookRow).where(WebhookRow.owner == job.owner))
             if event_type in json.loads(h.events_json)]
    if not hooks:
        return 0
    now = time.time()
    message_id = "msg_" + uuid.uuid4().hex
    payload = json.dumps({"type": event_type, "timestamp": _iso(now),
                          "data": _data(session, job, status)})
    session.add_all(WebhookDeliveryRow(
        id="dlv_" + uuid.uuid4().hex, webhook_id=h.id, message_id=message_id,
        event_type=event_type, payload=payload, status=PENDING, attempts=0,
        next_attempt_at=now, created_at=now) for h in hooks)
    return len(hooks)


@dataclass(frozen=True)
class Claimed:
    """A delivery taken by one loop: what to send and where."""

    id: str
    message_id: str
    payload: str
    url: str
    secret: str


def claim_due(session: Session, *, owner: str, lease_seconds: float,
              limit: int = 20) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries to ``owner`` (a loop's name), oldest first."""
    now = time.time()
    free = or_(WebhookDeliveryRow.lease_expires_at.is_(None),
               WebhookDeliveryRow.lease_expires_at < now)
    candidates = list(session.scalars(
        select(WebhookDeliveryRow.id).where(
            WebhookDeliveryRow.status == PENDING, WebhookDeliveryRow.next_attempt_at <= now,
            free).order_by(WebhookDeliveryRow.next_attempt_at).limit(limit)))
    session.rollback()
    taken: list[str] = []
    for delivery_id in candidates:
        done = session.execute(update(WebhookDeliveryRow).where(
            WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.status == PENDING,
            free).values(lease_owner=owner, lease_expires_at=now + lease_seconds))
        session.commit()
        if done.rowcount == 1:  # type: ignore[attr-defined]
            taken.append(delivery_id)
    if not taken:
        return []
    rows = session.execute(
        select(WebhookDeliveryRow, WebhookRow.url, WebhookRow.secret)
        .join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
        .where(WebhookDeliveryRow.id.in_(taken))).all()
    session.rollback()
    return [Claimed(d.id, d.message_id, d.payload, url, secret) for d, url, secret in rows]


def record_attempt(session: Session, *, delivery_id: str, owner: str, at: float,
                   duration_ms: float, status_code: int | None, error: str | None,
                   policy: RetryPolicy) -> str:
    """Log one attempt and move the delivery on (delivered, retry later, or failed);
    returns the delivery's new status. A 2xx answer is a success, anything else is not."""
    row = session.get(WebhookDeliveryRow, delivery_id)
    if row is None:  # the webhook was deleted meanwhile, with its deliveries
        session.rollback()
        return FAILED
    session.add(WebhookAttemptRow(delivery_id=delivery_id, at=at, duration_ms=duration_ms,
                                  status_code=status_code, error=error))
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_status_code": status_code,
                              "last_error": error, "lease_owner": None,
                              "lease_expires_at": None}
    if status_code is not None and 200 <= status_code < 300:
        values.update(status=DELIVERED, delivered_at=time.time())
    else:
        retry_at = policy.next_attempt(attempts, row.created_at, time.time())
        values.update(status=PENDING if retry_at is not None else FAILED,
                      next_attempt_at=retry_at if retry_at is not None else row.next_attempt_at)
    session.execute(update(WebhookDeliveryRow).where(
        WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.lease_owner == owner)
        .values(**values))
    session.commit()
    return str(values["status"])


def prune(session: Session, *, older_than: float) -> int:
    """Delete ended deliveries (delivered or failed) created before ``older_than``, with
    their attempts; pending ones are kept whatever their age. Returns how many went."""
    ended = (WebhookDeliveryRow.status.in_([DELIVERED, FAILED]),
             WebhookDeliveryRow.created_at < older_than)
    old = select(WebhookDeliveryRow.id).where(*ended)
    session.execute(delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(old)))
    gone = session.execute(delete(WebhookDeliveryRow).where(*ended))
    session.commit()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
