"""Adapter for the Chicago taxi format in ``shared/data/trips/chicago``.

Times are local Chicago wall-clock, rounded to 15 minutes by the City; points are
census-tract or community-area centroids (see the README).
"""

from __future__ import annotations

import pandas as pd

from surrogate.trips.nyc import MILE_M, localize
from surrogate.trips.schema import conform

TZ = "America/Chicago"
#: lon_min, lat_min, lon_max, lat_max: Chicago and its airports with a margin
BBOX: tuple[float, float, float, float] = (-88.0, 41.6, -87.5, 42.1)

COLUMNS = frozenset(
    {
        "trip_start_timestamp",
        "pickup_latitude",
        "pickup_longitude",
        "dropoff_latitude",
        "dropoff_longitude",
    }
)


def is_chicago(columns: set[str]) -> bool:
    """Chicago rows carry the raw BigQuery ``trip_start_timestamp`` and ``trip_seconds``."""
    return COLUMNS <= columns and ("trip_seconds" in columns or "trip_duration_s" in columns)


def adapt(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """Chicago trips -> generic schema; a trip of 0 miles has an unknown distance."""
    if "pickup_datetime" in raw:
        departure = localize(raw["pickup_datetime"], TZ)
    else:  # raw BigQuery export: local wall-clock stored as if it were UTC
        wall = pd.to_datetime(pd.to_numeric(raw["trip_start_timestamp"], errors="coerce"), unit="s")
        departure = wall.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT")
    duration = raw["trip_duration_s"] if "trip_duration_s" in raw else raw["trip_seconds"]
    df = pd.DataFrame(
        {
            "origin_lat": raw["pickup_latitude"],
            "origin_lon": raw["pickup_longitude"],
            "dest_lat": raw["dropoff_latitude"],
            "dest_lon": raw["dropoff_longitude"],
            "departure": departure,
            "duration_s": duration,
        }
    )
    if "trip_miles" in raw:
        miles = pd.to_numeric(raw["trip_miles"], errors="coerce")
        df["distance_m"] = miles.where(miles > 0) * MILE_M
    if "source" in raw:
        df["source"] = raw["source"]
    return conform(df, where=where)
