"""A scenario batch inside a worker: run every variant, keep each run's progress in the
store, store the comparison.

The batch is a claimed job (lease, heartbeat and cancel flag as for any job, see
:mod:`api.worker`). Its runs go through :func:`solver.scenarios.run_scenarios` on the
executor :func:`api.executor.variants.variant_executor` picks: the Dask cluster, a
process pool of this worker, or threads under the inline executor.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.executor.variants import variant_executor
from api.kinds import Outcome, RunContext
from api.kinds.solve import worker_share
from api.settings import Settings
from api.store import runs as store_runs
from api.store.enums import JobStatus, RunStatus
from api.store.run_plans import save_run_plans
from api.store.tables import JobRow
from solver.options import SolveOptions
from solver.problem import Problem
from solver.scenarios import RunProgress, ScenarioSet, compare, render_html, run_scenarios
from solver.scenarios.compare import DELTA_COLUMNS, KPI_COLUMNS, Comparison, PlanDiff
from solver.scenarios.report import write_csv, write_json

logger = logging.getLogger(__name__)


class _RunWriter:
    """The runner's progress callback: each run's status and best cost into the store."""

    def __init__(self, batch_id: str, sessions: sessionmaker[Session],
                 settings: Settings) -> None:
        self.batch_id, self.sessions, self.settings = batch_id, sessions, settings
        self.last: dict[str, float] = {}

    def __call__(self, event: RunProgress) -> None:
        try:
            self._write(event)
        except Exception:  # noqa: BLE001  (progress never breaks a batch)
            logger.warning("batch %s: progress of %s not stored", self.batch_id, event.key,
                           exc_info=True)

    def _write(self, event: RunProgress) -> None:
        if event.status == "queued":
            return
        with self.sessions() as session:
            if event.status == "progress":
                now = time.monotonic()
                if now - self.last.get(event.key, -math.inf) < self.settings.progress_interval:
                    return
                self.last[event.key] = now
                store_runs.update_run(session, batch_id=self.batch_id, key=event.key,
                                      status=RunStatus.RUNNING, elapsed_s=event.elapsed_s,
                                      iterations=event.iteration,
                                      best_cost=event.best_cost)
            else:
                store_runs.update_run(session, batch_id=self.batch_id, key=event.key,
                                      status=RunStatus(event.status))


def run(job: JobRow, ctx: RunContext) -> Outcome:
    """Solve every run of the batch ``job`` and store the comparison: succeeded, or
    cancelled when the cancel flag stopped it (runs keep their best plan so far; the
    comparison covers what was solved)."""
    sessions = ctx.sessions
    logger.info("scenario batch %s started on %s (attempt %d)", job.id, ctx.worker,
                job.attempts)
    with sessions() as session:
        store_runs.reset_runs(session, batch_id=job.id)
        batch = store_runs.get_batch(session, batch_id=job.id)
    base = Problem.model_validate_json(job.problem_json or "")
    options = worker_share(SolveOptions.model_validate_json(job.options_json or ""),
                           ctx.settings, split=ctx.settings.scenario_workers)
    scenario_set = ScenarioSet.from_dict(json.loads(batch.set_json), "scenarios")
    try:
        with variant_executor(ctx.settings, options.engine) as pool:
            result = run_scenarios(base, scenario_set, options, pool, _RunWriter(
                job.id, sessions, ctx.settings), ctx.reporter.is_cancelled,
                warm_start=batch.warm_start, models_dir=ctx.models_dir)
        comparison = compare(result)
        with sessions() as session:
            for key, outcome in result.runs.items():
                store_runs.update_run(session, batch_id=job.id, key=key,
                                      status=RunStatus(outcome.status))
                store_runs.set_run_outcome(
                    session, batch_id=job.id, key=key,
                    total_cost=outcome.kpis.get("cost") if outcome.kpis else None,
                    feasible=outcome.kpis.get("feasible") if outcome.kpis else None,
                    error=outcome.error, elapsed_s=outcome.runtime_s,
                    iterations=outcome.iterations)
            text, csv = export(comparison)
            store_runs.save_comparison(session, batch_id=job.id, comparison_json=text, csv=csv)
            save_run_plans(session, batch_id=job.id, plans={
                key: outcome.solution.model_dump_json() for key, outcome in result.runs.items()
                if outcome.solution is not None})
    except BaseException:
        with sessions() as session:
            store_runs.close_runs(session, batch_id=job.id, status=RunStatus.FAILED)
        raise
    if result.cancelled:
        with sessions() as session:
            store_runs.close_runs(session, batch_id=job.id, status=RunStatus.CANCELLED)
        return Outcome(JobStatus.CANCELLED, stopped_by="cancelled")
    logger.info("scenario batch %s succeeded", job.id)
    return Outcome(JobStatus.SUCCEEDED)


def export(comparison: Comparison) -> tuple[str, str]:
    """``(json, csv)`` of a comparison, exactly as ``routecast whatif`` writes them."""
    with tempfile.TemporaryDirectory(prefix="routecast-cmp-") as tmp:
        write_json(comparison, Path(tmp) / "c.json")
        write_csv(comparison, Path(tmp) / "c.csv")
        text = json.dumps(json.loads((Path(tmp) / "c.json").read_text()))
        return text, (Path(tmp) / "c.csv").read_text()


def comparison_from_json(text: str) -> Comparison:
    """Rebuild a stored comparison (nulls back to NaN in the numeric columns)."""
    data = json.loads(text)
    numeric = {*KPI_COLUMNS, *(f"delta_{c}" for c in DELTA_COLUMNS), "delta_total_cost_pct"}
    rows: list[dict[str, Any]] = [
        {k: (math.nan if v is None and k in numeric else v) for k, v in r.items()}
        for r in data["rows"]]
    diffs = {k: PlanDiff(**d) for k, d in data.get("plan_diffs", {}).items()}
    return Comparison(data["name"], rows, diffs, data["axes"], data["seeds"], data["wall_s"],
                      data["cancelled"])


def html_report(text: str) -> str:
    """The self-contained HTML report of a stored comparison."""
    return render_html(comparison_from_json(text))
