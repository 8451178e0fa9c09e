"""predict_matrix: agreement with row-wise predictions, diagonal, quantiles, methods."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surrogate import TravelTimeModel, TripDataError, cache_key, predict_matrix

T0 = pd.Timestamp("2024-01-22 08:00", tz="UTC")


def test_matrix_matches_row_wise_predictions(model: TravelTimeModel, points: np.ndarray) -> None:
    """Every off-diagonal cell equals predict_pairs for that (i, j) and departure."""
    res = predict_matrix(model, points, [T0, T0 + pd.Timedelta(hours=9)], quantiles=None,
                         method="exact")
    n = len(points)
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    for t, start in enumerate(res.slice_starts):
        rows = model.predict_pairs(points[i], points[j], np.full(len(i), start))
        np.testing.assert_allclose(res.median[t, i, j], rows, rtol=1e-6)
    assert res.median.dtype == np.float32 and res.median.shape == (2, n, n)
    assert (np.diagonal(res.median, axis1=1, axis2=2) == 0).all()
    assert res.model_id == model.model_id_


def test_block_size_does_not_change_results(model: TravelTimeModel, points: np.ndarray) -> None:
    """The LightGBM path gives the same matrix in small blocks as in one block."""
    a = predict_matrix(model, points, [T0], quantiles=(0.1, 0.9), method="lightgbm")
    b = predict_matrix(model, points, [T0], quantiles=(0.1, 0.9), method="lightgbm",
                       block_pairs=60)
    np.testing.assert_array_equal(a.median, b.median)
    np.testing.assert_array_equal(a.quantiles[0.9], b.quantiles[0.9])


def test_matrix_quantiles_bracket_the_median(model: TravelTimeModel, points: np.ndarray) -> None:
    """p10 <= median <= p90 in every cell, for both methods."""
    times = [T0 + pd.Timedelta(minutes=15 * k) for k in range(6)]
    for method in ("exact", "factored"):
        r = predict_matrix(model, points, times, method=method, sample_pairs=200)
        assert (r.quantiles[0.1] <= r.median).all() and (r.median <= r.quantiles[0.9]).all()


def test_factored_is_exact_on_first_slice_and_close_after(model: TravelTimeModel,
                                                          points: np.ndarray) -> None:
    """The factored method equals exact on slice 0 and stays within ~15 % in log after."""
    times = [T0 + pd.Timedelta(hours=h) for h in range(0, 12, 2)]
    ex = predict_matrix(model, points, times, quantiles=None, method="exact")
    fa = predict_matrix(model, points, times, quantiles=None, method="factored", sample_pairs=400)
    np.testing.assert_allclose(fa.median[0], ex.median[0], rtol=1e-6)
    off = ~np.eye(len(points), dtype=bool)
    err = np.sqrt(np.mean((np.log(fa.median[:, off]) - np.log(ex.median[:, off])) ** 2))
    assert err < 0.15


def test_unix_seconds_and_datetimes_agree(model: TravelTimeModel, points: np.ndarray) -> None:
    """Slices given as unix seconds or tz-aware datetimes give the same matrix."""
    a = predict_matrix(model, points, [T0], quantiles=None)
    b = predict_matrix(model, points, [T0.timestamp()], quantiles=None)
    np.testing.assert_array_equal(a.median, b.median)
    assert b.slice_starts[0] == T0.timestamp()


def test_bad_points_and_quantiles_raise(model: TravelTimeModel, points: np.ndarray) -> None:
    """NaN points raise TripDataError; an untrained quantile level raises ValueError."""
    bad = points.copy()
    bad[0, 0] = np.nan
    with pytest.raises(TripDataError):
        predict_matrix(model, bad, [T0])
    with pytest.raises(ValueError, match="not trained"):
        predict_matrix(model, points, [T0], quantiles=(0.25,))


def test_cache_key_changes_with_inputs(points: np.ndarray) -> None:
    """The cache key depends on the model id, the points and the slices."""
    k = cache_key("m1", points, np.array([0.0]))
    assert k == cache_key("m1", points.copy(), np.array([0.0]))
    assert k != cache_key("m2", points, np.array([0.0]))
    assert k != cache_key("m1", points[::-1], np.array([0.0]))
    assert k != cache_key("m1", points, np.array([900.0]))


def _day(k: int) -> list[pd.Timestamp]:
    return [T0 + pd.Timedelta(minutes=15 * s) for s in range(k)]


def test_compiled_equals_lightgbm_path(model: TravelTimeModel, points: np.ndarray) -> None:
    """method="exact" (compiled, fused) gives LightGBM's matrices: median and both quantiles."""
    times = _day(12) + [T0 + pd.Timedelta(days=5, hours=h) for h in (3, 17)]  # a weekend too
    ex = predict_matrix(model, points, times, method="exact")
    ref = predict_matrix(model, points, times, method="lightgbm")
    np.testing.assert_allclose(ex.median, ref.median, rtol=1e-6)
    for q in (0.1, 0.9):
        np.testing.assert_allclose(ex.quantiles[q], ref.quantiles[q], rtol=1e-6)
    one = predict_matrix(model, points, times, quantiles=(0.9,), method="exact")
    np.testing.assert_array_equal(one.quantiles[0.9], ex.quantiles[0.9])
    np.testing.assert_array_equal(one.median, ex.median)


def _matrix_in_worker(model_dir: str, points: np.ndarray) -> np.ndarray:
    m = TravelTimeModel.load(model_dir)
    return predict_matrix(m, points, _day(4), method="exact").quantiles[0.9]


def test_parallel_kernel_in_spawned_processes(model: TravelTimeModel, points: np.ndarray,
                                              tmp_path: Path) -> None:
    """The cached parallel kernel gives the same matrix in spawned worker processes.

    Caching plus multiprocessing is a known Numba risk (numbagg); workers run the kernel
    at once, each loading the on-disk cache.
    """
    model_dir = str(model.save(tmp_path / "m"))
    here = predict_matrix(model, points, _day(4), method="exact").quantiles[0.9]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        results = list(pool.map(_matrix_in_worker, [model_dir] * 2, [points] * 2))
    for r in results:
        np.testing.assert_array_equal(r, here)


@pytest.mark.parametrize("lean", [True, False])
def test_zone_pair_tasks_give_the_same_matrices(model: TravelTimeModel, city,
                                                monkeypatch: pytest.MonkeyPatch,
                                                lean: bool) -> None:
    """Resolving destination zones and pace encodings per task (lean walk or not) changes
    no bit, and matches LightGBM, duplicated points (zero distances off the diagonal)
    included."""
    from surrogate import matrix
    from surrogate.features import FEATURE_NAMES, PACE_FEATURES

    pts = city.sample_locations(200, np.random.default_rng(7))
    pts[150:160] = pts[:10]  # same place, different index: zero-valued pair features
    ens = model.compiled("median")
    assert ens.specialise([11], np.zeros((1, 1))).plain_numerical([9, 10])  # lean is reached
    assert np.isin(ens.feature, [FEATURE_NAMES.index(f) for f in PACE_FEATURES]).any()
    if not lean:
        monkeypatch.setattr(matrix.SlicedEnsemble, "plain_numerical", lambda self, f: False)
    starts = np.array([T0.timestamp(), (T0 + pd.Timedelta(hours=9)).timestamp()])
    known = sorted(model.quantiles)
    for slices, levels in ((starts[:1], []), (starts, [0.1, 0.9])):
        by_zone = matrix._compiled(model, pts, slices, levels, known, zone_pairs=True)
        mixed = matrix._compiled(model, pts, slices, levels, known, zone_pairs=False)
        np.testing.assert_array_equal(by_zone.median, mixed.median)
        for q in levels:
            np.testing.assert_array_equal(by_zone.quantiles[q], mixed.quantiles[q])
    ref = predict_matrix(model, pts, starts, method="lightgbm")
    np.testing.assert_allclose(by_zone.median, ref.median, rtol=1e-6)
    np.testing.assert_allclose(by_zone.quantiles[0.9], ref.quantiles[0.9], rtol=1e-6)
