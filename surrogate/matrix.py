"""All-pairs travel-time matrices per departure slice, the form the solver consumes.

Speed (measured on 2 cores, NYC model, see benchmarks/surrogate): feature building in
Numba is ~0.1 s per million pairs; LightGBM's predict is the cost, so the default model is
lean (31 leaves, early-stopped) and pairs are predicted in blocks that reuse one buffer.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from surrogate.clock import to_unix_seconds
from surrogate.errors import ExtrapolationWarning, TripDataError
from surrogate.features import pair_features
from surrogate.model import TravelTimeModel

logger = logging.getLogger(__name__)

#: pairs per prediction block: 1M rows x 15 float64 features = 120 MB of buffer
BLOCK_PAIRS = 1_000_000


@dataclass(frozen=True)
class MatrixResult:
    """Predicted travel times between every pair of points, per departure slice.

    Attributes
    ----------
    median
        float32 ``[T, n, n]`` seconds: ``median[t, i, j]`` from point i to j leaving at
        ``slice_starts[t]``; the diagonal is 0.
    quantiles
        float32 ``[T, n, n]`` per requested level (e.g. 0.1, 0.9), never crossing the median.
    slice_starts
        float64 ``[T]`` unix seconds of each slice.
    model_id
        Identifier of the model that produced the times.
    """

    median: np.ndarray
    slice_starts: np.ndarray
    model_id: str
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)


def cache_key(model_id: str, points_latlon: np.ndarray, slice_starts: np.ndarray,
              quantiles: Sequence[float] | None = None) -> str:
    """Stable key for a matrix: (model version, locations hash, slices, quantiles)."""
    h = hashlib.sha256(model_id.encode())
    h.update(np.ascontiguousarray(points_latlon, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(slice_starts, dtype=np.float64).tobytes())
    h.update(repr(tuple(sorted(quantiles or ()))).encode())
    return h.hexdigest()


def _check_points(model: TravelTimeModel, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise TripDataError(f"points must be a non-empty [n, 2] lat/lon array, got {pts.shape}")
    if not np.isfinite(pts).all():
        raise TripDataError("points contain NaN or infinite coordinates")
    if (np.abs(pts[:, 0]) > 90).any() or (np.abs(pts[:, 1]) > 180).any():
        raise TripDataError("points must be (lat, lon) in degrees; some are out of range")
    fs = model.feature_space_
    pad_lat = 0.2 * (fs.zone_lat.max() - fs.zone_lat.min()) + 0.01
    pad_lon = 0.2 * (fs.zone_lon.max() - fs.zone_lon.min()) + 0.01
    outside = ((pts[:, 0] < fs.zone_lat.min() - pad_lat) | (pts[:, 0] > fs.zone_lat.max() + pad_lat)
               | (pts[:, 1] < fs.zone_lon.min() - pad_lon) | (pts[:, 1] > fs.zone_lon.max() + pad_lon))
    if outside.any():
        warnings.warn(f"{int(outside.sum())} of {len(pts)} points lie outside the area the model "
                      "was trained on", ExtrapolationWarning, stacklevel=3)
    return pts


def predict_matrix(model: TravelTimeModel, points_latlon: np.ndarray,
                   departure_times: Sequence[datetime | float | int] | np.ndarray, *,
                   quantiles: Sequence[float] | None = (0.1, 0.9),
                   block_pairs: int = BLOCK_PAIRS) -> MatrixResult:
    """Predict every (i, j) travel time for each departure slice.

    Parameters
    ----------
    model
        A fitted (or loaded) TravelTimeModel.
    points_latlon
        float64 ``[n, 2]`` (lat, lon) in degrees.
    departure_times
        One entry per slice: tz-aware datetimes (naive ones are read in the model's zone)
        or unix seconds.
    quantiles
        Levels to return besides the median (must be among the model's), or None.
    block_pairs
        Pairs predicted at once; bounds memory for large n.

    Returns
    -------
    MatrixResult

    Raises
    ------
    NotFittedError, TripDataError, ValueError (unknown quantile level)
    """
    model._check_fitted()
    pts = _check_points(model, points_latlon)
    levels = sorted(quantiles or ())
    known = sorted(model.quantiles)
    for q in levels:
        if not any(abs(q - k) < 1e-9 for k in known):
            raise ValueError(f"quantile {q} was not trained; this model has {known}")
    starts = to_unix_seconds(departure_times, model.feature_space_.tz)
    if len(starts) == 0:
        raise ValueError("departure_times is empty: give at least one slice start")
    n, t_count = len(pts), len(starts)
    lat, lon = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    zone = model.feature_space_.zones(lat, lon)
    median = np.empty((t_count, n, n), dtype=np.float32)
    qout = {q: np.empty((t_count, n, n), dtype=np.float32) for q in levels}
    pick = [known.index(next(k for k in known if abs(k - q) < 1e-9)) for q in levels]
    rows_per_block = max(1, block_pairs // n)
    buf: np.ndarray | None = None
    for t, start in enumerate(starts):
        for r0 in range(0, n, rows_per_block):
            r1 = min(n, r0 + rows_per_block)
            x = pair_features(model.feature_space_, lat, lon, zone, float(start), (r0, r1), buf)
            buf = x if buf is None else buf
            med = model.predict_features(x)
            median[t, r0:r1] = med.reshape(r1 - r0, n)
            if levels:
                qs = model.sorted_quantiles(x, med)
                for q, col in zip(levels, pick, strict=True):
                    qout[q][t, r0:r1] = qs[:, col].reshape(r1 - r0, n)
        idx = np.arange(n)
        median[t, idx, idx] = 0.0
        for q in levels:
            qout[q][t, idx, idx] = 0.0
    logger.debug("matrix: %d points x %d slices with model %s", n, t_count, model.model_id_)
    return MatrixResult(median=median, slice_starts=starts, model_id=model.model_id_,
                        quantiles=qout)
