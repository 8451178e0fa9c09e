"""Edits of the stops: demand, service times, time windows, adding and dropping stops."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from solver.problem import ExplicitTravel, Location, Problem, Stop, TimeWindow
from solver.scenarios.base import Edit, StopFilter, selected

Factor = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Seconds = Annotated[float, Field(allow_inf_nan=False)]
NonNegSeconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ScaleDemand(Edit):
    """Multiply the demand of the selected stops (all by default) by ``factor``."""

    op: Literal["scale_demand"] = "scale_demand"
    factor: Factor
    stops: StopFilter | None = None
    dimension: int | None = Field(default=None, ge=0, description="one demand dimension only")

    def apply(self, problem: Problem) -> Problem:
        if self.dimension is not None and self.dimension >= problem.n_dims:
            self.fail("dimension", f"the problem has {problem.n_dims} demand dimension(s)")
        ids = selected(problem, self.stops, self)
        dims = range(problem.n_dims) if self.dimension is None else [self.dimension]

        def scaled(s: Stop) -> Stop:
            demand = [d * self.factor if k in dims else d for k, d in enumerate(s.demand)]
            return s.model_copy(update={"demand": demand})

        return self.revalidate(problem, stops=[scaled(s) if s.id in ids else s
                                               for s in problem.stops])


class ScaleServiceTime(Edit):
    """Multiply the service time of the selected stops by ``factor``."""

    op: Literal["scale_service_time"] = "scale_service_time"
    factor: Factor
    stops: StopFilter | None = None

    def apply(self, problem: Problem) -> Problem:
        ids = selected(problem, self.stops, self)
        return self.revalidate(problem, stops=[
            s.model_copy(update={"service_time": s.service_time * self.factor})
            if s.id in ids else s for s in problem.stops
        ])


def merged(windows: list[tuple[float, float]]) -> list[TimeWindow]:
    """Sorted windows with overlapping or touching ones merged (validation needs gaps)."""
    out: list[list[float]] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [TimeWindow(start=a, end=b) for a, b in out]


class _WindowEdit(Edit):
    stops: StopFilter | None = None

    def move(self, start: float, end: float) -> tuple[float, float]:
        raise NotImplementedError

    def apply(self, problem: Problem) -> Problem:
        ids = selected(problem, self.stops, self)

        def edited(s: Stop) -> Stop:
            return s.model_copy(update={"time_windows": merged(
                [self.move(w.start, w.end) for w in s.time_windows])})

        return self.revalidate(problem, stops=[edited(s) if s.id in ids else s
                                               for s in problem.stops])


class ShiftTimeWindows(_WindowEdit):
    """Move the windows of the selected stops by ``by`` seconds (negative: earlier).

    A window pushed before time 0 is clipped at 0; an open end stays open.
    """

    op: Literal["shift_time_windows"] = "shift_time_windows"
    by: Seconds

    def move(self, start: float, end: float) -> tuple[float, float]:
        return max(start + self.by, 0.0), max(end + self.by, 0.0)


class WidenTimeWindows(_WindowEdit):
    """Open the selected windows ``by`` seconds earlier and close them ``by`` later."""

    op: Literal["widen_time_windows"] = "widen_time_windows"
    by: NonNegSeconds

    def move(self, start: float, end: float) -> tuple[float, float]:
        return max(start - self.by, 0.0), end + self.by


class NarrowTimeWindows(_WindowEdit):
    """Open ``by`` seconds later and close ``by`` earlier; a window never shrinks below
    zero width (it collapses onto its midpoint)."""

    op: Literal["narrow_time_windows"] = "narrow_time_windows"
    by: NonNegSeconds

    def move(self, start: float, end: float) -> tuple[float, float]:
        if math.isinf(end):
            return start + self.by, end
        if end - start <= 2 * self.by:
            mid = (start + end) / 2
            return mid, mid
        return start + self.by, end - self.by


class AddStops(Edit):
    """Add ``count`` stops sampled with ``seed``: attributes copied from random existing
    stops (``like`` restricts the templates), locations near random existing stops,
    jittered by ``spread`` times the extent of the stops' bounding box."""

    op: Literal["add_stops"] = "add_stops"
    count: int = Field(ge=1, le=100_000)
    seed: int = Field(default=0, ge=0)
    like: StopFilter | None = None
    spread: float = Field(default=0.05, ge=0, le=1)
    prefix: str = Field(default="new-", min_length=1, max_length=50)

    def stops_added(self) -> int:
        return self.count

    def apply(self, problem: Problem) -> Problem:
        if not problem.stops:
            self.fail(None, "the base problem has no stop to sample new stops from")
        if isinstance(problem.travel, ExplicitTravel):
            self.fail(None, "explicit travel matrices have no entries for new locations")
        rng = np.random.default_rng(self.seed)
        ids = {s.id for s in problem.stops} | {d.id for d in problem.depots}
        pool = problem.stops if self.like is None else [
            s for s in problem.stops if s.id in self.like.select(problem, self, "like")]
        planar = problem.stops[0].location.kind == "planar"
        pts = np.array([(s.location.x, s.location.y) if planar else
                        (s.location.lat, s.location.lon) for s in problem.stops])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        extent = np.maximum(hi - lo, 1e-9)
        new: list[Stop] = []
        k = 0
        for _ in range(self.count):
            while f"{self.prefix}{k}" in ids:
                k += 1
            template = pool[int(rng.integers(len(pool)))]
            near = pts[int(rng.integers(len(pts)))]
            x, y = np.clip(near + rng.normal(size=2) * self.spread * extent, lo, hi)
            where = Location(x=float(x), y=float(y)) if planar else Location(
                lat=float(x), lon=float(y))
            new.append(template.model_copy(update={"id": f"{self.prefix}{k}",
                                                   "location": where}))
            ids.add(f"{self.prefix}{k}")
        return self.revalidate(problem, stops=[*problem.stops, *new])


class DropStops(Edit):
    """Drop stops: ``count`` or a ``fraction`` of the selected ones, sampled with ``seed``;
    with neither, every selected stop."""

    op: Literal["drop_stops"] = "drop_stops"
    count: int | None = Field(default=None, ge=1)
    fraction: float | None = Field(default=None, gt=0, le=1)
    seed: int = Field(default=0, ge=0)
    stops: StopFilter | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> DropStops:
        if self.count is not None and self.fraction is not None:
            raise ValueError("drop_stops: give count or fraction, not both")
        if self.count is None and self.fraction is None and self.stops is None:
            raise ValueError("drop_stops: give count, fraction or a stops filter")
        return self

    def apply(self, problem: Problem) -> Problem:
        pool = [s.id for s in problem.stops if s.id in selected(problem, self.stops, self)]
        n = len(pool)
        if self.count is not None:
            if self.count > n:
                self.fail("count", f"cannot drop {self.count} of {n} selected stops")
            n = self.count
        elif self.fraction is not None:
            n = round(self.fraction * n)
        rng = np.random.default_rng(self.seed)
        gone = {pool[int(i)] for i in rng.choice(len(pool), size=n, replace=False)}
        return self.revalidate(problem, stops=[s for s in problem.stops if s.id not in gone])
