"""The job store on PostgreSQL: the repository's whole job lifecycle, concurrency and a
restart, against a real server.

Runs only when ``ROUTECAST_TEST_DATABASE_URL`` names a reachable PostgreSQL database
(e.g. ``postgresql+psycopg://routecast:routecast@localhost/routecast_test``); each test
gets a fresh schema (see ``postgres_url`` in conftest.py). Skipped otherwise.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from sqlalchemy import create_engine, text

from api.store import repository as repo
from api.store.db import init_db, make_engine, session_factory
from api.store.tables import NUL_REPLACEMENT
from tests.api.test_store import JobLifecycle


@pytest.fixture
def engine(postgres_url: str) -> Any:
    """An engine with the tables created on a fresh PostgreSQL schema."""
    eng = make_engine(postgres_url)
    assert eng.dialect.name == "postgresql"
    init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Any) -> Any:
    return session_factory(engine)


def _new(session: Any, owner: str = "a", key: str | None = None, body: str = "p",
         **kw: Any) -> repo.JobRow:
    job, _ = repo.create_job(session, owner=owner, problem_json=body, options_json="{}",
                             content_hash=body, idempotency_key=key, **kw)
    return job


def _statuses(session: Any, job_id: str) -> list[str | None]:
    return [json.loads(e.data_json).get("status")
            for e in repo.events_after(session, job_id=job_id)]


def test_tables_live_in_the_test_schema(engine: Any) -> None:
    """The store's tables are created in the per-test schema, with 64-bit counters."""
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        assert schema.startswith("rc_test_")
        tables = set(conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema}).scalars())
        seed_type = conn.execute(text(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = :s "
            "AND table_name = 'scenario_runs' AND column_name = 'seed'"), {"s": schema}).scalar()
    assert {"jobs", "results", "job_events", "scenario_batches", "scenario_runs"} <= tables
    assert seed_type == "bigint"


def test_create_and_idempotent_create(sessions: Any) -> None:
    """Same key and body -> the same job; another body -> conflict; keys are per owner."""
    with sessions() as s:
        job, created = repo.create_job(s, owner="a", problem_json="p", options_json="{}",
                                       content_hash="h1", idempotency_key="k")
        assert created and job.status == repo.QUEUED and job.attempts == 0
        again, created = repo.create_job(s, owner="a", problem_json="p", options_json="{}",
                                         content_hash="h1", idempotency_key="k")
        assert not created and again.id == job.id
        with pytest.raises(repo.IdempotencyConflictError):
            repo.create_job(s, owner="a", problem_json="q", options_json="{}",
                            content_hash="h2", idempotency_key="k")
        other, created = repo.create_job(s, owner="b", problem_json="p", options_json="{}",
                                         content_hash="h1", idempotency_key="k")
        assert created and other.id != job.id
        assert repo.counts_by_status(s)[repo.QUEUED] == 2
        with pytest.raises(repo.JobNotFoundError):
            repo.get_job(s, job_id=job.id, owner="b")


def test_concurrent_submits_with_one_idempotency_key_make_one_job(sessions: Any) -> None:
    """Racing submits with the same key and body all get the same job (the unique index
    makes the losers wait, then read the winner's job)."""
    def submit(_: int) -> str:
        with sessions() as s:
            return _new(s, key="same", body="b").id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(submit, range(24)))
    assert len(ids) == 1


def test_claim_in_order_with_lease_and_heartbeat(sessions: Any) -> None:
    """Claims take priority first, then age; the lease starts at claim time and a
    heartbeat extends it only for the worker that holds the job."""
    with sessions() as s:
        first, second = _new(s, body="1"), _new(s, body="2")
        urgent = _new(s, body="3", priority=1)
        t0 = time.time()
        claimed = repo.claim_job(s, worker="w1", lease_seconds=30)
        assert claimed is not None and claimed.id == urgent.id
        assert claimed.status == repo.RUNNING and claimed.worker == "w1"
        assert claimed.attempts == 1
        assert t0 + 29 < claimed.lease_expires_at < time.time() + 31
        assert [j.id for j in (repo.claim_job(s, worker="w2", lease_seconds=30),
                               repo.claim_job(s, worker="w2", lease_seconds=30))] == [
            first.id, second.id]
        assert repo.claim_job(s, worker="w2", lease_seconds=30) is None
        assert repo.claim_job(s, worker="w3", lease_seconds=30, job_id=first.id) is None
        assert repo.heartbeat(s, job_id=urgent.id, worker="w1", lease_seconds=300)
        assert repo.get_job(s, job_id=urgent.id).lease_expires_at > time.time() + 290
        assert not repo.heartbeat(s, job_id=urgent.id, worker="w2", lease_seconds=300)
        assert sorted(repo.running_on(s, workers=["w2"])) == sorted([first.id, second.id])


def test_concurrent_claims_take_each_job_once(sessions: Any) -> None:
    """Workers racing on the queue never take the same job twice, and take them all."""
    with sessions() as s:
        ids = {_new(s, body=str(k)).id for k in range(30)}
    taken: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        with sessions() as s:
            while (job := repo.claim_job(s, worker=f"w{n}", lease_seconds=30)) is not None:
                with lock:
                    taken.append(job.id)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(6)))
    assert sorted(taken) == sorted(ids)
    with sessions() as s:
        assert repo.counts_by_status(s)[repo.RUNNING] == 30
        assert all(repo.get_job(s, job_id=j).attempts == 1 for j in ids)


def test_legal_and_illegal_transitions(sessions: Any) -> None:
    """Only the lifecycle's moves happen: finishing a queued job, finishing another worker's
    job or cancelling a finished one raise IllegalTransitionError and change nothing."""
    with sessions() as s:
        job = _new(s)
        with pytest.raises(repo.IllegalTransitionError) as err:
            repo.finish_job(s, job_id=job.id, worker=None, status=repo.SUCCEEDED)
        assert err.value.current == repo.QUEUED
        with pytest.raises(ValueError):
            repo.finish_job(s, job_id=job.id, worker=None, status=repo.RUNNING)
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        with pytest.raises(repo.IllegalTransitionError):
            repo.finish_job(s, job_id=job.id, worker="other", status=repo.SUCCEEDED)
        repo.finish_job(s, job_id=job.id, worker="w", status=repo.SUCCEEDED, stopped_by="time",
                        result={"solution_json": "{}", "kpis_json": "{}",
                                "violations_json": "[]", "csv": "a,b\n", "geojson": "{}"})
        for target in (repo.FAILED, repo.CANCELLED):
            with pytest.raises(repo.IllegalTransitionError):
                repo.finish_job(s, job_id=job.id, worker="w", status=target)
        with pytest.raises(repo.IllegalTransitionError):
            repo.request_cancel(s, job_id=job.id)
        with pytest.raises(repo.JobNotFoundError):
            repo.request_cancel(s, job_id="nope")
        done = repo.get_job(s, job_id=job.id)
        assert done.status == repo.SUCCEEDED and done.finished_at is not None
        assert done.lease_expires_at is None and done.stopped_by == "time"
        assert repo.get_result(s, job_id=job.id).csv == "a,b\n"
        assert _statuses(s, job.id) == ["queued", "running", "succeeded"]


def test_lost_worker_retried_once_then_failed(sessions: Any) -> None:
    """An expired lease requeues the job once (its old worker can no longer end it); the
    second loss fails it with the reason; a shutdown requeue does not burn an attempt."""
    with sessions() as s:
        job = _new(s)
        repo.claim_job(s, worker="w1", lease_seconds=0.01, job_id=job.id)
        time.sleep(0.05)
        assert repo.expired_leases(s) == [job.id]
        assert repo.release_lost(s, job_id=job.id, reason="lease expired") == repo.QUEUED
        with pytest.raises(repo.IllegalTransitionError):  # the stale worker comes back
            repo.finish_job(s, job_id=job.id, worker="w1", status=repo.CANCELLED)
        repo.claim_job(s, worker="w2", lease_seconds=10, job_id=job.id)
        repo.requeue(s, job_id=job.id, reason="service shut down")
        assert repo.get_job(s, job_id=job.id).attempts == 1
        repo.claim_job(s, worker="w2", lease_seconds=10, job_id=job.id)
        assert repo.release_lost(s, job_id=job.id, reason="worker died") == repo.FAILED
        failed = repo.get_job(s, job_id=job.id)
        assert failed.attempts == 2 and failed.status == repo.FAILED
        assert "worker died" in json.loads(failed.error_json)["detail"]
        assert repo.release_lost(s, job_id=job.id, reason="again") == repo.FAILED


def test_cancel_flag(sessions: Any) -> None:
    """A queued job is cancelled at once; a running one is flagged, its worker sees the
    flag and ends it cancelled; a lost flagged job ends cancelled, not retried."""
    with sessions() as s:
        queued, running, lost = _new(s, body="q"), _new(s, body="r"), _new(s, body="l")
        assert repo.request_cancel(s, job_id=queued.id, owner="a").status == repo.CANCELLED
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=running.id)
        assert not repo.is_cancel_requested(s, job_id=running.id)
        flagged = repo.request_cancel(s, job_id=running.id)
        assert flagged.status == repo.RUNNING and flagged.cancel_requested
        assert repo.is_cancel_requested(s, job_id=running.id)
        repo.finish_job(s, job_id=running.id, worker="w", status=repo.CANCELLED,
                        stopped_by="cancelled")
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=lost.id)
        repo.request_cancel(s, job_id=lost.id)
        assert repo.release_lost(s, job_id=lost.id, reason="lease expired") == repo.CANCELLED
        assert _statuses(s, queued.id) == ["queued", "cancelled"]
        assert _statuses(s, running.id) == ["queued", "running", "running", "cancelled"]
        assert repo.counts_by_status(s)[repo.CANCELLED] == 3


def test_events_progress_and_cursor(sessions: Any) -> None:
    """Progress lands on the job and as events; events come in order and resume after a
    cursor; a non-finite best cost is stored as null."""
    with sessions() as s:
        job = _new(s)
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
        repo.record_progress(s, job_id=job.id, elapsed_s=0.5, iteration=3, best_cost=12.5,
                             feasible=True)
        repo.record_progress(s, job_id=job.id, elapsed_s=1.0, iteration=3_000_000_000,
                             best_cost=float("inf"), feasible=False)
        events = repo.events_after(s, job_id=job.id)
        assert [e.kind for e in events] == ["status", "status", "progress", "progress"]
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        assert json.loads(events[2].data_json)["best_cost"] == 12.5
        assert json.loads(events[3].data_json)["best_cost"] is None
        assert [e.seq for e in repo.events_after(s, job_id=job.id,
                                                 after_seq=events[1].seq)] == [
            events[2].seq, events[3].seq]
        row = repo.get_job(s, job_id=job.id)
        assert row.progress_iterations == 3_000_000_000 and row.progress_best_cost is None


def test_events_and_status_read_one_snapshot(sessions: Any) -> None:
    """Reading events then the job's status in one session sees one snapshot (as SQLite
    WAL does): a job that ends in between is not seen ended without its status event."""
    with sessions() as s:
        job = _new(s)
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=job.id)
    with sessions() as reader:
        events = repo.events_after(reader, job_id=job.id)
        with sessions() as writer:
            repo.finish_job(writer, job_id=job.id, worker="w", status=repo.SUCCEEDED)
        assert repo.get_job(reader, job_id=job.id).status == repo.RUNNING
        assert len(events) == 2
    with sessions() as reader:
        assert repo.get_job(reader, job_id=job.id).status == repo.SUCCEEDED
        assert _statuses(reader, job.id)[-1] == repo.SUCCEEDED


def test_text_with_nul_and_big_seeds_are_stored(sessions: Any) -> None:
    """What SQLite stores PostgreSQL stores too: a NUL in a name (as U+FFFD; PostgreSQL
    text cannot hold NUL) and seeds beyond 32 bits."""
    with sessions() as s:
        batch, _ = repo.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json="{}",
            name="what\x00if", warm_start=True, axes=[], content_hash="h",
            problem_name="nul\x00name",
            runs=[{"key": "base#3000000000", "variant": "base", "seed": 3_000_000_000},
                  {"key": "v\x00#3000000000", "variant": "v\x00", "seed": 3_000_000_000}])
        assert batch.problem_name == "nul\x00name"  # the object as given ...
    with sessions() as s:  # ... and as stored
        job = repo.get_job(s, job_id=batch.id, kind=repo.SCENARIOS)
        assert job.problem_name == f"nul{NUL_REPLACEMENT}name"
        assert repo.get_batch(s, batch_id=batch.id).name == f"what{NUL_REPLACEMENT}if"
        runs = repo.scenario_runs(s, batch_id=batch.id)
        assert [r.seed for r in runs] == [3_000_000_000] * 2
        assert runs[1].variant == f"v{NUL_REPLACEMENT}"


def test_scenario_runs_lifecycle(sessions: Any) -> None:
    """Scenario runs follow their own lifecycle; resets need the batch to be running."""
    with sessions() as s:
        batch, _ = repo.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json="{}", name="b",
            warm_start=False, axes=["x"], content_hash="h",
            runs=[{"key": f"v{k}#0", "variant": f"v{k}", "seed": 0} for k in range(3)])
        with pytest.raises(repo.IllegalTransitionError):
            repo.reset_runs(s, batch_id=batch.id)
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=batch.id)
        repo.reset_runs(s, batch_id=batch.id)
        assert repo.update_run(s, batch_id=batch.id, key="v0#0", status=repo.RUNNING)
        assert repo.update_run(s, batch_id=batch.id, key="v0#0", status=repo.RUNNING,
                               iterations=5, best_cost=float("nan"))
        assert repo.update_run(s, batch_id=batch.id, key="v0#0", status=repo.DONE)
        assert not repo.update_run(s, batch_id=batch.id, key="v0#0", status=repo.RUNNING)
        repo.set_run_outcome(s, batch_id=batch.id, key="v0#0", total_cost=10.0, feasible=True,
                             error=None, elapsed_s=0.1, iterations=5)
        repo.close_runs(s, batch_id=batch.id, status=repo.CANCELLED)
        assert [r.status for r in repo.scenario_runs(s, batch_id=batch.id)] == [
            repo.DONE, repo.CANCELLED, repo.CANCELLED]
        repo.save_comparison(s, batch_id=batch.id, comparison_json='{"rows": []}', csv="x\n")
        repo.save_html(s, batch_id=batch.id, html="<p>ok</p>")
        assert repo.get_batch(s, batch_id=batch.id).html == "<p>ok</p>"


def test_restart_new_engine_reads_everything_back(postgres_url: str) -> None:
    """After the engine is gone (a service restart), a new engine on the same database
    reads back jobs, inputs, results, events and batches; init_db on existing tables is a
    no-op; the queue order survives."""
    first = make_engine(postgres_url)
    init_db(first)
    with session_factory(first)() as s:
        done = _new(s, body='{"problem": 1}', key="k1")
        repo.claim_job(s, worker="w", lease_seconds=10, job_id=done.id)
        repo.record_progress(s, job_id=done.id, elapsed_s=0.2, iteration=7, best_cost=3.0,
                             feasible=True)
        repo.finish_job(s, job_id=done.id, worker="w", status=repo.SUCCEEDED,
                        result={"solution_json": '{"routes": []}', "kpis_json": '{"cost": 3}',
                                "violations_json": "[]", "csv": "route,stop\n",
                                "geojson": '{"type": "FeatureCollection"}'})
        waiting = [_new(s, body=f"w{k}").id for k in range(3)]
        batch, _ = repo.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json='{"s": 1}',
            name="b", warm_start=True, axes=[], content_hash="hb",
            runs=[{"key": "base#0", "variant": "base", "seed": 0}])
        events_before = [(e.seq, e.kind, e.data_json)
                         for e in repo.events_after(s, job_id=done.id)]
    first.dispose()

    second = make_engine(postgres_url)
    init_db(second)
    try:
        with session_factory(second)() as s:
            job = repo.get_job(s, job_id=done.id, owner="a")
            assert job.status == repo.SUCCEEDED and job.problem_json == '{"problem": 1}'
            assert job.progress_iterations == 7 and job.progress_best_cost == 3.0
            assert job.finished_at >= job.started_at >= job.created_at
            result = repo.get_result(s, job_id=done.id)
            assert result.kpis_json == '{"cost": 3}' and result.csv == "route,stop\n"
            assert [(e.seq, e.kind, e.data_json)
                    for e in repo.events_after(s, job_id=done.id)] == events_before
            assert repo.queued_ids(s) == [*waiting, batch.id]
            assert repo.get_batch(s, batch_id=batch.id).set_json == '{"s": 1}'
            assert [r.key for r in repo.scenario_runs(s, batch_id=batch.id)] == ["base#0"]
            again, created = repo.create_job(s, owner="a", problem_json='{"problem": 1}',
                                             options_json="{}", content_hash='{"problem": 1}',
                                             idempotency_key="k1")
            assert not created and again.id == done.id
            newer = _new(s, body="new")
            assert repo.list_jobs(s, owner="a", limit=1)[0].id == newer.id
    finally:
        second.dispose()


def test_bare_postgresql_url_uses_psycopg(postgres_url: str) -> None:
    """``ROUTECAST_DATABASE_URL=postgresql://...`` works with only psycopg 3 installed."""
    pytest.importorskip("psycopg")
    bare = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("psycopg2 is installed: SQLAlchemy's own default applies")
    eng = make_engine(bare)
    try:
        assert eng.url.drivername == "postgresql+psycopg"
        with eng.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        eng.dispose()


def test_job_lifecycle_state_machine(postgres_admin: Any) -> None:
    """The Hypothesis lifecycle machine of test_store.py (random submit / claim / finish /
    cancel / lose sequences against a dict model), on PostgreSQL: one schema per example."""
    base = postgres_admin.url

    class PostgresLifecycle(JobLifecycle):
        def __init__(self) -> None:  # JobLifecycle's state, a PostgreSQL store
            RuleBasedStateMachine.__init__(self)
            self.model: dict[str, str] = {}
            self.attempts: dict[str, int] = {}
            self.keys: dict[str, tuple[str, str]] = {}
            self.schema = f"rc_test_{uuid.uuid4().hex[:16]}"
            with postgres_admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            url = base.update_query_dict({"options": f"-csearch_path={self.schema}"})
            self.engine = create_engine(url, pool_pre_ping=True)
            init_db(self.engine)
            self.sessions = session_factory(self.engine)

        def teardown(self) -> None:
            self.engine.dispose()
            with postgres_admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    run_state_machine_as_test(PostgresLifecycle, settings=settings(
        max_examples=10, stateful_step_count=12, deadline=None,
        suppress_health_check=list(HealthCheck)))


def test_a_constraint_violation_is_not_retried_forever(sessions: Any) -> None:
    """An IntegrityError that is no idempotency race (two runs with one key) is raised
    after one retry, not retried until the recursion limit."""
    from sqlalchemy.exc import IntegrityError

    runs = [{"key": "same#0", "variant": "v", "seed": 0}] * 2
    with sessions() as s, pytest.raises(IntegrityError):
        repo.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json="{}", name="b",
            warm_start=True, axes=[], runs=runs, content_hash="h", idempotency_key="k")
