"""Plan versions: re-plan a job's plan for a day in progress (a child job), and the diff
of two plans."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import ExecutorDep, JsonBytesDep, MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.kinds.replan import create_replan
from api.kinds.replan_diff import diff_jobs
from api.routers.jobs import IdempotencyKey, queued
from api.schemas import JobPublic, PlanDiffPublic, json_body, problem_responses

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
            responses=problem_responses(401, 404, 409, 422, 429),
            summary="Diff two plans (versions)")
def get_diff(
    job_id: str, who: PrincipalDep, sessions: StoreDep, settings: SettingsDep,
    against: Annotated[str, Query(min_length=1, max_length=40,
                                  description="the other job, e.g. the parent")],
) -> PlanDiffPublic:
    """How job ``job_id``'s plan differs from job ``against``'s (both the caller's, each
    with a plan): stops on another route, newly served or unserved, new stops, routes
    changed; KPI deltas (this job minus ``against``); and the disruption with
    ``against``'s plan as the reference: stops served by another vehicle and the shift of
    each stop's service start (histogram and maximum), the job's frozen stops aside."""
    return diff_jobs(sessions, settings, owner=who.id, job_id=job_id, against=against)
