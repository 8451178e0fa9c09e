"""Webhook tables: endpoints per principal, the delivery outbox and each delivery attempt.

An outbox row is written in the same transaction as the status change it reports, so an
event is never lost between the commit and the send; the delivery loop claims due rows
with a lease (``lease_owner``/``lease_expires_at``) so replicas never double-send.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from api.store.tables import Base, LongStr, Str


class WebhookRow(Base):
    """One endpoint registered by ``owner``: its URL, the event types it wants, its key."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_owner", "owner", "created_at"),)

    id: Mapped[str] = mapped_column(Str(40), primary_key=True)
    owner: Mapped[str] = mapped_column(Str(64))
    url: Mapped[str] = mapped_column(Str(2000))
    events_json: Mapped[str] = mapped_column(LongStr())
    secret: Mapped[str] = mapped_column(Str(100))  # whsec_<base64 key>
    created_at: Mapped[float] = mapped_column(Float)


class WebhookDeliveryRow(Base):
    """One message to one endpoint (the outbox). ``message_id`` is the ``webhook-id``
    header: a redelivery is a new row with the same message id and payload."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Str(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(Str(40))
    event_type: Mapped[str] = mapped_column(Str(40))
    payload: Mapped[str] = mapped_column(LongStr())
    status: Mapped[str] = mapped_column(Str(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str | None] = mapped_column(Str(120), nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    delivered_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class WebhookAttemptRow(Base):
    """One HTTP attempt of a delivery: when, how long, the status code or the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Float)
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
