"""Feature definitions (names, order, dtypes) and the wrappers around the kernels.

A ``FeatureSpace`` holds what features learn from the training trips: zone centres
(k-means on trip end points), the street-grid angle, the centre of the rotated frame and
the zone pace encodings. It is stored in the model's sidecar (JSON), so features at
predict time, for any (lat, lon), are built exactly as at fit time.

Feature sets: ``v1`` (the first 15 features, models of format 1) and ``v2`` (all):
rotated coordinates of both ends, the grid-aligned components of the trip, and the
pace encodings: the smoothed mean of ``log(duration) - log(haversine + 200 m)`` per
(origin zone, destination zone), per origin zone and per destination zone, learned from
the training part only; training rows get out-of-fold values (:func:`fit_pace`) so a
row's own duration never reaches its features. New features are appended, so a ``v1``
model reads the first 15 columns of the same rows.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from surrogate import _kernels
from surrogate.clock import day_type, hour_of_week, to_unix_seconds
from surrogate.geo import EARTH_RADIUS_M, haversine_m

if TYPE_CHECKING:  # trips are DataFrames; predicting a matrix never imports pandas
    import pandas as pd

FEATURE_NAMES: tuple[str, ...] = (
    "haversine_m", "grid_m", "bearing_deg", "dx_m", "dy_m",
    "origin_lat", "origin_lon", "dest_lat", "dest_lon",
    "origin_zone", "dest_zone",
    "how_sin", "how_cos", "hour_of_day", "day_type",
    "origin_u", "origin_v", "dest_u", "dest_v", "grid_du", "grid_dv",
    "pair_pace", "origin_pace", "dest_pace",
)
#: number of leading FEATURE_NAMES each feature set uses
FEATURE_SETS: dict[str, int] = {"v1": 15, "v2": len(FEATURE_NAMES)}
#: pace features: filled out-of-fold for training rows
PACE_FEATURES: tuple[str, ...] = ("pair_pace", "origin_pace", "dest_pace")
#: meters added to the straight-line distance in the pace residual (very short trips)
PACE_OFFSET_M = 200.0
CATEGORICAL: tuple[str, ...] = ("origin_zone", "dest_zone")
#: features that depend only on the departure time: constant within a matrix slice
TIME_FEATURES: tuple[str, ...] = ("how_sin", "how_cos", "hour_of_day", "day_type")
assert len(FEATURE_NAMES) == _kernels.N_FEATURES


@dataclass(frozen=True)
class FeatureSpace:
    """What the features learned from training points (JSON-serialisable)."""

    zone_lat: np.ndarray = field(repr=False)
    zone_lon: np.ndarray = field(repr=False)
    grid_angle_deg: float
    tz: str
    #: (lat, lon) origin of the rotated frame; None: the mean zone centre
    centre: tuple[float, float] | None = None
    #: pace encodings ``[k * k + 2 k]`` (pair, origin, destination); None: all 0
    pace: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_zones(self) -> int:
        return int(self.zone_lat.shape[0])

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "zone_lat": self.zone_lat.tolist(), "zone_lon": self.zone_lon.tolist(),
            "grid_angle_deg": self.grid_angle_deg, "tz": self.tz}
        if self.centre is not None:
            out["centre"] = list(self.centre)
        if self.pace is not None:
            out["pace"] = self.pace.tolist()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FeatureSpace:
        """Inverse of ``to_dict`` (format-1 sidecars have no centre and no pace)."""
        centre = d.get("centre")
        pace = d.get("pace")
        space = cls(np.asarray(d["zone_lat"], dtype=np.float64),
                    np.asarray(d["zone_lon"], dtype=np.float64),
                    float(d["grid_angle_deg"]), str(d["tz"]),  # type: ignore[arg-type]
                    None if centre is None else (float(centre[0]), float(centre[1])),  # type: ignore[index]
                    None if pace is None else np.asarray(pace, dtype=np.float64))
        if space.pace is not None and space.pace.shape != (space.n_zones * (space.n_zones + 2),):
            raise ValueError(f"feature space: pace has {space.pace.shape[0]} values for "
                             f"{space.n_zones} zones (need k * k + 2 k)")
        return space

    def geo(self) -> np.ndarray:
        """The kernels' ``geo`` vector: sin, cos of the grid angle, centre lat, lon, cos lat, k."""
        lat0, lon0 = self.centre if self.centre is not None else (
            float(np.mean(self.zone_lat)), float(np.mean(self.zone_lon)))
        a = math.radians(self.grid_angle_deg)
        return np.array([math.sin(a), math.cos(a), lat0, lon0, math.cos(math.radians(lat0)),
                         float(self.n_zones)])

    def pace_table(self) -> np.ndarray:
        """The kernels' ``pace`` vector (zeros when no encoding was learned)."""
        if self.pace is None:
            return np.zeros(self.n_zones * (self.n_zones + 2))
        return self.pace

    def zones(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Zone id (float64, as LightGBM reads it) of each point."""
        out = np.empty(len(lat), dtype=np.int64)
        _kernels.nearest_zone(np.ascontiguousarray(lat, dtype=np.float64),
                              np.ascontiguousarray(lon, dtype=np.float64),
                              self.zone_lat, self.zone_lon, out)
        return out.astype(np.float64)

    def time_features(self, unix_s: np.ndarray) -> tuple[np.ndarray, ...]:
        """(how_sin, how_cos, hour_of_day, day_type) for each instant, local time."""
        how = hour_of_week(unix_s, self.tz)
        ang = 2.0 * np.pi * how / 168.0
        return np.sin(ang), np.cos(ang), np.mod(how, 24.0), day_type(how)


def estimate_grid_angle(trips: pd.DataFrame) -> float:
    """Dominant street orientation in degrees [0, 90) from trip bearings.

    Trips run mostly along streets, so bearings cluster at the grid angle plus multiples
    of 90 degrees; the circular mean of 4 x bearing recovers it (Manhattan: about 29).
    """
    p1, p2 = np.radians(trips["origin_lat"].to_numpy()), np.radians(trips["dest_lat"].to_numpy())
    dl = np.radians(trips["dest_lon"].to_numpy() - trips["origin_lon"].to_numpy())
    b = np.arctan2(np.sin(dl) * np.cos(p2),
                   np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl))
    ang = math.atan2(np.mean(np.sin(4 * b)), np.mean(np.cos(4 * b))) / 4.0
    return float(np.mod(np.degrees(ang), 90.0))


def fit_zones(lat: np.ndarray, lon: np.ndarray, n_zones: int, seed: int,
              max_points: int = 20_000, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Zone centres by k-means (Lloyd) on a seeded sample of points, in local meters."""
    rng = np.random.default_rng(seed)
    if len(lat) > max_points:
        pick = rng.choice(len(lat), max_points, replace=False)
        lat, lon = lat[pick], lon[pick]
    lat0 = float(np.mean(lat))
    c = math.cos(math.radians(lat0))
    xy = np.column_stack([lon * c, lat]) * (math.pi / 180.0) * EARTH_RADIUS_M
    k = int(min(n_zones, len(np.unique(xy, axis=0))))
    centres = xy[rng.choice(len(xy), k, replace=False)]
    for _ in range(iterations):
        d = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = d.argmin(axis=1)
        for z in range(k):
            members = xy[label == z]
            if len(members):
                centres[z] = members.mean(axis=0)
    zlat = centres[:, 1] / EARTH_RADIUS_M * 180.0 / math.pi
    zlon = centres[:, 0] / EARTH_RADIUS_M * 180.0 / math.pi / c
    order = np.lexsort((zlon, zlat))  # stable ids regardless of k-means labels
    return np.ascontiguousarray(zlat[order]), np.ascontiguousarray(zlon[order])


def fit_feature_space(trips: pd.DataFrame, *, n_zones: int, seed: int,
                      grid_angle_deg: float | None, tz: str) -> FeatureSpace:
    """Learn zones (from origins and destinations), the grid angle and the frame centre."""
    lat = np.concatenate([trips["origin_lat"].to_numpy(), trips["dest_lat"].to_numpy()])
    lon = np.concatenate([trips["origin_lon"].to_numpy(), trips["dest_lon"].to_numpy()])
    zlat, zlon = fit_zones(lat, lon, n_zones, seed)
    angle = estimate_grid_angle(trips) if grid_angle_deg is None else float(grid_angle_deg)
    return FeatureSpace(zlat, zlon, angle, tz, (float(np.mean(lat)), float(np.mean(lon))))


def out_of_fold_means(keys: tuple[np.ndarray, ...], resid: np.ndarray, size: int, *,
                      folds: int = 5, prior: float = 20.0, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Shrunk mean encodings of ``resid`` in one table of ``size`` entries, and out-of-fold values.

    Each key array maps rows to table entries (several arrays may share the table, in
    disjoint ranges). An entry is the global mean plus the summed deviations of its rows
    over ``count + prior``; entries no row reaches keep the global mean. Returns the table
    fitted on all rows and ``oof[n, len(keys)]``: each row's values from a table fitted
    without its fold (seeded random folds), so no row's own target reaches its encoding.
    """
    def table(mask: np.ndarray) -> np.ndarray:
        g = float(resid[mask].mean()) if mask.any() else 0.0
        out = np.full(size, g)
        for key in keys:
            dev = np.bincount(key[mask], resid[mask] - g, minlength=size)
            cnt = np.bincount(key[mask], minlength=size)
            hit = cnt > 0
            out[hit] = g + dev[hit] / (cnt[hit] + prior)
        return out

    fold = np.random.default_rng(seed).integers(0, folds, len(resid))
    oof = np.empty((len(resid), len(keys)))
    for f in range(folds):
        held = fold == f
        if held.any():
            t = table(~held)
            for c, key in enumerate(keys):
                oof[held, c] = t[key[held]]
    return table(np.ones(len(resid), dtype=np.bool_)), oof


def fit_pace(space: FeatureSpace, trips: pd.DataFrame, *, folds: int = 5, prior: float = 20.0,
             seed: int = 0) -> tuple[FeatureSpace, np.ndarray]:
    """Pace encodings learned from ``trips``, and out-of-fold values for those same trips.

    Each table entry is the global mean residual ``log(duration) - log(haversine +
    PACE_OFFSET_M)`` plus the zone's (or zone pair's) summed deviation over ``count +
    prior``: few trips shrink toward the global mean. The returned space carries tables
    fitted on all of ``trips`` (for new trips and matrices); the ``[n, 3]`` array holds,
    for each trip, the values from tables fitted without its fold (seeded random folds),
    so no trip's own duration is in its own features.
    """
    k = space.n_zones
    olat, olon = trips["origin_lat"].to_numpy(np.float64), trips["origin_lon"].to_numpy(np.float64)
    dlat, dlon = trips["dest_lat"].to_numpy(np.float64), trips["dest_lon"].to_numpy(np.float64)
    zo = space.zones(olat, olon).astype(np.int64)
    zd = space.zones(dlat, dlon).astype(np.int64)
    keys = (zo * k + zd, k * k + zo, k * k + k + zd)
    resid = (np.log(trips["duration_s"].to_numpy(np.float64))
             - np.log(haversine_m(olat, olon, dlat, dlon) + PACE_OFFSET_M))
    full, oof = out_of_fold_means(keys, resid, k * (k + 2), folds=folds, prior=prior, seed=seed)
    return dataclasses.replace(space, pace=full), oof


def trip_features(space: FeatureSpace, trips: pd.DataFrame) -> np.ndarray:
    """``X[k, f]`` for each trip row (schema frame), features in FEATURE_NAMES order."""
    unix_s = to_unix_seconds(trips["departure"], space.tz)
    cols = [np.ascontiguousarray(trips[c].to_numpy(dtype=np.float64))
            for c in ("origin_lat", "origin_lon", "dest_lat", "dest_lon")]
    return row_features(space, *cols, unix_s)


def row_features(space: FeatureSpace, olat: np.ndarray, olon: np.ndarray, dlat: np.ndarray,
                 dlon: np.ndarray, unix_s: np.ndarray) -> np.ndarray:
    """``X[k, f]`` for paired origin/destination/departure arrays of one length."""
    n = len(olat)
    hs, hc, hod, dt = (np.ascontiguousarray(a) for a in space.time_features(unix_s))
    out = np.empty((n, len(FEATURE_NAMES)), dtype=np.float64)
    _kernels.row_features(olat, olon, dlat, dlon, space.zones(olat, olon),
                          space.zones(dlat, dlon), hs, hc, hod, dt, space.geo(),
                          space.pace_table(), out)
    return out


def pair_features(space: FeatureSpace, lat: np.ndarray, lon: np.ndarray, zone: np.ndarray,
                  unix_s: float, rows: tuple[int, int], out: np.ndarray | None = None
                  ) -> np.ndarray:
    """Features of all pairs (i, j) with ``rows[0] <= i < rows[1]``, one departure time.

    ``lat``, ``lon``, ``zone`` are contiguous float64 ``[n]``; the result is
    ``[(rows[1] - rows[0]) * n, F]`` origin-major. ``out`` lets callers reuse a buffer.
    """
    n = len(lat)
    m = (rows[1] - rows[0]) * n
    if out is None or out.shape[0] < m:
        out = np.empty((m, len(FEATURE_NAMES)), dtype=np.float64)
    hs, hc, hod, dt = (float(a[0]) for a in space.time_features(np.array([unix_s])))
    _kernels.all_pair_features(lat, lon, zone, rows[0], rows[1], hs, hc, hod, dt,
                               space.geo(), space.pace_table(), out)
    return out[:m]


def slice_time_features(space: FeatureSpace, starts: np.ndarray) -> np.ndarray:
    """``[T, 4]`` TIME_FEATURES per slice start, computed exactly as ``pair_features`` does."""
    rows = [[float(a[0]) for a in space.time_features(np.array([float(s)]))] for s in starts]
    return np.asarray(rows, dtype=np.float64).reshape(len(starts), len(TIME_FEATURES))
