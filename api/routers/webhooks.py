"""Webhooks: register, list, get, delete endpoints; list and redeliver their deliveries.

Every id is resolved inside the caller's own space: another key's webhook is a 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from api.deps import PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.schemas import problem_responses
from api.store.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookRow
from api.webhooks import store
from api.webhooks.schemas import (
    AttemptPublic,
    DeliveryList,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
)
from api.webhooks.targets import TargetRefusedError, check_url

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
T = TypeVar("T")


def _public(row: WebhookRow) -> WebhookPublic:
    return WebhookPublic(id=row.id, url=row.url, events=json.loads(row.events_json),
                         created_at=row.created_at)


def _delivery(row: WebhookDeliveryRow, attempts: list[WebhookAttemptRow]) -> DeliveryPublic:
    return DeliveryPublic(
        id=row.id, message_id=row.message_id, event_type=row.event_type,
        status=row.status, attempts=row.attempts,  # type: ignore[arg-type]
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code, last_error=row.last_error,
        created_at=row.created_at, delivered_at=row.delivered_at, payload=row.payload,
        attempt_log=[AttemptPublic(at=a.at, duration_ms=a.duration_ms,
                                   status_code=a.status_code, error=a.error) for a in attempts])


def _in_store(sessions: StoreDep, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a session; an unknown (or foreign) id becomes a 404 problem."""
    with sessions() as session:
        try:
            return work(session)
        except store.WebhookNotFoundError as exc:
            raise ApiProblem(404, "not-found", "Not found", str(exc)) from exc


@router.post("", status_code=201, response_model=WebhookCreated,
             responses=problem_responses(401, 409, 422, 429), summary="Register a webhook")
async def create_webhook(body: WebhookCreate, response: Response, who: PrincipalDep,
                         sessions: StoreDep, settings: SettingsDep) -> WebhookCreated:
    """Register ``url`` for ``events``; answers the webhook id and its signing secret
    (shown only here). Private and loopback hosts are refused."""
    try:
        await run_in_threadpool(check_url, body.url,
                                allow_private=settings.webhook_allow_private)
    except TargetRefusedError as exc:
        raise ApiProblem(422, "invalid-webhook-url", "Webhook URL refused", f"url: {exc}",
                         errors=[{"loc": ["body", "url"], "path": "url", "msg": str(exc),
                                  "type": "target_refused"}]) from exc

    def create(session: Session) -> WebhookCreated:
        try:
            row = store.create_webhook(session, owner=who.id, url=body.url,
                                       events=list(body.events),
                                       limit=settings.webhook_max_per_key)
        except store.WebhookLimitError as exc:
            raise ApiProblem(409, "limit-exceeded", "Too many webhooks", str(exc),
                             limit="webhook_max_per_key") from exc
        return WebhookCreated(**_public(row).model_dump(), secret=row.secret)

    created = await run_in_threadpool(_in_store, sessions, create)
    response.headers["Location"] = f"/v1/webhooks/{created.id}"
    return created


@router.get("", response_model=WebhookList, responses=problem_responses(401, 429),
            summary="List webhooks")
def list_webhooks(who: PrincipalDep, sessions: StoreDep) -> WebhookList:
    """The caller's webhooks, oldest first (secrets are not shown again)."""
    return _in_store(sessions, lambda s: WebhookList(
        items=[_public(r) for r in store.list_webhooks(s, owner=who.id)]))


@router.get("/{webhook_id}", response_model=WebhookPublic,
            responses=problem_responses(401, 404, 429), summary="Get a webhook")
def get_webhook(webhook_id: str, who: PrincipalDep, sessions: StoreDep) -> WebhookPublic:
    return _in_store(sessions, lambda s: _public(
        store.get_webhook(s, owner=who.id, webhook_id=webhook_id)))


@router.delete("/{webhook_id}", status_code=204, response_class=Response,
               responses=problem_responses(401, 404, 429), summary="Delete a webhook")
def delete_webhook(webhook_id: str, who: PrincipalDep, sessions: StoreDep) -> Response:
    """Remove the webhook and its pending deliveries: nothing more is sent to it."""
    _in_store(sessions, lambda s: store.delete_webhook(s, owner=who.id, webhook_id=webhook_id))
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList,
            responses=problem_responses(401, 404, 422, 429), summary="List deliveries")
def list_deliveries(webhook_id: str, who: PrincipalDep, sessions: StoreDep,
                    limit: Annotated[int, Query(ge=1, le=100)] = 50) -> DeliveryList:
    """Newest first: status, attempts (each with its time, status code or error), the
    next attempt's time while pending, and the payload that was signed."""
    return _in_store(sessions, lambda s: DeliveryList(items=[
        _delivery(row, attempts) for row, attempts in store.list_deliveries(
            s, owner=who.id, webhook_id=webhook_id, limit=limit)]))


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             response_model=DeliveryPublic, responses=problem_responses(401, 404, 429),
             summary="Redeliver a message")
def redeliver(webhook_id: str, delivery_id: str, who: PrincipalDep,
              sessions: StoreDep) -> DeliveryPublic:
    """Send the same message (same ``webhook-id`` and body) again, as a new delivery."""
    return _in_store(sessions, lambda s: _delivery(store.redeliver(
        s, owner=who.id, webhook_id=webhook_id, delivery_id=delivery_id), []))
