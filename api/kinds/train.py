"""Training jobs: trips (an uploaded file or the synthetic city) -> a registered model.

A training job is a job of kind ``train``, so it is queued, leased, retried and
cancelled like a solve. Its own row (``trainings``) holds the trips' source, the model's
hyperparameters and, once done, the model id and ``{"model_id", "metrics", ...}``.
Models are registered in the owner's own registry (per-key isolation).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.kinds import JobKindSpec, Outcome, RunContext
from api.schemas import TrainingJob
from api.settings import Settings
from api.store import trainings
from api.store.enums import JobKind, JobStatus
from api.store.tables import JobRow

logger = logging.getLogger(__name__)


class TrainingSpec(BaseModel):
    """Where the trips come from."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["upload", "synthetic"]
    path: str | None = None
    tz: str | None = None
    synthetic_trips: int = Field(default=20_000, ge=500, le=500_000)
    synthetic_seed: int = Field(default=0, ge=0)


class TrainingParams(BaseModel):
    """Model hyperparameters a client may set (the rest keep TravelTimeModel's defaults)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, ge=0, lt=2**31)
    n_estimators: int = Field(default=300, ge=10, le=2000)
    n_zones: int = Field(default=40, ge=1, le=500)
    activate: bool = False


def registry_root(settings: Settings, owner: str) -> Path:
    """The model registry of one principal."""
    return settings.data_dir / "registry" / owner


def train(spec: TrainingSpec, params: TrainingParams, settings: Settings,
          owner: str) -> dict[str, Any]:
    """Fit and register a model; returns the result document of the job."""
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel, load_trips

    cleaning: dict[str, Any] | None = None
    if spec.source == "synthetic":
        trips = SyntheticCity().simulate_trips(spec.synthetic_trips, seed=spec.synthetic_seed)
    else:
        trips, report = load_trips(spec.path or "", tz=spec.tz)
        cleaning = report.to_dict()
    model = TravelTimeModel(seed=params.seed, n_estimators=params.n_estimators,
                            n_zones=params.n_zones, n_threads=1)
    model.fit(trips, cleaning_report=cleaning)
    registry = ModelRegistry(registry_root(settings, owner))
    model_id = registry.register(model, activate=params.activate)
    info = registry.show(model_id)
    return {"model_id": model_id, "metrics": info.get("metrics", {}),
            "n_trips": info.get("n_trips"), "cleaning": cleaning,
            "active": registry.active_id() == model_id}


def create(session: Session, *, owner: str, spec: TrainingSpec, params: TrainingParams,
           max_attempts: int, problem_name: str | None = None,
           idempotency_key: str | None = None) -> tuple[JobRow, bool]:
    """Queue a training job; the same spec and parameters hash alike in every process."""
    spec_json, params_json = spec.model_dump_json(), params.model_dump_json()
    digest = hashlib.sha256(f"train\0{spec_json}\0{params_json}".encode()).hexdigest()
    return trainings.create_training(
        session, owner=owner, spec_json=spec_json, params_json=params_json,
        content_hash=digest, problem_name=problem_name or f"train-{spec.source}",
        max_attempts=max_attempts, idempotency_key=idempotency_key)


def run(job: JobRow, ctx: RunContext) -> Outcome:
    """Fit and register the model; a cancel that came during the fit still keeps it."""
    with ctx.sessions() as session:
        row = trainings.get_training(session, job_id=job.id)
    spec = TrainingSpec.model_validate_json(row.spec_json)
    params = TrainingParams.model_validate_json(row.params_json)
    logger.info("job %s: training a travel model (%s trips)", job.id, spec.source)
    document = train(spec, params, ctx.settings, job.owner)
    save = partial(_save, job.id, document)
    if ctx.reporter.is_cancelled():
        return Outcome(JobStatus.CANCELLED, stopped_by="cancelled", save=save)
    logger.info("job %s: registered travel model %s", job.id, document["model_id"])
    return Outcome(JobStatus.SUCCEEDED, save=save)


def _save(job_id: str, document: dict[str, Any], session: Session) -> None:
    trainings.save_model(session, job_id=job_id, result=document)


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def view(session: Session, job: JobRow) -> TrainingJob:
    """Status of a training job, and the model id and metrics once it succeeded."""
    row = trainings.get_training(session, job_id=job.id)
    doc = json.loads(row.result_json) if row.result_json else None
    return TrainingJob(
        id=job.id, status=job.status, created_at=_dt(job.created_at),  # type: ignore[arg-type]
        finished_at=_dt(job.finished_at), model_id=row.model_id, result=doc,
        error=json.loads(job.error_json) if job.error_json else None,
        links={"self": f"/v1/travel-models/jobs/{job.id}",
               "events": f"/v1/jobs/{job.id}/events"},
    )


SPEC = JobKindSpec(JobKind.TRAIN, create=create, run=run, view=view)
