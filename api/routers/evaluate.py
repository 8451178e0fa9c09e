"""Plan evaluation: ``POST /v1/evaluate`` (cheap travel in the request; learned or large
dense travel as a job on the workers, waited for a bounded time) and
``GET /v1/evaluations/{id}`` for an evaluation that outlasted the wait."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ExecutorDep, JsonBytesDep, PrincipalDep, SettingsDep, StoreDep
from api.executor.base import wait_for_job
from api.http_errors import job_error_problem
from api.kinds import evaluate as kind
from api.kinds.solve import validate_body
from api.kinds.train import registry_root
from api.limits import check_problem_limits
from api.schemas import (
    EvaluateRequest,
    EvaluateResponse,
    EvaluationJob,
    json_body,
    problem_responses,
)
from api.settings import Settings
from api.store import jobs as store_jobs
from api.store.enums import JOB_TERMINAL, JobKind, JobStatus
from solver.options import SolveOptions
from solver.problem import Problem
from solver.solution import Solution

router = APIRouter(prefix="/v1", tags=["solve"])


def _validate(raw: bytes, settings: Settings) -> EvaluateRequest:
    """The body, within the evaluation limits (learned cells included) before any work."""
    body = validate_body(EvaluateRequest, raw)
    check_problem_limits(body.problem, SolveOptions(time_limit=1), settings, evaluate=True)
    return body


@router.post("/evaluate", response_model=EvaluateResponse,
             openapi_extra=json_body("EvaluateRequest", description="a problem and a plan"),
             responses={**problem_responses(401, 404, 413, 415, 422, 429),
                        202: {"model": EvaluationJob, "description": "the evaluation runs "
                              "on a worker and took longer than evaluate_wait_seconds: poll "
                              "its Location"}},
             summary="Evaluate a plan")
async def evaluate_plan(who: PrincipalDep, raw: JsonBytesDep, settings: SettingsDep,
                        sessions: StoreDep, executor: ExecutorDep) -> Any:
    """Time a given plan under a problem (its travel spec, learned models included): cost,
    KPIs, schedule and every violation. Nothing is solved.

    Travel that is costly to build (learned, bounded by ``evaluate_max_learned_cells``;
    dense matrices over ``evaluate_inline_max_cells``) is built by a worker, never in
    the service: the answer is the same 200 when that job ends within
    ``evaluate_wait_seconds``, else 202 with the job (``GET /v1/evaluations/{id}``)."""
    body = await run_in_threadpool(_validate, raw, settings)
    return await evaluation(body, raw, who.id, settings, sessions, executor)


async def evaluation(body: EvaluateRequest, raw: bytes, owner: str, settings: Settings,
                     sessions: StoreDep, executor: ExecutorDep,
                     reuse: str | None = None) -> EvaluateResponse | JSONResponse:
    """``body`` evaluated in the request when its travel is cheap to build, else by a
    job on the workers (:mod:`api.kinds.evaluate`): its evaluation when it ends within
    ``evaluate_wait_seconds`` (its error as the problem detail), else a 202 response
    with the job. ``raw``: the request's JSON, kept as the job's input; ``reuse``: a key
    under which a later request finds the same job (asking again converges)."""
    models = registry_root(settings, owner)
    if kind.runs_in_service(body.problem, settings):
        return await run_in_threadpool(kind.evaluate_request, body, models)
    job, created = await run_in_threadpool(_create, sessions, settings, owner, raw, body,
                                           reuse)
    # a found job was submitted by the request that made it: the store says when it ends
    future = executor.submit(job.id) if created else Future()
    if job.status not in JOB_TERMINAL:
        try:
            await wait_for_job(future, sessions, job.id, settings.evaluate_wait_seconds)
        except TimeoutError:
            pass  # answered below with 202 and the job
    view = await run_in_threadpool(_view, sessions, job.id, owner)
    if view.status == JobStatus.SUCCEEDED and view.result is not None:
        return view.result
    if view.status == JobStatus.FAILED and view.error:
        raise job_error_problem(view.error, job.id)
    return JSONResponse(view.model_dump(mode="json"), status_code=202,
                        headers={"Location": view.links["self"]})


async def plan_timing(job_id: str, problem: Problem, solution: Solution, owner: str,
                      settings: Settings, sessions: StoreDep, executor: ExecutorDep
                      ) -> EvaluateResponse | JSONResponse:
    """The evaluation of job ``job_id``'s stored plan (see :func:`evaluation`): every
    request that times that plan (``GET /v1/jobs/{id}/plan``, the plan diff) finds the
    same timing job."""
    body = EvaluateRequest(problem=problem, solution=solution)
    return await evaluation(body, body.model_dump_json().encode(), owner, settings,
                            sessions, executor, reuse=f"routecast-plan-timing:{job_id}")


def _create(sessions: StoreDep, settings: Settings, owner: str, raw: bytes,
            body: EvaluateRequest, reuse: str | None) -> Any:
    with sessions() as session:
        return kind.create(session, owner=owner, raw=raw, body=body,
                           max_attempts=settings.max_attempts, idempotency_key=reuse)


def _view(sessions: StoreDep, job_id: str, owner: str) -> EvaluationJob:
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=job_id, owner=owner, kind=JobKind.EVALUATE)
        return kind.view(session, job)


@router.get("/evaluations/{job_id}", response_model=EvaluationJob,
            responses=problem_responses(401, 404, 429), summary="Get an evaluation")
def get_evaluation(job_id: str, who: PrincipalDep, sessions: StoreDep) -> EvaluationJob:
    """An evaluation that ran on a worker: its status, then the evaluation (the body
    ``POST /v1/evaluate`` answers with 200) or the problem detail. Another key's id is
    a 404."""
    return _view(sessions, job_id, who.id)
