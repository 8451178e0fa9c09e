"""Plan versions: re-plan a job's plan for a day in progress (a child job), and the diff
of two plans.

The diff times both plans with the evaluator through the timing jobs
``GET /v1/jobs/{id}/plan`` uses (:func:`api.routers.evaluate.plan_timing`): cheap travel
in the request, learned or large dense travel on a worker, never in the service. While
either timing outlasts ``evaluate_wait_seconds`` (both are waited for together), the
answer is 202 with that timing job; asking again finds the same jobs. Stored schedules
are not used: a stored plan carries its schedule only for problems with a
``time_origin`` or breaks.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import ExecutorDep, JsonBytesDep, MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.kinds.replan import create_replan
from api.kinds.replan_diff import diff_of, diff_plans
from api.routers.evaluate import plan_timing
from api.routers.jobs import IdempotencyKey, queued
from api.schemas import (
    EvaluateResponse,
    EvaluationJob,
    JobPublic,
    PlanDiffPublic,
    json_body,
    problem_responses,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post(
    "/{job_id}/replan", status_code=202, response_model=JobPublic,
    openapi_extra=json_body("ReplanCreate", description="the changes since the job's plan "
                            "was published, and the solve options (default: the job's)"),
    responses=problem_responses(401, 404, 409, 413, 415, 422, 429),
    summary="Re-plan a job's plan (a child job)",
)
async def submit_replan(
    job_id: str, response: Response, who: PrincipalDep, raw: JsonBytesDep,
    sessions: StoreDep, settings: SettingsDep, executor: ExecutorDep, metrics: MetricsDep,
    idempotency_key: IdempotencyKey = None,
) -> JobPublic:
    """Queue a replan of job ``job_id``'s plan: a child job (``kind`` replan,
    ``parent_id``, ``version`` = the parent's + 1) whose reference is that plan.

    ``changes``: ``now``, the started ``vehicles`` (stops served so far, the stop each
    drives to with its ETA, the load on board), ``new_stops``, ``cancelled`` stops,
    ``unavailable`` vehicles, ``locks`` and ``disruption`` weights. They describe the day
    at ``now`` in full: re-planning a replan, each started vehicle lists the stops the
    parent froze first. The parent must be the caller's job (404) and have succeeded with
    a plan (409). Unknown stops or vehicles, a ``now`` before a served stop's time, a
    lock that cannot hold and other bad changes answer 422 naming the item, before
    anything is queued. Frozen visits are never dropped from the plan.
    """
    job, created = await run_in_threadpool(
        create_replan, sessions, settings, owner=who.id, parent_id=job_id, raw=raw,
        idempotency_key=idempotency_key)
    return queued(job, created, response, executor, metrics)


@router.get("/{job_id}/diff", response_model=PlanDiffPublic,
            responses={**problem_responses(401, 404, 409, 422, 429),
                       202: {"model": EvaluationJob, "description": "a plan is being timed "
                             "on a worker (learned or large travel) and took longer than "
                             "evaluate_wait_seconds: ask again (the same timing job "
                             "answers)"}},
            summary="Diff two plans (versions)")
async def get_diff(
    job_id: str, who: PrincipalDep, sessions: StoreDep, settings: SettingsDep,
    executor: ExecutorDep,
    against: Annotated[str, Query(min_length=1, max_length=40,
                                  description="the other job, e.g. the parent")],
) -> Any:
    """How job ``job_id``'s plan differs from job ``against``'s (both the caller's, each
    with a plan): stops on another route, newly served or unserved, new stops, routes
    changed; KPI deltas (this job minus ``against``); and the disruption with
    ``against``'s plan as the reference: stops served by another vehicle and the shift of
    each stop's service start (histogram and maximum), the job's frozen stops aside.
    Both plans are timed as ``GET /v1/jobs/{id}/plan`` times them (module docstring)."""
    plans = await run_in_threadpool(diff_plans, sessions, settings, owner=who.id,
                                    job_id=job_id, against=against)
    this, ref = plans
    timings = await asyncio.gather(*(
        plan_timing(p.job.id, p.problem, p.plan, who.id, settings, sessions, executor)
        for p in plans))
    for timing in timings:
        if not isinstance(timing, EvaluateResponse):
            return timing  # 202: a timing job still running
    return await run_in_threadpool(diff_of, this, ref, *timings)
