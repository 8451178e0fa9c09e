"""The delivery loop against a real local receiver: signed POSTs, retries, refusals,
and two loops on one database sending each message once."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from api.store import jobs
from api.store.db import init_db, make_engine, session_factory
from api.store.tables import WebhookAttemptRow, WebhookDeliveryRow
from api.webhooks.delivery import DeliveryLoop
from api.webhooks.store import create_webhook
from tests.api.conftest import make_settings
from tests.api.webhooks.receiver import Receiver, verify


def _setup(url: str, tmp_path: Path, receiver: Receiver, n_events: int = 1,
           **overrides: Any) -> tuple[Any, Any, str]:
    settings = make_settings(tmp_path, database_url=url, webhook_allow_private=True,
                             webhook_retry_base_seconds=0.05, **overrides)
    engine = make_engine(url)
    init_db(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        hook = create_webhook(s, owner="a", url=receiver.url, events=["job.cancelled"])
        for _ in range(n_events):
            job, _ = jobs.create_job(s, owner="a", problem_json="{}", options_json="{}",
                                     content_hash="h")
            jobs.request_cancel(s, job_id=job.id, owner="a")
    return settings, sessions, hook.secret


def test_delivery_is_signed_and_recorded(store_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """One POST with a valid Standard Webhooks signature; the delivery becomes delivered
    with one attempt answered 200."""
    settings, sessions, secret = _setup(store_url, tmp_path, receiver)
    loop = DeliveryLoop(settings, sessions)
    try:
        assert loop.run_once() == 1
    finally:
        loop.stop()
    (got,) = receiver.wait(1)
    assert verify(secret, got)
    assert json.loads(got.body)["type"] == "job.cancelled"
    with sessions() as s:
        row = s.query(WebhookDeliveryRow).one()
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
        assert row.message_id == got.headers["webhook-id"]


def test_failed_delivery_is_retried_with_the_same_message_id(
        store_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """500 then 200: the loop retries after the backoff, same webhook-id, then delivers."""
    receiver.statuses = [500, 200]
    settings, sessions, secret = _setup(store_url, tmp_path, receiver, webhook_poll_seconds=0.02)
    loop = DeliveryLoop(settings, sessions)
    loop.start()
    try:
        first, second = receiver.wait(2)
    finally:
        loop.stop()
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verify(secret, first) and verify(secret, second)
    assert second.at - first.at >= 0.04  # waited out the backoff


def test_private_target_is_refused_at_delivery(store_url: str, tmp_path: Path,
                                               receiver: Receiver) -> None:
    """A loopback URL stored while allowed is not called once private targets are
    refused; the attempt records the refusal."""
    settings, sessions, _ = _setup(store_url, tmp_path, receiver)
    strict = settings.model_copy(update={"webhook_allow_private": False})
    loop = DeliveryLoop(strict, sessions)
    try:
        assert loop.run_once() == 1
    finally:
        loop.stop()
    assert receiver.requests == []
    with sessions() as s:
        (attempt,) = s.query(WebhookAttemptRow).all()
        assert attempt.status_code is None and "private or loopback" in attempt.error


def test_two_replicas_send_each_message_once(store_url: str, tmp_path: Path,
                                             receiver: Receiver) -> None:
    """Two loops racing on one database: 30 events, 30 distinct webhook-ids received."""
    settings, sessions, _ = _setup(store_url, tmp_path, receiver, n_events=30)
    loops = [DeliveryLoop(settings, sessions), DeliveryLoop(settings, sessions)]
    barrier = threading.Barrier(2)

    def drain(loop: DeliveryLoop) -> None:
        barrier.wait()
        while loop.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(lp,)) for lp in loops]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for lp in loops:
        lp.stop()
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30
