"""Synchronous solve (small problems, short time limits) and plan evaluation."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import ExecutorDep, JsonBytesDep, MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.kinds.solve import InputFormat, create_job, public, validate_body
from api.kinds.train import registry_root
from api.limits import check_problem_limits
from api.routers.jobs import JOB_BODY
from api.schemas import (
    EvaluateRequest,
    EvaluateResponse,
    JobPublic,
    RoutePublic,
    VisitPublic,
    json_body,
    problem_responses,
)
from api.settings import Settings
from api.store import jobs as store_jobs
from api.store.enums import JobStatus
from solver.evaluate import evaluate
from solver.io.json_safe import json_safe
from solver.kpis import compute_kpis
from solver.options import SolveOptions
from solver.timeline import route_schedule
from solver.travel.build import build_travel

router = APIRouter(prefix="/v1", tags=["solve"])
GRACE_S = 30.0  # queueing and start-up on top of the time limit


@router.post(
    "/solve", response_model=JobPublic, openapi_extra=JOB_BODY,
    responses=problem_responses(401, 409, 413, 415, 422, 429, 504), summary="Solve and wait",
)
async def solve_now(
    who: PrincipalDep, raw: JsonBytesDep, sessions: StoreDep, settings: SettingsDep,
    executor: ExecutorDep, metrics: MetricsDep,
    format: Annotated[InputFormat, Query()] = "routecast",
) -> JobPublic:
    """Solve a small problem and answer with the finished job (bounded by
    ``sync_max_stops`` and ``sync_max_time_limit``). It runs as a job on the workers,
    ahead of queued asynchronous jobs."""
    job, _ = await run_in_threadpool(create_job, sessions, settings, owner=who.id, raw=raw,
                                     fmt=format, idempotency_key=None, sync=True)
    metrics.jobs_submitted.inc()
    future = executor.submit(job.id)
    options = SolveOptions.model_validate_json(job.options_json or "")
    try:
        await asyncio.wait_for(asyncio.wrap_future(future), options.time_limit + GRACE_S)
    except TimeoutError:
        raise ApiProblem(504, "solve-timeout", "Solve took too long",
                         f"job {job.id} did not finish within {options.time_limit + GRACE_S:g}"
                         " s; poll it at its link", job_id=job.id,
                         headers={"Location": f"/v1/jobs/{job.id}"}) from None
    done = await run_in_threadpool(_load, sessions, job.id)
    if done.status == JobStatus.FAILED and done.error:
        err = done.error
        raise ApiProblem(int(err.get("status", 500)), str(err.get("type", "")).rsplit("/", 1)[-1],
                         str(err.get("title", "Solve failed")), str(err.get("detail", "")),
                         job_id=job.id)
    return done


def _load(sessions: StoreDep, job_id: str) -> JobPublic:
    with sessions() as session:
        return public(store_jobs.get_job(session, job_id=job_id), session)


@router.post("/evaluate", response_model=EvaluateResponse,
             openapi_extra=json_body("EvaluateRequest", description="a problem and a plan"),
             responses=problem_responses(401, 413, 415, 422, 429), summary="Evaluate a plan")
async def evaluate_plan(who: PrincipalDep, raw: JsonBytesDep,
                        settings: SettingsDep) -> EvaluateResponse:
    """Time a given plan under a problem (its travel spec, learned models included): cost,
    KPIs, schedule and every violation. Nothing is solved. Learned travel is bounded by
    ``evaluate_max_learned_cells`` (the matrices are built in the service)."""
    return await run_in_threadpool(_evaluate, raw, registry_root(settings, who.id), settings)


def _evaluate(raw: bytes, models_dir: Path, settings: Settings) -> EvaluateResponse:
    return evaluate_request(validate_body(EvaluateRequest, raw), models_dir, settings)


def evaluate_request(body: EvaluateRequest, models_dir: Path,
                     settings: Settings) -> EvaluateResponse:
    """The evaluator's account of ``body``'s plan, within the evaluation limits (blocking:
    call it off the event loop)."""
    _limits(body, settings)
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


def _limits(body: EvaluateRequest, settings: Settings) -> None:
    check_problem_limits(body.problem, SolveOptions(time_limit=1), settings, evaluate=True)
