"""/v1/evaluate keeps heavy work out of the service process (issue 14, defect 2): learned
travel (and dense travel over ``evaluate_inline_max_cells``) is built by a worker, the
answer is the same 200 when it ends within ``evaluate_wait_seconds``, else 202 with a job
to poll at /v1/evaluations/{id}; cheap travel is still evaluated in the request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.kinds.train import registry_root
from api.settings import Settings
from api.store import jobs as store_jobs
from api.store.enums import JobKind
from tests.api.conftest import KEY_A, KEY_B, tiny_problem
from tests.api.test_security_defects import _geo_problem, _plan, _principal
from tests.api.test_security_defects import tiny_model as tiny_model  # a fixture

AUTH_B = {"Authorization": f"Bearer {KEY_B}"}


def _client(client_factory: Any, **overrides: Any) -> TestClient:
    c = client_factory(**overrides)
    c.headers["Authorization"] = f"Bearer {KEY_A}"
    return c


def _evaluation_jobs(c: TestClient) -> list[Any]:
    with c.app.state.sessions() as session:  # type: ignore[attr-defined]
        return [j for owner in (_principal(KEY_A), _principal(KEY_B))
                for j in store_jobs.list_jobs(session, owner=owner, kind=JobKind.EVALUATE)]


def _haversine(n: int = 4) -> dict[str, Any]:
    problem = _geo_problem(n)
    problem["travel"] = {"kind": "haversine", "speed": 10.0}
    return {"problem": problem, "solution": _plan(problem)}


def _register(tmp_path: Path, model: Any, key: str = KEY_A) -> str:
    from surrogate import ModelRegistry

    return ModelRegistry(registry_root(Settings(data_dir=tmp_path), _principal(key))
                         ).register(model)


def test_cheap_travel_is_evaluated_in_the_request(client_factory: Any) -> None:
    """Haversine travel of 5 locations (25 cells) answers in the request, no job; with
    ``evaluate_inline_max_cells`` below 25 the same body is a worker's job, with the same
    answer."""
    body = _haversine()
    inline = _client(client_factory)
    r = inline.post("/v1/evaluate", json=body)
    assert r.status_code == 200, r.text
    assert _evaluation_jobs(inline) == []
    bounded = _client(client_factory, evaluate_inline_max_cells=24)
    r_job = bounded.post("/v1/evaluate", json=body)
    assert r_job.status_code == 200, r_job.text
    (job,) = _evaluation_jobs(bounded)
    assert job.status == "succeeded" and job.worker is not None
    assert r_job.json() == r.json()


def test_learned_travel_is_built_by_a_worker_process(
        client_factory: Any, tiny_model: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With worker processes, an evaluation on learned travel answers 200 although the
    service process cannot build learned travel at all (patched to fail here): the
    matrices were built by a worker. Key B cannot read key A's evaluation."""
    import solver.travel.learned as learned

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("learned travel built in the service process")

    monkeypatch.setattr(learned, "learned_travel", refuse)
    c = _client(client_factory, executor="local", workers=1, warm_up=False,
                plugins=["tests.fakes"])
    problem = _geo_problem(4, model=_register(tmp_path, tiny_model))
    r = c.post("/v1/evaluate", json={"problem": problem, "solution": _plan(problem)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["complete"] is True and body["cost"] > 0
    assert [v["stop"] for v in body["routes"][0]["visits"]] == [s["id"] for s in
                                                                problem["stops"]]
    (job,) = _evaluation_jobs(c)
    assert job.status == "succeeded" and job.owner == _principal(KEY_A)
    assert c.get(f"/v1/evaluations/{job.id}").json()["result"] == body
    assert c.get(f"/v1/evaluations/{job.id}", headers=AUTH_B).status_code == 404
    assert c.get(f"/v1/jobs/{job.id}").status_code == 404  # not a solve job


def test_a_long_evaluation_answers_202_and_is_polled(client_factory: Any, tiny_model: Any,
                                                     tmp_path: Path) -> None:
    """``evaluate_wait_seconds`` 0: 202 with the job and its Location; polling it gives
    the evaluation a waiting request gives."""
    problem = _geo_problem(4, model=_register(tmp_path, tiny_model))
    body = {"problem": problem, "solution": _plan(problem)}
    c = _client(client_factory, evaluate_wait_seconds=0)
    r = c.post("/v1/evaluate", json=body)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"] == job["links"]["self"] == f"/v1/evaluations/{job['id']}"
    assert job["status"] in ("queued", "running", "succeeded") and job["result"] is None
    deadline = time.monotonic() + 60
    while job["status"] != "succeeded":
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.05)
        job = c.get(r.headers["Location"]).json()
    waited = _client(client_factory).post("/v1/evaluate", json=body)
    assert waited.status_code == 200 and job["result"] == waited.json()


def test_a_failed_evaluation_answers_its_problem(client_factory: Any, tmp_path: Path) -> None:
    """A model id that is not in the caller's registry fails the job; the request gets
    its problem detail (naming the field), and the job shows it too."""
    problem = _geo_problem(3, model="tt-missing")
    c = _client(client_factory)
    r = c.post("/v1/evaluate", json={"problem": problem, "solution": _plan(problem)})
    assert r.status_code in (404, 422), r.text
    assert "travel.model" in r.json()["detail"] and str(tmp_path) not in r.text
    (job,) = _evaluation_jobs(c)
    shown = c.get(f"/v1/evaluations/{job.id}").json()
    assert shown["status"] == "failed" and shown["error"]["detail"] == r.json()["detail"]
    assert r.json()["job_id"] == job.id


def test_evaluate_is_bounded_before_a_job_is_queued(client_factory: Any) -> None:
    """Learned travel over ``evaluate_max_learned_cells`` is a 422 at once: no job."""
    problem = _geo_problem(200, slice_minutes=5, horizon_hours=168)
    c = _client(client_factory)
    r = c.post("/v1/evaluate", json={"problem": problem, "solution": _plan(problem)})
    assert r.status_code == 422 and r.json()["limit"] == "evaluate_max_learned_cells"
    assert _evaluation_jobs(c) == []
    small = c.post("/v1/evaluate", json={"problem": tiny_problem(3), "solution": {
        "routes": [{"vehicle_type": "van", "stops": ["1", "2", "3"]}]}})
    assert small.status_code == 200 and _evaluation_jobs(c) == []


def test_a_learned_plan_is_timed_by_one_worker_job(client_factory: Any, tiny_model: Any,
                                                   tmp_path: Path) -> None:
    """GET /v1/jobs/{id}/plan of a learned-travel job: the schedule is timed by a worker;
    with no wait the first answer is 202, asking again finds the same timing job (one
    job, however often the page asks) and then answers the plan."""
    from tests.api.conftest import job_body, wait_for

    c = _client(client_factory, evaluate_wait_seconds=0)
    problem = _geo_problem(4, model=_register(tmp_path, tiny_model))
    solved = wait_for(c, c.post("/v1/jobs", json=job_body(problem)).json()["id"], timeout=60)
    assert solved["status"] == "succeeded", solved
    first = c.get(f"/v1/jobs/{solved['id']}/plan")
    assert first.status_code == 202 and first.json()["links"]["self"] == first.headers[
        "Location"]
    deadline = time.monotonic() + 60
    while (r := c.get(f"/v1/jobs/{solved['id']}/plan")).status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert [v["stop"] for v in plan["schedule"]["routes"][0]["visits"]] == [
        s for route in plan["solution"]["routes"] for s in route["stops"]]
    again = c.get(f"/v1/jobs/{solved['id']}/plan")
    assert again.status_code == 200 and again.json()["schedule"] == plan["schedule"]
    (timing,) = _evaluation_jobs(c)
    assert timing.id == first.json()["id"] and timing.status == "succeeded"
