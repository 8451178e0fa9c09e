"""Field types the problem model and its parts share (kept apart so parts such as
``solver.replan.state`` can use them without importing the problem).

Every quantity is bounded: finite but absurd values (1e308) overflow to infinity once
summed over a route, so non-negative quantities, coordinates and times are at most
``MAX_MAGNITUDE``, and a limit is either at most that or infinite (absent)."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from solver.clock import CLOCK_TIME_SCHEMA, to_seconds

# No real coordinate, distance, duration or cost comes near this bound.
MAX_MAGNITUDE = 1e12


def _absent_or_bounded(value: float) -> float:
    """A limit is infinite (absent) or at most MAX_MAGNITUDE (NaN fails ``ge=0`` first)."""
    if value != math.inf and value > MAX_MAGNITUDE:
        raise ValueError(f"must be at most {MAX_MAGNITUDE:g} or Infinity (no limit)")
    return value


NonNegFloat = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Coordinate = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Speed = Annotated[float, Field(ge=1e-6, le=MAX_MAGNITUDE, allow_inf_nan=False)]
DetourFactor = Annotated[float, Field(ge=1.0, le=10.0, allow_inf_nan=False,
                                      description="road / great-circle meters")]
# An upper limit that may be absent: JSON carries it as "Infinity" (a string, valid JSON).
Limit = Annotated[float, Field(ge=0), AfterValidator(_absent_or_bounded)]
PositiveLimit = Annotated[float, Field(gt=0), AfterValidator(_absent_or_bounded)]
# A point in time: seconds from the origin, or a clock time when the problem has an origin
# (infinite only where it closes nothing, as a window's end).
ClockTime = Annotated[float, BeforeValidator(to_seconds), Field(ge=0),
                      AfterValidator(_absent_or_bounded), WithJsonSchema(CLOCK_TIME_SCHEMA)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
# A travel-model id (or "active"): a plain name, never a path, so that it resolves only
# inside the caller's own registry.
MODEL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")
