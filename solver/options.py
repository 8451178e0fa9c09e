"""User-facing solve options."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_MAX_NO_IMPROVEMENT = 20_000


class SolveOptions(BaseModel):
    """How to solve: which engine, and the budget.

    A time limit is a maximum, never a correctness condition: the whole solve (travel
    matrices, compilation, model building, search) returns within it plus a small
    tolerance, and sooner when the search stalls (``max_no_improvement``) or an engine
    proves its plan optimal. With an iteration limit and a seed, a solve is fully
    deterministic.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: str = "auto"
    time_limit: float = Field(default=10.0, gt=0, le=24 * 3600)
    iteration_limit: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0, lt=2**31)
    max_no_improvement: int | None = Field(default=DEFAULT_MAX_NO_IMPROVEMENT, ge=1)
    #   stop after this many iterations (as the engine counts them) without a better
    #   plan; None: search until a limit. The default is HGS-CVRP's termination rule
    #   (Vidal 2022: 20,000 iterations without improvement)
    max_no_improvement_s: float | None = Field(default=None, gt=0, le=24 * 3600)
    #   stop after this many seconds without a better plan (the clock form of the rule
    #   above; both may be set, the first to trigger stops)
    cores: int | None = Field(default=None, ge=1, le=1024, description=(
        "cores the engine may use: auto runs one ils search per core, exchanging the best "
        "plan (the other engines use one); default: every core the process may use. The "
        "service gives a job at most its worker's share (the machine's cores over its "
        "workers)"))

    @field_validator("cores")
    @classmethod
    def _cores_usable(cls, value: int | None) -> int | None:
        usable = usable_cores()
        if value is not None and value > usable:
            raise ValueError(f"cores={value}, but this process may use only {usable} "
                             "(os.sched_getaffinity)")
        return value

    def core_count(self) -> int:
        """``cores``, or every core this process may use when it is None."""
        return self.cores if self.cores is not None else usable_cores()


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
