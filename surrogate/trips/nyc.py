"""Adapters for the NYC TLC formats in ``shared/data/trips/nyc`` and ``nyc_zones``.

Both store local wall-clock times without a zone; we localise to America/New_York.
Wall-clock times that do not exist or are ambiguous at a DST change become NaT and are
counted by the ``missing_values`` cleaning rule rather than guessed.
"""

from __future__ import annotations

import pandas as pd

from surrogate.trips.schema import conform

TZ = "America/New_York"
#: lon_min, lat_min, lon_max, lat_max: the box the README uses for "outside NYC"
BBOX: tuple[float, float, float, float] = (-74.3, 40.45, -73.65, 40.95)
MILE_M = 1609.344

POINT_COLUMNS = frozenset(
    {
        "pickup_datetime",
        "trip_duration_s",
        "pickup_latitude",
        "pickup_longitude",
        "dropoff_latitude",
        "dropoff_longitude",
        "trip_distance_mi",
    }
)
ZONE_COLUMNS = frozenset(
    {
        "pickup_datetime",
        "trip_duration_s",
        "pickup_zone_lat",
        "pickup_zone_lon",
        "dropoff_zone_lat",
        "dropoff_zone_lon",
    }
)


def localize(wall_clock: pd.Series, tz: str) -> pd.Series:
    """Parse ``YYYY-MM-DD HH:MM:SS`` local times; bad, ambiguous or skipped times -> NaT."""
    naive = pd.to_datetime(wall_clock, errors="coerce", format="%Y-%m-%d %H:%M:%S")
    return naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").astype(
        f"datetime64[ns, {tz}]"
    )


def is_nyc_points(columns: set[str]) -> bool:
    """The GPS-point layout (2013-2016): pickup/dropoff latitude and longitude."""
    return POINT_COLUMNS <= columns and "trip_start_timestamp" not in columns


def is_nyc_zones(columns: set[str]) -> bool:
    """The taxi-zone layout (2018-2020): zone centroids instead of points."""
    return ZONE_COLUMNS <= columns


def adapt_points(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """NYC point trips -> generic schema (0 coordinates stay 0 for the cleaning rule)."""
    df = pd.DataFrame(
        {
            "origin_lat": raw["pickup_latitude"],
            "origin_lon": raw["pickup_longitude"],
            "dest_lat": raw["dropoff_latitude"],
            "dest_lon": raw["dropoff_longitude"],
            "departure": localize(raw["pickup_datetime"], TZ),
            "duration_s": raw["trip_duration_s"],
            "distance_m": pd.to_numeric(raw["trip_distance_mi"], errors="coerce") * MILE_M,
        }
    )
    if "source" in raw:
        df["source"] = raw["source"]
    return conform(df, where=where)


def adapt_zones(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """NYC zone trips -> generic schema, zone centroids standing in for the points."""
    df = pd.DataFrame(
        {
            "origin_lat": raw["pickup_zone_lat"],
            "origin_lon": raw["pickup_zone_lon"],
            "dest_lat": raw["dropoff_zone_lat"],
            "dest_lon": raw["dropoff_zone_lon"],
            "departure": localize(raw["pickup_datetime"], TZ),
            "duration_s": raw["trip_duration_s"],
        }
    )
    if "trip_distance_mi" in raw:
        df["distance_m"] = pd.to_numeric(raw["trip_distance_mi"], errors="coerce") * MILE_M
    if "source_file" in raw:
        df["source"] = raw["source_file"]
    return conform(df, where=where)
