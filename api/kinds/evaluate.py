"""Evaluation jobs: ``POST /v1/evaluate`` of a plan whose travel is costly to build.

Timing a plan is cheap; building its travel may not be: learned travel is a tensor of
slices x locations^2 predictions (up to ``evaluate_max_learned_cells``: memory and
seconds of model inference), and haversine or small Euclidean travel is a dense matrix
of locations^2. Heavy work runs on the workers, never in the service process, so a
request whose travel is learned, or whose dense matrix would exceed
``evaluate_inline_max_cells``, becomes a job of kind ``evaluate`` (ahead of queued
solves, like a synchronous solve); the endpoint waits for it a bounded time
(:mod:`api.routers.evaluate`). Every other request (a matrix the client sent, lazy
Euclidean travel, small dense matrices) is evaluated in the request, as before.

The job's own row (``evaluations``) keeps the request as the client sent it and, once
it succeeded, the evaluation: the same ``EvaluateResponse`` the endpoint answers.
Evaluation jobs send no webhook events: the request that made one gets its answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from api.kinds import JobKindSpec, Outcome, RunContext
from api.schemas import EvaluateRequest, EvaluateResponse, EvaluationJob, RoutePublic, VisitPublic
from api.settings import Settings
from api.store import jobs
from api.store.enums import JobKind, JobStatus
from api.store.tables import EvaluationRow, JobRow
from api.store.transitions import JobNotFoundError
from solver.evaluate import evaluate
from solver.io.json_safe import json_safe
from solver.kpis import compute_kpis
from solver.problem import EuclideanTravel, LearnedTravel, MatrixTravel, Problem
from solver.timeline import route_schedule
from solver.travel.build import DENSE_LIMIT, build_travel

logger = logging.getLogger(__name__)


def evaluate_request(body: EvaluateRequest, models_dir: Path | None) -> EvaluateResponse:
    """The evaluator's account of ``body``'s plan (blocking: off the event loop; limits
    are checked before, by the caller)."""
    travel = build_travel(body.problem, models_dir)
    report = evaluate(body.problem, body.solution, travel)
    kpis = json_safe(compute_kpis(body.problem, report).as_dict())
    clock = body.problem.clock
    routes = [
        RoutePublic(
            vehicle_type=r.vehicle_type, vehicle=r.vehicle, distance=r.distance,
            duration=r.duration,
            cost=r.cost, start_time=r.start_time, end_time=json_safe(r.end_time),
            load=list(r.load),
            visits=[VisitPublic(stop=v.stop, arrival=v.arrival, start=v.start,
                                departure=v.departure, wait=v.wait, load=list(v.load))
                    for v in r.visits],
            schedule=route_schedule(r, clock),
        )
        for r in report.routes
    ]
    return EvaluateResponse(
        cost=report.cost, feasible=report.feasible, complete=report.complete, kpis=kpis,
        violations=json_safe([asdict(v) for v in report.violations]), routes=routes,
        unassigned_required=report.unassigned_required,
        unassigned_optional=report.unassigned_optional,
    )


def dense_cells(problem: Problem) -> int:
    """Travel values the service would build for ``problem`` from coordinates: 0 for a
    matrix the client sent and for lazy (coordinate-only) Euclidean travel, locations^2
    for dense static travel, and slices x locations^2 for learned travel (as many per
    slice; :func:`api.limits.learned_cells` bounds those)."""
    spec = problem.travel
    locations = len(problem.depots) + len(problem.stops)
    if isinstance(spec, MatrixTravel) or (isinstance(spec, EuclideanTravel)
                                          and locations > DENSE_LIMIT):
        return 0
    return locations * locations


def runs_in_service(problem: Problem, settings: Settings) -> bool:
    """Whether the service evaluates ``problem`` itself: no learned travel, and at most
    ``evaluate_inline_max_cells`` travel values to build (module docstring)."""
    return (not isinstance(problem.travel, LearnedTravel)
            and dense_cells(problem) <= settings.evaluate_inline_max_cells)


def create(session: Session, *, owner: str, raw: bytes, body: EvaluateRequest,
           max_attempts: int, idempotency_key: str | None = None) -> tuple[JobRow, bool]:
    """Queue the evaluation of ``body`` (``raw``: its JSON as the client sent it, kept
    as the job's input), ahead of queued solves; ``(job, created)``: an
    ``idempotency_key`` already used for the same body finds its first job."""
    request_json = raw.decode("utf-8")

    def rows(job_id: str) -> list[EvaluationRow]:
        return [EvaluationRow(job_id=job_id, request_json=request_json)]

    return jobs.create_job(
        session, owner=owner, content_hash=hashlib.sha256(raw).hexdigest(),
        problem_name=body.problem.name, priority=1, max_attempts=max_attempts,
        kind=JobKind.EVALUATE, extra=[rows], idempotency_key=idempotency_key)


def _row(session: Session, job_id: str) -> EvaluationRow:
    row = session.get(EvaluationRow, job_id)
    if row is None:
        raise JobNotFoundError(job_id)
    return row


def run(job: JobRow, ctx: RunContext) -> Outcome:
    """Build the travel (the owner's models only) and time the plan."""
    with ctx.sessions() as session:
        request_json = _row(session, job.id).request_json
    body = EvaluateRequest.model_validate_json(request_json)
    logger.info("job %s: evaluating a plan on %s travel", job.id, body.problem.travel.kind)
    response = evaluate_request(body, ctx.models_dir)
    return Outcome(JobStatus.SUCCEEDED, save=partial(_save, job.id, response.model_dump_json()))


def _save(job_id: str, response_json: str, session: Session) -> None:
    _row(session, job_id).response_json = response_json


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def view(session: Session, job: JobRow) -> EvaluationJob:
    """The job's status, and the evaluation once it succeeded (or the problem detail)."""
    row = _row(session, job.id)
    result = (EvaluateResponse.model_validate_json(row.response_json)
              if row.response_json and job.status == JobStatus.SUCCEEDED else None)
    return EvaluationJob(
        id=job.id, status=job.status, created_at=_dt(job.created_at),  # type: ignore[arg-type]
        started_at=_dt(job.started_at), finished_at=_dt(job.finished_at), result=result,
        error=json.loads(job.error_json) if job.error_json else None,
        links={"self": f"/v1/evaluations/{job.id}"})


SPEC = JobKindSpec(JobKind.EVALUATE, create=create, run=run, view=view)
