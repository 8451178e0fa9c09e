"""Actuals of a solve job's routes: ``POST`` what really happened, ``GET`` it back.

The body is JSON (``{"visits": [...]}``) or a CSV with the same columns (``text/csv``):
per visit, the stop (or a depot, with the vehicle, for leaving or returning), the actual
arrival and departure, or only the arrival ("arrived at" events). Rows are checked
against the job's plan (:mod:`solver.actuals`): a row that contradicts it is a 422
naming the row. The visits and the legs that became training trips are stored with the
job (:mod:`api.store.actuals`); a new POST replaces the job's earlier actuals. The job
is resolved inside the caller's own space (another key's job is a 404).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from api.deps import MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.metrics import Metrics
from api.routers.travel_drift import compute_drift
from api.schemas import problem_responses
from api.settings import Settings
from api.store import actuals as store_actuals
from api.store import jobs as store_jobs
from api.store.enums import JobKind
from solver.actuals import (
    LegBounds,
    check_actuals,
    executed_legs,
    plan_clock,
    read_actuals_csv,
    read_actuals_records,
)
from solver.problem import Problem
from solver.solution import Solution

router = APIRouter(prefix="/v1/jobs", tags=["actuals"])
logger = logging.getLogger(__name__)

TimeValue = float | str | None
TIME_DOC = ("seconds from the plan's origin, an ISO 8601 datetime (naive: the plan's "
            "zone) or a local 'HH:MM'")


class ActualVisitIn(BaseModel):
    """One visit as driven."""

    model_config = ConfigDict(extra="forbid")

    stop: str = Field(min_length=1, max_length=200, description="a stop id, or a depot id "
                      "for the route's departure (start depot) or return (end depot)")
    vehicle: str | None = Field(default=None, max_length=200,
                                description="the route's vehicle; required on depot rows")
    arrival: TimeValue = Field(default=None, description=TIME_DOC)
    departure: TimeValue = Field(default=None, description=TIME_DOC + "; absent: an "
                                 "'arrived at' event")


class ActualsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"visits": [
        {"vehicle": "van#1", "stop": "D", "departure": "08:00"},
        {"vehicle": "van#1", "stop": "S1", "arrival": "08:14", "departure": "08:21"},
        {"stop": "S2", "arrival": "2024-03-04T08:40:00+01:00"}]}]})

    visits: list[ActualVisitIn] = Field(max_length=100_000)


class VisitPublic(BaseModel):
    row: str = Field(description="the row it came from: 'row 4' (CSV) or 'visits[2]'")
    vehicle: str
    stop: str
    kind: str = Field(description="start (depot) | stop | end (depot)")
    arrival: str | None
    departure: str | None
    departure_estimated: bool


class LegPublic(BaseModel):
    vehicle: str
    from_stop: str
    to_stop: str
    departure: str
    duration_s: float
    departure_estimated: bool
    rows: list[str]


class ActualsPublic(BaseModel):
    """A job's stored actuals: the visits, the legs kept as training trips, and how many
    legs were skipped, by reason (see :mod:`solver.actuals.legs`): no_departure,
    no_arrival, gap, break, same_place, and the implausible ones: not_positive,
    too_long, too_fast, too_slow (bounds: the ``actuals_*`` settings)."""

    job_id: str
    received_at: str
    tz: str
    visits: list[VisitPublic]
    legs: list[LegPublic]
    skipped: dict[str, int] = Field(description="legs not kept, by reason (absent: none)")


def _iso(ts: float | None, tz: Any) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).astimezone(tz).isoformat()


def _public(stored: store_actuals.StoredActuals) -> ActualsPublic:
    import pandas as pd

    tz = pd.Timestamp(0, tz=stored.tz).tzinfo
    return ActualsPublic(
        job_id=stored.job_id, received_at=_iso(stored.received_at, UTC) or "", tz=stored.tz,
        visits=[VisitPublic(row=v.where, vehicle=v.vehicle, stop=v.place, kind=v.kind,
                            arrival=_iso(v.arrival, tz), departure=_iso(v.departure, tz),
                            departure_estimated=v.departure_estimated)
                for v in stored.visits],
        legs=[LegPublic(vehicle=g.vehicle, from_stop=g.from_place, to_stop=g.to_place,
                        departure=_iso(g.departure, tz) or "",
                        duration_s=round(g.duration_s, 3),
                        departure_estimated=g.departure_estimated,
                        rows=[g.from_row, g.to_row]) for g in stored.legs],
        skipped=stored.skipped)


def _plan(sessions: StoreDep, job_id: str, owner: str) -> tuple[Problem, Solution]:
    """The job's problem and solution, resolved in the caller's space."""
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=job_id, owner=owner, kind=JobKind.SOLVE)
        result = store_jobs.get_result(session, job_id=job_id)
        if result is None:
            raise ApiProblem(409, "not-ready", "No plan yet",
                             f"job {job_id} is {job.status} and has no plan to compare "
                             "actuals with", job_status=job.status)
        return (Problem.model_validate_json(job.problem_json or ""),
                Solution.model_validate_json(result.solution_json))


def _media(request: Request) -> str:
    declared = request.headers.get("content-type") or "application/json"
    media = declared.split(";", 1)[0].strip().lower()
    if media not in ("application/json", "text/csv"):
        raise ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                         f"actuals are application/json or text/csv, not {media!r}",
                         headers={"Accept-Post": "application/json, text/csv"})
    return media


def _store(sessions: StoreDep, job_id: str, owner: str, media: str, raw: bytes,
           bounds: LegBounds) -> ActualsPublic:
    problem, solution = _plan(sessions, job_id, owner)
    clock = plan_clock(problem)
    max_rows = len(problem.stops) + 2 * len(solution.routes)  # each visit at most once
    if media == "text/csv":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiProblem(422, "invalid-actuals", "Invalid actuals",
                             "the CSV is not UTF-8 text") from None
        rows = read_actuals_csv(text, clock, max_rows=max_rows)
    else:
        try:
            doc = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            raise ApiProblem(422, "validation-error", "Validation error",
                             "body is not valid JSON") from None
        body = ActualsIn.model_validate(doc)  # pydantic errors name body.visits[k]
        rows = read_actuals_records([v.model_dump(exclude_none=True) for v in body.visits],
                                    clock, max_rows=max_rows)
    day = check_actuals(problem, solution, rows)
    legs = executed_legs(day, bounds)
    with sessions() as session:
        store_actuals.replace_actuals(session, job_id=job_id, owner=owner, day=day,
                                      legs=legs, received_at=time.time(),
                                      order=[r.where for r in rows])
        session.commit()
        stored = store_actuals.get_actuals(session, job_id=job_id)
    assert stored is not None  # just written
    return _public(stored)


@router.post(
    "/{job_id}/actuals", response_model=ActualsPublic,
    responses=problem_responses(401, 404, 409, 413, 415, 422, 429),
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {
            "type": "object", "required": ["visits"], "additionalProperties": False,
            "properties": {"visits": {"type": "array", "maxItems": 100_000,
                                      "items": ActualVisitIn.model_json_schema()}}}},
        "text/csv": {"schema": {"type": "string", "description": "header: stop, vehicle, "
                                "arrival, departure (arrived_at for arrival)"}}}}},
    summary="Report what really happened on a job's routes",
)
async def post_actuals(request: Request, job_id: str, who: PrincipalDep, sessions: StoreDep,
                       settings: SettingsDep, metrics: MetricsDep) -> ActualsPublic:
    """Check the visits against the job's plan, store them, and turn the legs between
    consecutive visits into training trips (replacing the job's earlier actuals); legs
    that are no real trip or implausible (speed over the straight line, duration: the
    ``actuals_*`` settings) are skipped and counted by reason in ``skipped``. A row
    that names an unknown stop, lies before its route's start, departs before it arrives
    or overlaps another visit is a 422 naming the row. The drift figures of the caller's
    active model on ``/metrics`` are then brought up to date."""
    media = _media(request)
    raw = await request.body()
    public = await run_in_threadpool(_store, sessions, job_id, who.id, media, raw,
                                     settings.leg_bounds())
    metrics.actual_legs.inc(len(public.legs))
    await run_in_threadpool(_refresh_drift, settings, sessions, who.id, metrics, job_id)
    return public


def _refresh_drift(settings: Settings, sessions: sessionmaker[Session], owner: str,
                   metrics: Metrics, job_id: str) -> None:
    """The active model's drift on ``/metrics``; the actuals are stored whatever it says
    (no active model: nothing to compare with)."""
    from surrogate import ModelNotFoundError, SurrogateError

    try:
        report, _ = compute_drift(settings, sessions, owner, "active",
                                  legs=settings.drift_recent_legs)
    except ModelNotFoundError:
        logger.debug("actuals of job %s: no active travel model to compare with", job_id)
        return
    except SurrogateError as exc:
        logger.warning("actuals of job %s stored; the active model's drift could not be "
                       "computed: %s", job_id, exc)
        return
    metrics.drift.record(report)


@router.get("/{job_id}/actuals", response_model=ActualsPublic,
            responses=problem_responses(401, 404, 429), summary="A job's actuals")
def get_actuals(job_id: str, who: PrincipalDep, sessions: StoreDep) -> ActualsPublic:
    """The visits last reported for this job and the legs kept as training trips."""
    with sessions() as session:
        store_jobs.get_job(session, job_id=job_id, owner=who.id, kind=JobKind.SOLVE)
        stored = store_actuals.get_actuals(session, job_id=job_id)
    if stored is None:
        raise ApiProblem(404, "not-found", "Not found", f"job {job_id} has no actuals yet")
    return _public(stored)
