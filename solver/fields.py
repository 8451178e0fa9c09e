"""Field types the problem model and its parts share (kept apart so parts such as
``solver.replan.state`` can use them without importing the problem)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from solver.clock import CLOCK_TIME_SCHEMA, to_seconds

NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# An upper limit that may be absent: JSON carries it as "Infinity" (a string, valid JSON).
Limit = Annotated[float, Field(ge=0)]
# A point in time: seconds from the origin, or a clock time when the problem has an origin.
ClockTime = Annotated[float, BeforeValidator(to_seconds), Field(ge=0),
                      WithJsonSchema(CLOCK_TIME_SCHEMA)]
Id = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")
