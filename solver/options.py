"""User-facing solve options."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SolveOptions(BaseModel):
    """How to solve: which engine, and the budget.

    A time limit is a budget, never a correctness condition: with an iteration limit
    and a seed, a solve is fully deterministic.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: str = "auto"
    time_limit: float = Field(default=10.0, gt=0, le=24 * 3600)
    iteration_limit: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0, lt=2**31)
