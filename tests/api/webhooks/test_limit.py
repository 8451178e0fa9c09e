"""The per-key webhook cap holds under concurrent registrations (issue 14): the count and
the insert are one atomic step, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.store.tables import WebhookRow
from api.webhooks.store import WebhookLimitError, create_webhook, list_webhooks
from tests.api.conftest import KEY_A, KEY_B

RACERS = 12


def _race(work: Any) -> list[Any]:
    """Run ``work(k)`` on ``RACERS`` threads released together; their results."""
    start = threading.Barrier(RACERS)

    def go(k: int) -> Any:
        start.wait()
        return work(k)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(go, range(RACERS)))


def test_concurrent_registrations_stop_at_the_limit(sessions: Any) -> None:
    """Twelve sessions register for one owner at once with a limit of 3: exactly three
    rows, the other nine refused; another owner's registration is not affected."""

    def register(k: int) -> str:
        with sessions() as s:
            try:
                return create_webhook(s, owner="a", url=f"http://x/{k}",
                                      events=["job.succeeded"], limit=3).id
            except WebhookLimitError:
                return "refused"

    outcomes = _race(register)
    assert outcomes.count("refused") == RACERS - 3
    with sessions() as s:
        assert sorted(r.id for r in list_webhooks(s, owner="a")) == sorted(
            o for o in outcomes if o != "refused")
        assert create_webhook(s, owner="b", url="http://x/b", events=["job.failed"],
                              limit=3).owner == "b"
        with pytest.raises(WebhookLimitError, match="at most 3 webhooks"):
            create_webhook(s, owner="a", url="http://x/late", events=["job.failed"], limit=3)
        assert s.query(WebhookRow).count() == 4


def test_concurrent_posts_answer_409_past_the_limit(client_factory: Any) -> None:
    """Through the API (on the test store): concurrent POSTs of one key beyond
    ``webhook_max_per_key`` get 409 limit-exceeded; the other key still registers."""
    c = client_factory(webhook_allow_private=True, webhook_max_per_key=2)
    codes = _race(lambda k: c.post("/v1/webhooks", headers={"X-API-Key": KEY_A}, json={
        "url": f"http://127.0.0.1:9/{k}", "events": ["job.succeeded"]}))
    assert sorted(r.status_code for r in codes) == [201, 201] + [409] * (RACERS - 2)
    refused = next(r for r in codes if r.status_code == 409).json()
    assert refused["limit"] == "webhook_max_per_key" and "at most 2" in refused["detail"]
    assert len(c.get("/v1/webhooks", headers={"X-API-Key": KEY_A}).json()["items"]) == 2
    other = c.post("/v1/webhooks", headers={"X-API-Key": KEY_B},
                   json={"url": "http://127.0.0.1:9/b", "events": ["job.failed"]})
    assert other.status_code == 201
