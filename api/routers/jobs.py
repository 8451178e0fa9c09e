"""Jobs: submit (idempotent), get, list, cancel, solution, events (SSE)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import ExecutorDep, JsonBytesDep, MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.executor import JobExecutor
from api.http_errors import ApiProblem
from api.kinds.solve import InputFormat, create_job, public, summary
from api.metrics import Metrics
from api.schemas import JobList, JobPublic, JobStatus, json_body, problem_responses
from api.sse import ResumeDep, job_event_stream, sse_responses
from api.store import jobs as store_jobs
from api.store.enums import PLAN_KINDS
from api.store.tables import JobRow
from solver.io.solution import solution_to_vrplib
from solver.problem import Problem
from solver.solution import Solution

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JOB_BODY = json_body(
    "JobCreate", "VroomJobCreate",
    description="`JobCreate` (routecast problem JSON); with `?format=vroom`, "
                "`VroomJobCreate` (a VROOM input document as `problem`).")
IdempotencyKey = Annotated[str | None, Header(
    max_length=200, description="same key + same body -> same job; other body -> 409")]
FormatQuery = Annotated[InputFormat, Query(description="input format of `problem`")]


@router.post(
    "", status_code=202, response_model=JobPublic, openapi_extra=JOB_BODY,
    responses=problem_responses(401, 409, 413, 415, 422, 429),
    summary="Submit a solve job",
)
async def submit_job(
    response: Response, who: PrincipalDep, raw: JsonBytesDep, sessions: StoreDep,
    settings: SettingsDep, executor: ExecutorDep, metrics: MetricsDep,
    format: FormatQuery = "routecast", idempotency_key: IdempotencyKey = None,
) -> JobPublic:
    """Queue a job; answers 202 with its id, status and links (``Location`` header).

    Re-sending the same body with the same ``Idempotency-Key`` returns the same job.
    """
    job, created = await run_in_threadpool(
        create_job, sessions, settings, owner=who.id, raw=raw, fmt=format,
        idempotency_key=idempotency_key)
    return queued(job, created, response, executor, metrics)


def queued(job: JobRow, created: bool, response: Response, executor: JobExecutor,
           metrics: Metrics) -> JobPublic:
    """A submitted job's answer: a new job goes to the executor; ``Location`` names it."""
    if created:
        metrics.jobs_submitted.inc()
        executor.submit(job.id)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return public(job)


def _get(sessions: StoreDep, job_id: str, owner: str) -> JobPublic:
    with sessions() as session:
        return public(store_jobs.get_job(session, job_id=job_id, owner=owner,
                                         kind=PLAN_KINDS), session)


@router.get("/{job_id}", response_model=JobPublic, responses=problem_responses(401, 404, 429),
            summary="Get a job")
def get_job(job_id: str, who: PrincipalDep, sessions: StoreDep) -> JobPublic:
    """Status, progress (elapsed, best cost so far, iterations), timestamps, error details,
    and the result once there is one."""
    return _get(sessions, job_id, who.id)


def _encode_cursor(seq: int) -> str:
    return f"j{seq}"


def _decode_cursor(cursor: str) -> int:
    return int(cursor[1:])


@router.get("", response_model=JobList, responses=problem_responses(401, 422, 429),
            summary="List jobs")
def list_jobs(
    who: PrincipalDep, sessions: StoreDep, settings: SettingsDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(pattern=r"^j[0-9]{1,18}$",
                                          description="opaque; from next_cursor")] = None,
) -> JobList:
    """Solve and replan jobs, newest first, optionally filtered by status; follow
    ``next_cursor`` for more."""
    before = _decode_cursor(cursor) if cursor else None
    limit = min(limit, settings.page_size_max)
    with sessions() as session:
        rows = store_jobs.list_jobs(session, owner=who.id, status=status, before_seq=before,
                                    limit=limit + 1, kind=PLAN_KINDS)
    more = len(rows) > limit
    rows = rows[:limit]
    return JobList(items=[summary(r) for r in rows],
                   next_cursor=_encode_cursor(rows[-1].seq) if more else None)


@router.post("/{job_id}/cancel", status_code=202, response_model=JobPublic,
             responses=problem_responses(401, 404, 409, 429), summary="Cancel a job")
def cancel_job(job_id: str, who: PrincipalDep, sessions: StoreDep,
               executor: ExecutorDep) -> JobPublic:
    """A queued job is cancelled at once; a running solve stops within about a second and
    keeps its best solution so far. A job that already ended answers 409."""
    with sessions() as session:
        store_jobs.get_job(session, job_id=job_id, owner=who.id, kind=PLAN_KINDS)
        job = store_jobs.request_cancel(session, job_id=job_id, owner=who.id)
    executor.cancel(job_id)
    return _get(sessions, job.id, who.id)


MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "geojson": "application/geo+json", "vrplib": "text/plain; charset=utf-8"}


@router.get(
    "/{job_id}/solution",
    responses={**problem_responses(401, 404, 409, 429), 200: {"content": {
        "application/json": {}, "text/csv": {}, "application/geo+json": {}, "text/plain": {}},
        "description": "the solution in the requested format"}},
    response_class=Response, summary="Download the solution",
)
def get_solution(
    job_id: str, who: PrincipalDep, sessions: StoreDep,
    format: Literal["json", "csv", "geojson", "vrplib"] = "json",
) -> Response:
    """The solution as JSON, CSV (one row per visit), GeoJSON or VRPLIB ``.sol`` text.

    VRPLIB numbers clients by their stop ids when these are numbers (problems converted
    from VRPLIB files keep the file's numbering).
    """
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=job_id, owner=who.id, kind=PLAN_KINDS)
        row = store_jobs.get_result(session, job_id=job_id)
        if row is None:
            raise ApiProblem(409, "not-ready", "No solution yet",
                             f"job {job_id} is {job.status} and has no solution"
                             + (" yet" if job.status in ("queued", "running") else ""),
                             job_status=job.status)
        problem_json = job.problem_json if format == "vrplib" else None
    if format == "json":
        text = row.solution_json
    elif format == "csv":
        text = row.csv
    elif format == "geojson":
        text = row.geojson
    else:
        problem = Problem.model_validate_json(problem_json or "")
        solution = Solution.model_validate_json(row.solution_json)
        text = solution_to_vrplib(solution, problem, solution.cost or 0.0)
    filename = f"{job_id}.{ {'vrplib': 'sol'}.get(format, format)}"
    return Response(text, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.get("/{job_id}/events", response_class=StreamingResponse,
            responses=sse_responses("server-sent events: `status`, `progress`, then `end`"),
            summary="Stream job events (SSE)")
async def job_events(request: Request, job_id: str, who: PrincipalDep, sessions: StoreDep,
                     settings: SettingsDep, start: ResumeDep) -> StreamingResponse:
    """Status changes and each improvement as server-sent events, until the job ends.

    Each event has an ``id``; reconnect with ``Last-Event-ID`` to resume. Only solve and
    replan jobs stream here, as only they are found by ``GET /v1/jobs/{id}``.
    """
    return await job_event_stream(request, sessions, settings, job_id=job_id, owner=who.id,
                                  kind=PLAN_KINDS, start=start)
