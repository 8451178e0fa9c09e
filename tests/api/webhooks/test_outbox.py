"""The outbox, on SQLite and PostgreSQL: events commit with the status change, leases keep
replicas from double-sending, attempts back off exponentially for 24 h."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.store import jobs, leases, trainings
from api.store.enums import JobKind, JobStatus
from api.store.tables import WebhookDeliveryRow
from api.store.transitions import IllegalTransitionError
from api.webhooks import outbox
from api.webhooks.store import create_webhook, delete_webhook


def _job(session: Any, owner: str = "a", kind: JobKind = JobKind.SOLVE) -> str:
    job, _ = jobs.create_job(session, owner=owner, problem_json="{}", options_json="{}",
                             content_hash="h", kind=kind)
    return job.id


def _deliveries(session: Any) -> list[WebhookDeliveryRow]:
    return list(session.query(WebhookDeliveryRow).order_by(WebhookDeliveryRow.created_at))


def test_terminal_transition_writes_one_row_per_subscribed_webhook(sessions: Any) -> None:
    """A finished job gives each of its owner's subscribed webhooks one pending row; other
    owners' webhooks and unsubscribed event types get nothing."""
    with sessions() as s:
        mine = create_webhook(s, owner="a", url="http://x/1", events=["job.succeeded"])
        create_webhook(s, owner="a", url="http://x/2", events=["job.failed"])
        create_webhook(s, owner="b", url="http://x/3", events=["job.succeeded"])
        job_id = _job(s)
        leases.claim_job(s, worker="w", lease_seconds=60, job_id=job_id)
        jobs.finish_job(s, job_id=job_id, worker="w", status=JobStatus.SUCCEEDED)
        rows = _deliveries(s)
    assert [r.webhook_id for r in rows] == [mine.id]
    body = json.loads(rows[0].payload)
    assert body["type"] == "job.succeeded" and rows[0].status == "pending"
    assert body["data"] == {"id": job_id, "kind": "solve", "status": "succeeded",
                            "url": f"/v1/jobs/{job_id}"}


def test_rolled_back_transition_leaves_no_event(sessions: Any) -> None:
    """An illegal transition rolls back, taking its outbox row with it."""
    with sessions() as s:
        create_webhook(s, owner="a", url="http://x/1", events=list(outbox.EVENTS))
        job_id = _job(s)
        with pytest.raises(IllegalTransitionError):
            jobs.finish_job(s, job_id=job_id, worker="w", status=JobStatus.SUCCEEDED)  # queued
        assert _deliveries(s) == []


def test_event_types_of_batches_training_and_cancel(sessions: Any) -> None:
    """Batches report scenario_batch.*, training travel_model.trained with the model id,
    a cancelled queued job job.cancelled."""
    with sessions() as s:
        create_webhook(s, owner="a", url="http://x/1", events=list(outbox.EVENTS))
        batch = _job(s, kind=JobKind.SCENARIOS)
        leases.claim_job(s, worker="w", lease_seconds=60, job_id=batch)
        jobs.finish_job(s, job_id=batch, worker="w", status=JobStatus.FAILED)
        train, _ = trainings.create_training(s, owner="a", spec_json="{}", params_json="{}",
                                             content_hash="t", problem_name="train")
        leases.claim_job(s, worker="w", lease_seconds=60, job_id=train.id)
        model = {"model_id": "m-123", "metrics": {"mae": 1.5}}
        jobs.finish_job(s, job_id=train.id, worker="w", status=JobStatus.SUCCEEDED,
                        save=lambda session: trainings.save_model(session, job_id=train.id,
                                                                  result=model))
        queued = _job(s)
        jobs.request_cancel(s, job_id=queued, owner="a")
        payloads = [json.loads(r.payload) for r in _deliveries(s)]
    assert [p["type"] for p in payloads] == [
        "scenario_batch.failed", "travel_model.trained", "job.cancelled"]
    assert payloads[0]["data"]["url"] == f"/v1/scenarios/{batch}"
    assert payloads[1]["data"]["model_id"] == "m-123"
    assert payloads[1]["data"]["metrics"] == {"mae": 1.5}


def test_retrain_event_carries_the_decision(sessions: Any) -> None:
    """A retrain job reports travel_model.retrained with the challenger, its metrics, the
    decision and the active model, linking to its own URL."""
    with sessions() as s:
        create_webhook(s, owner="a", url="http://x/1", events=["travel_model.retrained"])
        job, _ = trainings.create_training(s, owner="a", spec_json="{}", params_json="{}",
                                           content_hash="r", problem_name="retrain",
                                           kind=JobKind.RETRAIN)
        leases.claim_job(s, worker="w", lease_seconds=60, job_id=job.id)
        doc = {"model_id": "tt-new", "decision": "kept_champion", "active": "tt-old",
               "challenger_metrics": {"rmsle": 0.3}}
        jobs.finish_job(s, job_id=job.id, worker="w", status=JobStatus.SUCCEEDED,
                        save=lambda session: trainings.save_model(session, job_id=job.id,
                                                                  result=doc))
        payloads = [json.loads(r.payload) for r in _deliveries(s)]
    assert [p["type"] for p in payloads] == ["travel_model.retrained"]
    assert payloads[0]["data"] | {"id": None} == {
        "id": None, "kind": "retrain", "status": "succeeded",
        "url": f"/v1/travel-models/retrain/jobs/{job.id}", "model_id": "tt-new",
        "metrics": {"rmsle": 0.3}, "decision": "kept_champion", "active": "tt-old"}


def test_two_loops_never_claim_the_same_row(sessions: Any) -> None:
    """Leases split the due rows between replicas; an expired lease frees a row again."""
    with sessions() as s:
        create_webhook(s, owner="a", url="http://x/1", events=["job.cancelled"])
        for _ in range(6):
            jobs.request_cancel(s, job_id=_job(s), owner="a")
        first = outbox.claim_due(s, owner="r1", lease_seconds=60, limit=4)
        second = outbox.claim_due(s, owner="r2", lease_seconds=60, limit=10)
        third = outbox.claim_due(s, owner="r3", lease_seconds=60, limit=10)
        assert len(first) == 4 and len(second) == 2 and third == []
        assert not {c.id for c in first} & {c.id for c in second}
        expired = outbox.claim_due(s, owner="r3", lease_seconds=-1, limit=10)
        assert expired == []  # nothing is free yet
        s.query(WebhookDeliveryRow).update({"lease_expires_at": 0.0})
        s.commit()
        assert len(outbox.claim_due(s, owner="r3", lease_seconds=60, limit=10)) == 6


def test_failed_attempts_back_off_then_fail_after_the_window(sessions: Any) -> None:
    """A non-2xx answer schedules a retry; past the window the delivery fails; 2xx
    delivers. Every attempt is logged with its status code."""
    policy = outbox.RetryPolicy(base_s=10.0, window_s=100.0)
    with sessions() as s:
        create_webhook(s, owner="a", url="http://x/1", events=["job.cancelled"])
        jobs.request_cancel(s, job_id=_job(s), owner="a")
        (item,) = outbox.claim_due(s, owner="r1", lease_seconds=60)
        status = outbox.record_attempt(s, delivery_id=item.id, owner="r1", at=0.0,
                                       duration_ms=1.0, status_code=503, error="HTTP 503",
                                       policy=policy)
        row = s.get(WebhookDeliveryRow, item.id)
        assert status == "pending" and row.attempts == 1 and row.last_status_code == 503
        assert 9.0 < row.next_attempt_at - row.created_at < 11.0
        assert outbox.claim_due(s, owner="r1", lease_seconds=60) == []  # not due yet
        s.query(WebhookDeliveryRow).update({"created_at": row.created_at - 1000.0})
        s.commit()
        status = outbox.record_attempt(s, delivery_id=item.id, owner="r1", at=0.0,
                                       duration_ms=1.0, status_code=None, error="timeout",
                                       policy=policy)
        assert status == "failed"


def test_retry_policy_doubles_and_ends_at_the_window() -> None:
    """Waits double from the base, are capped, and the last attempt is at the deadline."""
    p = outbox.RetryPolicy(base_s=5.0, max_delay_s=3600.0, window_s=86400.0)
    assert [p.next_attempt(n, 0.0, 0.0) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert p.next_attempt(20, 0.0, 1000.0) == 1000.0 + 3600.0
    assert p.next_attempt(10, 0.0, 86000.0) == 86400.0
    assert p.next_attempt(3, 0.0, 86400.0) is None


def test_attempt_after_the_webhook_was_deleted_is_dropped(sessions: Any) -> None:
    """A send that finishes after its webhook was deleted records nothing and reports
    the delivery failed (its rows went with the webhook)."""
    with sessions() as s:
        hook = create_webhook(s, owner="a", url="http://x/1", events=["job.cancelled"])
        jobs.request_cancel(s, job_id=_job(s), owner="a")
        (item,) = outbox.claim_due(s, owner="r1", lease_seconds=60)
        delete_webhook(s, owner="a", webhook_id=hook.id)
        assert outbox.record_attempt(
            s, delivery_id=item.id, owner="r1", at=0.0, duration_ms=1.0, status_code=200,
            error=None, policy=outbox.RetryPolicy()) == "failed"
        assert _deliveries(s) == []


def test_prune_forgets_only_old_ended_deliveries(sessions: Any) -> None:
    """Old delivered and failed deliveries go with their attempts; a pending one of the
    same age, and recent ones, stay."""
    with sessions() as s:
        create_webhook(s, owner="a", url="http://x/1", events=["job.cancelled"])
        for _ in range(4):
            jobs.request_cancel(s, job_id=_job(s), owner="a")
        items = outbox.claim_due(s, owner="r1", lease_seconds=60)
        for item, code in zip(items[:3], (200, 200, 500), strict=True):
            outbox.record_attempt(s, delivery_id=item.id, owner="r1", at=0.0,
                                  duration_ms=1.0, status_code=code, error=None,
                                  policy=outbox.RetryPolicy(window_s=0.0))
        rows = {r.id: r.status for r in _deliveries(s)}
        assert sorted(rows.values()) == ["delivered", "delivered", "failed", "pending"]
        s.query(WebhookDeliveryRow).filter(WebhookDeliveryRow.id != items[1].id).update(
            {"created_at": 0.0})
        s.commit()
        assert outbox.prune(s, older_than=1.0) == 2  # items 0 and 2; item 1 is recent
        left = {r.id: r.status for r in _deliveries(s)}
    assert left == {items[1].id: "delivered", items[3].id: "pending"}
