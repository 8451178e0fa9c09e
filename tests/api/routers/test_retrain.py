"""POST /v1/travel-models/retrain: a champion/challenger job on the key's stored actuals."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from typing import Any

import pytest

from api.kinds.train import registry_root
from api.store import actuals
from api.store.db import sessions_for
from benchmarks.surrogate.fleet_actuals import fleet_days
from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel
from tests.api.conftest import KEY_B
from tests.api.store.conftest import new_job

CITY = SyntheticCity()


def _principal(client) -> str:
    """The principal id of the client's key (``api.auth``)."""
    key = client.headers["Authorization"].split()[-1]
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _champion(client) -> str:
    """Register a January model with its trips as the key's active model."""
    settings = client.app.state.settings
    base = CITY.simulate_trips(4000, "2024-01-01", 28.0, seed=0)
    model = TravelTimeModel(n_threads=1, seed=0, n_estimators=150, n_zones=20).fit(base)
    return ModelRegistry(registry_root(settings, _principal(client))).register(model,
                                                                               trips=base)


def _store_actuals(client, city: SyntheticCity, days: int) -> int:
    """Each day's actuals stored with a solve job of the key, as the actuals endpoint
    does; returns the number of legs."""
    sessions = sessions_for(client.app.state.settings.db_url)
    owner, n = _principal(client), 0
    for day, executed, legs, order in fleet_days(city, start="2024-02-05", days=days, seed=1):
        with sessions() as s:
            job = new_job(s, owner=owner, body=f"plan-{day}")
            actuals.replace_actuals(s, job_id=job.id, owner=owner, day=executed, legs=legs,
                                    received_at=time.time(), order=order)
            s.commit()
        n += len(legs.legs)
    return n


def _wait(client, url: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).json()
        if body["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_retrain_is_refused_before_queueing_when_it_cannot_run(client) -> None:
    """No active model: 422 naming the champion; a model but no actuals: 422 naming them."""
    r = client.post("/v1/travel-models/retrain")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "champion"
    assert "no travel model is active" in r.json()["detail"]
    _champion(client)
    r = client.post("/v1/travel-models/retrain", json={"margin": 0.05})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "actuals"
    assert "0 actual legs are too few" in r.json()["detail"]
    r = client.post("/v1/travel-models/retrain", json={"margin": 0.9})
    assert r.status_code == 422 and "margin" in r.json()["errors"][0]["path"]


def test_retrain_job_promotes_after_a_traffic_change(client) -> None:
    """Two weeks of slower traffic in the key's actuals: the job's challenger wins on the
    latest legs and becomes the key's active model; the comparison is listed; the other
    key sees neither the job nor the comparison."""
    pytest.importorskip("lightgbm")
    champion = _champion(client)
    legs = _store_actuals(client, dataclasses.replace(CITY, free_speed_mps=8.0), days=10)
    r = client.post("/v1/travel-models/retrain", json={"margin": 0.02})
    assert r.status_code == 202, r.json()
    job = _wait(client, r.json()["links"]["self"])
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["decision"] == "promoted", result["reason"]
    assert result["champion"]["model_id"] == champion
    assert job["model_id"] == result["challenger"]["model_id"] == result["active"]
    assert (result["windows"]["training_actuals"]["n_trips"]
            + result["windows"]["holdout"]["n_trips"]) == legs
    active = [m for m in client.get("/v1/travel-models").json() if m["active"]]
    assert [m["model_id"] for m in active] == [job["model_id"]]
    listed = client.get("/v1/travel-models/retrain/comparisons").json()
    assert [c["challenger"]["model_id"] for c in listed] == [job["model_id"]]
    assert {"champion_metrics", "challenger_metrics", "windows", "policy"} <= set(listed[0])
    client.headers["Authorization"] = f"Bearer {KEY_B}"
    assert client.get(r.json()["links"]["self"]).status_code == 404
    assert client.get("/v1/travel-models/retrain/comparisons").json() == []
