"""Webhook endpoints and their deliveries, always resolved inside one owner's space."""

from __future__ import annotations

import hashlib
import json
import time
import uuid

from sqlalchemy import delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from api.store.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookRow
from api.webhooks.outbox import PENDING
from api.webhooks.signing import new_secret


class WebhookNotFoundError(LookupError):
    """No such webhook or delivery in the caller's space (another key's id included)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} not found")


class WebhookLimitError(Exception):
    """The owner already has the most webhooks a key may register."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"a key may register at most {limit} webhooks "
                         "(webhook_max_per_key)")


def create_webhook(session: Session, *, owner: str, url: str, events: list[str],
                   limit: int | None = None) -> WebhookRow:
    """Register an endpoint; with ``limit``, only while ``owner`` has fewer than that.

    The count and the insert are one atomic step, so concurrent registrations cannot
    exceed the limit: one ``INSERT ... SELECT ... WHERE count < limit`` statement, which
    SQLite runs under its single write lock, and on PostgreSQL behind a transaction-level
    advisory lock per owner (there, two statements of READ COMMITTED transactions would
    each count without the other's uncommitted row).
    """
    values = {"id": "wh_" + uuid.uuid4().hex, "owner": owner, "url": url,
              "events_json": json.dumps(sorted(set(events))), "secret": new_secret(),
              "created_at": time.time()}
    if limit is None:
        session.add(WebhookRow(**values))
        session.commit()
        return session.get(WebhookRow, values["id"])  # type: ignore[return-value]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(owner)})
    count = select(func.count()).where(WebhookRow.owner == owner).scalar_subquery()
    row = select(*(literal(v) for v in values.values())).where(count < limit)
    done = session.scalar(insert(WebhookRow).from_select(list(values), row)
                          .returning(WebhookRow.id))
    if done is None:
        session.rollback()
        raise WebhookLimitError(limit)
    session.commit()
    return session.get(WebhookRow, values["id"])  # type: ignore[return-value]


def _lock_key(owner: str) -> int:
    """A signed 64-bit advisory-lock key for ``owner``'s webhooks."""
    digest = hashlib.sha256(f"routecast:webhooks:{owner}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def list_webhooks(session: Session, *, owner: str) -> list[WebhookRow]:
    return list(session.scalars(select(WebhookRow).where(WebhookRow.owner == owner)
                                .order_by(WebhookRow.created_at)))


def get_webhook(session: Session, *, owner: str, webhook_id: str) -> WebhookRow:
    row = session.get(WebhookRow, webhook_id)
    if row is None or row.owner != owner:
        raise WebhookNotFoundError(f"webhook {webhook_id!r}")
    return row


def delete_webhook(session: Session, *, owner: str, webhook_id: str) -> None:
    """Remove the endpoint with its deliveries and their attempts (nothing more is sent)."""
    get_webhook(session, owner=owner, webhook_id=webhook_id)
    ids = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.webhook_id == webhook_id)
    session.execute(delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(ids)))
    session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == webhook_id))
    session.execute(delete(WebhookRow).where(WebhookRow.id == webhook_id))
    session.commit()


def list_deliveries(session: Session, *, owner: str, webhook_id: str,
                    limit: int) -> list[tuple[WebhookDeliveryRow, list[WebhookAttemptRow]]]:
    """Newest first, each with its attempts in order."""
    get_webhook(session, owner=owner, webhook_id=webhook_id)
    rows = list(session.scalars(
        select(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == webhook_id)
        .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id).limit(limit)))
    attempts: dict[str, list[WebhookAttemptRow]] = {r.id: [] for r in rows}
    for a in session.scalars(select(WebhookAttemptRow).where(
            WebhookAttemptRow.delivery_id.in_(list(attempts))).order_by(WebhookAttemptRow.id)):
        attempts[a.delivery_id].append(a)
    return [(r, attempts[r.id]) for r in rows]


def redeliver(session: Session, *, owner: str, webhook_id: str,
              delivery_id: str) -> WebhookDeliveryRow:
    """Queue the same message (same ``webhook-id`` and payload) again as a new delivery,
    due now, with a fresh retry window."""
    get_webhook(session, owner=owner, webhook_id=webhook_id)
    old = session.get(WebhookDeliveryRow, delivery_id)
    if old is None or old.webhook_id != webhook_id:
        raise WebhookNotFoundError(f"delivery {delivery_id!r}")
    now = time.time()
    row = WebhookDeliveryRow(
        id="dlv_" + uuid.uuid4().hex, webhook_id=webhook_id, message_id=old.message_id,
        event_type=old.event_type, payload=old.payload, status=PENDING, attempts=0,
        next_attempt_at=now, created_at=now)
    session.add(row)
    session.commit()
    return row
