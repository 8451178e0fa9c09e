"""Scenario batches over HTTP, in process: submit, runs and comparison, report formats,
cancel, isolation between keys, limits and RFC 9457 errors naming the bad edit."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import KEY_B, job_body, tiny_problem, wait_for

PROBLEM_JSON = "application/problem+json"
TERMINAL = ("succeeded", "failed", "cancelled")


def batch_body(scenarios: dict[str, Any] | None = None, problem: dict | None = None,
               **options: Any) -> dict[str, Any]:
    """A batch of the tiny problem: two variants unless ``scenarios`` is given."""
    opts = {"engine": "fake-nn", "time_limit": 5, "iteration_limit": 3, "seed": 0}
    opts.update(options)
    return {
        "problem": problem or tiny_problem(),
        "scenarios": scenarios or {"name": "what if", "variants": [
            {"name": "demand +20%", "edits": [{"op": "scale_demand", "factor": 1.2}]},
            {"name": "one more van", "edits": [{"op": "add_vehicles", "count": 1,
                                                "type": "van"}]},
        ]},
        "options": opts,
    }


def wait_batch(client: TestClient, batch_id: str, statuses: tuple[str, ...] = TERMINAL,
               timeout: float = 20.0, until: Any = None) -> dict[str, Any]:
    """Poll a batch until its status is in ``statuses`` (or ``until(body)`` holds)."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/scenarios/{batch_id}").json()
        if (until(body) if until else body["status"] in statuses) \
                or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def test_submit_runs_every_variant_and_compares(client: TestClient) -> None:
    """202 with id, status, links and queued runs; when done every run has the evaluator's
    cost and the comparison has one row per run, the base first, with deltas."""
    r = client.post("/v1/scenarios", json=batch_body())
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/scenarios/{body['id']}"
    assert body["links"]["report"] == f"/v1/scenarios/{body['id']}/report"
    assert [run["key"] for run in body["runs"]] == ["base#0", "demand +20%#0", "one more van#0"]
    assert body["progress"]["runs"] == 3
    done = wait_batch(client, body["id"])
    assert done["status"] == "succeeded", done
    assert all(run["status"] == "succeeded" and run["total_cost"] > 0 for run in done["runs"])
    assert done["progress"]["succeeded"] == 3
    rows = done["comparison"]["rows"]
    assert [row["variant"] for row in rows] == ["base", "demand +20%", "one more van"]
    assert rows[0]["delta_total_cost"] == 0
    assert {run["key"]: run["total_cost"] for run in done["runs"]} == {
        f"{row['variant']}#{row['seed']}": row["total_cost"] for row in rows}
    assert "one more van#0" in done["comparison"]["plan_diffs"]


def test_grid_sweep_gives_one_row_per_cell(client: TestClient) -> None:
    """A 2 x 2 grid with two seeds: a base and four cells per seed, each cell once."""
    scenarios = {"grid": {"axes": [
        {"name": "vans", "op": "set_vehicles", "param": "count", "type": "van",
         "values": [2, 3]},
        {"name": "demand", "op": "scale_demand", "param": "factor", "range": [1.0, 1.2, 0.2]},
    ]}, "seeds": [0, 5]}
    batch = client.post("/v1/scenarios", json=batch_body(scenarios)).json()
    assert batch["axes"] == ["vans", "demand"]
    done = wait_batch(client, batch["id"])
    assert done["status"] == "succeeded"
    rows = done["comparison"]["rows"]
    cells = [r for r in rows if r["variant"] != "base"]
    assert len(rows) == 10 and len(cells) == 8
    assert sorted((r["vans"], r["demand"], r["seed"]) for r in cells) == sorted(
        (v, d, s) for v in (2, 3) for d in (1.0, 1.2) for s in (0, 5))
    assert {run["cell"]["vans"] for run in done["runs"] if run["cell"]} == {2, 3}


def test_report_formats(client: TestClient) -> None:
    """csv (one row per run, base first), json and a self-contained html page; an unknown
    format is a 422 problem."""
    batch = client.post("/v1/scenarios", json=batch_body()).json()
    wait_batch(client, batch["id"])
    url = f"/v1/scenarios/{batch['id']}/report"
    as_csv = client.get(url + "?format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["variant"] for r in rows] == ["base", "demand +20%", "one more van"]
    assert {"total_cost", "distance", "vehicles_used", "unassigned", "on_time_rate"} <= set(rows[0])
    as_json = client.get(url)
    assert as_json.headers["content-type"].startswith("application/json")
    assert len(as_json.json()["rows"]) == 3
    page = client.get(url + "?format=html")
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!doctype html>") and "data:image/png;base64," in page.text
    assert client.get(url + "?format=html").text == page.text  # rendered once, kept
    bad = client.get(url + "?format=xlsx")
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM_JSON


def test_progress_per_run_while_running_then_cancel(client: TestClient) -> None:
    """While running, a run shows elapsed time and best cost; the report is 409 until the
    batch ends; cancel stops it within seconds, keeps a comparison, and a second cancel
    is 409."""
    batch = client.post("/v1/scenarios", json=batch_body(iteration_limit=None,
                                                        time_limit=60)).json()
    running = wait_batch(client, batch["id"], until=lambda b: any(
        r["status"] == "running" and r["best_cost"] is not None for r in b["runs"]))
    live = [r for r in running["runs"] if r["status"] == "running"]
    assert live and live[0]["elapsed_s"] is not None and live[0]["best_cost"] > 0
    early = client.get(f"/v1/scenarios/{batch['id']}/report")
    assert early.status_code == 409 and early.json()["job_status"] == "running"
    started = time.monotonic()
    r = client.post(f"/v1/scenarios/{batch['id']}/cancel")
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    done = wait_batch(client, batch["id"])
    assert done["status"] == "cancelled" and time.monotonic() - started < 5
    assert all(run["status"] in ("succeeded", "cancelled") for run in done["runs"])
    assert done["comparison"]["cancelled"] is True
    assert client.post(f"/v1/scenarios/{batch['id']}/cancel").status_code == 409
    report = client.get(f"/v1/scenarios/{batch['id']}/report?format=html")
    assert report.status_code == 200 and "cancelled before every run finished" in report.text


def test_local_executor_solves_runs_in_a_process_pool(client: TestClient, client_factory: Any,
                                                     monkeypatch: Any, tmp_path: Any) -> None:
    """On the local executor a batch's runs solve in a process pool of its worker (not on
    the worker's threads): the same comparison as inline, live progress, and cancel
    stops the running runs within seconds."""
    monkeypatch.setenv("ROUTECAST_TEST_PID_DIR", str(tmp_path))
    local = client_factory(executor="local", workers=1, warm_up=False, scenario_workers=2,
                           plugins=["tests.fakes"])
    local.headers["Authorization"] = client.headers["Authorization"]
    body = batch_body(iteration_limit=4, seed=2)
    on_pool = wait_batch(local, local.post("/v1/scenarios", json=body).json()["id"], timeout=60)
    solver_pid = int((tmp_path / f"{body['problem']['name']}.pid").read_text())
    workers = local.app.state.executor.pids().values()  # type: ignore[attr-defined]
    assert solver_pid not in workers and solver_pid != os.getpid()
    inline = wait_batch(client, client.post("/v1/scenarios", json=body).json()["id"])
    assert on_pool["status"] == inline["status"] == "succeeded", on_pool
    costs = [{r["key"]: r["total_cost"] for r in b["runs"]} for b in (on_pool, inline)]
    assert costs[0] == costs[1]

    batch = local.post("/v1/scenarios", json=batch_body(iteration_limit=None,
                                                        time_limit=60)).json()
    wait_batch(local, batch["id"], timeout=60, until=lambda b: any(
        r["status"] == "running" and r["best_cost"] is not None for r in b["runs"]))
    started = time.monotonic()
    local.post(f"/v1/scenarios/{batch['id']}/cancel")
    done = wait_batch(local, batch["id"])
    assert done["status"] == "cancelled" and time.monotonic() - started < 5
    assert done["comparison"]["cancelled"] is True


def test_cancel_queued_batch_at_once(client_factory: Any) -> None:
    """With the only worker busy, a queued batch is cancelled at once, runs included (its
    event stream shows each run cancelled)."""
    c = client_factory(workers=1)
    c.headers["Authorization"] = "Bearer key-alpha-123"
    blocker = c.post("/v1/jobs", json=job_body(iteration_limit=None, time_limit=60)).json()
    wait_for(c, blocker["id"], ("running",))
    batch = c.post("/v1/scenarios", json=batch_body()).json()
    assert batch["status"] == "queued"
    r = c.post(f"/v1/scenarios/{batch['id']}/cancel").json()
    assert r["status"] == "cancelled"
    assert {run["status"] for run in r["runs"]} == {"cancelled"}
    with c.stream("GET", f"/v1/scenarios/{batch['id']}/events") as stream:
        events = _sse("".join(stream.iter_text()))
    closed = {d["key"]: d["status"] for _, kind, d in events if kind == "run"}
    assert closed == {run["key"]: "cancelled" for run in r["runs"]}
    c.post(f"/v1/jobs/{blocker['id']}/cancel")
    wait_for(c, blocker["id"])


def test_other_keys_get_404(client: TestClient) -> None:
    """Key B cannot see, report on or cancel key A's batch; nor is it a job of A's."""
    batch = client.post("/v1/scenarios", json=batch_body()).json()
    other = {"Authorization": f"Bearer {KEY_B}"}
    for method, path in (("get", ""), ("get", "/report"), ("post", "/cancel")):
        r = getattr(client, method)(f"/v1/scenarios/{batch['id']}{path}", headers=other)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
    assert client.get(f"/v1/jobs/{batch['id']}").status_code == 404
    assert client.get("/v1/scenarios/nope").status_code == 404
    assert client.post("/v1/scenarios", json=batch_body(),
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    wait_batch(client, batch["id"])


def test_nonsense_edit_names_variant_edit_and_field(client: TestClient) -> None:
    """An unknown vehicle type, a factor <= 0 and an unknown edit are 422 problems whose
    errors name the variant, the edit and the field."""
    cases = [
        ({"op": "add_vehicles", "count": 1, "type": "bus"},
         "scenarios.variants[1].edits[0].type", "bus"),
        ({"op": "scale_demand", "factor": -1}, "scenarios.variants[1].edits[0].factor", ""),
        ({"op": "teleport"}, "scenarios.variants[1].edits[0].op", "teleport"),
    ]
    for edit, path, word in cases:
        body = batch_body({"variants": [
            {"name": "fine", "edits": [{"op": "scale_demand", "factor": 1.1}]},
            {"name": "odd one", "edits": [edit]}]})
        r = client.post("/v1/scenarios", json=body)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON, r.text
        problem = r.json()
        err = problem["errors"][0]
        assert err["path"] == path, problem
        assert err["variant"] == "odd one" and err["edit"] == 0
        assert err["loc"][:5] == ["body", "scenarios", "variants", 1, "edits"]
        assert word in problem["detail"]
    r = client.post("/v1/scenarios", json=batch_body({"grid": {"axes": [
        {"op": "set_vehicles", "param": "count", "type": "bus", "values": [1]}]}}))
    assert r.status_code == 422 and "bus" in r.json()["detail"]
    assert r.json()["errors"][0]["path"].startswith("scenarios.grid")


def test_body_validation_errors_carry_field_paths(client: TestClient) -> None:
    """Missing or mistyped fields are 422 problems with the field's path."""
    body = batch_body()
    del body["scenarios"]
    r = client.post("/v1/scenarios", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "scenarios"
    body = batch_body({"variants": [{"name": "x", "edits": ["scale_demand"]}]})
    r = client.post("/v1/scenarios", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"].startswith("scenarios.variants[0].edits[0]")
    r = client.post("/v1/scenarios", json=batch_body({"variants": []}))
    assert r.status_code == 422 and "variants or a grid" in r.json()["detail"]
    r = client.post("/v1/scenarios", json=batch_body({"variants": [
        {"name": "base", "edits": []}]}))
    assert r.status_code == 422 and "base" in r.json()["detail"]
    axis = {"op": "scale_demand", "param": "factor", "range": [1.0, 2.0]}
    for bad in ({**axis, "values": [1.0]}, {**axis, "range": [1.0, -1.0, 0.1]},
                {**axis, "param": "nonsense"}):
        r = client.post("/v1/scenarios", json=batch_body({"grid": {"axes": [bad]}}))
        assert r.status_code == 422 and r.json()["errors"][0]["path"].startswith(
            "scenarios.grid"), r.text
    axes = '[{"op": "scale_demand", "param": "factor", "range": [0, Infinity, 1]}]'
    raw = f'{{"problem": {json.dumps(tiny_problem())}, "scenarios": {{"grid": {{"axes": {axes}}}}}}}'
    r = client.post("/v1/scenarios", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text


def test_limits_are_422_naming_the_limit(client_factory: Any) -> None:
    """Variants, runs, stops (of the base or of an edited variant) and the time limit."""
    c = client_factory(max_scenario_variants=3, max_scenario_runs=6, max_stops=8,
                       max_time_limit=10)
    c.headers["X-API-Key"] = "key-alpha-123"
    grid = {"grid": {"axes": [{"op": "scale_demand", "param": "factor",
                               "range": [1.0, 2.0, 0.1]}]}}
    cases = [
        (batch_body(grid), "max_scenario_variants"),
        (batch_body({"variants": [{"name": "a", "edits": []}], "replications": 4}),
         "max_scenario_runs"),
        (batch_body(problem=tiny_problem(n=9)), "max_stops"),
        (batch_body({"variants": [{"name": "more", "edits": [
            {"op": "add_stops", "count": 3, "seed": 1}]}]}), "max_stops"),
        (batch_body(time_limit=60), "max_time_limit"),
    ]
    for body, limit in cases:
        r = c.post("/v1/scenarios", json=body)
        assert r.status_code == 422, r.text
        assert r.json()["limit"] == limit and limit in r.json()["detail"]
    r = c.post("/v1/scenarios", json=batch_body({"variants": [{"name": "more", "edits": [
        {"op": "add_stops", "count": 3, "seed": 1}]}]}))
    assert r.json()["errors"][0]["path"] == "scenarios.variants[0]"


def test_idempotent_submit(client: TestClient) -> None:
    """Same Idempotency-Key and body -> same batch; another body -> 409."""
    headers = {"Idempotency-Key": "batch-1"}
    first = client.post("/v1/scenarios", json=batch_body(), headers=headers).json()
    again = client.post("/v1/scenarios", json=batch_body(), headers=headers)
    assert again.status_code == 202 and again.json()["id"] == first["id"]
    other = client.post("/v1/scenarios", json=batch_body(seed=9), headers=headers)
    assert other.status_code == 409 and other.headers["content-type"] == PROBLEM_JSON
    wait_batch(client, first["id"])


def test_batches_survive_a_restart(client_factory: Any) -> None:
    """A finished batch reads back after a restart; a batch left queued is run on start."""
    from api.kinds.scenarios import create_batch
    from api.schemas import ScenarioBatchCreate
    from api.store.db import init_db, make_engine, session_factory

    c = client_factory()
    c.headers["Authorization"] = "Bearer key-alpha-123"
    done = wait_batch(c, c.post("/v1/scenarios", json=batch_body()).json()["id"])
    owner = c.app.state.keyring.principal("key-alpha-123").id
    settings = c.app.state.settings
    engine = make_engine(settings.db_url)
    init_db(engine)
    left, _ = create_batch(session_factory(engine), settings, owner=owner,
                           body=ScenarioBatchCreate.model_validate(batch_body()),
                           idempotency_key=None)
    engine.dispose()
    c2 = client_factory()
    c2.headers["Authorization"] = "Bearer key-alpha-123"
    again = c2.get(f"/v1/scenarios/{done['id']}").json()
    assert again["status"] == "succeeded" and again["comparison"] == done["comparison"]
    assert wait_batch(c2, left.id)["status"] == "succeeded"


def test_openapi_documents_the_endpoints_with_examples(client: TestClient) -> None:
    """The schema lists the four operations, a request example and problem+json errors."""
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/v1/scenarios", "/v1/scenarios/{batch_id}", "/v1/scenarios/{batch_id}/report",
            "/v1/scenarios/{batch_id}/cancel"} <= set(paths)
    create = schema["components"]["schemas"]["ScenarioBatchCreate"]
    assert create["examples"][0]["scenarios"]["variants"]
    assert "application/problem+json" in paths["/v1/scenarios"]["post"]["responses"]["422"][
        "content"]


def _sse(text: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    """``(id, event, data)`` of each event of a server-sent event stream."""
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            out.append((int(fields["id"]) if "id" in fields else None, fields["event"],
                        json.loads(fields["data"])))
    return out


def test_events_stream_status_and_run_updates_until_end(client: TestClient) -> None:
    """A batch's SSE stream carries its status changes and every run's updates (each run
    ends succeeded), in id order, then 'end'; Last-Event-ID resumes after it; another key's
    stream is 404."""
    batch = client.post("/v1/scenarios", json=batch_body()).json()
    with client.stream("GET", f"/v1/scenarios/{batch['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _sse("".join(r.iter_text()))
    statuses = [d["status"] for _, kind, d in events if kind == "status"]
    assert statuses == ["queued", "running", "succeeded"]
    assert events[-1][1:] == ("end", {"status": "succeeded"})
    runs = [d for _, kind, d in events if kind == "run"]
    final = {d["key"]: d["status"] for d in runs}
    assert set(final) == {r["key"] for r in batch["runs"]}
    assert set(final.values()) == {"succeeded"}
    ids = [i for i, _, _ in events if i is not None]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    with client.stream("GET", f"/v1/scenarios/{batch['id']}/events",
                       headers={"Last-Event-ID": str(ids[-1])}) as r:
        assert [k for _, k, _ in _sse("".join(r.iter_text()))] == ["end"]
    other = client.get(f"/v1/scenarios/{batch['id']}/events",
                       headers={"Authorization": f"Bearer {KEY_B}"})
    assert other.status_code == 404
    assert client.get("/v1/scenarios/nope/events").status_code == 404
