"""Solutions as users see them: routes of stop ids, unassigned stops with reasons."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from solver.problem import Problem


class ReasonCode(StrEnum):
    """Why a stop stayed unassigned (stable, part of the API)."""

    SKILL = "SKILL"  # no vehicle type has the stop's skills
    CAPACITY = "CAPACITY"  # demand above every compatible capacity
    TIME_WINDOW = "TIME_WINDOW"  # no window reachable from any depot within any shift
    SHIFT = "SHIFT"  # a round trip alone does not fit any shift / max duration
    NO_VEHICLE = "NO_VEHICLE"  # the fleet is too small: no room left in any route
    ROUTE_LIMIT = "ROUTE_LIMIT"  # a round trip alone exceeds every type's max_distance
    BREAK = "BREAK"  # no route with the stop can take its breaks / keep the driving rule
    UNPROFITABLE = "UNPROFITABLE"  # optional stop whose penalty is below its insertion cost


class ScheduleEntry(BaseModel):
    """One entry of a route's schedule as the evaluator computed it: a visit or a break."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["stop", "break"]
    id: str
    arrival: float | None = None  # stops only
    start: float
    end: float  # a stop's departure, a break's end
    lateness: float = 0.0
    arrival_at: str | None = None  # ISO 8601 datetimes, when the problem has a time_origin
    start_at: str | None = None
    end_at: str | None = None


class Route(BaseModel):
    """One vehicle's tour: the stops it visits, in order (depots implied).

    Give the ``vehicle`` (a name from ``vehicle_ids``, or ``TYPE#k``), its
    ``vehicle_type``, or both; solutions routecast returns always carry both.
    """

    model_config = ConfigDict(extra="forbid")

    vehicle_type: str | None = None
    vehicle: str | None = Field(default=None, examples=["van-07", "T1#2"])
    stops: list[str] = Field(min_length=1)
    schedule: list[ScheduleEntry] | None = Field(
        default=None, description="output only, for problems with a time_origin or breaks: "
        "the evaluator's schedule, breaks included; recomputed, never read")

    @model_validator(mode="after")
    def _named(self) -> Route:
        if self.vehicle_type is None and self.vehicle is None:
            raise ValueError("a route needs its vehicle or its vehicle_type")
        return self


class Unassigned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stop: str
    reason: ReasonCode


class SolveStats(BaseModel):
    """How the engine got there (what it claims; the evaluator recomputes the rest)."""

    model_config = ConfigDict(extra="forbid")

    engine: str
    runtime_s: float = 0.0
    iterations: int = 0
    stopped_by: str = "converged"
    claimed_cost: float | None = None
    travel_model: str | None = None
    produced_by: str | None = None  # for portfolios: the engine or step whose plan won
    lower_bound: float | None = None  # proven, valid for the whole problem
    gap: float | None = None  # (cost - lower_bound) / cost


class Solution(BaseModel):
    """A plan. ``cost`` is always the evaluator's number, never the engine's."""

    model_config = ConfigDict(extra="forbid")

    problem: str = "problem"
    routes: list[Route] = Field(default_factory=list)
    unassigned: list[Unassigned] = Field(default_factory=list)
    cost: float | None = None
    feasible: bool | None = None
    on_time_probability: dict[str, float] | None = Field(
        default=None, description="per stop, from travel-time quantiles (learned travel)"
    )
    stats: SolveStats | None = None


def vehicle_names(problem: Problem) -> dict[str, str]:
    """Every vehicle's name -> its type id, in fleet order."""
    return {v.vehicle_name(k): v.id for v in problem.vehicle_types for k in range(v.count)}


def with_vehicles(problem: Problem, solution: Solution) -> Solution:
    """A copy whose routes all name their vehicle and type.

    A named route keeps its vehicle (its type follows from it when not given; an unknown
    name keeps ``vehicle_type`` None for the evaluator to report); the others get, in
    order, the free vehicles of their type (or ``TYPE#k`` past the fleet, for the
    evaluator to report as over the fleet size).
    """
    names = vehicle_names(problem)
    taken = {r.vehicle for r in solution.routes if r.vehicle is not None}
    free: dict[str, list[str]] = {}
    for name, tid in names.items():
        if name not in taken:
            free.setdefault(tid, []).append(name)
    extra: dict[str, int] = {}
    routes = []
    for r in solution.routes:
        vehicle, vtype = r.vehicle, r.vehicle_type
        if vehicle is not None:
            vtype = vtype if vtype is not None else names.get(vehicle)
        elif free.get(vtype or ""):
            vehicle = free[vtype].pop(0)
        else:
            extra[vtype] = extra.get(vtype, sum(1 for t in names.values() if t == vtype)) + 1
            vehicle = f"{vtype}#{extra[vtype]}"
        routes.append(r.model_copy(update={"vehicle": vehicle, "vehicle_type": vtype}))
    return solution.model_copy(update={"routes": routes})
