"""Request and response bodies of the webhook endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.webhooks.outbox import EVENTS

EventType = Literal[EVENTS]  # type: ignore[valid-type]


class WebhookCreate(BaseModel):
    """An endpoint to call when one of ``events`` happens to one of the caller's jobs."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://example.com/routecast-hook",
        "events": ["job.succeeded", "job.failed"]}]})

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL, public host")
    events: list[EventType] = Field(min_length=1, max_length=len(EVENTS))


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: float


class WebhookCreated(WebhookPublic):
    """Shown once: ``secret`` (``whsec_…``) verifies the ``webhook-signature`` header."""

    secret: str


class WebhookList(BaseModel):
    items: list[WebhookPublic]


class AttemptPublic(BaseModel):
    at: float
    duration_ms: float
    status_code: int | None
    error: str | None


class DeliveryPublic(BaseModel):
    """One message to the endpoint; ``message_id`` is its ``webhook-id`` header."""

    id: str
    message_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: float | None
    last_status_code: int | None
    last_error: str | None
    created_at: float
    delivered_at: float | None
    payload: str
    attempt_log: list[AttemptPublic]


class DeliveryList(BaseModel):
    items: list[DeliveryPublic]
