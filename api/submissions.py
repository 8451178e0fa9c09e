"""From a request body to a stored job: parse (routecast or VROOM), check limits, insert."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from api.limits import check_problem_limits
from api.problems import BodyValidationError
from api.schemas import (
    JobCreate,
    JobLinks,
    JobProgress,
    JobPublic,
    JobSummary,
    ResultPublic,
    VroomJobCreate,
)
from api.settings import Settings
from api.store import repository as repo
from api.store.tables import JobRow
from solver.engines import get_engine
from solver.errors import InvalidProblemError, UnsupportedFeatureError
from solver.io.vroom import read_vroom
from solver.options import SolveOptions
from solver.problem import Problem

InputFormat = Literal["routecast", "vroom"]
Body = TypeVar("Body", bound=BaseModel)


def validate_body(model: type[Body], raw: bytes) -> Body:
    """``raw`` JSON as ``model`` (call it off the event loop: large bodies take seconds);
    errors carry the fields' paths under ``body``."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        raise BodyValidationError(_body_errors(err)) from None


def _body_errors(err: ValidationError) -> list[dict[str, Any]]:
    errors = [dict(e) for e in err.errors(include_url=False, include_context=False,
                                          include_input=False)]
    for e in errors:
        e["loc"] = ("body", *e["loc"]) if e.get("type") != "json_invalid" else ("body",)
    return errors


def check_engine(options: SolveOptions) -> None:
    """Refuse an engine no worker knows now (422), not in a job that fails later."""
    try:
        get_engine(options.engine)
    except UnsupportedFeatureError as err:
        raise BodyValidationError([{"loc": ("body", "options", "engine"), "msg": str(err),
                                    "type": "value_error"}]) from None


def parse_submission(raw: bytes, fmt: InputFormat) -> tuple[Problem, SolveOptions]:
    """Validate a ``JobCreate`` (or ``VroomJobCreate``) body; errors carry field paths."""
    if fmt == "vroom":
        body = validate_body(VroomJobCreate, raw)
        try:
            problem = read_vroom(body.problem)
        except InvalidProblemError as err:
            loc = ["body", "problem", *(err.path.split(".") if err.path else [])]
            raise BodyValidationError([{"loc": loc, "msg": str(err).split(": ", 1)[-1],
                                        "type": "value_error"}]) from None
        except ValidationError as err:
            raise BodyValidationError(_body_errors(err)) from None
        return problem, body.options
    job = validate_body(JobCreate, raw)
    return job.problem, job.options


def content_hash(problem_json: str, options_json: str, fmt: str) -> str:
    h = hashlib.sha256()
    for part in (fmt, problem_json, options_json):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def create_job(
    sessions: sessionmaker[Session], settings: Settings, *, owner: str, raw: bytes,
    fmt: InputFormat, idempotency_key: str | None, sync: bool = False,
) -> tuple[JobRow, bool]:
    """Parse, check limits and insert a queued job; ``(job, created)``."""
    problem, options = parse_submission(raw, fmt)
    check_engine(options)
    check_problem_limits(problem, options, settings, sync=sync)
    problem_json = problem.model_dump_json()
    options_json = options.model_dump_json()
    with sessions() as session:
        return repo.create_job(
            session, owner=owner, problem_json=problem_json, options_json=options_json,
            content_hash=content_hash(problem_json, options_json, fmt),
            problem_name=problem.name, input_format=fmt, idempotency_key=idempotency_key,
            priority=1 if sync else 0, max_attempts=settings.max_attempts,
        )


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def links(job_id: str) -> JobLinks:
    base = f"/v1/jobs/{job_id}"
    return JobLinks(self=base, events=f"{base}/events", solution=f"{base}/solution",
                    cancel=f"{base}/cancel")


def summary(job: JobRow) -> JobSummary:
    return JobSummary(
        id=job.id, status=job.status, problem_name=job.problem_name,  # type: ignore[arg-type]
        created_at=_dt(job.created_at), started_at=_dt(job.started_at),  # type: ignore[arg-type]
        finished_at=_dt(job.finished_at), progress=_progress(job), links=links(job.id),
    )


def _progress(job: JobRow) -> JobProgress:
    return JobProgress(elapsed_s=job.progress_elapsed, iterations=job.progress_iterations,
                       best_cost=job.progress_best_cost, feasible=job.progress_feasible)


def public(job: JobRow, session: Session | None = None) -> JobPublic:
    """The full public view; with a ``session``, the result is included when present."""
    result = None
    if session is not None and job.status in (repo.SUCCEEDED, repo.CANCELLED):
        row = repo.get_result(session, job_id=job.id)
        if row is not None:
            result = ResultPublic(solution=json.loads(row.solution_json),
                                  kpis=json.loads(row.kpis_json),
                                  violations=json.loads(row.violations_json))
    return JobPublic(
        **summary(job).model_dump(), input_format=job.input_format,
        options=SolveOptions.model_validate_json(job.options_json), attempts=job.attempts,
        cancel_requested=job.cancel_requested, stopped_by=job.stopped_by,
        error=json.loads(job.error_json) if job.error_json else None, result=result,
    )


def job_error(job: JobRow) -> dict[str, Any] | None:
    return json.loads(job.error_json) if job.error_json else None
