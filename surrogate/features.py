"""Feature definitions (names, order, dtypes) and the wrappers around the kernels.

A ``FeatureSpace`` holds what features learn from the training trips: zone centres
(k-means on trip end points) and the street-grid angle. It is stored in the model's
sidecar, so features at predict time are built exactly as at fit time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surrogate import _kernels
from surrogate.clock import day_type, hour_of_week, to_unix_seconds
from surrogate.geo import EARTH_RADIUS_M

FEATURE_NAMES: tuple[str, ...] = (
    "haversine_m", "grid_m", "bearing_deg", "dx_m", "dy_m",
    "origin_lat", "origin_lon", "dest_lat", "dest_lon",
    "origin_zone", "dest_zone",
    "how_sin", "how_cos", "hour_of_day", "day_type",
)
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

    @property
    def n_zones(self) -> int:
        return int(self.zone_lat.shape[0])

    def to_dict(self) -> dict[str, object]:
        return {"zone_lat": self.zone_lat.tolist(), "zone_lon": self.zone_lon.tolist(),
                "grid_angle_deg": self.grid_angle_deg, "tz": self.tz}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FeatureSpace:
        return cls(np.asarray(d["zone_lat"], dtype=np.float64),
                   np.asarray(d["zone_lon"], dtype=np.float64),
                   float(d["grid_angle_deg"]), str(d["tz"]))  # type: ignore[arg-type]

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
    """Learn zones (from origins and destinations) and the grid angle from trips."""
    lat = np.concatenate([trips["origin_lat"].to_numpy(), trips["dest_lat"].to_numpy()])
    lon = np.concatenate([trips["origin_lon"].to_numpy(), trips["dest_lon"].to_numpy()])
    zlat, zlon = fit_zones(lat, lon, n_zones, seed)
    angle = estimate_grid_angle(trips) if grid_angle_deg is None else float(grid_angle_deg)
    return FeatureSpace(zlat, zlon, angle, tz)


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
    sin_a, cos_a = _angle(space)
    _kernels.row_features(olat, olon, dlat, dlon, space.zones(olat, olon),
                          space.zones(dlat, dlon), hs, hc, hod, dt, sin_a, cos_a, out)
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
    sin_a, cos_a = _angle(space)
    _kernels.all_pair_features(lat, lon, zone, rows[0], rows[1], hs, hc, hod, dt,
                               sin_a, cos_a, out)
    return out[:m]


def slice_time_features(space: FeatureSpace, starts: np.ndarray) -> np.ndarray:
    """``[T, 4]`` TIME_FEATURES per slice start, computed exactly as ``pair_features`` does."""
    rows = [[float(a[0]) for a in space.time_features(np.array([float(s)]))] for s in starts]
    return np.asarray(rows, dtype=np.float64).reshape(len(starts), len(TIME_FEATURES))


def _angle(space: FeatureSpace) -> tuple[float, float]:
    a = math.radians(space.grid_angle_deg)
    return math.sin(a), math.cos(a)
