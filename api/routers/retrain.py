"""Champion/challenger retraining of a key's travel model on its actuals (as a job).

``POST /v1/travel-models/retrain`` queues a ``retrain`` job (``api.kinds.retrain``);
its result, like every recorded comparison, is in the key's own registry.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import ExecutorDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.kinds import retrain
from api.kinds.retrain import RetrainNotReady, RetrainRequest
from api.kinds.train import registry_root
from api.routers.jobs import IdempotencyKey
from api.schemas import TrainingJob, problem_responses
from api.sse import ResumeDep, job_event_stream, sse_responses
from api.store import jobs as store_jobs
from api.store.enums import JobKind
from solver.io.json_safe import json_safe

OptionalBody = Annotated[RetrainRequest | None, Body(description="the policy; defaults "
                                                    "when absent")]
router = APIRouter(prefix="/v1/travel-models/retrain", tags=["travel-models"])


@router.post("", status_code=202, response_model=TrainingJob,
             responses=problem_responses(401, 409, 422, 429),
             summary="Retrain the active travel model on actuals (champion/challenger, a job)")
async def create_retrain(who: PrincipalDep, sessions: StoreDep, settings: SettingsDep,
                         executor: ExecutorDep, request: OptionalBody = None,
                         idempotency_key: IdempotencyKey = None) -> TrainingJob:
    """Queue a retrain: a challenger learns the active model's trips plus this key's
    actuals except the latest ``holdout_fraction``; both are scored on those, and the
    challenger becomes active only when its RMSLE is lower by ``margin`` (relative). The
    comparison is in the job's ``result`` and in ``/v1/travel-models/retrain/comparisons``.

    422 before queueing when no model is active, the active one was registered without
    its trips, or the key's actuals are too few."""
    body = request or RetrainRequest()

    def create() -> tuple[TrainingJob, bool]:
        with sessions() as session:
            try:
                retrain.check_ready(session, settings, who.id, body)
            except RetrainNotReady as exc:
                raise ApiProblem(422, "retrain-not-ready", "Retrain not ready", str(exc),
                                 errors=[{"loc": [exc.field], "path": exc.field,
                                          "msg": str(exc), "type": "not_ready"}]) from None
            job, created = retrain.create(session, owner=who.id, request=body,
                                          max_attempts=settings.max_attempts,
                                          idempotency_key=idempotency_key)
            return retrain.view(session, job), created

    job, created = await run_in_threadpool(create)
    if created:
        executor.submit(job.id)
    return job


@router.get("/jobs/{job_id}", response_model=TrainingJob,
            responses=problem_responses(401, 404, 429), summary="Get a retrain job")
def get_retrain_job(job_id: str, who: PrincipalDep, sessions: StoreDep) -> TrainingJob:
    """Status of a retrain job, and the comparison and decision once it ran."""
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=job_id, owner=who.id, kind=JobKind.RETRAIN)
        return retrain.view(session, job)


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse,
            responses=sse_responses("server-sent events: `status`, then `end`"),
            summary="Stream retrain job events (SSE)")
async def retrain_events(request: Request, job_id: str, who: PrincipalDep, sessions: StoreDep,
                         settings: SettingsDep, start: ResumeDep) -> StreamingResponse:
    """Status changes of a retrain job as server-sent events, until it ends."""
    return await job_event_stream(request, sessions, settings, job_id=job_id, owner=who.id,
                                  kind=JobKind.RETRAIN, start=start)


@router.get("/comparisons", response_model=list[dict[str, Any]],
            responses=problem_responses(401, 429), summary="List champion/challenger comparisons")
def list_comparisons(who: PrincipalDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Every retrain of this key's models, newest first: both models' hold-out metrics,
    the data windows, the policy and the decision."""
    from surrogate import ModelRegistry

    return [json_safe(c) for c in ModelRegistry(registry_root(settings, who.id)).comparisons()]
