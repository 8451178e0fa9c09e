"""Coordinate-only Euclidean travel: each arc computed when read, memory O(L) not O(L^2).

Used for large planar problems without an explicit matrix (``build_travel``'s
``dense_limit``): a 10,000-stop dense matrix alone is 800 MB, and building it took
several times that in temporaries. Distances use the dense path's formula
(``euclidean.euclidean``), so both modes give bit-identical numbers; durations are
distance / speed as in the dense path. Travel is static (one slice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from solver.errors import UnsupportedFeatureError
from solver.travel.euclidean import check_rounding, euclidean

_CHUNK = 1 << 20  # point pairs per block when scanning for the longest arc


class DenseTravelRequired(UnsupportedFeatureError):
    """A component needs an explicit ``[L, L]`` matrix but travel is coordinate-only."""


@dataclass(frozen=True, eq=False)
class CoordinateTravel:
    """Euclidean travel between ``coords[L, 2]`` (node order), computed per arc.

    Offers what the evaluator and the engines read per arc (``arc_distance``,
    ``arc_duration``) and vectorised ``distances``; reading ``distance``/``duration``
    (the dense tensors) raises ``DenseTravelRequired`` naming the reason.
    """

    coords: np.ndarray
    rounding: str = "exact"
    speed: float = 1.0
    slice_starts: np.ndarray = field(default_factory=lambda: np.zeros(1))
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)
    model_id: str | None = None
    dense: ClassVar[bool] = False
    time_dependent: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_rounding(self.rounding)
        if self.coords.ndim != 2 or self.coords.shape[1] != 2:
            raise ValueError(f"coords must be [L, 2], got {self.coords.shape}")
        if not self.speed > 0:
            raise ValueError(f"speed must be positive, got {self.speed}")

    @property
    def n_locations(self) -> int:
        return int(self.coords.shape[0])

    def arc_distance(self, i: int, j: int) -> float:
        return float(euclidean(self.coords[i], self.coords[j], self.rounding))

    def arc_duration(self, s: int, i: int, j: int) -> float:
        """Travel time of ``i -> j`` (``s`` is the slice, always 0 here)."""
        return self._duration(self.arc_distance(i, j))

    def distances(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Distances of the arcs ``i[...] -> j[...]`` (index arrays, broadcast)."""
        return euclidean(self.coords[i], self.coords[j], self.rounding)

    def durations(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return self._duration(self.distances(i, j))

    def _duration(self, d):
        # The dense path stores the distance itself when speed is 1 (x / 1.0 == x).
        return d if self.speed == 1.0 else d / self.speed

    def max_distance(self) -> float:
        """The longest arc, without the matrix: the farthest pair lies on the convex
        hull, and the rounding is monotone, so scanning hull pairs is exact."""
        from scipy.spatial import ConvexHull, QhullError  # 1.6 s to import; rarely needed

        pts = np.arange(self.n_locations)
        try:
            pts = ConvexHull(self.coords).vertices
        except (QhullError, ValueError):  # fewer than 3 points, or all collinear
            pass
        best = 0.0
        rows = max(_CHUNK // max(pts.size, 1), 1)
        for lo in range(0, pts.size, rows):
            block = self.distances(pts[lo:lo + rows, None], pts[None, :])
            best = max(best, float(block.max(initial=0.0)))
        return best

    def max_duration(self) -> float:
        return float(self._duration(self.max_distance()))

    @property
    def distance(self) -> np.ndarray:
        raise DenseTravelRequired(self.why_not_dense("code reading travel.distance"))

    @property
    def duration(self) -> np.ndarray:
        raise DenseTravelRequired(self.why_not_dense("code reading travel.duration"))

    def why_not_dense(self, who: str) -> str:
        return (f"{who} needs a dense matrix; problem has {self.n_locations:,} locations "
                "in coordinate-only mode (Euclidean travel computed per arc, see "
                "solver.travel.build.DENSE_LIMIT)")


def require_dense(travel: object, who: str) -> None:
    """Raise ``DenseTravelRequired`` naming ``who`` when ``travel`` is coordinate-only."""
    if isinstance(travel, CoordinateTravel):
        raise DenseTravelRequired(travel.why_not_dense(who))
