"""HTTP shapes (requests and responses), separate from the domain and storage models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from solver.options import SolveOptions
from solver.problem import Problem
from solver.solution import Solution

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]

EXAMPLE_PROBLEM: dict[str, Any] = {
    "name": "tiny",
    "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
    "stops": [
        {"id": "A", "location": {"x": 3, "y": 4}, "demand": [2]},
        {"id": "B", "location": {"x": -3, "y": 4}, "demand": [2]},
    ],
    "vehicle_types": [{"id": "van", "count": 1, "capacity": [5], "start_depot": "D"}],
}


class JobCreate(BaseModel):
    """A routecast problem (as ``routecast convert`` writes it) and solve options."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"problem": EXAMPLE_PROBLEM, "options": {"time_limit": 5, "engine": "auto", "seed": 0}}
    ]})

    problem: Problem
    options: SolveOptions = SolveOptions()


class VroomJobCreate(BaseModel):
    """With ``?format=vroom``: ``problem`` is a VROOM input document."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "problem": {"vehicles": [{"id": 1, "start": [2.35, 48.85], "capacity": [4]}],
                    "jobs": [{"id": 1, "location": [2.36, 48.86], "delivery": [1]}]},
        "options": {"time_limit": 5},
    }]})

    problem: dict[str, Any]
    options: SolveOptions = SolveOptions()


class JobProgress(BaseModel):
    elapsed_s: float | None = None
    iterations: int | None = None
    best_cost: float | None = Field(None, description="null until a feasible solution exists")
    feasible: bool | None = None


class JobLinks(BaseModel):
    self: str
    events: str
    solution: str
    cancel: str


class ResultPublic(BaseModel):
    """The finished plan: solution (costs are the evaluator's), KPIs and violations."""

    solution: Solution
    kpis: dict[str, float | int | bool | None]
    violations: list[dict[str, Any]]


class JobSummary(BaseModel):
    id: str
    status: JobStatus
    problem_name: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: JobProgress
    links: JobLinks


class JobPublic(JobSummary):
    """A job as clients see it; ``result`` once it has a solution."""

    input_format: str
    options: SolveOptions
    attempts: int
    cancel_requested: bool
    stopped_by: str | None = None
    error: dict[str, Any] | None = Field(None, description="a problem detail when failed")
    result: ResultPublic | None = None


class JobList(BaseModel):
    items: list[JobSummary]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class EvaluateRequest(BaseModel):
    """A plan to time under a problem; nothing is solved."""

    model_config = ConfigDict(extra="forbid")

    problem: Problem
    solution: Solution


class VisitPublic(BaseModel):
    stop: str
    arrival: float
    start: float
    departure: float
    wait: float
    load: list[float]


class RoutePublic(BaseModel):
    vehicle_type: str
    distance: float
    duration: float
    cost: float
    start_time: float
    end_time: float | None
    load: list[float]
    visits: list[VisitPublic]


class EvaluateResponse(BaseModel):
    cost: float
    feasible: bool
    complete: bool
    kpis: dict[str, float | int | bool | None]
    violations: list[dict[str, Any]]
    routes: list[RoutePublic]
    unassigned_required: list[str]
    unassigned_optional: list[str]


class ProblemDetail(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
    request_id: str | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error codes, all problem+json."""
    return {code: {"model": ProblemDetail, "description": "problem details",
                   "content": {"application/problem+json": {}}} for code in codes}
