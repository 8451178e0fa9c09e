"""Retrain jobs: champion/challenger on the owner's actuals (``surrogate.retrain``).

A retrain is queued, leased, retried and cancelled like any job. Its own row is a
``trainings`` row (kind ``retrain``): the request, then the challenger's id and the
comparison document (metrics of both models on the held-out latest actuals, the data
windows, the decision). The champion is the owner's active model; the actuals are the
legs of the owner's executed routes (``POST /v1/jobs/{id}/actuals``), the most recent
``settings.training_max_trips`` of them.
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.kinds import JobKindSpec, Outcome, RunContext
from api.kinds.train import registry_root, training_view
from api.schemas import TrainingJob
from api.settings import Settings
from api.store import trainings
from api.store.actuals import actual_trips, count_actual_legs
from api.store.enums import JobKind, JobStatus
from api.store.tables import JobRow

logger = logging.getLogger(__name__)


class RetrainRequest(BaseModel):
    """How to judge the challenger (``surrogate.retrain.RetrainPolicy``'s public part)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"margin": 0.02, "holdout_fraction": 0.25, "actuals_share": 0.5,
         "baseline_margin": 0.05}]})

    margin: float = Field(default=0.02, ge=0.0, le=0.5, description="relative hold-out "
                          "RMSLE gain the challenger needs to be promoted")
    holdout_fraction: float = Field(default=0.25, ge=0.05, le=0.8, description="share of "
                                    "the latest actuals kept to judge both models on")
    actuals_share: float = Field(default=0.5, ge=0.0, le=0.95, description="share of the "
                                 "training weight the actuals carry at least")
    baseline_margin: float = Field(default=0.05, ge=0.0, le=0.5, description="relative "
                                   "hold-out RMSLE gain the challenger needs over a distance "
                                   "baseline fitted on the same actuals (are they "
                                   "predictable at all?)")

    def policy(self) -> Any:
        from surrogate.retrain import RetrainPolicy

        return RetrainPolicy(margin=self.margin, holdout_fraction=self.holdout_fraction,
                             actuals_share=self.actuals_share,
                             baseline_margin=self.baseline_margin)


class RetrainNotReady(ValueError):
    """The owner has no retrainable champion, or too few actuals (a 422 naming which)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_ready(session: Session, settings: Settings, owner: str,
                request: RetrainRequest) -> None:
    """Refuse, before queueing, a retrain that cannot run: no active model, one stored
    without its trips, or fewer actual legs than the policy needs."""
    from surrogate import ModelRegistry, SurrogateError

    registry = ModelRegistry(registry_root(settings, owner))
    try:
        registry.trips_file()
    except SurrogateError as exc:
        raise RetrainNotReady("champion", str(exc)) from None
    policy = request.policy()
    have = count_actual_legs(session, owner=owner)
    holdout = max(policy.min_holdout, round(policy.holdout_fraction * have))
    if have - holdout < policy.min_train_actuals:
        raise RetrainNotReady("actuals", f"{have} actual legs are too few to retrain on; "
                              f"send the actuals of more executed routes (POST "
                              f"/v1/jobs/{{id}}/actuals): it needs "
                              f"{policy.min_train_actuals} to learn from and {holdout} more "
                              "to judge on")


def create(session: Session, *, owner: str, request: RetrainRequest, max_attempts: int,
           idempotency_key: str | None = None) -> tuple[JobRow, bool]:
    """Queue a retrain job; ``(job, created)``."""
    spec = request.model_dump_json()
    digest = hashlib.sha256(b"retrain\0" + spec.encode()).hexdigest()
    return trainings.create_training(
        session, owner=owner, spec_json=spec, params_json="{}", content_hash=digest,
        problem_name="retrain", max_attempts=max_attempts, idempotency_key=idempotency_key,
        kind=JobKind.RETRAIN)


def run(job: JobRow, ctx: RunContext) -> Outcome:
    """Load the owner's actuals, retrain, record; a cancel during the fit keeps the result
    (the registry already holds it)."""
    from surrogate import ModelRegistry
    from surrogate.retrain import retrain

    with ctx.sessions() as session:
        row = trainings.get_training(session, job_id=job.id)
        request = RetrainRequest.model_validate_json(row.spec_json)
        actuals = actual_trips(session, owner=job.owner, limit=ctx.settings.training_max_trips)
    logger.info("job %s: retraining on %d actual trips", job.id, len(actuals))
    registry = ModelRegistry(registry_root(ctx.settings, job.owner))
    comparison = retrain(registry, actuals, policy=request.policy())
    document = {"model_id": comparison["challenger"]["model_id"], **comparison}
    save = partial(_save, job.id, document)
    logger.info("job %s: %s (%s)", job.id, comparison["decision"], comparison["reason"])
    if ctx.reporter.is_cancelled():
        return Outcome(JobStatus.CANCELLED, stopped_by="cancelled", save=save)
    return Outcome(JobStatus.SUCCEEDED, save=save)


def _save(job_id: str, document: dict[str, Any], session: Session) -> None:
    trainings.save_model(session, job_id=job_id, result=document)


def view(session: Session, job: JobRow) -> TrainingJob:
    """Status of a retrain job, and the comparison once it ran."""
    return training_view(session, job, "/v1/travel-models/retrain/jobs")


SPEC = JobKindSpec(JobKind.RETRAIN, create=create, run=run, view=view)
