"""Solve jobs: a request body to a stored job (parse routecast or VROOM, check limits,
insert), the solve in a worker (plan, KPIs and exports), and the job as clients see it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from api.http_errors import BodyValidationError
from api.kinds import JobKindSpec, Outcome, RunContext
from api.limits import check_problem_limits
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
from api.store import jobs
from api.store.enums import JobKind, JobStatus
from api.store.tables import JobRow
from solver.engines import ProgressCallback
from solver.engines.catalog import engine_names
from solver.errors import InvalidProblemError, SolveCancelled
from solver.io.export import solution_to_geojson_text
from solver.io.json_safe import json_safe
from solver.io.solution import solution_to_csv
from solver.io.vroom import read_vroom
from solver.kpis import compute_kpis
from solver.options import SolveOptions, usable_cores
from solver.pipeline import SolveOutcome, solve
from solver.problem import Problem

logger = logging.getLogger(__name__)

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
    """Refuse an engine the catalog does not name (422), not in a job that fails later;
    nothing is built or imported here."""
    names = engine_names()
    if options.engine not in names:
        msg = f"unknown engine {options.engine!r}; available: {', '.join(names)}"
        raise BodyValidationError([{"loc": ("body", "options", "engine"), "msg": msg,
                                    "type": "value_error"}])


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
        return jobs.create_job(
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
                    cancel=f"{base}/cancel", replan=f"{base}/replan")


def summary(job: JobRow) -> JobSummary:
    return JobSummary(
        id=job.id, kind=job.kind, status=job.status,  # type: ignore[arg-type]
        problem_name=job.problem_name, parent_id=job.parent_id, version=job.version,
        created_at=_dt(job.created_at), started_at=_dt(job.started_at),  # type: ignore[arg-type]
        finished_at=_dt(job.finished_at), progress=_progress(job), links=links(job.id),
    )


def _progress(job: JobRow) -> JobProgress:
    return JobProgress(elapsed_s=job.progress_elapsed, iterations=job.progress_iterations,
                       best_cost=job.progress_best_cost, feasible=job.progress_feasible)


def public(job: JobRow, session: Session | None = None) -> JobPublic:
    """The full public view; with a ``session``, the result (when present) and the
    replans of the job are included."""
    result, children = None, []
    if session is not None and job.status in (JobStatus.SUCCEEDED, JobStatus.CANCELLED):
        row = jobs.get_result(session, job_id=job.id)
        if row is not None:
            result = ResultPublic(solution=json.loads(row.solution_json),
                                  kpis=json.loads(row.kpis_json),
                                  violations=json.loads(row.violations_json))
    if session is not None:
        children = jobs.children(session, job_id=job.id, owner=job.owner)
    return JobPublic(
        **summary(job).model_dump(), input_format=job.input_format,
        options=SolveOptions.model_validate_json(job.options_json or "{}"), attempts=job.attempts,
        cancel_requested=job.cancel_requested, stopped_by=job.stopped_by,
        error=json.loads(job.error_json) if job.error_json else None, result=result,
        children=children,
    )


class Solve(Protocol):
    """``solver.pipeline.solve`` or ``solver.replan.solve.solve_replan``."""

    def __call__(self, problem: Problem, options: SolveOptions, *,
                 progress: ProgressCallback, is_cancelled: Callable[[], bool],
                 models_dir: Path) -> SolveOutcome: ...


def run(job: JobRow, ctx: RunContext) -> Outcome:
    """Solve the stored problem (see ``run_with``)."""
    return run_with(solve, job, ctx)


def run_with(solver: Solve, job: JobRow, ctx: RunContext,
             problem: Problem | None = None) -> Outcome:
    """Solve the stored problem (or ``problem``, the kind's own version of it) with
    ``solver``; the plan, its KPIs (recomputed by the evaluator) and its exports become
    the job's result. A cancel keeps the best plan so far."""
    if problem is None:
        problem = Problem.model_validate_json(job.problem_json or "")
    options = worker_share(SolveOptions.model_validate_json(job.options_json or ""),
                           ctx.settings)
    logger.info("%s job %s started on %s (engine %s, %d core(s), attempt %d)", job.kind,
                job.id, ctx.worker, options.engine, options.cores, job.attempts)
    try:
        outcome = solver(problem, options, progress=ctx.reporter.progress,
                         is_cancelled=ctx.reporter.is_cancelled, models_dir=ctx.models_dir)
    except SolveCancelled as exc:
        return Outcome(JobStatus.CANCELLED, stopped_by="cancelled", reason=str(exc))
    ctx.reporter.flush()
    solution, report = outcome.solution, outcome.report
    result = {
        "solution_json": solution.model_dump_json(),
        "kpis_json": json.dumps(json_safe(compute_kpis(problem, report).as_dict())),
        "violations_json": json.dumps(json_safe([asdict(v) for v in report.violations])),
        "csv": solution_to_csv(report, problem),
        "geojson": solution_to_geojson_text(problem, solution, report),
    }
    stopped_by = solution.stats.stopped_by if solution.stats else None
    status = JobStatus.CANCELLED if stopped_by == "cancelled" else JobStatus.SUCCEEDED
    logger.info("job %s %s: cost %.3f, feasible %s, stopped by %s", job.id, status,
                report.cost, report.feasible, stopped_by)
    return Outcome(status, stopped_by=stopped_by, result=result)


def worker_share(options: SolveOptions, settings: Settings, split: int = 1) -> SolveOptions:
    """``options`` with at most the worker's share of the machine's cores: the cores this
    process may use split evenly between the service's ``workers`` (1 each when there are
    as many workers as cores), and between the ``split`` solves a job runs at once (a
    scenario batch's runs), so that concurrent solves never oversubscribe the machine. A
    job that asks for fewer (``cores``) gets what it asked for."""
    share = max(1, usable_cores() // (max(settings.workers, 1) * max(split, 1)))
    return options.model_copy(update={"cores": min(options.cores or share, share)})


def view(session: Session, job: JobRow) -> JobPublic:
    return public(job, session)


SPEC = JobKindSpec(JobKind.SOLVE, create=create_job, run=run, view=view)
