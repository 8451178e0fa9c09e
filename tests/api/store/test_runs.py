"""Scenario batches and their runs' lifecycle (:mod:`api.store.runs`), on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from api.store import jobs, leases, runs
from api.store.enums import JobKind, RunStatus
from api.store.tables import NUL_REPLACEMENT
from api.store.transitions import IllegalTransitionError


def test_text_with_nul_and_big_seeds_are_stored(sessions: Any) -> None:
    """What SQLite stores PostgreSQL stores too: a NUL in a name (there as U+FFFD:
    PostgreSQL text cannot hold NUL) and seeds beyond 32 bits."""
    nul = NUL_REPLACEMENT if sessions.kw["bind"].dialect.name == "postgresql" else "\x00"
    with sessions() as s:
        batch, _ = runs.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json="{}",
            name="what\x00if", warm_start=True, axes=[], content_hash="h",
            problem_name="nul\x00name",
            runs=[{"key": "base#3000000000", "variant": "base", "seed": 3_000_000_000},
                  {"key": "v\x00#3000000000", "variant": "v\x00", "seed": 3_000_000_000}])
        assert batch.problem_name == "nul\x00name"  # the object as given ...
    with sessions() as s:  # ... and as stored
        job = jobs.get_job(s, job_id=batch.id, kind=JobKind.SCENARIOS)
        assert job.problem_name == f"nul{nul}name"
        assert runs.get_batch(s, batch_id=batch.id).name == f"what{nul}if"
        rows = runs.scenario_runs(s, batch_id=batch.id)
        assert [r.seed for r in rows] == [3_000_000_000] * 2
        assert rows[1].variant == f"v{nul}"


def test_scenario_runs_lifecycle(sessions: Any) -> None:
    """Scenario runs follow their own lifecycle; resets need the batch to be running."""
    with sessions() as s:
        batch, _ = runs.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json="{}", name="b",
            warm_start=False, axes=["x"], content_hash="h",
            runs=[{"key": f"v{k}#0", "variant": f"v{k}", "seed": 0} for k in range(3)])
        with pytest.raises(IllegalTransitionError):
            runs.reset_runs(s, batch_id=batch.id)
        leases.claim_job(s, worker="w", lease_seconds=10, job_id=batch.id)
        runs.reset_runs(s, batch_id=batch.id)
        assert runs.update_run(s, batch_id=batch.id, key="v0#0", status=RunStatus.RUNNING)
        assert runs.update_run(s, batch_id=batch.id, key="v0#0", status=RunStatus.RUNNING,
                               iterations=5, best_cost=float("nan"))
        assert runs.update_run(s, batch_id=batch.id, key="v0#0", status=RunStatus.SUCCEEDED)
        assert not runs.update_run(s, batch_id=batch.id, key="v0#0", status=RunStatus.RUNNING)
        runs.set_run_outcome(s, batch_id=batch.id, key="v0#0", total_cost=10.0, feasible=True,
                             error=None, elapsed_s=0.1, iterations=5)
        runs.close_runs(s, batch_id=batch.id, status=RunStatus.CANCELLED)
        assert [r.status for r in runs.scenario_runs(s, batch_id=batch.id)] == [
            RunStatus.SUCCEEDED, RunStatus.CANCELLED, RunStatus.CANCELLED]
        runs.save_comparison(s, batch_id=batch.id, comparison_json='{"rows": []}', csv="x\n")
        runs.save_html(s, batch_id=batch.id, html="<p>ok</p>")
        assert runs.get_batch(s, batch_id=batch.id).html == "<p>ok</p>"


def test_a_constraint_violation_is_not_retried_forever(sessions: Any) -> None:
    """An IntegrityError that is no idempotency race (two runs with one key) is raised
    after one retry, not retried until the recursion limit."""
    from sqlalchemy.exc import IntegrityError

    twins = [{"key": "same#0", "variant": "v", "seed": 0}] * 2
    with sessions() as s, pytest.raises(IntegrityError):
        runs.create_scenario_batch(
            s, owner="a", problem_json="{}", options_json="{}", set_json="{}", name="b",
            warm_start=True, axes=[], runs=twins, content_hash="h", idempotency_key="k")
