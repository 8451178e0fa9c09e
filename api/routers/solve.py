"""Synchronous solve (small problems, short time limits); plan evaluation is in
:mod:`api.routers.evaluate`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import ExecutorDep, JsonBytesDep, MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.executor.base import wait_for_job
from api.http_errors import ApiProblem, job_error_problem
from api.kinds.solve import InputFormat, create_job, public
from api.routers.jobs import JOB_BODY
from api.schemas import (
    JobPublic,
    problem_responses,
)
from api.store import jobs as store_jobs
from api.store.enums import JobStatus
from solver.options import SolveOptions

router = APIRouter(prefix="/v1", tags=["solve"])
GRACE_S = 30.0  # queueing and start-up on top of the time limit


@router.post(
    "/solve", response_model=JobPublic, openapi_extra=JOB_BODY,
    responses=problem_responses(401, 409, 413, 415, 422, 429, 504), summary="Solve and wait",
)
async def solve_now(
    who: PrincipalDep, raw: JsonBytesDep, sessions: StoreDep, settings: SettingsDep,
    executor: ExecutorDep, metrics: MetricsDep,
    format: Annotated[InputFormat, Query()] = "routecast",
) -> JobPublic:
    """Solve a small problem and answer with the finished job (bounded by
    ``sync_max_stops`` and ``sync_max_time_limit``). It runs as a job on the workers,
    ahead of queued asynchronous jobs."""
    job, _ = await run_in_threadpool(create_job, sessions, settings, owner=who.id, raw=raw,
                                     fmt=format, idempotency_key=None, sync=True)
    metrics.jobs_submitted.inc()
    future = executor.submit(job.id)
    options = SolveOptions.model_validate_json(job.options_json or "")
    try:
        await wait_for_job(future, sessions, job.id, options.time_limit + GRACE_S)
    except TimeoutError:
        raise ApiProblem(504, "solve-timeout", "Solve took too long",
                         f"job {job.id} did not finish within {options.time_limit + GRACE_S:g}"
                         " s; poll it at its link", job_id=job.id,
                         headers={"Location": f"/v1/jobs/{job.id}"}) from None
    done = await run_in_threadpool(_load, sessions, job.id)
    if done.status == JobStatus.FAILED and done.error:
        raise job_error_problem(done.error, job.id)
    return done


def _load(sessions: StoreDep, job_id: str) -> JobPublic:
    with sessions() as session:
        return public(store_jobs.get_job(session, job_id=job_id), session)
