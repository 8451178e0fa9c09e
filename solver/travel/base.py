"""The travel tensor every engine and the evaluator read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np


@dataclass(frozen=True)
class TravelTensor:
    """Distances and durations between the compiled locations.

    Attributes
    ----------
    distance
        float64 ``[L, L]``: ``distance[i, j]`` from location ``i`` to ``j``.
    duration
        float64 ``[T, L, L]``: travel time in seconds when leaving in slice ``t``.
        With ``T == 1`` travel is static.
    slice_starts
        float64 ``[T]``: start of each slice in problem seconds, increasing, first 0.
        A departure at time ``s`` uses the last slice whose start is ``<= s``;
        trips that span a boundary are integrated (Ichoua, Gendreau & Potvin 2003).
    quantiles
        Optional duration tensors ``[T, L, L]`` keyed by quantile level (e.g. 0.9).
    model_id
        Identifier of the learned model that produced the durations, if any.
    """

    distance: np.ndarray
    duration: np.ndarray
    slice_starts: np.ndarray
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)
    model_id: str | None = None
    dense: ClassVar[bool] = True  # see solver.travel.lazy.CoordinateTravel

    def __post_init__(self) -> None:
        n = self.distance.shape[0]
        if self.distance.shape != (n, n):
            raise ValueError(f"distance must be square, got {self.distance.shape}")
        if self.duration.ndim != 3 or self.duration.shape[1:] != (n, n):
            raise ValueError(f"duration must be [T, {n}, {n}], got {self.duration.shape}")
        if self.slice_starts.shape != (self.duration.shape[0],):
            raise ValueError("slice_starts must have one entry per duration slice")
        if self.slice_starts[0] != 0.0 or np.any(np.diff(self.slice_starts) <= 0):
            raise ValueError("slice_starts must start at 0 and increase strictly")

    @property
    def time_dependent(self) -> bool:
        return self.duration.shape[0] > 1

    @property
    def n_locations(self) -> int:
        return int(self.distance.shape[0])

    def arc_distance(self, i: int, j: int) -> float:
        """One arc: the interface both this tensor and coordinate-only travel offer."""
        return float(self.distance[i, j])

    def arc_duration(self, s: int, i: int, j: int) -> float:
        """Travel time of ``i -> j`` when leaving in slice ``s``."""
        return float(self.duration[s, i, j])

    @classmethod
    def static(cls, distance: np.ndarray, duration: np.ndarray | None = None) -> TravelTensor:
        """A time-independent tensor; duration defaults to the distance (benchmark convention)."""
        distance = np.ascontiguousarray(distance, dtype=np.float64)
        dur = distance if duration is None else np.asarray(duration, dtype=np.float64)
        return cls(
            distance=distance,
            duration=np.ascontiguousarray(dur[None, :, :]),
            slice_starts=np.zeros(1),
        )
