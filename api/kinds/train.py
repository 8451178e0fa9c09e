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
from api.uploads import remove_upload

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
    preset: str = Field(default="default", max_length=32,
                        description="surrogate.model.PRESETS entry (checked by new_model)")
    n_estimators: int | None = Field(default=None, ge=10, le=2000,
                                     description="median booster size; None: the preset's")
    n_zones: int = Field(default=40, ge=1, le=500)
    activate: bool = False


def new_model(params: TrainingParams) -> Any:
    """The unfitted ``TravelTimeModel`` of ``params`` (its preset, then the client's
    settings); ValueError naming the presets for an unknown one."""
    from surrogate import TravelTimeModel

    overrides = {} if params.n_estimators is None else {"n_estimators": params.n_estimators}
    return TravelTimeModel.from_preset(params.preset, seed=params.seed, n_zones=params.n_zones,
                                       n_threads=1, **overrides)


def registry_root(settings: Settings, owner: str) -> Path:
    """The model registry of one principal."""
    return settings.data_dir / "registry" / owner


def train(spec: TrainingSpec, params: TrainingParams, settings: Settings,
          owner: str) -> dict[str, Any]:
    """Fit and register a model; returns the result document of the job.

    An upload is deleted once its training ended, succeeded or failed; a worker that
    died mid-way leaves it for the job's retry."""
    try:
        return _fit_and_register(spec, params, settings, owner)
    finally:
        remove_upload(spec.path)


def _fit_and_register(spec: TrainingSpec, params: TrainingParams, settings: Settings,
                      owner: str) -> dict[str, Any]:
    from surrogate import ModelRegistry, SyntheticCity

    cleaning: dict[str, Any] | None = None
    if spec.source == "synthetic":
        trips = SyntheticCity().simulate_trips(spec.synthetic_trips, seed=spec.synthetic_seed)
    else:
        trips, cleaning = _read_upload(spec)
    model = new_model(params)
    model.fit(trips, cleaning_report=cleaning)
    registry = ModelRegistry(registry_root(settings, owner))
    model_id = registry.register(model, activate=params.activate, trips=trips)
    info = registry.show(model_id)
    return {"model_id": model_id, "metrics": info.get("metrics", {}),
            "n_trips": info.get("n_trips"), "cleaning": cleaning, "preset": params.preset,
            "active": registry.active_id() == model_id}


def _read_upload(spec: TrainingSpec) -> tuple[Any, dict[str, Any]]:
    """The uploaded trips, cleaned; errors name "the uploaded file", never its path."""
    from surrogate import SurrogateError, load_trips

    path = spec.path or ""
    try:
        trips, report = load_trips(path, tz=spec.tz)
    except SurrogateError as exc:
        raise type(exc)(str(exc).replace(path, "the uploaded file")) from None
    return trips, report.to_dict()


def create(session: Session, *, owner: str, spec: TrainingSpec, params: TrainingParams,
           max_attempts: int, content: bytes = b"", problem_name: str | None = None,
           idempotency_key: str | None = None) -> tuple[JobRow, bool]:
    """Queue a training job; ``(job, created)`` (an ``idempotency_key`` repeat finds its
    first job)."""
    return trainings.create_training(
        session, owner=owner, spec_json=spec.model_dump_json(),
        params_json=params.model_dump_json(), content_hash=content_hash(spec, params, content),
        problem_name=problem_name or f"train-{spec.source}",
        max_attempts=max_attempts, idempotency_key=idempotency_key)


def content_hash(spec: TrainingSpec, params: TrainingParams, content: bytes) -> str:
    """A stable digest of what a training job learns from (the spec without the upload's
    path, the parameters and the uploaded ``content``): the same body and parameters hash
    alike in every process."""
    digest = hashlib.sha256()
    for part in ("train", spec.model_dump_json(exclude={"path"}), params.model_dump_json()):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(content)
    return digest.hexdigest()


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
    return training_view(session, job, "/v1/travel-models/jobs")


def training_view(session: Session, job: JobRow, base: str) -> TrainingJob:
    """A job with a ``trainings`` row (train, retrain) as clients see it, under ``base``."""
    row = trainings.get_training(session, job_id=job.id)
    doc = json.loads(row.result_json) if row.result_json else None
    return TrainingJob(
        id=job.id, status=job.status, created_at=_dt(job.created_at),  # type: ignore[arg-type]
        finished_at=_dt(job.finished_at), model_id=row.model_id, result=doc,
        error=json.loads(job.error_json) if job.error_json else None,
        links={"self": f"{base}/{job.id}", "events": f"{base}/{job.id}/events"},
    )


SPEC = JobKindSpec(JobKind.TRAIN, create=create, run=run, view=view)
