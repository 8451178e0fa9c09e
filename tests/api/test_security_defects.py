"""Regression tests for the defects a probe of the service found (issue 14, section 4).

Each test names its defect number. Tests that need a trained travel-time model register a
tiny one straight into a key's registry (no training job) and skip without LightGBM.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.kinds.train import registry_root
from api.schemas import EvaluateRequest, ScenarioBatchCreate
from tests.api.conftest import KEY_A, KEY_B, job_body, tiny_problem


def _principal(key: str) -> str:
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _geo_problem(n: int, **travel: Any) -> dict[str, Any]:
    """``n`` stops around Manhattan on learned travel (the defaults of LearnedTravel)."""
    return {
        "name": "geo",
        "depots": [{"id": "D", "location": {"lat": 40.75, "lon": -73.99}}],
        "stops": [{"id": f"s{k}", "location": {"lat": 40.70 + (k % 50) * 0.002,
                                                 "lon": -74.0 + (k // 50) * 0.002}}
                  for k in range(n)],
        "vehicle_types": [{"id": "van", "count": 2, "start_depot": "D"}],
        "travel": {"kind": "learned", "departure": "2024-01-29T08:00:00Z", **travel},
    }


def _plan(problem: dict[str, Any]) -> dict[str, Any]:
    return {"problem": problem["name"], "routes": [
        {"vehicle_type": "van", "stops": [s["id"] for s in problem["stops"]]}]}


@pytest.fixture(scope="module")
def tiny_model() -> Any:
    """A travel-time model fitted on 800 simulated trips (seconds to fit)."""
    pytest.importorskip("lightgbm")
    from surrogate import SyntheticCity, TravelTimeModel

    trips = SyntheticCity().simulate_trips(800, seed=0)
    return TravelTimeModel(n_estimators=5, n_zones=5, n_threads=1).fit(trips)


# -- 1. travel.model resolves only inside the caller's registry ---------------------------

@pytest.mark.parametrize("model", ["/etc/passwd", "../../key-0123456789abcdef/models/tt-1",
                                   "..", "a/b"])
def test_1_model_ids_that_are_paths_are_refused_on_jobs_and_evaluate(
        client: TestClient, model: str) -> None:
    """A path as ``travel.model`` is a 422 naming the field, on /v1/jobs and /v1/evaluate."""
    problem = _geo_problem(3, model=model)
    for url, body in (("/v1/jobs", job_body(problem)),
                      ("/v1/evaluate", {"problem": problem, "solution": _plan(problem)})):
        r = client.post(url, json=body)
        assert r.status_code == 422, (url, r.text)
        assert any(e["path"] == "problem.travel.learned.model" for e in r.json()["errors"])


def test_1_another_keys_model_is_not_found(client: TestClient, tiny_model: Any,
                                           tmp_path: Path) -> None:
    """Key B's model id names no model of key A's: the evaluation answers 422 at
    travel.model and shows neither B's principal nor a server folder; B may use it."""
    from api.settings import Settings
    from surrogate import ModelRegistry

    settings = Settings(data_dir=tmp_path)
    mid = ModelRegistry(registry_root(settings, _principal(KEY_B))).register(tiny_model)
    problem = _geo_problem(3, model=mid)
    body = {"problem": problem, "solution": _plan(problem)}
    r = client.post("/v1/evaluate", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("travel.model: no travel model")
    assert _principal(KEY_B) not in r.text and str(tmp_path) not in r.text
    r_b = client.post("/v1/evaluate", json=body, headers={"Authorization": f"Bearer {KEY_B}"})
    assert r_b.status_code == 200, r_b.text


# -- 2. memory and time are bounded before any work --------------------------------------

def test_2_evaluate_refuses_a_large_learned_tensor_before_building_it(
        client: TestClient) -> None:
    """200 stops x a week at 5-min slices (80 M travel times) is a 422 in well under a
    second, without a model: the size is checked before anything is built."""
    problem = _geo_problem(200, slice_minutes=5, horizon_hours=168)
    started = time.perf_counter()
    r = client.post("/v1/evaluate", json={"problem": problem, "solution": _plan(problem)})
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "evaluate_max_learned_cells"
    assert time.perf_counter() - started < 5.0


def test_2_jobs_refuse_a_learned_tensor_over_the_limit(client: TestClient) -> None:
    """A job whose learned travel exceeds ``max_learned_cells`` is refused at submit."""
    problem = _geo_problem(2000, slice_minutes=5, horizon_hours=168)
    r = client.post("/v1/jobs", json=job_body(problem))
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "max_learned_cells"


def test_2_scenario_stop_limits_are_checked_before_edits_are_applied(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """3 variants adding 100,000 stops each answer 422 naming the variant, and no variant
    problem is ever built."""
    import api.kinds.scenarios

    def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("variants were built before the stop limit was checked")

    monkeypatch.setattr(api.kinds.scenarios, "prepare", never)
    variants = [{"name": f"big{k}", "edits": [{"op": "add_stops", "count": 100_000}]}
                for k in range(3)]
    r = client.post("/v1/scenarios", json={"problem": tiny_problem(),
                                           "scenarios": {"variants": variants}})
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "max_stops"
    assert "big0" in r.json()["detail"]


def _csv(rows: int) -> bytes:
    head = b"origin_lat,origin_lon,dest_lat,dest_lon,departure,duration_s\n"
    return head + b"40.75,-73.99,40.76,-73.98,2024-01-01T08:00:00Z,300\n" * rows


def test_2_gzip_uploads_are_capped_on_decompressed_bytes_and_rows(
        client_factory: Any, tmp_path: Path) -> None:
    """A small gzip that expands past ``training_max_upload_bytes`` answers 413, one with
    too many rows 422; neither queues a job nor leaves a file behind."""
    client = client_factory(training_max_upload_bytes=200_000, training_max_upload_rows=1000)
    client.headers["Authorization"] = f"Bearer {KEY_A}"
    bomb = gzip.compress(_csv(100_000))
    assert len(bomb) < 50_000
    r = client.post("/v1/travel-models", content=bomb,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413, r.text
    assert r.json()["limit"] == "training_max_upload_bytes"
    r = client.post("/v1/travel-models", content=gzip.compress(_csv(2000)),
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "training_max_upload_rows"
    r = client.post("/v1/travel-models", content=_csv(2000),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["limit"] == "training_max_upload_rows"
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_2_parquet_and_broken_gzip_uploads_are_checked_before_queueing(
        client_factory: Any, tmp_path: Path) -> None:
    """Parquet rows are counted from the footer (422 over the cap); a truncated gzip is a
    422 naming the body, not a failed job later."""
    import io

    import pandas as pd

    client = client_factory(training_max_upload_rows=1000)
    client.headers["Authorization"] = f"Bearer {KEY_A}"
    frame = pd.read_csv(io.BytesIO(_csv(2000)))
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    r = client.post("/v1/travel-models", content=buffer.getvalue(),
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 422 and r.json()["limit"] == "training_max_upload_rows", r.text
    r = client.post("/v1/travel-models", content=gzip.compress(_csv(10))[:-12],
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 422 and "gzip" in r.json()["detail"], r.text
    assert client.get("/v1/jobs").json()["items"] == []


def test_2_8_a_failed_upload_training_deletes_the_file_and_hides_its_path(
        tmp_path: Path) -> None:
    """Training on an unreadable upload fails naming "the uploaded file" (not its server
    path), and the upload is deleted."""
    pytest.importorskip("lightgbm")
    from api.kinds.train import TrainingParams, TrainingSpec, train
    from api.settings import Settings
    from surrogate import SurrogateError

    upload = tmp_path / "uploads" / "0123.csv"
    upload.parent.mkdir()
    upload.write_bytes(b"a,b,c\n1,2,3\n")
    spec = TrainingSpec(source="upload", path=str(upload))
    with pytest.raises(SurrogateError) as info:
        train(spec, TrainingParams(), Settings(data_dir=tmp_path), "key-0123456789abcdef")
    assert str(tmp_path) not in str(info.value) and "uploaded file" in str(info.value)
    assert not upload.exists()


# -- 4. /metrics labels stay bounded ------------------------------------------------------

def test_4_made_up_methods_do_not_grow_metrics(client: TestClient) -> None:
    """Requests with 50 invented HTTP methods add at most one method label ("other")."""
    for k in range(50):
        client.request(f"X{k}", "/v1/jobs")
        client.request(f"Y{k}", f"/nowhere/{k}")
    text = client.get("/metrics").text
    methods = {line.split('method="', 1)[1].split('"', 1)[0]
               for line in text.splitlines()
               if line.startswith("routecast_http_requests_total{")}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert "/nowhere/3" not in text


# -- 5. a grid range that overflows ------------------------------------------------------

def test_5_overflowing_grid_range_is_a_422(client: TestClient) -> None:
    """``range: [0, 1e308, 1e-308]`` is a 422 limit, not a 500 (OverflowError)."""
    grid = {"axes": [{"op": "scale_demand", "param": "factor", "range": [0, 1e308, 1e-308]}]}
    r = client.post("/v1/scenarios", json={"problem": tiny_problem(),
                                           "scenarios": {"grid": grid}})
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "max_scenario_variants"


# -- 6. SSE resume positions are validated ------------------------------------------------

@pytest.mark.parametrize(("params", "headers"), [
    ({"after": 10**30}, {}), ({}, {"Last-Event-ID": "99999999999999999999"}),
    ({}, {"Last-Event-ID": "²".encode()}), ({}, {"Last-Event-ID": "-1"})])
def test_6_huge_or_odd_event_ids_are_a_422(client: TestClient, params: dict[str, Any],
                                           headers: dict[str, Any]) -> None:
    """A resume position that is no 64-bit event id is refused before the stream starts."""
    job = client.post("/v1/jobs", json=job_body()).json()
    r = client.get(f"/v1/jobs/{job['id']}/events", params=params, headers=headers)
    assert r.status_code == 422, r.text


# -- 7. finite extremes through the API -------------------------------------------------

def test_7_huge_coordinates_are_a_422_naming_the_field(client: TestClient) -> None:
    """x = 1e308 is refused at submit with the field's path (the model bounds it)."""
    problem = tiny_problem()
    problem["stops"][1]["location"]["x"] = 1e308
    r = client.post("/v1/jobs", json=job_body(problem))
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["problem.stops[1].location.x"]


# -- 9. large bodies are parsed off the event loop ----------------------------------------

@pytest.mark.parametrize(("url", "model"), [("/v1/evaluate", EvaluateRequest),
                                            ("/v1/scenarios", ScenarioBatchCreate)])
def test_9_bodies_are_parsed_off_the_event_loop(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str, model: Any) -> None:
    """The body model is validated in a worker thread, where no event loop runs."""
    seen: list[bool] = []
    original = model.model_validate_json

    def spy(raw: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return original(raw, *args, **kwargs)

    monkeypatch.setattr(model, "model_validate_json", spy)
    client.post(url, json={"problem": tiny_problem()})
    assert seen == [False]


# -- 10. unknown engines and non-JSON bodies ---------------------------------------------

def test_10_unknown_engine_is_a_422_at_submit(client: TestClient) -> None:
    """An engine no worker knows is refused at submit (jobs and scenario batches)."""
    r = client.post("/v1/jobs", json=job_body(engine="no-such-engine"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["path"] == "options.engine"
    r = client.post("/v1/scenarios", json={
        "problem": tiny_problem(), "options": {"engine": "no-such-engine"},
        "scenarios": {"variants": [{"name": "v", "edits": [
            {"op": "scale_demand", "factor": 1.1}]}]}})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["path"] == "options.engine"


@pytest.mark.parametrize("url", ["/v1/jobs", "/v1/solve", "/v1/evaluate", "/v1/scenarios"])
def test_10_text_plain_bodies_are_a_415(client: TestClient, url: str) -> None:
    """A JSON document sent as text/plain is refused with 415, and no job is queued."""
    import json

    r = client.post(url, content=json.dumps(job_body()),
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    assert client.get("/v1/jobs").json()["items"] == []


# -- 11. training idempotency --------------------------------------------------------------

def test_11_same_idempotency_key_gives_one_training_job(client: TestClient,
                                                        tmp_path: Path) -> None:
    """The same key and body twice is one training job (one upload kept); another body
    with that key is a 409."""
    headers = {"Idempotency-Key": "train-1", "Content-Type": "text/csv"}
    first = client.post("/v1/travel-models", content=_csv(10), headers=headers)
    again = client.post("/v1/travel-models", content=_csv(10), headers=headers)
    assert first.status_code == again.status_code == 202, again.text
    assert first.json()["id"] == again.json()["id"]
    assert client.post("/v1/travel-models", content=_csv(11),
                       headers=headers).status_code == 409
    uploads = tmp_path / "uploads"
    assert len(list(uploads.iterdir())) <= 1  # the job's own (gone once it ran)


def test_11_training_content_hash_is_stable_across_processes(tmp_path: Path) -> None:
    """The digest does not depend on the process's hash salt (PYTHONHASHSEED)."""
    import subprocess
    import sys

    code = ("from api.kinds.train import content_hash as h;"
            "from api.kinds.train import TrainingSpec as S, TrainingParams as P;"
            "print(h(S(source='upload', path='/x'), P(), b'abc'))")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": seed},
                              check=True).stdout.strip() for seed in ("1", "2")}
    assert len(digests) == 1


# -- 13. /events agrees with GET /v1/jobs/{id} --------------------------------------------

def test_13_events_404_for_ids_that_are_not_solve_jobs(client: TestClient) -> None:
    """A training job's and a scenario batch's ids 404 on /v1/jobs/{id} and on its
    /events alike; the training job streams at its own events link."""
    training = client.post("/v1/travel-models", content=_csv(10),
                           headers={"Content-Type": "text/csv"}).json()
    batch = client.post("/v1/scenarios", json={
        "problem": tiny_problem(), "options": {"engine": "fake-nn", "iteration_limit": 2},
        "scenarios": {"variants": [{"name": "v", "edits": [
            {"op": "scale_demand", "factor": 1.1}]}]}}).json()
    for job_id in (training["id"], batch["id"]):
        assert client.get(f"/v1/jobs/{job_id}").status_code == 404
        assert client.get(f"/v1/jobs/{job_id}/events").status_code == 404
    with client.stream("GET", training["links"]["events"]) as r:
        assert r.status_code == 200
        assert any(line.startswith("event: ") for line in r.iter_lines())
