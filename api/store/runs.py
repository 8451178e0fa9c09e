"""Scenario batches and the lifecycle of their runs.

A batch is a job of kind ``scenarios`` (status, lease, retries and cancel flag are the
job's, see :mod:`api.store.jobs`); its runs have their own small lifecycle
(:data:`api.store.enums.RUN_TRANSITIONS`), moved through the same
:func:`api.store.transitions.move` as jobs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.store.enums import RUN_TRANSITIONS, JobKind, JobStatus, RunStatus
from api.store.jobs import add_event, create_job, now
from api.store.tables import JobRow, ScenarioBatchRow, ScenarioRunRow
from api.store.transitions import IllegalTransitionError, JobNotFoundError, move, sources_of
from solver.io.json_safe import json_safe


def create_scenario_batch(
    session: Session, *, owner: str, problem_json: str, options_json: str, set_json: str,
    name: str, warm_start: bool, axes: list[str], runs: Sequence[dict[str, Any]],
    content_hash: str, problem_name: str = "problem", idempotency_key: str | None = None,
    max_attempts: int = 2,
) -> tuple[JobRow, bool]:
    """Insert a queued batch: its job row, its set and one queued row per run, at once.

    ``runs`` are ``{"key", "variant", "seed", "cell"}`` in run order (base first).
    Idempotency works as for :func:`api.store.jobs.create_job`.
    """
    created = now()

    def rows(job_id: str) -> list[Any]:
        out: list[Any] = [ScenarioBatchRow(
            job_id=job_id, name=name[:200], set_json=set_json, warm_start=warm_start,
            n_runs=len(runs), axes_json=json.dumps(axes))]
        out += [ScenarioRunRow(batch_id=job_id, position=k, key=r["key"][:260],
                               variant=r["variant"][:220], seed=r["seed"],
                               cell_json=json.dumps(r.get("cell") or {}, default=str),
                               status=RunStatus.QUEUED, updated_at=created)
                for k, r in enumerate(runs)]
        return out

    return create_job(session, owner=owner, problem_json=problem_json,
                      options_json=options_json, content_hash=content_hash,
                      problem_name=problem_name, input_format="routecast",
                      idempotency_key=idempotency_key, max_attempts=max_attempts,
                      kind=JobKind.SCENARIOS, extra=[rows])


def get_batch(session: Session, *, batch_id: str) -> ScenarioBatchRow:
    row = session.get(ScenarioBatchRow, batch_id)
    if row is None:
        raise JobNotFoundError(batch_id)
    return row


def scenario_runs(session: Session, *, batch_id: str) -> list[ScenarioRunRow]:
    """The runs of a batch in run order (the base of each seed first)."""
    return list(session.scalars(select(ScenarioRunRow).where(ScenarioRunRow.batch_id == batch_id)
                                .order_by(ScenarioRunRow.position)))


def update_run(
    session: Session, *, batch_id: str, key: str, status: RunStatus,
    elapsed_s: float | None = None, iterations: int | None = None,
    best_cost: float | None = None,
) -> bool:
    """Move a run to ``status`` (or record progress: ``status`` running on a running run).

    An illegal move is ignored and returns False: run events may arrive out of order
    (a run's ``running`` after its result), and a finished run never changes again.
    """
    values: dict[str, Any] = {"updated_at": now()}
    if elapsed_s is not None:
        values["elapsed_s"] = elapsed_s
    if iterations is not None:
        values["iterations"] = iterations
    if best_cost is not None:
        values["best_cost"] = json_safe(best_cost)
    transitions = dict(RUN_TRANSITIONS)
    if status == RunStatus.RUNNING:  # progress of a running run
        transitions[RunStatus.RUNNING] = transitions[RunStatus.RUNNING] | {RunStatus.RUNNING}
    moved = move(session, ScenarioRunRow, [ScenarioRunRow.batch_id == batch_id,
                                           ScenarioRunRow.key == key],
                 status, transitions, **values)
    if moved:  # the batch's event stream (SSE) shows each run's updates
        add_event(session, job_id=batch_id, kind="run", data={
            "key": key, "status": status, "elapsed_s": elapsed_s, "iterations": iterations,
            "best_cost": values.get("best_cost")})
    session.commit()
    return moved


def set_run_outcome(session: Session, *, batch_id: str, key: str, total_cost: float | None,
                    feasible: bool | None, error: str | None, elapsed_s: float | None,
                    iterations: int | None) -> None:
    """Store a finished run's numbers (its status moves through :func:`update_run`)."""
    session.execute(update(ScenarioRunRow).where(
        ScenarioRunRow.batch_id == batch_id, ScenarioRunRow.key == key).values(
        total_cost=json_safe(total_cost), feasible=feasible, error=error, elapsed_s=elapsed_s,
        iterations=iterations, updated_at=now()))
    session.commit()


def reset_runs(session: Session, *, batch_id: str) -> None:
    """A batch (re)starts: every run back to queued, progress cleared. Only the worker
    that holds the running batch calls this (a retry after a lost worker reruns all)."""
    status = session.scalar(select(JobRow.status).where(JobRow.id == batch_id))
    if status != JobStatus.RUNNING:
        session.rollback()
        raise IllegalTransitionError(batch_id, str(status), "running (runs reset)")
    session.execute(update(ScenarioRunRow).where(ScenarioRunRow.batch_id == batch_id).values(
        status=RunStatus.QUEUED, elapsed_s=None, iterations=None, best_cost=None,
        total_cost=None, feasible=None, error=None, updated_at=now()))
    session.commit()


def close_runs(session: Session, *, batch_id: str, status: RunStatus) -> None:
    """Runs that had not ended when their batch did take ``status`` (cancelled/failed)."""
    closed = session.scalars(update(ScenarioRunRow).where(
        ScenarioRunRow.batch_id == batch_id,
        ScenarioRunRow.status.in_(sources_of(status, RUN_TRANSITIONS))).values(
        status=status, updated_at=now()).returning(ScenarioRunRow.key)).all()
    for key in closed:  # the batch's event stream shows these runs ending too
        add_event(session, job_id=batch_id, kind="run", data={"key": key, "status": status})
    session.commit()


def save_comparison(session: Session, *, batch_id: str, comparison_json: str,
                    csv: str) -> None:
    session.execute(update(ScenarioBatchRow).where(ScenarioBatchRow.job_id == batch_id).values(
        comparison_json=comparison_json, csv=csv, html=None))
    session.commit()


def save_html(session: Session, *, batch_id: str, html: str) -> None:
    session.execute(update(ScenarioBatchRow).where(ScenarioBatchRow.job_id == batch_id).values(
        html=html))
    session.commit()
