"""Numba kernels for pairwise features: contiguous arrays and scalars in, arrays out.

No fastmath: bearings on the diagonal (i == j) flip between 0 and 180 degrees with it
(docs/ARCHITECTURE.md, known pitfalls). Kernels never raise; wrappers in features.py validate.
Feature order is fixed by ``features.FEATURE_NAMES`` and must match ``_write_row``.

``geo`` carries what the features learned about the city as plain numbers: the street
grid angle (sin, cos), the centre of the rotated frame (lat, lon, cos lat) and the zone
count ``k``; ``pace`` the zone encodings, ``[k * k]`` pair then ``[k]`` origin then
``[k]`` destination (``features.FeatureSpace.geo`` / ``pace_table``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

EARTH_RADIUS_M = 6_371_008.8
N_FEATURES = 24
#: meters per degree of latitude on the mean sphere
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


@njit(cache=True, inline="always")
def _write_row(out, r, lat1, lon1, lat2, lon2, z1, z2, how_sin, how_cos, hod, dtype,
               geo, pace):
    """Fill feature row ``r`` of ``out`` for one (origin, destination) pair."""
    sin_a = geo[0]
    cos_a = geo[1]
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    s1 = math.sin(dphi * 0.5)
    s2 = math.sin(dlmb * 0.5)
    a = s1 * s1 + math.cos(p1) * math.cos(p2) * s2 * s2
    a = min(max(a, 0.0), 1.0)
    hav = 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
    dx = EARTH_RADIUS_M * dlmb * math.cos(0.5 * (p1 + p2))
    dy = EARTH_RADIUS_M * dphi
    u = dx * sin_a + dy * cos_a
    v = dx * cos_a - dy * sin_a
    y = math.sin(dlmb) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dlmb)
    bearing = math.degrees(math.atan2(y, x))
    if bearing < 0.0:
        bearing += 360.0
    out[r, 0] = hav
    out[r, 1] = abs(u) + abs(v)
    out[r, 2] = bearing
    out[r, 3] = dx
    out[r, 4] = dy
    out[r, 5] = lat1
    out[r, 6] = lon1
    out[r, 7] = lat2
    out[r, 8] = lon2
    out[r, 9] = z1
    out[r, 10] = z2
    out[r, 11] = how_sin
    out[r, 12] = how_cos
    out[r, 13] = hod
    out[r, 14] = dtype
    # rotated frame (x east, y north, turned by the grid angle), meters from the centre
    c0 = geo[4] * M_PER_DEG
    x1 = (lon1 - geo[3]) * c0
    y1 = (lat1 - geo[2]) * M_PER_DEG
    x2 = (lon2 - geo[3]) * c0
    y2 = (lat2 - geo[2]) * M_PER_DEG
    u1 = x1 * sin_a + y1 * cos_a
    v1 = x1 * cos_a - y1 * sin_a
    u2 = x2 * sin_a + y2 * cos_a
    v2 = x2 * cos_a - y2 * sin_a
    out[r, 15] = u1
    out[r, 16] = v1
    out[r, 17] = u2
    out[r, 18] = v2
    out[r, 19] = abs(u2 - u1)
    out[r, 20] = abs(v2 - v1)
    k = int(geo[5])
    a = int(z1)
    b = int(z2)
    out[r, 21] = pace[a * k + b]
    out[r, 22] = pace[k * k + a]
    out[r, 23] = pace[k * k + k + b]


@njit(cache=True)
def row_features(olat, olon, dlat, dlon, ozone, dzone, how_sin, how_cos, hod, dtype,
                 geo, pace, out):
    """Features of paired rows: ``out[k, f]`` for trip ``k`` (all inputs length n)."""
    for k in range(olat.shape[0]):
        _write_row(out, k, olat[k], olon[k], dlat[k], dlon[k], ozone[k], dzone[k],
                   how_sin[k], how_cos[k], hod[k], dtype[k], geo, pace)


@njit(cache=True, parallel=True)
def all_pair_features(lat, lon, zone, row_start, row_end, how_sin, how_cos, hod, dtype,
                      geo, pace, out):
    """Features of every pair (i, j) for origins ``row_start <= i < row_end``.

    ``out[(i - row_start) * n + j, f]``: origin-major, one time slice (scalars).
    """
    n = lat.shape[0]
    for i in prange(row_start, row_end):
        base = (i - row_start) * n
        for j in range(n):
            _write_row(out, base + j, lat[i], lon[i], lat[j], lon[j], zone[i], zone[j],
                       how_sin, how_cos, hod, dtype, geo, pace)


@njit(cache=True)
def nearest_zone(lat, lon, zlat, zlon, out):
    """Index of the nearest zone centre for each point (local equirectangular metric)."""
    k = zlat.shape[0]
    for p in range(lat.shape[0]):
        c = math.cos(math.radians(lat[p]))
        best, best_d = 0, np.inf
        for z in range(k):
            dx = (lon[p] - zlon[z]) * c
            dy = lat[p] - zlat[z]
            d = dx * dx + dy * dy
            if d < best_d:
                best_d = d
                best = z
        out[p] = best
