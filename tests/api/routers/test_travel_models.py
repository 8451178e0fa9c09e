"""Travel-model endpoints: train (synthetic trips or an upload) as a job, list, show,
activate, predict a matrix, isolation between keys, and a solve on learned travel."""

from __future__ import annotations

import time

import pytest

from tests.api.conftest import KEY_A, KEY_B, job_body, wait_for

pytest.importorskip("lightgbm")

SMALL = {"synthetic_trips": 3000, "n_estimators": 20, "n_zones": 8}


def _train(client, **params) -> dict:
    return _finished(client, client.post("/v1/travel-models",
                                         params={"source": "synthetic", **SMALL, **params}))


def _finished(client, r) -> dict:
    """The training job a 202 answer queued, polled until it ended."""
    assert r.status_code == 202, r.text
    job = r.json()
    deadline = time.monotonic() + 120
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
        job = client.get(job["links"]["self"]).json()
    return job


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One app with one synthetic model trained for key A (shared by this module)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import make_settings

    app = create_app(make_settings(tmp_path_factory.mktemp("models")))
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {KEY_A}"
        job = _train(c)
        yield c, job


def test_training_job_registers_an_active_model(trained) -> None:
    """A synthetic training job succeeds with a model id and metrics; it becomes active."""
    c, job = trained
    assert job["status"] == "succeeded", job
    models = c.get("/v1/travel-models").json()
    assert [m["model_id"] for m in models] == [job["model_id"]]
    assert models[0]["active"] is True and models[0]["metrics"]
    meta = c.get(f"/v1/travel-models/{job['model_id']}").json()
    assert meta["n_trips"] > 0
    assert c.post(f"/v1/travel-models/{job['model_id']}/activate").json()["active"] is True


def test_matrix_prediction(trained) -> None:
    """The matrix endpoint returns [slice][from][to] medians and the asked quantiles."""
    c, job = trained
    from surrogate import SyntheticCity

    city = SyntheticCity()
    pts = [[city.center_lat, city.center_lon], [city.center_lat + 0.01, city.center_lon + 0.01]]
    r = c.post(f"/v1/travel-models/{job['model_id']}/matrix", json={
        "points": pts, "departures": ["2024-01-08T08:00:00", "2024-01-08T14:00:00"],
        "quantiles": [0.1, 0.9]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["durations"]) == 2 and len(body["durations"][0]) == 2
    assert body["durations"][0][0][0] == 0 and body["durations"][0][0][1] > 0
    assert body["quantiles"]["0.1"][0][0][1] <= body["durations"][0][0][1] <= \
        body["quantiles"]["0.9"][0][0][1]
    bad = c.post(f"/v1/travel-models/{job['model_id']}/matrix", json={
        "points": pts, "departures": [0], "quantiles": [0.3]})
    assert bad.status_code == 422


def test_models_are_isolated_per_key(trained) -> None:
    """Key B sees no models and gets 404 for key A's model and training job."""
    c, job = trained
    b = {"Authorization": f"Bearer {KEY_B}"}
    assert c.get("/v1/travel-models", headers=b).json() == []
    assert c.get(f"/v1/travel-models/{job['model_id']}", headers=b).status_code == 404
    assert c.post(f"/v1/travel-models/{job['model_id']}/matrix", headers=b, json={
        "points": [[0, 0]], "departures": [0]}).status_code == 404
    assert c.get(job["links"]["self"], headers=b).status_code == 404
    assert c.get("/v1/travel-models/..%2F..%2Fetc").status_code in (404, 422)


def test_solve_with_learned_travel(trained) -> None:
    """A job whose travel is 'learned' uses the submitting key's active model."""
    c, job = trained
    from surrogate import SyntheticCity

    city = SyntheticCity()
    problem = {
        "name": "learned",
        "depots": [{"id": "D", "location": {"lat": city.center_lat, "lon": city.center_lon}}],
        "stops": [{"id": f"S{k}", "location": {"lat": city.center_lat + 0.004 * k,
                                                "lon": city.center_lon - 0.003 * k}}
                  for k in range(1, 4)],
        "vehicle_types": [{"id": "van", "start_depot": "D"}],
        "travel": {"kind": "learned", "departure": "2024-01-08T08:00:00", "horizon_hours": 2},
    }
    r = c.post("/v1/jobs", json=job_body(problem))
    done = wait_for(c, r.json()["id"], timeout=60)
    assert done["status"] == "succeeded", done
    assert done["result"]["solution"]["stats"]["travel_model"] == job["model_id"]
    b = {"Authorization": f"Bearer {KEY_B}"}
    other = c.post("/v1/jobs", json=job_body(problem), headers=b).json()
    failed = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        failed = c.get(f"/v1/jobs/{other['id']}", headers=b).json()
        if failed["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert failed["status"] == "failed" and "travel.model" in failed["error"]["detail"]


def test_upload_without_body_or_with_unknown_columns_is_422(trained) -> None:
    """source=upload needs a trip file in the body, in a known layout."""
    c, _ = trained
    r = c.post("/v1/travel-models")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = c.post("/v1/travel-models", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and "unrecognised trip format" in r.json()["detail"]
    r = c.post("/v1/travel-models", params={"source": "synthetic", "n_estimators": 5000})
    assert r.status_code == 422
    r = c.post("/v1/travel-models", params={"source": "synthetic"}, content=b"x,y")
    assert r.status_code == 422 and "source=upload" in r.json()["detail"]


def test_training_preset_is_applied_recorded_and_listed(trained) -> None:
    """preset=fastest trains with that preset's settings (no n_estimators given), the
    job's result, the model's metadata and the model list say so; an unknown preset is a
    422 naming the presets, before any job exists."""
    from surrogate.model import PRESETS

    c, first = trained
    params = {"source": "synthetic", "synthetic_trips": 2000, "n_zones": 6, "seed": 3,
              "preset": "fastest"}
    job = _finished(c, c.post("/v1/travel-models", params=params))
    assert job["status"] == "succeeded", job
    assert job["result"]["preset"] == "fastest"
    meta = c.get(f"/v1/travel-models/{job['model_id']}").json()
    assert meta["preset"] == "fastest"
    assert {k: meta["params"][k] for k in PRESETS["fastest"]} == PRESETS["fastest"]
    listed = {m["model_id"]: m["preset"] for m in c.get("/v1/travel-models").json()}
    assert listed[job["model_id"]] == "fastest" and listed[first["model_id"]] == "default"
    r = c.post("/v1/travel-models", params={**params, "preset": "turbo"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert "turbo" in body["detail"] and all(name in body["detail"] for name in PRESETS)
    assert body["errors"][0]["loc"] == ["query", "preset"]


def test_upload_trips_csv(trained, tmp_path) -> None:
    """An uploaded CSV in the generic schema trains a model (not activated)."""
    c, first = trained
    from surrogate import SyntheticCity

    trips = SyntheticCity().simulate_trips(3000, seed=5)
    data = trips.to_csv(index=False).encode()
    r = c.post("/v1/travel-models", params={"n_estimators": 20, "n_zones": 8, "seed": 1},
               content=data, headers={"content-type": "text/csv"})
    assert r.status_code == 202
    job = r.json()
    deadline = time.monotonic() + 120
    while job["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
        job = c.get(job["links"]["self"]).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["cleaning"]["rows_in"] == 3000
    actives = {m["model_id"]: m["active"] for m in c.get("/v1/travel-models").json()}
    # only the first model is active (this module's other tests train more models)
    assert actives[job["model_id"]] is False
    assert [mid for mid, active in actives.items() if active] == [first["model_id"]]


def test_demo_model_is_trained_on_first_start(client_factory) -> None:
    """With demo_model on and no keys, the first start trains the synthetic-city model in
    the background and it becomes the active one."""
    c = client_factory(api_keys=[], demo_model=True)
    deadline = time.monotonic() + 180
    models: list = []
    while time.monotonic() < deadline and not models:
        models = c.get("/v1/travel-models").json()
        time.sleep(0.2)
    assert models and models[0]["active"] is True
