"""The diff of two plans of the caller's jobs (``GET /v1/jobs/{id}/diff?against=ID``):
the what-if scenarios' plan diff (``solver.scenarios.compare.plan_diff``), the KPI
deltas, and the disruption the evaluator reports for a replan
(``solver.evaluate_replan.disruption``) with ``against``'s plan as the reference.

Both plans are timed again by the independent evaluator (under the evaluation limits,
as ``GET /v1/jobs/{id}/plan`` does, and by the same timing job: on a worker when the
travel is learned or large, see :mod:`api.routers.replans`): ``against``'s service starts
are the promised times, this job's are the new ones. Stops this job has frozen (served,
or under way) are facts, not moves. The disruption cost uses this job's weights (none
for a solve job).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.http_errors import ApiProblem
from api.limits import check_problem_limits
from api.schemas import DisruptionPublic, EvaluateResponse, PlanDiffPublic
from api.settings import Settings
from api.store import jobs
from api.store.enums import PLAN_KINDS
from api.store.tables import JobRow
from solver.evaluate_replan import DisruptionReport, disruption
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.state import Disruption, InProgress, ReferenceRoute
from solver.scenarios.compare import plan_diff
from solver.solution import Solution, with_vehicles


@dataclass(frozen=True)
class StoredPlan:
    """A job with a plan: the job, the problem it solved and its plan."""

    job: JobRow
    problem: Problem
    plan: Solution


def stored_plan(session: Session, *, job_id: str, owner: str) -> StoredPlan:
    """``owner``'s solve or replan job, its problem and its plan (404 / 409 naming it)."""
    job = jobs.get_job(session, job_id=job_id, owner=owner, kind=PLAN_KINDS)
    row = jobs.get_result(session, job_id=job_id)
    if row is None:
        raise ApiProblem(409, "not-ready", "No plan yet",
                         f"job {job_id} is {job.status} and has no plan", job_status=job.status)
    return StoredPlan(job, Problem.model_validate_json(job.problem_json or ""),
                      Solution.model_validate_json(row.solution_json))


def diff_plans(sessions: sessionmaker[Session], settings: Settings, *, owner: str,
               job_id: str, against: str) -> tuple[StoredPlan, StoredPlan]:
    """The plans of ``job_id`` and ``against`` (both ``owner``'s), within the evaluation
    limits (blocking: call it off the event loop)."""
    with sessions() as session:
        plans = (stored_plan(session, job_id=job_id, owner=owner),
                 stored_plan(session, job_id=against, owner=owner))
    for p in plans:
        check_problem_limits(p.problem, SolveOptions(time_limit=1), settings, evaluate=True)
    return plans


def starts(timing: EvaluateResponse) -> dict[str, float]:
    """Stop -> its service start in the evaluator's schedule."""
    return {v.stop: v.start for r in timing.routes for v in r.visits}


def disruption_between(problem: Problem, plan: Solution, timing: EvaluateResponse,
                       ref_problem: Problem, ref_plan: Solution,
                       ref_timing: EvaluateResponse) -> DisruptionReport:
    """The evaluator's disruption of ``plan`` with ``ref_plan`` (timed by ``ref_timing``)
    as the reference, ``problem``'s frozen stops and disruption weights."""
    promised = starts(ref_timing)
    reference = []
    for r in with_vehicles(ref_problem, ref_plan).routes:
        timed = all(s in promised for s in r.stops)
        reference.append(ReferenceRoute(vehicle=r.vehicle or "", stops=list(r.stops),
                                        etas=[promised[s] for s in r.stops] if timed else None))
    ip = problem.in_progress
    view = problem.model_copy(update={"in_progress": InProgress(
        now=ip.now if ip is not None else 0.0, vehicles=ip.vehicles if ip is not None else [],
        reference=reference, disruption=ip.disruption if ip is not None else Disruption())})
    return disruption(view, with_vehicles(problem, plan).routes, starts(timing))


def kpi_deltas(kpis: dict[str, Any], ref: dict[str, Any]) -> dict[str, float]:
    """``kpis`` minus ``ref`` for every finite number both have (flags left out)."""
    out = {}
    for name, value in kpis.items():
        other = ref.get(name)
        if isinstance(value, bool) or isinstance(other, bool):
            continue
        if isinstance(value, int | float) and isinstance(other, int | float):
            delta = float(value) - float(other)
            if math.isfinite(delta):
                out[name] = delta
    return out


def diff_of(this: StoredPlan, ref: StoredPlan, timing: EvaluateResponse,
            ref_timing: EvaluateResponse) -> PlanDiffPublic:
    """The diff of ``this`` plan against ``ref``'s, each timed by the evaluator."""
    moved = disruption_between(this.problem, this.plan, timing, ref.problem, ref.plan,
                               ref_timing)
    return PlanDiffPublic(
        job_id=this.job.id, against=ref.job.id, version=this.job.version,
        against_version=ref.job.version,
        plan=asdict(plan_diff(ref.plan, this.plan, {s.id for s in ref.problem.stops})),
        kpi_deltas=kpi_deltas(timing.kpis, ref_timing.kpis),
        disruption=DisruptionPublic(
            stops_moved=moved.moved, eta_shifts=moved.shifts, histogram=moved.histogram,
            max_eta_shift=moved.max_shift, cost=moved.cost))
