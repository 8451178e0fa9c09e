"""Bring-your-own time-dependent matrices: the ``time_dependent_matrix`` travel kind.

For fleets that already have a road-network engine (OSRM, Valhalla, a maps API): one
duration matrix per time slice, from the slice's start, over ``locations``. The solver
reads them as it reads learned travel (``solver.travel.base.TravelTensor``): a departure
uses the last slice whose start is at or before it (the first slice also covers earlier
departures), and a trip that crosses a slice boundary is integrated (Ichoua, Gendreau &
Potvin 2003), so the travel the engines and the evaluator see is FIFO by construction.

The matrices themselves must be FIFO too: leaving ``i`` at a slice's start and taking its
duration must not arrive before leaving at the previous slice's start does. ``fifo:
"check"`` (the default) refuses such data naming the slice and the arc; ``fifo:
"enforce"`` lowers the earlier slice's duration to the later arrival (a vehicle could
have waited for the later slice), see :func:`enforce_fifo`.

Kept apart from ``solver.problem`` (which imports it) so the FIFO arithmetic has one home
that validation and ``solver.travel.build`` share.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from solver.fields import ClockTime, Id, NonNegFloat, _Frozen

MAX_SLICES = 288  # five-minute slices over a day, or hourly ones over twelve days
FIFO_TOLERANCE_S = 1e-6


class MatrixSlice(_Frozen):
    """Travel from ``start`` on: a duration matrix and, optionally, a distance matrix."""

    start: ClockTime = Field(description="when the slice begins: seconds from the planning "
                             "origin, or a clock time with a time_origin", examples=["07:00"])
    duration: list[list[NonNegFloat]] = Field(description="seconds, [from][to] in "
                                              "locations order")
    distance: list[list[NonNegFloat]] | None = Field(
        default=None, description="[from][to]; distances are per arc, not per departure, "
        "so every slice that gives one must give the same")


class TimeDependentMatrixTravel(_Frozen):
    """Duration matrices per time slice over ``locations`` (depot and stop ids)."""

    kind: Literal["time_dependent_matrix"] = "time_dependent_matrix"
    locations: list[Id] = Field(min_length=1)
    slices: list[MatrixSlice] = Field(min_length=1, max_length=MAX_SLICES)
    fifo: Literal["check", "enforce"] = Field(
        default="check", description="'check' refuses matrices where leaving later arrives "
        "earlier; 'enforce' lowers the earlier slice's time to the later arrival")

    @model_validator(mode="after")
    def _consistent(self) -> TimeDependentMatrixTravel:
        n = len(self.locations)
        if len(set(self.locations)) != n:
            raise ValueError("travel.locations: ids must be unique")
        first_distance: int | None = None
        for k, s in enumerate(self.slices):
            for name in ("duration", "distance"):
                m = getattr(s, name)
                if m is not None and (len(m) != n or any(len(row) != n for row in m)):
                    raise ValueError(f"travel.slices[{k}].{name} must be a {n} x {n} matrix "
                                     "(one row per location)")
            if not math.isfinite(s.start):
                raise ValueError(f"travel.slices[{k}].start must be finite")
            if k and s.start <= self.slices[k - 1].start:
                raise ValueError(f"travel.slices[{k}].start ({s.start:g} s) must be after "
                                 f"slices[{k - 1}].start ({self.slices[k - 1].start:g} s)")
            if s.distance is None:
                continue
            if first_distance is None:
                first_distance = k
            elif s.distance != self.slices[first_distance].distance:
                raise ValueError(
                    f"travel.slices[{k}].distance differs from slices[{first_distance}]."
                    "distance: distances are per arc, not per departure time; give one")
        if self.fifo == "check":
            bad = fifo_violation(self.starts(), self.durations())
            if bad is not None:
                k, i, j, late, early = bad
                raise ValueError(
                    f"travel.slices[{k}].duration is not FIFO: leaving "
                    f"{self.locations[i]!r} for {self.locations[j]!r} at slice {k}'s start "
                    f"arrives at {late:g} s, before leaving at slice {k - 1}'s start "
                    f"arrives ({early:g} s); fix the matrices or set travel.fifo to "
                    "'enforce'")
        return self

    def starts(self) -> np.ndarray:
        """``[T]`` slice starts in seconds, as given."""
        return np.array([s.start for s in self.slices], dtype=np.float64)

    def durations(self) -> np.ndarray:
        """``[T, L, L]`` durations in ``locations`` order, as given."""
        return np.array([s.duration for s in self.slices], dtype=np.float64)

    def distance(self) -> np.ndarray | None:
        """``[L, L]`` distances in ``locations`` order, or None when no slice gives one."""
        for s in self.slices:
            if s.distance is not None:
                return np.array(s.distance, dtype=np.float64)
        return None


def fifo_violation(starts: np.ndarray, duration: np.ndarray
                   ) -> tuple[int, int, int, float, float] | None:
    """The first arc where leaving at ``starts[k]`` arrives before leaving at
    ``starts[k - 1]``: ``(k, i, j, arrival at k, arrival at k - 1)``, or None."""
    arrive = starts[:, None, None] + duration
    for k in range(1, len(starts)):
        worse = arrive[k] < arrive[k - 1] - FIFO_TOLERANCE_S
        if worse.any():
            i, j = (int(x) for x in np.argwhere(worse)[0])
            return k, i, j, float(arrive[k, i, j]), float(arrive[k - 1, i, j])
    return None


def enforce_fifo(starts: np.ndarray, duration: np.ndarray) -> tuple[np.ndarray, int]:
    """Durations made FIFO, and how many cells changed.

    Backwards over the slices, an arc's time at slice ``k`` becomes at most the time to
    wait for slice ``k + 1`` and travel then (``starts[k + 1] - starts[k] +
    duration[k + 1]``): a vehicle that leaves earlier can always do that, so the result
    is the earliest arrival the data allow, and it never raises a time.
    """
    out = np.array(duration, dtype=np.float64, copy=True)
    for k in range(len(starts) - 2, -1, -1):
        np.minimum(out[k], starts[k + 1] - starts[k] + out[k + 1], out=out[k])
    changed = int(np.count_nonzero(out != duration))
    return out, changed
