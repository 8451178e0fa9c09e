"""The /v1/webhooks endpoints end to end: a real job, a real receiver, per-key spaces."""

from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import KEY_B, job_body, wait_for
from tests.api.webhooks.receiver import Receiver, verify


def _client(client_factory: Any, **overrides: Any) -> Any:
    c = client_factory(webhook_allow_private=True, webhook_poll_seconds=0.02,
                       webhook_retry_base_seconds=0.05, **overrides)
    c.headers["Authorization"] = "Bearer key-alpha-123"
    return c


def test_job_success_is_delivered_signed(client_factory: Any, receiver: Receiver) -> None:
    """Register, run a job: the receiver gets job.succeeded signed with the secret, and
    the delivery log shows it delivered with status 200."""
    c = _client(client_factory)
    created = c.post("/v1/webhooks", json={"url": receiver.url, "events": ["job.succeeded"]})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["job.succeeded"]
    job_id = c.post("/v1/jobs", json=job_body()).json()["id"]
    assert wait_for(c, job_id)["status"] == "succeeded"
    (got,) = receiver.wait(1)
    assert verify(hook["secret"], got)
    payload = json.loads(got.body)
    assert payload["type"] == "job.succeeded" and payload["data"]["id"] == job_id
    log = c.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    for _ in range(100):  # the attempt is recorded just after the receiver answered
        if log[0]["status"] == "delivered":
            break
        log = c.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert log[0]["status"] == "delivered"
    assert log[0]["attempt_log"][0]["status_code"] == 200
    assert log[0]["message_id"] == got.headers["webhook-id"]
    assert "secret" not in c.get("/v1/webhooks").json()["items"][0]


def test_redelivery_sends_the_same_message_again(client_factory: Any,
                                                 receiver: Receiver) -> None:
    """Redeliver: a second POST with the same webhook-id and body."""
    c = _client(client_factory)
    hook = c.post("/v1/webhooks", json={"url": receiver.url,
                                        "events": ["job.cancelled"]}).json()
    job_id = c.post("/v1/jobs", json=job_body(time_limit=5, iteration_limit=None)).json()["id"]
    c.post(f"/v1/jobs/{job_id}/cancel")
    (first,) = receiver.wait(1)
    delivery = c.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"][0]
    again = c.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202 and again.json()["message_id"] == delivery["message_id"]
    second = receiver.wait(2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.body == first.body


def test_ids_resolve_only_in_the_callers_space(client_factory: Any,
                                               receiver: Receiver) -> None:
    """Key B sees none of key A's webhooks: get, delete, deliveries and redeliver are 404;
    B's own jobs do not reach A's endpoint."""
    a = _client(client_factory)
    hook = a.post("/v1/webhooks", json={"url": receiver.url,
                                        "events": ["job.succeeded"]}).json()
    b = _client(client_factory)
    b.headers["Authorization"] = f"Bearer {KEY_B}"
    assert b.get("/v1/webhooks").json() == {"items": []}
    for method, path in [("GET", ""), ("DELETE", ""), ("GET", "/deliveries"),
                         ("POST", "/deliveries/dlv_x/redeliver")]:
        answer = b.request(method, f"/v1/webhooks/{hook['id']}{path}")
        assert answer.status_code == 404, (method, path, answer.text)
    job_id = b.post("/v1/jobs", json=job_body()).json()["id"]
    assert wait_for(b, job_id)["status"] == "succeeded"
    assert a.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"] == []
    assert a.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert a.get(f"/v1/webhooks/{hook['id']}").status_code == 404


def test_private_targets_and_unknown_events_are_refused(client_factory: Any) -> None:
    """Without ROUTECAST_WEBHOOK_ALLOW_PRIVATE a loopback URL is a 422 naming ``url``; an
    unknown event type is a 422 naming ``events``."""
    c = client_factory()
    c.headers["Authorization"] = "Bearer key-alpha-123"
    refused = c.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x",
                                           "events": ["job.succeeded"]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "url"
    unknown = c.post("/v1/webhooks", json={"url": "https://93.184.216.34/x",
                                           "events": ["job.exploded"]})
    assert unknown.status_code == 422 and "events" in unknown.text
