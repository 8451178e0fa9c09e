"""All-pairs travel-time matrices per departure slice, the form the solver consumes.

Methods (measurements in benchmarks/surrogate/README.md):

- ``exact`` (default): the compiled ensembles (``trees.CompiledEnsemble``) in one fused
  Numba kernel (``_pairs.py``): pair features are built in a per-thread buffer, never as
  a ``[pairs, features]`` matrix; splits on time-of-day features are resolved once per
  slice, so a tree that ignores time is walked once for the whole day; splits on the
  origin's zone (and, with enough points per zone, the destination's) are resolved once
  per group of points sharing it; the median and the quantiles come out of the same
  pass. Same numbers as LightGBM's predict (tested).
- ``lightgbm``: the same matrices through ``Booster.predict`` in blocks; the reference.
- ``factored``: the first slice exactly, then per slice a correction per (origin zone,
  destination zone) learned from the exact model on a fixed sample of pairs:
  ``log t[s, i, j] = log t[0, i, j] + delta[s, zone_i, zone_j]``. An approximation (about
  6 % off exact in log on NYC) that is no longer faster than ``exact`` on a day of
  slices; kept for comparison only, never chosen by ``auto``.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numba
import numpy as np

from surrogate import _pairs
from surrogate.clock import to_unix_seconds
from surrogate.errors import ExtrapolationWarning, TripDataError
from surrogate.features import (
    FEATURE_NAMES,
    TIME_FEATURES,
    pair_features,
    row_features,
    slice_time_features,
)
from surrogate.predictor import CompiledModel
from surrogate.trees import SlicedEnsemble

if TYPE_CHECKING:  # LightGBM loads with a TravelTimeModel, never for CompiledModel's path
    from surrogate.model import TravelTimeModel

logger = logging.getLogger(__name__)

#: pairs per prediction block: 1M rows x 15 float64 features = 120 MB of buffer
BLOCK_PAIRS = 1_000_000
#: origins per task when destinations are not grouped by zone (tasks to share between threads)
ORIGIN_PIECE = 16
#: group destinations by zone from this many points per zone (and at most ZONE_PAIR_SUMS
#: part x slice sums per pair): smaller groups make the per-task rewiring and the per-chunk
#: loops over trees cost more than the zone splits they remove (README speed section)
ZONE_PAIR_MIN_POINTS = 16
ZONE_PAIR_SUMS = 16


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


def predictor_loaded() -> bool:
    """Whether this process has loaded the compiled matrix kernel (the first call in a
    process also initialises Numba: about a second, more under load)."""
    return bool(_pairs.sliced_pair_matrix.overloads)


def load_predictor() -> None:
    """Load the matrix kernel in this process (on an empty cache: compile it), so that a
    worker's first learned job does not pay for it inside its time limit. The kernel's
    types do not depend on the model, so a small one fitted here on the synthetic city
    (about a second) stands in for whichever model the jobs will use."""
    if predictor_loaded():
        return
    from surrogate.model import TravelTimeModel
    from surrogate.synthetic import SyntheticCity

    model = TravelTimeModel(n_estimators=10, n_zones=4, n_threads=1, seed=0)
    model.fit(SyntheticCity().simulate_trips(1500, seed=0))
    fs = model.feature_space_
    predict_matrix(model, np.column_stack([fs.zone_lat, fs.zone_lon]), [1.7e9],
                   quantiles=model.quantiles)


def _check_points(model: TravelTimeModel | CompiledModel, points: np.ndarray) -> np.ndarray:
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


def predict_matrix(model: TravelTimeModel | CompiledModel, points_latlon: np.ndarray,
                   departure_times: Sequence[datetime | float | int] | np.ndarray, *,
                   quantiles: Sequence[float] | None = (0.1, 0.9), method: str = "auto",
                   sample_pairs: int = 8000, block_pairs: int = BLOCK_PAIRS) -> MatrixResult:
    """Predict every (i, j) travel time for each departure slice.

    Parameters
    ----------
    model
        A fitted (or loaded) TravelTimeModel, or a ``CompiledModel`` (method ``exact``
        only: it has no LightGBM boosters).
    points_latlon
        float64 ``[n, 2]`` (lat, lon) in degrees.
    departure_times
        One entry per slice: tz-aware datetimes (naive ones are read in the model's zone)
        or unix seconds.
    quantiles
        Levels to return besides the median (must be among the model's), or None.
    method
        ``"exact"`` (compiled ensembles, the default; ``"auto"`` means it),
        ``"lightgbm"`` (the same numbers through LightGBM's own predict, slower; the
        reference) or ``"factored"`` (zone-pair corrections of the first slice; an
        approximation kept for comparison).
    sample_pairs
        Pairs per slice the factored method predicts exactly (seeded, deterministic).
    block_pairs
        Pairs predicted at once by the ``lightgbm`` method; bounds its memory.

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
    if method not in ("auto", "exact", "lightgbm", "factored"):
        raise ValueError(f"method must be auto, exact, lightgbm or factored, got {method!r}")
    if method in ("lightgbm", "factored") and isinstance(model, CompiledModel):
        raise ValueError(f"method {method!r} needs LightGBM's boosters: load the model as a "
                         "TravelTimeModel (ModelRegistry.load), not compiled")
    if method == "lightgbm":
        return _lightgbm(model, pts, starts, levels, known, block_pairs)
    if method == "factored" and t_count > 1 and n > 1:
        first = _compiled(model, pts, starts[:1], levels, known)
        return _factored(model, pts, starts, levels, known, first, sample_pairs)
    return _compiled(model, pts, starts, levels, known)


def _compiled(model: TravelTimeModel | CompiledModel, pts: np.ndarray, starts: np.ndarray, levels: list[float],
              known: list[float], chunk: int | None = None, zone_pairs: bool | None = None
              ) -> MatrixResult:
    """Every pair of every slice through the compiled ensembles, features fused in.

    ``zone_pairs``: group destinations by zone too (None: when it pays, see
    ``ZONE_PAIR_MIN_POINTS``); a choice of speed only, the numbers are the same.
    """
    fs = model.feature_space_
    n, t_count = len(pts), len(starts)
    lat, lon = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    zone = fs.zones(lat, lon)
    keys = ["median"] + (model.quantile_keys() if levels else [])
    time_vals = slice_time_features(fs, starts)
    fixed = [FEATURE_NAMES.index(f) for f in TIME_FEATURES]
    parts = [model.compiled(k).specialise(fixed, time_vals) for k in keys]
    ens, group_end = SlicedEnsemble.stack(parts)
    offsets = np.array([model.quantile_offsets_.get(k, 0.0) for k in keys])
    below = sum(q < 0.5 for q in known)
    if chunk is None:  # keep the per-thread sums [parts, slices, chunk] within ~128 KB
        chunk = int(min(256, max(16, 16384 // (len(keys) * t_count))))
    out = np.empty((len(keys), t_count, n, n), dtype=np.float32)
    time0 = np.zeros(4)
    dest_by_zone = zone_pairs if zone_pairs is not None else (
        n >= ZONE_PAIR_MIN_POINTS * len(np.unique(zone)) and len(keys) * t_count <= ZONE_PAIR_SUMS)
    groups = _zone_tasks(zone, dest_by_zone, n if dest_by_zone else ORIGIN_PIECE)
    fixed, kinds = _task_fixed(dest_by_zone)
    slot = np.full(len(FEATURE_NAMES), -1, dtype=np.int64)
    slot[fixed] = np.arange(len(fixed))
    # with both zones resolved, a plain model leaves only `v <= threshold` decisions
    lean = dest_by_zone and ens.plain_numerical(fixed)
    with _numba_threads(model._threads()):
        _pairs.sliced_pair_matrix(lat, lon, zone, fs.geo(), fs.pace_table(), time0, *groups,
                                  slot, kinds, ens.links_to(fixed), ens.var_root,
                                  ens.tree_var_start, ens.slice_var, group_end, offsets, below,
                                  *ens.node_arrays(), ens.leaf_value, chunk, lean, out)
    pick = [known.index(next(k for k in known if abs(k - q) < 1e-9)) for q in levels]
    logger.debug("matrix: %d points x %d slices with model %s (%d tree variants)", n, t_count,
                 model.model_id_, ens.var_root.shape[0])
    return MatrixResult(median=out[0], slice_starts=starts, model_id=model.model_id_,
                        quantiles={q: out[1 + c] for q, c in zip(levels, pick, strict=True)})


def _task_fixed(dest_by_zone: bool) -> tuple[np.ndarray, np.ndarray]:
    """Features fixed within a kernel task and their kinds (``_pairs.FIXED_*``).

    The origin's zone and its pace always; the destination's zone, its pace and the pair
    pace when destinations are grouped by zone too.
    """
    pairs = [("origin_zone", _pairs.FIXED_ORIGIN_ZONE), ("origin_pace", _pairs.FIXED_ORIGIN_PACE)]
    if dest_by_zone:
        pairs += [("dest_zone", _pairs.FIXED_DEST_ZONE), ("dest_pace", _pairs.FIXED_DEST_PACE),
                  ("pair_pace", _pairs.FIXED_PAIR_PACE)]
    return (np.array([FEATURE_NAMES.index(f) for f, _ in pairs], dtype=np.int64),
            np.array([k for _, k in pairs], dtype=np.int64))


def _zone_tasks(zone: np.ndarray, dest_by_zone: bool, piece: int
                ) -> tuple[np.ndarray, ...]:
    """Origin and destination groups of points and the kernel's (origin, dest group) tasks.

    Origins are grouped by zone, in pieces of at most ``piece`` points (more tasks to
    share between threads); destinations by zone too when ``dest_by_zone``, else all in
    one group. Returns ``o_order, o_start, d_order, d_start, tasks``:
    group ``g`` is ``o_order[o_start[g] : o_start[g + 1]]`` (the same for destinations),
    ``tasks[k] = (origin group, dest group)`` for every pair of groups in a seeded
    shuffled order (Numba splits a ``prange`` into equal contiguous blocks per thread and
    groups differ widely in size).
    """
    order = np.argsort(zone, kind="stable").astype(np.int64)
    bounds = np.flatnonzero(np.diff(zone[order])) + 1
    z_start = np.concatenate([[0], bounds, [len(zone)]]).astype(np.int64)
    o_start = np.unique(np.concatenate(
        [np.arange(a, b, piece) for a, b in zip(z_start[:-1], z_start[1:], strict=True)]
        + [z_start[-1:]])).astype(np.int64)
    d_start = z_start if dest_by_zone else np.array([0, len(zone)], dtype=np.int64)
    n_o, n_d = len(o_start) - 1, len(d_start) - 1
    tasks = np.stack(np.divmod(np.arange(n_o * n_d, dtype=np.int64), n_d), axis=1)
    tasks = np.ascontiguousarray(tasks[np.random.default_rng(0).permutation(len(tasks))])
    return order, o_start, order, d_start, tasks


@contextmanager
def _numba_threads(n: int) -> Iterator[None]:
    """Run Numba's parallel kernels on at most ``n`` threads, then restore the setting."""
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _lightgbm(model: TravelTimeModel, pts: np.ndarray, starts: np.ndarray, levels: list[float],
              known: list[float], block_pairs: int) -> MatrixResult:
    """Every pair of every slice through LightGBM's own predict (the reference path)."""
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
