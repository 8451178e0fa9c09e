"""Training jobs' own rows (kinds ``train`` and ``retrain``): the trips and
hyperparameters, then the registered model and the job's result document."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from api.store.enums import JobKind
from api.store.jobs import create_job
from api.store.tables import JobRow, TrainingRow
from api.store.transitions import JobNotFoundError


def create_training(
    session: Session, *, owner: str, spec_json: str, params_json: str, content_hash: str,
    problem_name: str, max_attempts: int = 2, idempotency_key: str | None = None,
    kind: JobKind = JobKind.TRAIN,
) -> tuple[JobRow, bool]:
    """Insert a queued training job (``train``, or a champion/challenger ``retrain``) and
    its row; idempotent as :func:`api.store.jobs.create_job`."""

    def rows(job_id: str) -> list[Any]:
        return [TrainingRow(job_id=job_id, spec_json=spec_json, params_json=params_json)]

    return create_job(session, owner=owner, content_hash=content_hash,
                      problem_name=problem_name, idempotency_key=idempotency_key,
                      max_attempts=max_attempts, kind=kind, extra=[rows])


def get_training(session: Session, *, job_id: str) -> TrainingRow:
    row = session.get(TrainingRow, job_id)
    if row is None:
        raise JobNotFoundError(job_id)
    return row


def save_model(session: Session, *, job_id: str, result: dict[str, Any]) -> None:
    """Record the registered model (``result["model_id"]``) and its result document; the
    caller commits (it runs inside :func:`api.store.jobs.finish_job`)."""
    session.execute(update(TrainingRow).where(TrainingRow.job_id == job_id).values(
        model_id=result.get("model_id"), result_json=json.dumps(result, default=str)))
