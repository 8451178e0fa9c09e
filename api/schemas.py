"""HTTP shapes (requests and responses), separate from the domain and storage models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from api.store.enums import JobStatus, RunStatus
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.changes import Changes
from solver.solution import Solution

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
    replan: str


class ResultPublic(BaseModel):
    """The finished plan: solution (costs are the evaluator's), KPIs and violations."""

    solution: Solution
    kpis: dict[str, float | int | bool | None]
    violations: list[dict[str, Any]]


class JobSummary(BaseModel):
    id: str
    kind: str = Field("solve", description="`solve`, or `replan` (a child of `parent_id`)")
    status: JobStatus
    problem_name: str
    parent_id: str | None = Field(None, description="the job whose plan this replan "
                                  "started from")
    version: int = Field(1, description="plan version: 1 for a solve, the parent's + 1 "
                         "for a replan")
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
    children: list[str] = Field(default_factory=list, description="ids of the replans "
                                "of this job, oldest first")


class JobList(BaseModel):
    items: list[JobSummary]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class ReplanCreate(BaseModel):
    """What happened since the parent job's plan was published, and the solve options
    (default: the parent's). Times in ``changes`` are read on the parent problem's clock."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "changes": {"now": 3600, "vehicles": [{"vehicle": "van#1", "served": [
            {"stop": "A", "arrival": 600, "departure": 900}]}],
            "new_stops": [{"id": "C", "location": {"x": 1, "y": 2}, "demand": [1]}],
            "cancelled": ["B"], "unavailable": [], "locks": [],
            "disruption": {"move_cost": 100, "eta_cost": 0.1, "eta_tolerance": 900}},
        "options": {"engine": "ortools", "time_limit": 5}}]})

    changes: Changes
    options: SolveOptions | None = None


class DisruptionPublic(BaseModel):
    """The evaluator's disruption of a plan against another: stops served by another
    vehicle, and the shift of each stop's service start (seconds, + is later)."""

    stops_moved: list[str]
    eta_shifts: dict[str, float]
    histogram: dict[str, int] = Field(description="|shift| bins in seconds -> stops")
    max_eta_shift: float
    cost: float = Field(description="with the job's disruption weights (0 for a solve)")


class PlanDiffPublic(BaseModel):
    """How job ``job_id``'s plan differs from job ``against``'s: the scenario plan diff
    (stops on another route, stops newly served or unserved, stops new to the problem,
    routes changed), the KPI deltas (this job minus ``against``) and the disruption."""

    job_id: str
    against: str
    version: int
    against_version: int
    plan: dict[str, Any]
    kpi_deltas: dict[str, float]
    disruption: DisruptionPublic


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


def json_body(*schemas: str, description: str) -> dict[str, Any]:
    """OpenAPI ``requestBody`` of a route that reads its JSON body itself (parsed off the
    event loop): any of the named component ``schemas``."""
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in schemas]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": schema}}}}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error codes, all problem+json."""
    return {code: {"model": ProblemDetail, "description": "problem details",
                   "content": {"application/problem+json": {}}} for code in codes}


# -- scenario batches ---------------------------------------------------------------------

ScenarioStatus = JobStatus

EXAMPLE_SCENARIOS: dict[str, Any] = {
    "name": "peak season",
    "variants": [
        {"name": "demand +20%", "edits": [{"op": "scale_demand", "factor": 1.2}]},
        {"name": "one more van", "edits": [{"op": "add_vehicles", "count": 1, "type": "van"}]},
    ],
    "grid": {"name": "fleet x demand", "axes": [
        {"name": "vans", "op": "set_vehicles", "param": "count", "type": "van",
         "values": [1, 2]},
        {"name": "demand", "op": "scale_demand", "param": "factor", "range": [1.0, 1.2, 0.2]},
    ]},
    "replications": 1,
}


class EditIn(BaseModel):
    """One what-if edit: ``op`` (snake_case edit name) and its parameters."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"op": "scale_demand", "factor": 1.2}, {"op": "add_vehicles", "count": 3, "type": "van"},
        {"op": "traffic", "multiplier": 1.5, "start_hour": 7, "end_hour": 9}]})

    op: str = Field(min_length=1, max_length=60)


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    edits: list[EditIn] = Field(default_factory=list)
    description: str | None = Field(None, max_length=2000)


class GridAxisIn(BaseModel):
    """A swept parameter: ``op``'s ``param`` takes each of ``values`` (or
    ``range: [start, stop, step]``, stop included); other keys are fixed parameters."""

    model_config = ConfigDict(extra="allow")

    op: str = Field(min_length=1, max_length=60)
    param: str = Field(min_length=1, max_length=60)
    name: str | None = Field(None, max_length=100)
    values: list[Any] | None = None
    range: list[int | Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        None, min_length=2, max_length=3)


class GridIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "grid"
    edits: list[EditIn] = Field(default_factory=list)
    axes: list[GridAxisIn] = Field(min_length=1, max_length=4)


class ScenarioSetIn(BaseModel):
    """The variant set, in the shape of ``VARIANTS.yaml`` (as JSON)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_SCENARIOS]})

    name: str = Field("scenarios", max_length=200)
    variants: list[VariantIn] = Field(default_factory=list)
    grid: GridIn | None = None
    seeds: list[int] | None = Field(None, min_length=1)
    replications: int | None = Field(None, ge=1, le=1000)


class ScenarioBatchCreate(BaseModel):
    """A base problem (routecast JSON), its variants and the options of every run."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "problem": EXAMPLE_PROBLEM, "scenarios": EXAMPLE_SCENARIOS,
        "options": {"time_limit": 5, "iteration_limit": 200, "seed": 0},
        "warm_start": True,
    }]})

    problem: Problem
    scenarios: ScenarioSetIn
    options: SolveOptions = Field(default_factory=SolveOptions,
                                  description="engine and budget of every run; `seed` is the "
                                  "first seed of replications")
    warm_start: bool = Field(True, description="start each variant from the base plan")


class ScenarioRunPublic(BaseModel):
    """One run: a variant (or ``base``) solved with one seed, with its live progress."""

    key: str = Field(description="`<variant>#<seed>`")
    variant: str
    seed: int
    cell: dict[str, Any] = Field(default_factory=dict, description="grid axis -> value")
    status: RunStatus
    elapsed_s: float | None = None
    iterations: int | None = None
    best_cost: float | None = Field(None, description="best cost so far while running")
    total_cost: float | None = Field(None, description="the evaluator's cost when done")
    feasible: bool | None = None
    error: str | None = None


class ScenarioProgress(BaseModel):
    runs: int
    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class ScenarioLinks(BaseModel):
    self: str
    report: str
    cancel: str


class ScenarioBatchPublic(BaseModel):
    """A batch as clients see it: its runs and, once ended, the comparison."""

    id: str
    status: ScenarioStatus
    name: str
    problem_name: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    options: SolveOptions
    warm_start: bool
    axes: list[str] = Field(default_factory=list, description="grid axis labels")
    attempts: int
    cancel_requested: bool
    progress: ScenarioProgress
    runs: list[ScenarioRunPublic]
    error: dict[str, Any] | None = Field(None, description="a problem detail when failed")
    comparison: dict[str, Any] | None = Field(
        None, description="rows (one per run, the base of each seed first: KPIs and deltas "
        "vs the base) and plan diffs; present once the batch has ended (also when cancelled)")
    links: ScenarioLinks


# -- travel models -------------------------------------------------------------------------


class TrainingJob(BaseModel):
    """A training job; ``model_id`` once it succeeded."""

    id: str
    status: JobStatus
    created_at: datetime
    finished_at: datetime | None = None
    model_id: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    links: dict[str, str]
