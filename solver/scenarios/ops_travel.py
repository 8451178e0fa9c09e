"""Edits of travel: a traffic multiplier on the compiled tensor, another travel model.

``traffic`` works on the compiled :class:`TravelTensor`, not on the problem: the slices
are cut at the edit's hours and the durations (and every quantile tensor) inside the
range are multiplied. Slices are piecewise-constant speeds and the evaluator integrates
across their boundaries (Ichoua, Gendreau & Potvin 2003), so FIFO holds after the edit.
Distances do not change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from solver.problem import LearnedTravel, Problem
from solver.scenarios.base import Edit
from solver.travel.base import TravelTensor

HOUR = 3600.0


def scale_travel(travel: TravelTensor, start: float, end: float,
                 multiplier: float) -> TravelTensor:
    """Durations of departures in ``[start, end)`` (problem seconds) times ``multiplier``."""
    starts = travel.slice_starts
    cuts = {float(s) for s in starts} | {float(start)}
    if np.isfinite(end):
        cuts.add(float(end))
    new_starts = np.array(sorted(cuts))
    source = np.searchsorted(starts, new_starts, side="right") - 1
    factor = np.where((new_starts >= start) & (new_starts < end), multiplier, 1.0)

    def cut(tensor: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(tensor[source] * factor[:, None, None])

    return replace(
        travel,
        duration=cut(travel.duration),
        slice_starts=new_starts,
        quantiles={q: cut(t) for q, t in travel.quantiles.items()},
    )


class Traffic(Edit):
    """Travel times of departures between ``start_hour`` and ``end_hour`` (hours from the
    planning origin; open-ended when ``end_hour`` is omitted) times ``multiplier``."""

    op: Literal["traffic"] = "traffic"
    multiplier: float = Field(gt=0, le=100, allow_inf_nan=False)
    start_hour: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    end_hour: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Traffic:
        if self.end_hour is not None and self.end_hour <= self.start_hour:
            raise ValueError("traffic: end_hour must come after start_hour")
        return self

    def apply_travel(self, travel: TravelTensor) -> TravelTensor:
        end = np.inf if self.end_hour is None else self.end_hour * HOUR
        return scale_travel(travel, self.start_hour * HOUR, end, self.multiplier)


class TravelModel(Edit):
    """Another learned travel model and/or departure (day and time) for learned travel."""

    op: Literal["travel_model"] = "travel_model"
    model: str | None = Field(default=None, min_length=1)
    departure: datetime | None = None
    robust: bool | None = Field(default=None, description="plan on p90 travel times")

    @model_validator(mode="after")
    def _something(self) -> TravelModel:
        if self.model is None and self.departure is None and self.robust is None:
            raise ValueError("travel_model: give model, departure or robust")
        return self

    def apply(self, problem: Problem) -> Problem:
        travel = problem.travel
        if not isinstance(travel, LearnedTravel):
            self.fail(None, f"the base travel is {travel.kind!r}; only learned travel has "
                            "a model and a departure")
        update: dict[str, object] = {}
        if self.model is not None:
            update["model"] = self.model
        if self.departure is not None:
            update["departure"] = self.departure
        if self.robust is not None:
            update["plan_quantile"] = 0.9 if self.robust else None
        return self.revalidate(problem, travel=travel.model_copy(update=update))
