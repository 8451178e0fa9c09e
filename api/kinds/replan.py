"""Replan jobs: a job's plan re-planned for a day in progress, as a child job.

``POST /v1/jobs/{id}/replan`` sends the changes since the parent's plan was published.
Everything is checked before the job is queued (422 naming the item): the changes are
read on the parent problem's clock, checked against the parent's lineage
(``replan_checks``), applied to the parent's problem and plan
(``solver.replan.changes.apply_changes``: the reference is the parent's plan, each stop
promised at the start the evaluator computes for it) and the day problem is validated
(``solver.replan.validate``) and bounded. The stored problem is that day problem; the
worker solves it with ``solve_replan`` (frozen prefixes kept, the whole day judged by the
evaluator), and the job is viewed as a solve job is, with its parent and version.

Timing the parent's plan needs its travel. Heavy work runs on the workers, never in the
service (issue 14): when that travel is costly to build (learned, or dense over
``evaluate_inline_max_cells``: ``api.kinds.evaluate.runs_in_service``), the request
runs every check but stores the day problem without promises (its reference has no
ETAs), and the job's run times the parent's plan first (``solver.replan.changes.promise``)
and stores the promised day problem with the plan, building travel once for both (over
the parent's and the day's locations: ``solver.replan.travel``). Its errors (a travel
model gone, say) fail the job with their problem detail. No check of the changes needs travel, so bad
changes are a 422 before anything is queued either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.http_errors import ApiProblem, BodyValidationError
from api.kinds import JobKindSpec, Outcome, RunContext
from api.kinds.evaluate import runs_in_service
from api.kinds.replan_checks import check_lineage, check_locks_fit, from_value_error
from api.kinds.solve import check_engine, run_with, validate_body, view
from api.kinds.train import registry_root
from api.limits import check_problem_limits
from api.settings import Settings
from api.store import jobs
from api.store.enums import PLAN_KINDS, JobKind, JobStatus
from api.store.tables import JobRow
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.changes import Changes, apply_changes, promise, read_changes
from solver.replan.solve import solve_replan
from solver.replan.travel import travel_for, union
from solver.solution import Solution
from solver.travel.build import build_travel


class ReplanBody(BaseModel):
    """The body as first read: ``changes`` is read afterwards, on the parent's clock
    (its documented shape is ``api.schemas.ReplanCreate``)."""

    model_config = ConfigDict(extra="forbid")

    changes: dict[str, Any]
    options: SolveOptions | None = None


def parent_plan(session: Session, *, job_id: str, owner: str) -> tuple[JobRow, Solution]:
    """``owner``'s job ``job_id`` and its plan: 404 unless it is the owner's solve or
    replan job, 409 unless it succeeded with a plan."""
    job = jobs.get_job(session, job_id=job_id, owner=owner, kind=PLAN_KINDS)
    row = jobs.get_result(session, job_id=job_id) if job.status == JobStatus.SUCCEEDED \
        else None
    if row is None:
        raise ApiProblem(409, "parent-not-ready", "Parent job has no plan",
                         f"job {job_id} is {job.status}; only a job that succeeded with a "
                         "plan can be re-planned", job_status=job.status)
    return job, Solution.model_validate_json(row.solution_json)


def read_body_changes(problem: Problem, data: dict[str, Any]) -> Changes:
    """``changes`` on ``problem``'s clock; errors carry their paths under ``changes``."""
    try:
        return read_changes(problem, data)
    except ValidationError as err:
        errors = [dict(e) for e in err.errors(include_url=False, include_context=False,
                                              include_input=False)]
        for e in errors:
            e["loc"] = ("body", "changes", *e["loc"])
        raise BodyValidationError(errors) from None


def day_problem(problem: Problem, plan: Solution, changes: Changes, options: SolveOptions,
                settings: Settings, owner: str) -> Problem:
    """The problem the replan solves, checked and bounded (422s naming the item). The
    parent's plan is timed here, under the evaluation limits, to promise its stops,
    unless its travel is costly to build: then the job's run does it (module docstring)."""
    check_lineage(problem, changes)
    check_engine(options)
    grown = problem.model_copy(update={"stops": [*problem.stops, *changes.new_stops]})
    check_problem_limits(grown, options, settings, evaluate=True)
    timed = runs_in_service(problem, settings)
    travel = build_travel(problem, registry_root(settings, owner)) if timed else None
    try:
        day = apply_changes(problem, plan, changes, travel, timed=timed)
    except ValueError as exc:
        raise from_value_error(exc) from None
    check_locks_fit(day)
    check_problem_limits(day, options, settings)
    return day


def create_replan(
    sessions: sessionmaker[Session], settings: Settings, *, owner: str, parent_id: str,
    raw: bytes, idempotency_key: str | None,
) -> tuple[JobRow, bool]:
    """Check and insert a queued replan of ``parent_id``: ``(job, created)``."""
    body = validate_body(ReplanBody, raw)
    with sessions() as session:
        parent, plan = parent_plan(session, job_id=parent_id, owner=owner)
        problem = Problem.model_validate_json(parent.problem_json or "")
        options = body.options or SolveOptions.model_validate_json(parent.options_json or "")
        version = parent.version
    changes = read_body_changes(problem, body.changes)
    day = day_problem(problem, plan, changes, options, settings, owner)
    problem_json, options_json = day.model_dump_json(), options.model_dump_json()
    digest = hashlib.sha256()
    for part in (JobKind.REPLAN, parent_id, problem_json, options_json):
        digest.update(part.encode())
        digest.update(b"\0")
    with sessions() as session:
        return jobs.create_job(
            session, owner=owner, problem_json=problem_json, options_json=options_json,
            content_hash=digest.hexdigest(), problem_name=day.name,
            idempotency_key=idempotency_key, max_attempts=settings.max_attempts,
            kind=JobKind.REPLAN, parent_id=parent_id, version=version + 1)


def run(job: JobRow, ctx: RunContext) -> Outcome:
    """Solve the day problem with ``solve_replan`` (see ``api.kinds.solve.run_with``); a
    lock the plan could not keep fails the job naming it. A day problem stored without
    promises has them added first, from the parent's plan timed here, and is stored
    promised with the plan."""
    day = Problem.model_validate_json(job.problem_json or "")
    if not unpromised(day):
        return run_with(solve_replan, job, ctx, day)
    with ctx.sessions() as session:
        parent, plan = parent_plan(session, job_id=job.parent_id or "", owner=job.owner)
    problem = Problem.model_validate_json(parent.problem_json or "")
    every = union(day, problem)  # travel built once, for the parent's stops and the day's
    travel = build_travel(every, ctx.models_dir)
    day = promise(day, problem, plan, travel_for(problem, every, travel))
    outcome = run_with(partial(solve_replan, travel=travel_for(day, every, travel)), job,
                       ctx, day)
    return replace(outcome, save=partial(_store_problem, job.id, day.model_dump_json()))


def unpromised(day: Problem) -> bool:
    """Whether ``day``'s reference still waits for its ETAs (a replan whose parent's
    travel was too costly to time in the service)."""
    return day.in_progress is not None and any(r.etas is None
                                               for r in day.in_progress.reference)


def _store_problem(job_id: str, problem_json: str, session: Session) -> None:
    session.execute(update(JobRow).where(JobRow.id == job_id).values(problem_json=problem_json))


SPEC = JobKindSpec(JobKind.REPLAN, create=create_replan, run=run, view=view)
