"""Solutions as users see them: routes of stop ids, unassigned stops with reasons."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ReasonCode(StrEnum):
    """Why a stop stayed unassigned (stable, part of the API)."""

    SKILL = "SKILL"  # no vehicle type has the stop's skills
    CAPACITY = "CAPACITY"  # demand above every compatible capacity
    TIME_WINDOW = "TIME_WINDOW"  # no window reachable from any depot within any shift
    SHIFT = "SHIFT"  # a round trip alone does not fit any shift / max duration
    NO_VEHICLE = "NO_VEHICLE"  # the fleet is too small: no room left in any route
    UNPROFITABLE = "UNPROFITABLE"  # optional stop whose penalty is below its insertion cost


class Route(BaseModel):
    """One vehicle's tour: the stops it visits, in order (depots implied)."""

    model_config = ConfigDict(extra="forbid")

    vehicle_type: str
    stops: list[str] = Field(min_length=1)


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
