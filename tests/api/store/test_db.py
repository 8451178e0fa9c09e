"""Engines and the schema (:mod:`api.store.db`): SQLite in WAL mode, PostgreSQL in the
test's schema with 64-bit counters, a restart that reads everything back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from api.store import jobs, leases, runs
from api.store.db import init_db, make_engine, session_factory
from api.store.enums import JobStatus
from tests.api.store.conftest import new_job


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    """The default SQLite store runs in WAL mode (readers never block the writer)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    init_db(engine)
    with session_factory(engine)() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_tables_live_in_the_test_schema(postgres_url: str) -> None:
    """The store's tables are created in the per-test schema, with 64-bit counters."""
    engine = make_engine(postgres_url)
    init_db(engine)
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
    engine.dispose()


def test_restart_new_engine_reads_everything_back(store_url: str) -> None:
    """After the engine is gone (a service restart), a new engine on the same database
    reads back jobs, inputs, results, events and batches; init_db on existing tables is a
    no-op; the queue order survives."""
    first = make_engine(store_url)
    init_db(first)
    with session_factory(first)() as s:
        done = new_job(s, body='{"problem": 1}', key="k1")
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=done.id)
        jobs.record_progress(s, job_id=done.id, elapsed_s=0.2, iteration=7, best_cost=3.0,
                             feasible=True)
        jobs.finish_job(s, job_id=done.id, worker="w", status=JobStatus.SUCCEEDED,
                        result={"solution_json": '{"routes": []}', "kpis_json": '{"cost": 3}',
                                "violations_json": "[]", "csv": "route,stop\n",
                                "geojson": '{"type": "FeatureCollection"}'})
        waiting = [new_job(s, body=f"w{k}").id for k in range(3)]
        batch, _ = runs.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json='{"s": 1}',
            name="b", warm_start=True, axes=[], content_hash="hb",
            runs=[{"key": "base#0", "variant": "base", "seed": 0}])
        events_before = [(e.seq, e.kind, e.data_json)
                         for e in jobs.events_after(s, job_id=done.id)]
    first.dispose()

    second = make_engine(store_url)
    init_db(second)
    try:
        with session_factory(second)() as s:
            job = jobs.get_job(s, job_id=done.id, owner="a")
            assert job.status == JobStatus.SUCCEEDED and job.problem_json == '{"problem": 1}'
            assert job.progress_iterations == 7 and job.progress_best_cost == 3.0
            assert job.finished_at >= job.started_at >= job.created_at
            result = jobs.get_result(s, job_id=done.id)
            assert result.kpis_json == '{"cost": 3}' and result.csv == "route,stop\n"
            assert [(e.seq, e.kind, e.data_json)
                    for e in jobs.events_after(s, job_id=done.id)] == events_before
            assert leases.queued_ids(s) == [*waiting, batch.id]
            assert runs.get_batch(s, batch_id=batch.id).set_json == '{"s": 1}'
            assert [r.key for r in runs.scenario_runs(s, batch_id=batch.id)] == ["base#0"]
            again, created = jobs.create_job(s, owner="a", problem_json='{"problem": 1}',
                                             options_json="{}", content_hash='{"problem": 1}',
                                             idempotency_key="k1")
            assert not created and again.id == done.id
            newer = new_job(s, body="new")
            assert jobs.list_jobs(s, owner="a", limit=1)[0].id == newer.id
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
