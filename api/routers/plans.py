"""What the web app needs beyond the jobs API: a job's plan with its problem and schedule,
a what-if run's plan with its variant problem, and the conversion of an uploaded file
(VRPLIB, Solomon, VROOM, CSV of stops) to routecast JSON, so a planner can check a problem
before submitting it."""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ExecutorDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.routers.evaluate import plan_timing
from api.schemas import EvaluateResponse, EvaluationJob, problem_responses
from api.store import jobs as store_jobs
from api.store import runs as store_runs
from api.store.enums import PLAN_KINDS, JobKind
from api.store.run_plans import run_plan
from solver.errors import InstanceFormatError
from solver.io.stops_csv import Fleet, read_stops_csv
from solver.io.vroom import read_vroom
from solver.io.vrplib import read_solomon, read_vrplib
from solver.options import SolveOptions
from solver.problem import Problem
from solver.scenarios import ScenarioSet, expand
from solver.scenarios.run import prepare
from solver.solution import Solution

router = APIRouter(prefix="/v1", tags=["web app"])

MAX_TEXT = 10 * 1024 * 1024


class PlanPublic(BaseModel):
    """A finished job's plan as the Plan page draws it."""

    job_id: str
    status: str
    problem: dict[str, Any] = Field(description="the routecast problem the job solved")
    solution: Solution
    schedule: EvaluateResponse = Field(description="the evaluator's timing of the plan")


@router.get("/jobs/{job_id}/plan", response_model=PlanPublic,
            responses={**problem_responses(401, 404, 409, 429),
                       202: {"model": EvaluationJob, "description": "the schedule is being "
                             "timed on a worker (learned travel) and took longer than "
                             "evaluate_wait_seconds: ask again (the same timing job "
                             "answers, and keeps the schedule for later requests)"}},
            summary="A job's plan, timed")
async def get_plan(job_id: str, who: PrincipalDep, sessions: StoreDep,
                   settings: SettingsDep, executor: ExecutorDep) -> Any:
    """The problem, the solution and its schedule (arrival, start, departure and waiting
    per visit, violations), timed by the evaluator under the job's travel (on a worker
    when that travel is learned or large, as ``POST /v1/evaluate`` does)."""
    problem, solution, status = await run_in_threadpool(_solved, sessions, job_id, who.id)
    schedule = await plan_timing(job_id, problem, solution, who.id, settings, sessions,
                                 executor)
    if not isinstance(schedule, EvaluateResponse):
        return schedule  # 202: the evaluation job
    return PlanPublic(job_id=job_id, status=status, problem=_as_json(problem),
                      solution=solution, schedule=schedule)


def _solved(sessions: StoreDep, job_id: str, owner: str) -> tuple[Problem, Solution, str]:
    """The problem, solution and status of ``owner``'s solve job ``job_id`` (409 while it
    has no solution)."""
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=job_id, owner=owner, kind=PLAN_KINDS)
        row = store_jobs.get_result(session, job_id=job_id)
        if row is None:
            raise ApiProblem(409, "not-ready", "No solution yet",
                             f"job {job_id} is {job.status} and has no solution",
                             job_status=job.status)
        return (Problem.model_validate_json(job.problem_json),
                Solution.model_validate_json(row.solution_json), job.status)


class RunPlanPublic(BaseModel):
    """A what-if run's plan on its own (edited) problem, for a map per variant."""

    key: str
    variant: str
    problem: dict[str, Any] = Field(description="the variant's problem (the base, edited)")
    solution: Solution


@router.get("/scenarios/{batch_id}/runs/{key:path}/plan", response_model=RunPlanPublic,
            responses=problem_responses(401, 404, 409, 429), summary="A what-if run's plan")
def get_run_plan(batch_id: str, key: str, who: PrincipalDep,
                 sessions: StoreDep) -> RunPlanPublic:
    """The solution of one run of a batch (``<variant>#<seed>``) and the problem it
    solved: the base problem with the variant's edits applied."""
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=batch_id, owner=who.id, kind=JobKind.SCENARIOS)
        batch = store_runs.get_batch(session, batch_id=batch_id)
        text = run_plan(session, batch_id=batch_id, key=key)
        base_json, options_json, set_json = job.problem_json, job.options_json, batch.set_json
    spec = next((s for s in expand(ScenarioSet.from_dict(json.loads(set_json), "scenarios"),
                                   SolveOptions.model_validate_json(options_json).seed)
                 if s.key == key), None)
    if spec is None:
        raise ApiProblem(404, "not-found", "Not found", f"batch {batch_id} has no run {key!r}")
    if text is None:
        raise ApiProblem(409, "not-ready", "No plan for this run",
                         f"run {key!r} of batch {batch_id} has no plan (yet)",
                         job_status=job.status)
    problem = prepare(Problem.model_validate_json(base_json), [spec])[spec.name]
    return RunPlanPublic(key=key, variant=spec.name, problem=_as_json(problem),
                         solution=Solution.model_validate_json(text))


class FleetIn(BaseModel):
    """The fleet form of a CSV import; times are seconds or ``HH:MM``."""

    model_config = ConfigDict(extra="forbid")

    depot_lat: float = Field(ge=-90, le=90)
    depot_lon: float = Field(ge=-180, le=180)
    vehicles: int = Field(1, ge=1, le=10_000)
    capacity: float | None = Field(None, gt=0, description="empty: unlimited")
    shift_start: str = "0"
    shift_end: str | None = Field(None, description="empty: open")
    speed: float = Field(8.0, gt=0, description="meters per second")


class ConvertRequest(BaseModel):
    """A problem file as text, its format and (for a CSV of stops) the fleet."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["routecast", "vrplib", "solomon", "vroom", "csv"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    name: Annotated[str, Field(max_length=200)] = "problem"
    fleet: FleetIn | None = None
    rounding: Literal["round", "dimacs", "exact", "ceil"] | None = None


@router.post("/convert", response_model=dict[str, Any],
             responses=problem_responses(401, 413, 422, 429),
             summary="Convert a problem file to routecast JSON")
async def convert(body: ConvertRequest, who: PrincipalDep) -> dict[str, Any]:
    """The routecast problem of an uploaded VRPLIB, Solomon, VROOM or CSV-of-stops text
    (the CSV needs ``fleet``); a routecast JSON text is validated. Errors name the line,
    row, column or field."""
    return _as_json(await run_in_threadpool(_convert, body))


def _as_json(problem: Problem) -> dict[str, Any]:
    """The problem as its JSON file has it (absent limits as the string "Infinity")."""
    return json.loads(problem.model_dump_json())


def _convert(body: ConvertRequest) -> Problem:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(body.name).stem)[:100] or "problem"
    if body.format == "routecast":
        return Problem.model_validate_json(body.text)
    if body.format == "vroom":
        return read_vroom(body.text, name=name)
    if body.format == "csv":
        if body.fleet is None:
            raise ApiProblem(422, "invalid-format", "Fleet missing",
                             "fleet: a CSV of stops needs the fleet (depot, vehicles, "
                             "capacity, shift)",
                             errors=[{"loc": ["body", "fleet"], "path": "fleet",
                                      "msg": "required for a CSV of stops",
                                      "type": "missing"}])
        f = body.fleet
        fleet = Fleet(depot_lat=f.depot_lat, depot_lon=f.depot_lon, vehicles=f.vehicles,
                      capacity=f.capacity if f.capacity is not None else math.inf,
                      shift_start=f.shift_start, shift_end=f.shift_end or math.inf,
                      speed=f.speed)
        return read_stops_csv(body.text, fleet, name=name)
    reader = read_vrplib if body.format == "vrplib" else read_solomon
    with tempfile.TemporaryDirectory(prefix="routecast-convert-") as tmp:
        path = Path(tmp) / f"{name}.{'vrp' if body.format == 'vrplib' else 'txt'}"
        path.write_text(body.text)
        try:
            return reader(path, body.rounding)
        except InstanceFormatError as err:  # name the upload, not the temporary file
            raise InstanceFormatError(str(err).replace(str(path), body.name)) from None
