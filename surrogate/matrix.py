"""All-pairs travel-time matrices per departure slice, the form the solver consumes.

Speed (measured on 2 cores, see benchmarks/surrogate/README.md): feature building in
Numba is ~0.1 s per million pairs; LightGBM's predict is the cost (~1.7 M rows/s for the
lean default model), so two methods exist:

- ``exact``: every pair of every slice through the boosters, in blocks reusing a buffer.
- ``factored``: the first slice exactly, then per slice a correction per (origin zone,
  destination zone) learned from the exact model on a fixed sample of pairs:
  ``log t[s, i, j] = log t[0, i, j] + delta[s, zone_i, zone_j]``. Pair detail comes from
  the exact slice, time-of-day from the zone-pair deltas; cost grows with
  ``n^2 + slices x sample`` instead of ``slices x n^2``. Its error against ``exact`` is
  measured in the benchmark.
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
from surrogate.features import pair_features, row_features
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
                   quantiles: Sequence[float] | None = (0.1, 0.9), method: str = "auto",
                   sample_pairs: int = 8000, block_pairs: int = BLOCK_PAIRS) -> MatrixResult:
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
    method
        ``"exact"``, ``"factored"`` or ``"auto"`` (factored when there are at least 4
        slices and more pairs per slice than ``2 * sample_pairs``).
    sample_pairs
        Pairs per slice the factored method predicts exactly (seeded, deterministic).
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
    if method not in ("auto", "exact", "factored"):
        raise ValueError(f"method must be auto, exact or factored, got {method!r}")
    if method == "auto":
        method = "factored" if t_count >= 4 and n * n > 2 * sample_pairs else "exact"
    if method == "factored" and t_count > 1 and n > 1:
        first = _exact(model, pts, starts[:1], levels, known, block_pairs)
        return _factored(model, pts, starts, levels, known, first, sample_pairs)
    return _exact(model, pts, starts, levels, known, block_pairs)


def _exact(model: TravelTimeModel, pts: np.ndarray, starts: np.ndarray, levels: list[float],
           known: list[float], block_pairs: int) -> MatrixResult:
    """Every pair of every slice through the boosters."""
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


def _factored(model: TravelTimeModel, pts: np.ndarray, starts: np.ndarray, levels: list[float],
              known: list[float], first: MatrixResult, sample_pairs: int) -> MatrixResult:
    """Exact first slice plus per-slice zone-pair corrections (see the module docstring)."""
    n, t_count = len(pts), len(starts)
    fs = model.feature_space_
    lat, lon = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    zone = fs.zones(lat, lon).astype(np.int64)
    k = fs.n_zones
    rng = np.random.default_rng(0)
    m = min(sample_pairs, n * (n - 1))
    si = rng.integers(0, n, size=m)
    sj = (si + rng.integers(1, n, size=m)) % n  # never the diagonal
    rep = np.repeat(starts, m)
    x = row_features(fs, np.tile(lat[si], t_count), np.tile(lon[si], t_count),
                     np.tile(lat[sj], t_count), np.tile(lon[sj], t_count), rep)
    zp_sample = zone[si] * k + zone[sj]
    zp_matrix = (zone[:, None] * k + zone[None, :]).ravel()
    med_rows = np.log(model.predict_features(x)).reshape(t_count, m)
    outs: dict[str, np.ndarray] = {"median": _spread(
        _log0(first.median[0]), med_rows, si, sj, zp_sample, zp_matrix, k)}
    if levels:
        qs = np.log(model.sorted_quantiles(x, np.exp(med_rows.ravel())))
        for q in levels:
            col = known.index(next(kq for kq in known if abs(kq - q) < 1e-9))
            ref = _log0(first.quantiles[q][0])
            outs[f"{q:g}"] = _spread(ref, qs[:, col].reshape(t_count, m), si, sj, zp_sample,
                                     zp_matrix, k)
    median = outs["median"]
    quant = {}
    for q in levels:
        arr = outs[f"{q:g}"]
        # keep the bands on their side of the median after the separate corrections
        quant[q] = np.minimum(arr, median) if q < 0.5 else np.maximum(arr, median)
    return MatrixResult(median=median, slice_starts=starts, model_id=model.model_id_,
                        quantiles=quant)


def _log0(a: np.ndarray) -> np.ndarray:
    """log of a matrix whose diagonal is 0 (-inf there, restored to 0 by _spread)."""
    with np.errstate(divide="ignore"):
        return np.log(a.astype(np.float64))


def _spread(log_ref: np.ndarray, log_rows: np.ndarray, si: np.ndarray, sj: np.ndarray,
            zp_sample: np.ndarray, zp_matrix: np.ndarray, k: int, shrink: float = 5.0
            ) -> np.ndarray:
    """float32 ``[T, n, n]``: reference slice times exp(zone-pair delta of each slice).

    Zone pairs with few sampled pairs shrink toward the slice's overall delta.
    """
    n = log_ref.shape[0]
    with np.errstate(divide="ignore"):
        ref_s = log_ref[si, sj]
    delta = log_rows - ref_s[None, :]
    count = np.bincount(zp_sample, minlength=k * k).astype(np.float64)
    out = np.empty((log_rows.shape[0], n, n), dtype=np.float32)
    diag = np.arange(n)
    for t in range(log_rows.shape[0]):
        overall = float(delta[t].mean())
        sums = np.bincount(zp_sample, weights=delta[t], minlength=k * k)
        table = (sums + shrink * overall) / (count + shrink)
        with np.errstate(divide="ignore"):
            out[t] = np.exp(log_ref + table[zp_matrix].reshape(n, n)).astype(np.float32)
        out[t, diag, diag] = 0.0
    return out
