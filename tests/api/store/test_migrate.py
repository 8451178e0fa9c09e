"""Schema migrations (:mod:`api.store.migrate`) on SQLite and PostgreSQL: a store written
by the last version before migrations (main 7e138fd) upgrades with every job kept, and
the migrated schema is exactly the tables' schema."""

from __future__ import annotations

import json
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from api.kinds import train
from api.kinds.scenarios import public_batch
from api.kinds.solve import public
from api.store import jobs, leases
from api.store.db import init_db, make_engine, session_factory
from api.store.enums import JobStatus
from api.store.migrate import current, head, upgrade
from api.store.tables import Base
from tests.api.store import schema_7e138fd as old

SOLVED_RESULT = {"solution_json": '{"routes": [], "cost": 3.0}', "kpis_json": '{"cost": 3.0}',
                 "violations_json": "[]", "csv": "route,stop\n", "geojson": '{"type": "x"}'}
TRAINED = {"model_id": "m-20240101-abc", "metrics": {"mae_s": 41.5}, "n_trips": 20000,
           "cleaning": None, "active": True}


def _job(seq: int, **values: Any) -> dict[str, Any]:
    row = {"id": f"job{seq:02d}", "owner": "key-a", "kind": "solve", "status": "queued",
           "priority": 0, "input_format": "routecast", "problem_json": '{"name": "p"}',
           "options_json": '{"time_limit": 5.0}', "problem_name": "p",
           "content_hash": f"h{seq}", "idempotency_key": None, "cancel_requested": False,
           "attempts": 0, "max_attempts": 2, "created_at": 1_700_000_000.0 + seq}
    row.update(dict.fromkeys(("worker", "lease_expires_at", "started_at", "finished_at",
                              "progress_elapsed", "progress_iterations", "progress_best_cost",
                              "progress_feasible", "stopped_by", "error_json")))
    row.update(values)
    return row


def _write_old_store(url: str) -> dict[str, Any]:
    """A store as 7e138fd wrote it (``create_all``, no alembic_version): a solved job, two
    queued ones, a failed one, a trained model and a scenario batch with finished runs."""
    engine = make_engine(url)
    old.Base.metadata.create_all(engine)
    jobs_rows = [
        _job(1, status="succeeded", attempts=1, started_at=1_700_000_010.0,
             finished_at=1_700_000_020.0, progress_iterations=3_000_000_000,
             progress_best_cost=3.0, progress_feasible=True, stopped_by="time",
             idempotency_key="idem-1"),
        _job(2),
        _job(3, priority=1),
        _job(4, status="failed", attempts=2, error_json='{"status": 500, "detail": "lost"}'),
        _job(5, kind="train", status="succeeded", problem_json='{"source": "synthetic"}',
             options_json='{"seed": 0, "activate": true}', problem_name="train-synthetic"),
        _job(6, kind="scenarios", status="succeeded"),
    ]
    with engine.begin() as conn:
        conn.execute(old.JobRow.__table__.insert(), jobs_rows)
        conn.execute(old.ResultRow.__table__.insert(), [
            {"job_id": "job01", **SOLVED_RESULT},
            {"job_id": "job05", "solution_json": json.dumps(TRAINED), "kpis_json": "{}",
             "violations_json": "[]", "csv": "", "geojson": ""}])
        conn.execute(old.EventRow.__table__.insert(), [
            {"job_id": j["id"], "created_at": j["created_at"], "kind": "status",
             "data_json": json.dumps({"status": s})}
            for j in jobs_rows for s in ("queued", j["status"])])
        conn.execute(old.ScenarioBatchRow.__table__.insert(), [{
            "job_id": "job06", "name": "b", "set_json": '{"variants": []}', "warm_start": True,
            "n_runs": 2, "axes_json": "[]", "comparison_json": '{"rows": []}', "csv": "x\n"}])
        conn.execute(old.ScenarioRunRow.__table__.insert(), [
            {"batch_id": "job06", "position": k, "key": f"{v}#0", "variant": v, "seed": 0,
             "cell_json": "{}", "status": status, "total_cost": cost, "updated_at": 1.0}
            for k, (v, status, cost) in enumerate([("base", "done", 10.0),
                                                    ("v", "cancelled", None)])])
    engine.dispose()
    return {"jobs": jobs_rows, "events": 2 * len(jobs_rows)}


def test_a_store_from_before_migrations_upgrades_losing_nothing(store_url: str) -> None:
    """Every job, result, event, batch and run survives the upgrade; a training job's input
    and model move to its own row; runs that were ``done`` say ``succeeded``; the queue
    still runs in order, and the new code reads every kind back."""
    written = _write_old_store(store_url)
    engine = make_engine(store_url)
    assert current(engine) is None
    assert upgrade(engine) == head()
    sessions = session_factory(engine)
    try:
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(text("job_events"))) == \
                written["events"]
            for row in written["jobs"]:
                job = jobs.get_job(s, job_id=row["id"], owner="key-a")
                assert (job.kind, job.status, job.attempts, job.content_hash) == (
                    row["kind"], row["status"], row["attempts"], row["content_hash"])
                assert (job.parent_id, job.version) == (None, 1)  # roots of their lineage
                if row["kind"] == "train":
                    assert job.problem_json is None and job.options_json is None
                else:
                    assert job.problem_json == row["problem_json"]
            solved = jobs.get_job(s, job_id="job01")
            assert solved.progress_iterations == 3_000_000_000 and solved.stopped_by == "time"
            assert {k: getattr(jobs.get_result(s, job_id="job01"), k)
                    for k in SOLVED_RESULT} == SOLVED_RESULT
            assert public(solved, s).result is not None
            assert jobs.get_result(s, job_id="job05") is None  # moved to its own row
            trained = train.view(s, jobs.get_job(s, job_id="job05"))
            assert trained.model_id == TRAINED["model_id"] and trained.result == TRAINED
            batch = public_batch(s, jobs.get_job(s, job_id="job06"))
            assert [r.status for r in batch.runs] == ["succeeded", "cancelled"]
            assert batch.progress.succeeded == 1 and batch.comparison == {"rows": []}
            again, created = jobs.create_job(s, owner="key-a", problem_json="{}",
                                             options_json="{}", content_hash="h1",
                                             idempotency_key="idem-1")
            assert not created and again.id == "job01"
            claimed = [leases.claim_job(s, worker="w", lease_seconds=10) for _ in range(3)]
            assert [c.id if c else None for c in claimed] == ["job03", "job02", None]
            assert jobs.get_job(s, job_id="job02").status == JobStatus.RUNNING
        assert upgrade(engine) == head()  # a second upgrade is a no-op
    finally:
        engine.dispose()


def test_migrations_build_exactly_the_tables(store_url: str) -> None:
    """An empty store upgraded from scratch has the schema of ``api/store/tables.py``:
    Alembic's autogenerate finds nothing to add, drop or change."""
    engine = make_engine(store_url)
    try:
        init_db(engine)
        assert current(engine) == head()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_to_the_first_revision_and_back(store_url: str) -> None:
    """Each migration can be undone: down to 0001 the training job is back in its old
    columns, and up again it is moved once more."""
    _write_old_store(store_url)
    engine = make_engine(store_url)
    try:
        upgrade(engine)
        from alembic import command

        from api.store.migrate import alembic_config

        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            command.downgrade(alembic_config(conn), "0001")
            conn.commit()
            problem = conn.execute(text("SELECT problem_json FROM jobs WHERE id = 'job05'"))
            assert problem.scalar() == '{"source": "synthetic"}'
            status = conn.execute(text("SELECT status FROM scenario_runs WHERE position = 0"))
            assert status.scalar() == "done"
        assert upgrade(engine) == head()
        with session_factory(engine)() as s:
            assert train.view(s, jobs.get_job(s, job_id="job05")).model_id == TRAINED["model_id"]
    finally:
        engine.dispose()
