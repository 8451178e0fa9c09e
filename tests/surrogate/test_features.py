"""Numba feature kernels against plain-Python references, on fixed and random inputs."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surrogate.features import (
    FEATURE_NAMES,
    PACE_OFFSET_M,
    FeatureSpace,
    fit_pace,
    out_of_fold_means,
    pair_features,
    row_features,
)
from surrogate.geo import EARTH_RADIUS_M, haversine_m

SPACE = FeatureSpace(np.array([40.70, 40.75, 40.80]), np.array([-74.00, -73.97, -73.95]),
                     29.0, "America/New_York")


def _naive(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float, float]:
    """Reference haversine, rotated-Manhattan and bearing, written out plainly."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    hav = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
    dx = EARTH_RADIUS_M * dl * math.cos((p1 + p2) / 2)
    dy = EARTH_RADIUS_M * (p2 - p1)
    ang = math.radians(SPACE.grid_angle_deg)
    grid = abs(dx * math.sin(ang) + dy * math.cos(ang)) + abs(dx * math.cos(ang) - dy * math.sin(ang))
    b = math.degrees(math.atan2(math.sin(dl) * math.cos(p2),
                                math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)))
    return hav, grid, b % 360.0


coord = st.tuples(st.floats(40.6, 40.9), st.floats(-74.1, -73.8))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(coord, coord), min_size=1, max_size=8))
def test_row_kernel_matches_naive(pairs: list) -> None:
    """Distances and bearing from the kernel equal the plain-Python formulas."""
    o = np.array([p[0] for p in pairs])
    d = np.array([p[1] for p in pairs])
    x = row_features(SPACE, o[:, 0].copy(), o[:, 1].copy(), d[:, 0].copy(), d[:, 1].copy(),
                     np.full(len(o), 1.7e9))
    for k in range(len(o)):
        hav, grid, bearing = _naive(o[k, 0], o[k, 1], d[k, 0], d[k, 1])
        assert math.isclose(x[k, 0], hav, rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(x[k, 1], grid, rel_tol=1e-9, abs_tol=1e-6)
        if hav > 1.0:
            assert math.isclose(x[k, 2], bearing, abs_tol=1e-6) or abs(x[k, 2] - bearing) > 359.9


def test_haversine_matches_numpy_reference() -> None:
    """Kernel haversine equals the vectorised numpy version (Times Sq to JFK ~ 20.9 km)."""
    x = row_features(SPACE, np.array([40.7598]), np.array([-73.9842]), np.array([40.6470]),
                     np.array([-73.7865]), np.array([1.7e9]))
    ref = haversine_m(np.array([40.7598]), np.array([-73.9842]), np.array([40.6470]),
                      np.array([-73.7865]))
    assert math.isclose(x[0, 0], ref[0], rel_tol=1e-12) and 20_500 < ref[0] < 21_200


def test_all_pairs_equal_row_features() -> None:
    """The all-pairs kernel gives the same rows as the paired kernel; diagonal bearing 0."""
    rng = np.random.default_rng(0)
    lat = rng.uniform(40.65, 40.85, 7)
    lon = rng.uniform(-74.05, -73.85, 7)
    zone = SPACE.zones(lat, lon)
    allp = pair_features(SPACE, lat, lon, zone, 1.7e9, (0, 7))
    i, j = np.divmod(np.arange(49), 7)
    rows = row_features(SPACE, lat[i], lon[i], lat[j], lon[j], np.full(49, 1.7e9))
    np.testing.assert_array_equal(allp, rows)
    diag = allp[np.arange(7) * 8]
    assert (diag[:, 0] == 0).all() and (diag[:, 2] == 0).all()
    part = pair_features(SPACE, lat, lon, zone, 1.7e9, (2, 5))
    np.testing.assert_array_equal(part, allp[14:35])


def test_time_features_use_local_time() -> None:
    """Monday 08:00 New York time has hour_of_day 8 and day type 0 (weekday)."""
    t = 1704114000.0  # 2024-01-01 08:00 America/New_York (13:00 UTC)
    x = row_features(SPACE, np.array([40.7]), np.array([-74.0]), np.array([40.8]),
                     np.array([-73.9]), np.array([t]))
    names = list(FEATURE_NAMES)
    assert math.isclose(x[0, names.index("hour_of_day")], 8.0, abs_tol=1e-9)
    assert x[0, names.index("day_type")] == 0


def test_zones_are_nearest_centres() -> None:
    """Each point gets the id of its nearest zone centre."""
    z = SPACE.zones(np.array([40.701, 40.799]), np.array([-74.001, -73.951]))
    assert z.tolist() == [0.0, 2.0]


def _pace_trips(n: int = 400) -> pd.DataFrame:
    """Random NYC-box trips with durations, in the generic schema columns fit_pace reads."""
    rng = np.random.default_rng(1)
    return pd.DataFrame({"origin_lat": rng.uniform(40.68, 40.82, n),
                         "origin_lon": rng.uniform(-74.02, -73.93, n),
                         "dest_lat": rng.uniform(40.68, 40.82, n),
                         "dest_lon": rng.uniform(-74.02, -73.93, n),
                         "duration_s": rng.uniform(200.0, 2000.0, n)})


def test_pace_out_of_fold_has_no_leakage() -> None:
    """A trip's out-of-fold pace values do not move when its own duration changes.

    The full tables (used for new trips and matrices) do move: the change is real.
    """
    trips = _pace_trips()
    space, oof = fit_pace(SPACE, trips, folds=5, seed=0)
    changed = trips.copy()
    changed.loc[17, "duration_s"] *= 20.0
    space2, oof2 = fit_pace(SPACE, changed, folds=5, seed=0)
    np.testing.assert_array_equal(oof[17], oof2[17])
    assert not np.array_equal(oof, oof2)  # other folds saw the change
    assert not np.array_equal(space.pace, space2.pace)


def test_out_of_fold_means_never_read_their_own_rows_target() -> None:
    """Each out-of-fold value equals a plain leave-fold-out shrunk mean (own fold excluded,
    global mean of the other folds), whatever the row's own target; the full table is the
    same formula on every row."""
    rng = np.random.default_rng(3)
    n, size, prior = 300, 12, 5.0
    key = rng.integers(0, size - 1, n)  # the last entry is never reached
    resid = rng.normal(size=n) + 0.3 * key
    full, oof = out_of_fold_means((key,), resid, size, folds=4, prior=prior, seed=9)
    fold = np.random.default_rng(9).integers(0, 4, n)

    def shrunk(rows: np.ndarray, entry: int) -> float:
        g = resid[rows].mean()
        mine = rows & (key == entry)
        return float(g + (resid[mine] - g).sum() / (mine.sum() + prior))

    for r in range(0, n, 37):
        assert math.isclose(oof[r, 0], shrunk(fold != fold[r], key[r]), rel_tol=1e-12)
    everyone = np.ones(n, dtype=bool)
    np.testing.assert_allclose(full, [shrunk(everyone, e) for e in range(size)], rtol=1e-12)
    assert full[-1] == resid.mean()
    bumped = resid + np.where(fold == 0, 50.0, 0.0)  # fold 0's own targets move a lot
    _, oof2 = out_of_fold_means((key,), bumped, size, folds=4, prior=prior, seed=9)
    np.testing.assert_array_equal(oof2[fold == 0], oof[fold == 0])
    assert (np.abs(oof2[fold != 0] - oof[fold != 0]) > 1.0).all()  # the other folds see it


def test_pace_tables_shrink_to_the_global_mean() -> None:
    """Table entries are the global mean residual plus deviations over (count + prior)."""
    trips = _pace_trips()
    space, _ = fit_pace(SPACE, trips, prior=1e12)
    resid = np.log(trips["duration_s"]) - np.log(
        haversine_m(trips["origin_lat"], trips["origin_lon"], trips["dest_lat"],
                    trips["dest_lon"]) + PACE_OFFSET_M)
    np.testing.assert_allclose(space.pace, float(resid.mean()), atol=1e-9)


def test_row_features_read_pace_and_rotated_frame() -> None:
    """Pace columns are the table entries of the zones; rotated coordinates match a reference."""
    trips = _pace_trips(50)
    space, _ = fit_pace(SPACE, trips)
    x = row_features(space, trips["origin_lat"].to_numpy(), trips["origin_lon"].to_numpy(),
                     trips["dest_lat"].to_numpy(), trips["dest_lon"].to_numpy(),
                     np.full(50, 1.7e9))
    names = list(FEATURE_NAMES)
    k = space.n_zones
    zo = space.zones(trips["origin_lat"].to_numpy(), trips["origin_lon"].to_numpy()).astype(int)
    zd = space.zones(trips["dest_lat"].to_numpy(), trips["dest_lon"].to_numpy()).astype(int)
    np.testing.assert_array_equal(x[:, names.index("pair_pace")], space.pace[zo * k + zd])
    np.testing.assert_array_equal(x[:, names.index("origin_pace")], space.pace[k * k + zo])
    np.testing.assert_array_equal(x[:, names.index("dest_pace")], space.pace[k * k + k + zd])
    lat0, lon0 = float(np.mean(SPACE.zone_lat)), float(np.mean(SPACE.zone_lon))
    m = EARTH_RADIUS_M * math.pi / 180.0
    a = math.radians(SPACE.grid_angle_deg)
    for r in range(5):
        ex = (trips["dest_lon"][r] - lon0) * math.cos(math.radians(lat0)) * m
        ey = (trips["dest_lat"][r] - lat0) * m
        assert math.isclose(x[r, names.index("dest_u")], ex * math.sin(a) + ey * math.cos(a),
                            abs_tol=1e-6)
        assert math.isclose(x[r, names.index("dest_v")], ex * math.cos(a) - ey * math.sin(a),
                            abs_tol=1e-6)
    du = np.abs(x[:, names.index("dest_u")] - x[:, names.index("origin_u")])
    np.testing.assert_allclose(x[:, names.index("grid_du")], du, rtol=1e-12)


def test_feature_space_round_trips_through_json() -> None:
    """to_dict / from_dict (via JSON) keep zones, centre and pace; a bad pace length fails."""
    space, _ = fit_pace(dataclasses.replace(SPACE, centre=(40.75, -73.97)), _pace_trips())
    back = FeatureSpace.from_dict(json.loads(json.dumps(space.to_dict())))
    np.testing.assert_array_equal(back.pace, space.pace)
    np.testing.assert_array_equal(back.geo(), space.geo())
    bad = space.to_dict()
    bad["pace"] = [0.0, 1.0]
    with pytest.raises(ValueError, match="pace"):
        FeatureSpace.from_dict(bad)
