"""Jobs and scenario batches on a Dask cluster (``ROUTECAST_EXECUTOR=dask://host:port``):
a 2-worker LocalCluster (threads), results equal to the local executor's, cancellation,
and lease recovery of jobs whose worker was lost."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.api.conftest import KEY_A, job_body, make_settings, wait_for
from tests.api.routers.test_scenarios import batch_body, wait_batch

distributed = pytest.importorskip("distributed")

AUTH = {"Authorization": f"Bearer {KEY_A}"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A 2-worker LocalCluster over TCP (worker threads of this process); its dask:// URL."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      dashboard_address=None) as c:
        yield "dask://" + c.scheduler_address.removeprefix("tcp://")


@pytest.fixture
def dask_client(client_factory: Any, cluster: str) -> TestClient:
    """A service whose executor is the cluster, chosen by settings alone."""
    c = client_factory(executor=cluster, lease_seconds=2.0, heartbeat_seconds=0.2)
    c.headers.update(AUTH)
    return c


def _routes(job: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(r["vehicle_type"], r["stops"]) for r in job["result"]["solution"]["routes"]]


def test_settings_pick_the_dask_executor(tmp_path: Any, cluster: str) -> None:
    """dask:// (or tcp://) selects DaskExecutor; a bad name is refused; an unreachable
    scheduler fails the start naming its address."""
    from api.executor import make_executor
    from api.executor.dask import DaskExecutor

    assert isinstance(make_executor(make_settings(tmp_path, executor=cluster)), DaskExecutor)
    with pytest.raises(ValueError, match="dask://host:port"):  # names the accepted forms
        Settings(executor="spark://x")
    dead = DaskExecutor(make_settings(tmp_path, executor="dask://127.0.0.1:9",
                                      dask_timeout=0.5))
    with pytest.raises(RuntimeError, match="127.0.0.1:9"):
        dead.start()


def test_job_on_dask_equals_the_local_executor(client_factory: Any,
                                               dask_client: TestClient) -> None:
    """Same problem, seed and iteration limit: the Dask job and a job on the local
    process pool give the same routes and cost."""
    body = job_body(iteration_limit=8, seed=4)
    on_dask = wait_for(dask_client, dask_client.post("/v1/jobs", json=body).json()["id"])
    assert on_dask["status"] == "succeeded", on_dask
    local = client_factory(executor="local", workers=1, warm_up=False,
                           plugins=["tests.fakes"])
    local.headers.update(AUTH)
    on_pool = wait_for(local, local.post("/v1/jobs", json=body).json()["id"], timeout=40)
    assert on_pool["status"] == "succeeded", on_pool
    assert _routes(on_dask) == _routes(on_pool)
    assert on_dask["result"]["solution"]["cost"] == on_pool["result"]["solution"]["cost"]
    assert on_dask["stopped_by"] == on_pool["stopped_by"] == "iteration_limit"


def test_cancel_on_dask_keeps_the_best_plan(dask_client: TestClient) -> None:
    """A running Dask job stops within about a second of cancel, with its best plan."""
    job = dask_client.post("/v1/jobs", json=job_body(iteration_limit=None,
                                                     time_limit=60)).json()
    wait_for(dask_client, job["id"], ("running",))
    time.sleep(0.2)
    started = time.monotonic()
    assert dask_client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
    done = wait_for(dask_client, job["id"])
    assert done["status"] == "cancelled" and time.monotonic() - started < 3
    assert done["stopped_by"] == "cancelled" and done["result"]["solution"]["routes"]


def cluster_address(url: str) -> str:
    return "tcp://" + url.removeprefix("dask://")


def test_scenario_batch_on_dask_equals_inline(client: TestClient, dask_client: TestClient,
                                              cluster: str) -> None:
    """A batch on the cluster (its runs handed to the scheduler) compares exactly like
    the same batch on the inline executor."""
    body = batch_body(iteration_limit=4, seed=2)
    on_dask = wait_batch(dask_client, dask_client.post("/v1/scenarios", json=body).json()["id"])
    inline = wait_batch(client, client.post("/v1/scenarios", json=body).json()["id"])
    assert on_dask["status"] == inline["status"] == "succeeded", on_dask
    costs = [{r["key"]: r["total_cost"] for r in b["runs"]} for b in (on_dask, inline)]
    assert costs[0] == costs[1]
    from distributed import Client

    with Client(cluster_address(cluster)) as client:  # the runs were tasks of the cluster
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(
            dask_scheduler.task_prefixes))
    assert "run_one" in prefixes and "routecast-job" in prefixes


def test_cancel_scenario_batch_on_dask(dask_client: TestClient) -> None:
    """Cancelling a running batch on the cluster stops its runs and keeps a comparison."""
    batch = dask_client.post("/v1/scenarios", json=batch_body(iteration_limit=None,
                                                              time_limit=60)).json()
    wait_batch(dask_client, batch["id"], until=lambda b: any(
        r["status"] == "running" for r in b["runs"]))
    dask_client.post(f"/v1/scenarios/{batch['id']}/cancel")
    done = wait_batch(dask_client, batch["id"], timeout=10)
    assert done["status"] == "cancelled" and done["comparison"]["cancelled"] is True


def test_lost_worker_jobs_are_retried_then_failed(tmp_path: Any, client_factory: Any,
                                                 cluster: str) -> None:
    """Jobs held by a worker that vanished (expired lease): retried on the cluster while
    attempts remain, else failed with the reason; never left running."""
    from api.auth import KeyRing
    from api.kinds.solve import parse_submission
    from api.store import jobs, leases
    from api.store.db import init_db, make_engine, session_factory

    settings = make_settings(tmp_path)
    engine = make_engine(settings.db_url)
    init_db(engine)
    sessions = session_factory(engine)
    owner = KeyRing([KEY_A]).principal(KEY_A).id  # type: ignore[union-attr]
    problem, options = parse_submission(json.dumps(job_body(iteration_limit=3)).encode(),
                                        "routecast")
    ids = []
    with sessions() as session:
        for attempts in (2, 1):  # max_attempts=2: one retry left, then none
            job, _ = jobs.create_job(session, owner=owner, problem_json=problem.model_dump_json(),
                                     options_json=options.model_dump_json(),
                                     content_hash=str(attempts), max_attempts=attempts)
            leases.claim_job(session, worker="gone:1:1", lease_seconds=0.01, job_id=job.id)
            ids.append(job.id)
    engine.dispose()
    time.sleep(0.05)
    c = client_factory(executor=cluster, lease_seconds=2.0, heartbeat_seconds=0.2)
    c.headers.update(AUTH)
    retried = wait_for(c, ids[0])
    assert retried["status"] == "succeeded" and retried["attempts"] == 2
    with session_factory(make_engine(settings.db_url))() as session:
        failed = jobs.get_job(session, job_id=ids[1])
        assert failed.status == "failed"
        assert "lease expired" in json.loads(failed.error_json)["detail"]
