"""The generic trip schema every adapter produces and every consumer reads.

Columns (in this order):

- ``origin_lat``, ``origin_lon``, ``dest_lat``, ``dest_lon``: float64 WGS84 degrees
- ``departure``: tz-aware ``datetime64[ns, tz]`` (local zone of the city)
- ``duration_s``: float64 seconds (the target)
- ``distance_m``: float64 meters travelled, optional (NaN when unknown); never a feature,
  because a matrix request knows only the points
- ``source``: string, optional provenance (file slice), used to weight or filter
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surrogate.errors import TripDataError

COORD_COLUMNS: tuple[str, ...] = ("origin_lat", "origin_lon", "dest_lat", "dest_lon")
REQUIRED_COLUMNS: tuple[str, ...] = (*COORD_COLUMNS, "departure", "duration_s")
OPTIONAL_COLUMNS: tuple[str, ...] = ("distance_m", "source")
SCHEMA_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


def empty_trips(tz: str = "UTC") -> pd.DataFrame:
    """A zero-row frame with the schema's columns and dtypes."""
    return pd.DataFrame(
        {
            **{c: pd.Series([], dtype="float64") for c in COORD_COLUMNS},
            "departure": pd.Series([], dtype=f"datetime64[ns, {tz}]"),
            "duration_s": pd.Series([], dtype="float64"),
            "distance_m": pd.Series([], dtype="float64"),
            "source": pd.Series([], dtype="object"),
        }
    )


def conform(df: pd.DataFrame, *, where: str = "trips") -> pd.DataFrame:
    """Return ``df`` with exactly the schema columns and dtypes, or raise TripDataError.

    Missing optional columns are added (NaN / None); extra columns are dropped.
    Values are not filtered here: that is the cleaning step's job, so it can count.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise TripDataError(f"{where}: missing required column(s) {', '.join(missing)}")
    dep = df["departure"]
    if not isinstance(dep.dtype, pd.DatetimeTZDtype):
        raise TripDataError(
            f"{where}: column 'departure' must be a tz-aware timestamp, got {dep.dtype}"
        )
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for c in COORD_COLUMNS + ("duration_s",):
        out[c] = _as_float(df[c], c, where)
    out["departure"] = dep.reset_index(drop=True)
    out["distance_m"] = (
        _as_float(df["distance_m"], "distance_m", where) if "distance_m" in df else np.nan
    )
    out["source"] = (
        df["source"].astype("object").reset_index(drop=True) if "source" in df else None
    )
    return out[list(SCHEMA_COLUMNS)]


def _as_float(col: pd.Series, name: str, where: str) -> np.ndarray:
    """Numeric column as float64; unparseable text becomes NaN, counted later by cleaning."""
    values = pd.to_numeric(col, errors="coerce")
    if values.isna().all() and len(values) and not col.isna().all():
        raise TripDataError(f"{where}: column {name!r} has no numeric values")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)
