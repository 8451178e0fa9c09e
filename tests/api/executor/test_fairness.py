"""Every executor takes jobs fair between keys (issue 14): a key's queue of jobs does not
starve another key's single job on the inline executor nor on Dask, as it does not on the
local process pool (tests/api/store/test_fairness.py). SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from api.kinds.solve import parse_submission
from api.settings import Settings
from api.store import jobs
from api.store.db import dispose_sessions, init_db, make_engine, sessions_for
from api.store.enums import JOB_TERMINAL, JobStatus
from tests.api.conftest import job_body, make_settings


def _queue(settings: Settings, owners: list[str]) -> list[str]:
    """Queue one small fake-engine job per entry of ``owners``, in that order."""
    engine = make_engine(settings.db_url)
    init_db(engine)
    engine.dispose()
    problem, options = parse_submission(json.dumps(job_body(iteration_limit=2)).encode(),
                                        "routecast")
    with sessions_for(settings.db_url)() as session:
        return [jobs.create_job(session, owner=owner, problem_json=problem.model_dump_json(),
                                options_json=options.model_dump_json(),
                                content_hash=str(k))[0].id
                for k, owner in enumerate(owners)]


def _run_all(executor: Any, settings: Settings, ids: list[str]) -> list[str]:
    """Start ``executor`` (it submits the jobs already queued), wait until every job has
    ended; the job ids in the order they started. Then a job submitted to the running
    executor resolves its own future."""
    executor.start()
    try:
        deadline = time.monotonic() + 120
        with sessions_for(settings.db_url)() as session:
            while True:
                rows = [jobs.get_job(session, job_id=job_id) for job_id in ids]
                session.rollback()
                if all(r.status in JOB_TERMINAL for r in rows):
                    break
                assert time.monotonic() < deadline, [r.status for r in rows]
                time.sleep(0.05)
        late = _queue(settings, ["c"])[0]
        assert executor.submit(late).result(timeout=60) == JobStatus.SUCCEEDED
    finally:
        executor.shutdown()
    assert all(r.status == JobStatus.SUCCEEDED for r in rows), [r.status for r in rows]
    return [r.id for r in sorted(rows, key=lambda r: r.started_at)]


@pytest.fixture
def fair_settings(tmp_path: Path, store_url: str) -> Iterator[Any]:
    def build(**overrides: Any) -> Settings:
        return make_settings(tmp_path, database_url=store_url, plugins=["tests.fakes"],
                             warm_up=False, **overrides)

    yield build
    dispose_sessions(store_url)


def test_inline_executor_serves_keys_in_turn(fair_settings: Any) -> None:
    """One inline thread, key A's four jobs queued before key B's one: B's job runs
    second, not last (the executor used to run jobs in the order they were submitted)."""
    from api.executor.inline import InlineExecutor

    settings = fair_settings(executor="inline", workers=1)
    a0, a1, a2, a3, b0 = _queue(settings, ["a", "a", "a", "a", "b"])
    assert _run_all(InlineExecutor(settings), settings, [a0, a1, a2, a3, b0]) == \
        [a0, b0, a1, a2, a3]


def test_dask_executor_serves_keys_in_turn(fair_settings: Any) -> None:
    """The same on a one-thread Dask cluster: each task claims the fairest job when it
    starts, whichever job its submit named."""
    distributed = pytest.importorskip("distributed")
    from api.executor.dask import DaskExecutor

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp://", dashboard_address=None) as cluster:
        settings = fair_settings(executor="dask://" + cluster.scheduler_address
                                 .removeprefix("tcp://"))
        a0, a1, a2, a3, b0 = _queue(settings, ["a", "a", "a", "a", "b"])
        order = _run_all(DaskExecutor(settings), settings, [a0, a1, a2, a3, b0])
    assert order == [a0, b0, a1, a2, a3]


def test_waiting_requests_see_a_job_that_another_worker_ran(tmp_path: Path) -> None:
    """A job may be run by a worker its executor does not hear from (another replica's,
    which took it as the next fair job): /v1/solve and /v1/evaluate, whose futures here
    never resolve, still answer 200 once the store says the job ended."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.executor.inline import InlineExecutor
    from tests.api.conftest import KEY_A
    from tests.api.routers.test_evaluate import _haversine

    class Unheard(InlineExecutor):
        def submit(self, job_id: str) -> Any:
            super().submit(job_id)
            return Future()  # the run's end is never reported to this future

    settings = make_settings(tmp_path, evaluate_inline_max_cells=0)
    with TestClient(create_app(settings, executor=Unheard(settings))) as c:
        c.headers["Authorization"] = f"Bearer {KEY_A}"
        solved = c.post("/v1/solve", json=job_body())
        assert solved.status_code == 200 and solved.json()["status"] == "succeeded"
        evaluated = c.post("/v1/evaluate", json=_haversine())
        assert evaluated.status_code == 200 and evaluated.json()["complete"] is True


@pytest.mark.parametrize("executor", ["inline", "dask"])
def test_jobs_queued_elsewhere_are_taken(fair_settings: Any, executor: str) -> None:
    """Jobs queued without a submit to this executor (by another replica, say) are
    taken by its reaper's round once it has no task left: all of them."""
    if executor == "dask":
        distributed = pytest.importorskip("distributed")
        from api.executor.dask import DaskExecutor as Executor

        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1,
                                           processes=False, protocol="tcp://",
                                           dashboard_address=None)
        settings = fair_settings(executor="dask://" + cluster.scheduler_address
                                 .removeprefix("tcp://"), lease_seconds=0.4)
    else:
        from api.executor.inline import InlineExecutor as Executor

        cluster = None
        settings = fair_settings(executor="inline", workers=1, lease_seconds=0.4)
    _queue(settings, [])  # the schema
    ex = Executor(settings)
    ex.start()
    try:
        orphans = _queue(settings, ["a", "b", "a"])  # never submitted here
        deadline = time.monotonic() + 60
        with sessions_for(settings.db_url)() as session:
            while True:
                statuses = [jobs.get_job(session, job_id=j).status for j in orphans]
                session.rollback()
                if all(s == JobStatus.SUCCEEDED for s in statuses):
                    break
                assert time.monotonic() < deadline, statuses
                time.sleep(0.05)
    finally:
        ex.shutdown()
        if cluster is not None:
            cluster.close()
