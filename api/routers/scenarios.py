"""What-if scenario batches: submit, get (runs + comparison), report, cancel."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import ExecutorDep, JsonBytesDep, MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.kinds.scenarios import create_batch, public_batch
from api.kinds.scenarios_run import html_report
from api.kinds.solve import validate_body
from api.schemas import (
    ScenarioBatchCreate,
    ScenarioBatchPublic,
    json_body,
    problem_responses,
)
from api.sse import ResumeDep, job_event_stream, sse_responses
from api.store import jobs as store_jobs
from api.store import runs as store_runs
from api.store.enums import JobKind, JobStatus, RunStatus
from api.store.tables import JobRow

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])

IdempotencyKey = Annotated[str | None, Header(
    max_length=200, description="same key + same body -> same batch; other body -> 409")]


def _get(sessions: StoreDep, batch_id: str, owner: str) -> ScenarioBatchPublic:
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=batch_id, owner=owner, kind=JobKind.SCENARIOS)
        return public_batch(session, job)


@router.post(
    "", status_code=202, response_model=ScenarioBatchPublic,
    openapi_extra=json_body("ScenarioBatchCreate", description="a base problem, its "
                            "variants and the options of every run"),
    responses=problem_responses(401, 409, 413, 415, 422, 429), summary="Submit a what-if batch",
)
async def submit_batch(
    response: Response, who: PrincipalDep, raw: JsonBytesDep, sessions: StoreDep,
    settings: SettingsDep, executor: ExecutorDep, metrics: MetricsDep,
    idempotency_key: IdempotencyKey = None,
) -> ScenarioBatchPublic:
    """Queue the base problem and its variants (the shape of ``VARIANTS.yaml``: named
    ``variants``, a ``grid`` sweep, ``replications`` or ``seeds``) as one batch.

    Every edit is checked against the base before anything is queued: a nonsense edit
    answers 422 naming the variant, the edit and the field. Each run is solved with
    ``options`` (time limit per run) and, with ``warm_start``, starts from the base plan.
    Answers 202 with the batch id, its runs (all ``queued``) and links.
    """
    def parse_and_create() -> tuple[JobRow, bool]:
        body = validate_body(ScenarioBatchCreate, raw)
        return create_batch(sessions, settings, owner=who.id, body=body,
                            idempotency_key=idempotency_key)

    job, created = await run_in_threadpool(parse_and_create)
    if created:
        metrics.jobs_submitted.inc()
        executor.submit(job.id)
    response.headers["Location"] = f"/v1/scenarios/{job.id}"
    return await run_in_threadpool(_get, sessions, job.id, who.id)


@router.get("/{batch_id}", response_model=ScenarioBatchPublic,
            responses=problem_responses(401, 404, 429), summary="Get a what-if batch")
def get_batch(batch_id: str, who: PrincipalDep, sessions: StoreDep) -> ScenarioBatchPublic:
    """Status of the batch and of each run (live elapsed time, iterations and best cost
    while running; the evaluator's cost when done), and the comparison once it ended."""
    return _get(sessions, batch_id, who.id)


@router.post("/{batch_id}/cancel", status_code=202, response_model=ScenarioBatchPublic,
             responses=problem_responses(401, 404, 409, 429), summary="Cancel a what-if batch")
def cancel_batch(batch_id: str, who: PrincipalDep, sessions: StoreDep,
                 executor: ExecutorDep) -> ScenarioBatchPublic:
    """A queued batch is cancelled at once. A running one stops its queued runs; running
    runs stop within about a second keeping their best plan, and the comparison covers
    what was solved. A batch that already ended answers 409."""
    with sessions() as session:
        store_jobs.get_job(session, job_id=batch_id, owner=who.id, kind=JobKind.SCENARIOS)
        job = store_jobs.request_cancel(session, job_id=batch_id, owner=who.id)
        if job.status == JobStatus.CANCELLED:
            store_runs.close_runs(session, batch_id=batch_id, status=RunStatus.CANCELLED)
    executor.cancel(batch_id)
    return _get(sessions, batch_id, who.id)


MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "html": "text/html; charset=utf-8"}


@router.get(
    "/{batch_id}/report",
    responses={**problem_responses(401, 404, 409, 422, 429), 200: {"content": {
        "application/json": {}, "text/csv": {}, "text/html": {}},
        "description": "the comparison in the requested format"}},
    response_class=Response, summary="Download the comparison report",
)
async def get_report(
    batch_id: str, who: PrincipalDep, sessions: StoreDep,
    format: Literal["json", "csv", "html"] = "json",
) -> Response:
    """The comparison as JSON (rows and plan diffs), CSV (one row per run, the base
    first) or a self-contained HTML page with charts (heat maps for grid sweeps), the
    same files ``routecast whatif`` writes. 409 until the batch has ended."""

    def load() -> tuple[str, str | None, str | None, str | None]:
        with sessions() as session:
            job = store_jobs.get_job(session, job_id=batch_id, owner=who.id,
                                     kind=JobKind.SCENARIOS)
            batch = store_runs.get_batch(session, batch_id=batch_id)
            return job.status, batch.comparison_json, batch.csv, batch.html

    status, text, csv, html = await run_in_threadpool(load)
    if text is None:
        raise ApiProblem(409, "not-ready", "No comparison yet",
                         f"scenario batch {batch_id} is {status} and has no comparison"
                         + (" yet" if status in ("queued", "running") else ""),
                         job_status=status)
    if format == "html" and html is None:
        html = await run_in_threadpool(html_report, text)

        def keep() -> None:
            with sessions() as session:
                store_runs.save_html(session, batch_id=batch_id, html=html or "")

        await run_in_threadpool(keep)
    body = {"json": text, "csv": csv or "", "html": html or ""}[format]
    filename = {"json": "comparison.json", "csv": "comparison.csv", "html": "report.html"}[format]
    return Response(body, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.get("/{batch_id}/events", response_class=StreamingResponse,
            responses=sse_responses("server-sent events: `status`, `run`, then `end`"),
            summary="Stream batch events (SSE)")
async def batch_events(request: Request, batch_id: str, who: PrincipalDep,
                       sessions: StoreDep, settings: SettingsDep,
                       start: ResumeDep) -> StreamingResponse:
    """The batch's status changes and each run's updates (``run``: key, status, elapsed
    time, iterations, best cost) as server-sent events, until the batch ends.

    Each event has an ``id``; reconnect with ``Last-Event-ID`` to resume.
    """
    return await job_event_stream(request, sessions, settings, job_id=batch_id,
                                  owner=who.id, kind=JobKind.SCENARIOS, start=start)
