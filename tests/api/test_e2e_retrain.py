"""End to end through a real `routecast serve`: train a travel model, plan six days,
post what the drivers really did on 1.8x slower streets, retrain (a job): the
challenger is promoted, becomes the active model, and the comparison is listed."""

from __future__ import annotations

import pytest

from tests.api.routers.test_retrain import _drive, _wait
from tests.api.test_e2e import Server, server  # noqa: F401 (the fixture)
from tests.api.test_e2e_actuals import SLOW, _train

pytest.importorskip("lightgbm")


def test_retrain_on_posted_actuals_through_serve(server: Server) -> None:  # noqa: F811
    with server.client() as c:
        champion = _train(c)
        legs = _drive(c, SLOW, days=6)
        r = c.post("/v1/travel-models/retrain", json={})
        assert r.status_code == 202, r.text
        job = _wait(c, r.json()["links"]["self"])
        assert job["status"] == "succeeded", job
        result = job["result"]
        assert result["decision"] == "promoted", result["reason"]
        assert result["champion"]["model_id"] == champion
        assert (result["windows"]["training_actuals"]["n_trips"]
                + result["windows"]["holdout"]["n_trips"]) == legs
        active = [m["model_id"] for m in c.get("/v1/travel-models").json() if m["active"]]
        assert active == [job["model_id"]] != [champion]
        listed = c.get("/v1/travel-models/retrain/comparisons").json()
        assert listed[0]["challenger"]["model_id"] == job["model_id"]
