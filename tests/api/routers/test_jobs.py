"""Jobs API, in process: submit, get, list, cancel, solution formats, events, idempotency."""

from __future__ import annotations

import csv
import io
import json
import time

from fastapi.testclient import TestClient

from solver.evaluate import evaluate
from solver.problem import Problem
from solver.solution import Solution
from tests.api.conftest import job_body, tiny_problem, wait_for

PROBLEM_JSON = "application/problem+json"


def test_submit_answers_202_with_id_status_and_links(client: TestClient) -> None:
    """POST /v1/jobs answers 202 with id, status queued|running and a Location header."""
    r = client.post("/v1/jobs", json=job_body())
    assert r.status_code == 202
    body = r.json()
    assert body["status"] in ("queued", "running")
    assert r.headers["location"] == f"/v1/jobs/{body['id']}"
    assert body["links"]["solution"] == f"/v1/jobs/{body['id']}/solution"


def test_job_runs_to_success_and_solution_passes_the_evaluator(client: TestClient) -> None:
    """A finished job has progress, timestamps and a result whose cost the evaluator agrees with."""
    body = job_body()
    job = client.post("/v1/jobs", json=body).json()
    done = wait_for(client, job["id"])
    assert done["status"] == "succeeded"
    assert done["progress"]["iterations"] == 5 and done["progress"]["best_cost"] > 0
    assert done["started_at"] and done["finished_at"] and done["attempts"] == 1
    assert done["stopped_by"] == "iteration_limit"
    solution = Solution.model_validate(done["result"]["solution"])
    report = evaluate(Problem.model_validate(body["problem"]), solution)
    assert report.feasible
    assert abs(report.cost - solution.cost) < 1e-9
    assert done["result"]["kpis"]["stops_served"] == 6


def test_solution_formats(client: TestClient) -> None:
    """json, csv, geojson and vrplib (numbered by stop ids) come with their media types."""
    job = client.post("/v1/jobs", json=job_body()).json()
    wait_for(client, job["id"])
    base = f"/v1/jobs/{job['id']}/solution"
    sol = client.get(base)
    assert sol.headers["content-type"].startswith("application/json")
    routes = sol.json()["routes"]
    rows = list(csv.DictReader(io.StringIO(client.get(base + "?format=csv").text)))
    assert [r["stop"] for r in rows] == [s for r in routes for s in r["stops"]]
    geo = client.get(base + "?format=geojson")
    assert geo.headers["content-type"].startswith("application/geo+json")
    kinds = [f["properties"]["kind"] for f in geo.json()["features"]]
    assert kinds.count("route") == len(routes) and kinds.count("stop") == 6
    sol_text = client.get(base + "?format=vrplib").text
    assert sol_text.splitlines()[0] == "Route #1: " + " ".join(routes[0]["stops"])
    assert sol_text.splitlines()[-1].startswith("Cost ")
    bad = client.get(base + "?format=xml")
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM_JSON


def test_solution_of_unfinished_job_is_409(client: TestClient) -> None:
    """Asking for the solution of a running job is a 409 naming its status."""
    job = client.post("/v1/jobs", json=job_body(iteration_limit=None, time_limit=30)).json()
    wait_for(client, job["id"], ("running",))
    r = client.get(f"/v1/jobs/{job['id']}/solution")
    assert r.status_code == 409 and r.json()["job_status"] in ("queued", "running")
    client.post(f"/v1/jobs/{job['id']}/cancel")


def test_cancel_running_job_keeps_best_solution(client: TestClient) -> None:
    """Cancelling a running solve stops it within about a second, keeping its best plan."""
    job = client.post("/v1/jobs", json=job_body(iteration_limit=None, time_limit=60)).json()
    wait_for(client, job["id"], ("running",))
    time.sleep(0.2)
    asked = time.monotonic()
    r = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    done = wait_for(client, job["id"])
    assert time.monotonic() - asked < 1.5
    assert done["status"] == "cancelled" and done["stopped_by"] == "cancelled"
    assert done["result"]["solution"]["routes"]
    assert client.get(f"/v1/jobs/{job['id']}/solution").status_code == 200


def test_cancel_queued_job_and_finished_job(client_factory) -> None:
    """A queued job is cancelled at once; cancelling a finished job is a 409."""
    c = client_factory(workers=1)
    c.headers["X-API-Key"] = "key-alpha-123"
    blocker = c.post("/v1/jobs", json=job_body(iteration_limit=None, time_limit=60)).json()
    queued = c.post("/v1/jobs", json=job_body()).json()
    r = c.post(f"/v1/jobs/{queued['id']}/cancel")
    assert r.status_code == 202 and r.json()["status"] == "cancelled"
    again = c.post(f"/v1/jobs/{queued['id']}/cancel")
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM_JSON
    assert again.json()["type"].endswith("/illegal-transition")
    c.post(f"/v1/jobs/{blocker['id']}/cancel")
    assert wait_for(c, blocker["id"])["status"] == "cancelled"


def test_idempotency_key(client: TestClient) -> None:
    """Same key + same body -> same job; same key + other body -> 409; other key -> new job."""
    body = job_body()
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"}).json()
    second = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"})
    assert second.status_code == 202 and second.json()["id"] == first["id"]
    other = client.post("/v1/jobs", json=job_body(seed=3), headers={"Idempotency-Key": "k1"})
    assert other.status_code == 409 and other.json()["type"].endswith("/idempotency-conflict")
    fresh = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k2"}).json()
    assert fresh["id"] != first["id"]


def test_list_with_status_filter_and_cursor_pagination(client: TestClient) -> None:
    """Listing is newest first, filtered by status, and pages through next_cursor."""
    ids = [client.post("/v1/jobs", json=job_body()).json()["id"] for _ in range(5)]
    for job_id in ids:
        wait_for(client, job_id)
    seen, cursor = [], None
    while True:
        page = client.get("/v1/jobs", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        seen += [j["id"] for j in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    ok = client.get("/v1/jobs", params={"status": "succeeded"}).json()["items"]
    assert len(ok) == 5
    assert client.get("/v1/jobs", params={"status": "failed"}).json()["items"] == []
    assert client.get("/v1/jobs", params={"status": "bogus"}).status_code == 422
    bad = client.get("/v1/jobs", params={"cursor": "!!!"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "cursor"


def test_events_stream_status_and_progress_until_end(client: TestClient) -> None:
    """SSE events carry ids, status changes and progress, and end with an 'end' event."""
    job = client.post("/v1/jobs", json=job_body(iteration_limit=40)).json()
    with client.stream("GET", f"/v1/jobs/{job['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = [blk for blk in text.split("\n\n") if "event:" in blk]
    kinds = [next(line[7:] for line in e.splitlines() if line.startswith("event: "))
             for e in events]
    assert kinds[0] == "status" and kinds[-1] == "end"
    assert "progress" in kinds
    statuses = [json.loads(e.split("data: ", 1)[1])["status"] for e, k in zip(events, kinds, strict=False)
                if k == "status"]
    assert statuses == ["queued", "running", "succeeded"]
    ids = [int(line[4:]) for e in events for line in e.splitlines() if line.startswith("id: ")]
    assert ids == sorted(ids)
    # resuming after the last id gives only the end marker
    with client.stream("GET", f"/v1/jobs/{job['id']}/events",
                       headers={"Last-Event-ID": str(ids[-1])}) as r:
        rest = "".join(r.iter_text())
    assert "event: status" not in rest and "event: end" in rest


def test_unknown_job_is_404_problem(client: TestClient) -> None:
    """Unknown ids answer 404 problem+json on every job route."""
    for method, path in [("get", "/v1/jobs/nope"), ("post", "/v1/jobs/nope/cancel"),
                         ("get", "/v1/jobs/nope/solution"), ("get", "/v1/jobs/nope/events")]:
        r = getattr(client, method)(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == PROBLEM_JSON
        assert r.json()["type"].endswith("/not-found")


def test_validation_error_has_field_paths(client: TestClient) -> None:
    """An invalid problem is a 422 whose errors[] name each field's path."""
    problem = tiny_problem()
    problem["stops"][2]["demand"] = [-1]
    problem["vehicle_types"][0]["count"] = 0
    r = client.post("/v1/jobs", json=job_body(problem))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON
    paths = {e["path"] for e in r.json()["errors"]}
    assert {"problem.stops[2].demand[0]", "problem.vehicle_types[0].count"} <= paths
    assert r.json()["errors"][0]["loc"][0] == "body"


def test_cross_field_and_json_errors(client: TestClient) -> None:
    """A model-level error names its object; broken JSON and unknown options are 422."""
    problem = tiny_problem()
    problem["vehicle_types"][0]["start_depot"] = "nowhere"
    r = client.post("/v1/jobs", json=job_body(problem))
    assert r.status_code == 422 and "unknown depot" in r.json()["detail"]
    broken = client.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["type"].endswith("/validation-error")
    extra = client.post("/v1/jobs", json={**job_body(), "options": {"speed": 3}})
    assert extra.status_code == 422 and extra.json()["errors"][0]["path"] == "options.speed"


def test_failed_job_carries_a_problem_detail(client: TestClient) -> None:
    """An unknown engine fails the job with a 422-style problem detail, not a stack trace."""
    job = client.post("/v1/jobs", json=job_body(engine="no-such-engine")).json()
    done = wait_for(client, job["id"])
    assert done["status"] == "failed"
    assert done["error"]["type"].endswith("/unsupported-feature")
    assert "no-such-engine" in done["error"]["detail"]
    assert "Traceback" not in json.dumps(done)


def test_vroom_import(client: TestClient) -> None:
    """?format=vroom accepts a VROOM document; its job ids become stop ids."""
    doc = {"vehicles": [{"id": 7, "start": [2.35, 48.85], "capacity": [4]}],
           "jobs": [{"id": k, "location": [2.35 + k / 100, 48.86], "delivery": [1]}
                    for k in range(1, 4)]}
    r = client.post("/v1/jobs?format=vroom", json={"problem": doc, "options": {
        "engine": "fake-nn", "iteration_limit": 3}})
    assert r.status_code == 202 and r.json()["input_format"] == "vroom"
    done = wait_for(client, r.json()["id"])
    assert sorted(done["result"]["solution"]["routes"][0]["stops"]) == ["1", "2", "3"]
    bad = client.post("/v1/jobs?format=vroom", json={"problem": {"vehicles": []}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"].startswith("problem.vehicles")


def test_restart_picks_up_queued_and_orphaned_jobs(client_factory, tmp_path) -> None:
    """Jobs left queued, or running with an expired lease, by a dead process are run after
    a restart (the orphan counts as a retry)."""
    from api.store import jobs, leases
    from api.store.db import init_db, make_engine, session_factory
    from tests.api.conftest import KEY_A, make_settings

    sessions = session_factory(make_engine(make_settings(tmp_path).db_url))
    init_db(sessions.kw["bind"])
    from api.auth import hash_key

    owner = "key-" + hash_key(KEY_A)[:16]
    body = job_body()
    problem, options = json.dumps(body["problem"]), json.dumps(body["options"])
    with sessions() as s:
        queued, _ = jobs.create_job(s, owner=owner, problem_json=problem, options_json=options,
                                    content_hash="a")
        orphan, _ = jobs.create_job(s, owner=owner, problem_json=problem, options_json=options,
                                    content_hash="b")
        leases.claim_job(s, worker="dead-process", lease_seconds=0.01, job_id=orphan.id)
    time.sleep(0.05)
    c = client_factory()
    c.headers["X-API-Key"] = KEY_A
    assert wait_for(c, queued.id)["status"] == "succeeded"
    done = wait_for(c, orphan.id)
    assert done["status"] == "succeeded" and done["attempts"] == 2
