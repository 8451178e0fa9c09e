"""Local calendar features from unix seconds (hour of week, day type) in a city's zone.

pandas is imported only for what needs it (Series, naive or non-datetime values, many
instants to convert): a matrix's few slice starts are converted with ``datetime`` and
``zoneinfo``, so the solver's learned travel never loads pandas (issue 15).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

WEEK_S = 7 * 86400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: up to this many instants, UTC offsets come from zoneinfo one by one (no pandas)
FEW_INSTANTS = 1024


def _is_tz_series(times: object) -> bool:
    """A pandas Series of tz-aware datetimes (pandas is loaded if one exists)."""
    pd = sys.modules.get("pandas")
    return (pd is not None and isinstance(times, pd.Series)
            and isinstance(times.dtype, pd.DatetimeTZDtype))


def to_unix_seconds(times: Sequence[datetime | float | int] | np.ndarray | pd.Series,
                    tz: str = "UTC") -> np.ndarray:
    """Unix seconds (float64) from tz-aware datetimes, timestamps or numbers.

    Naive datetimes are read as wall-clock time in ``tz``.
    """
    if _is_tz_series(times):
        import pandas as pd

        epoch = pd.Timestamp(0, tz="UTC")
        return (times - epoch).dt.total_seconds().to_numpy(dtype=np.float64)
    arr = list(times) if not isinstance(times, np.ndarray) else times
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "fiu":
        return arr.astype(np.float64)
    out = np.empty(len(arr), dtype=np.float64)
    for k, t in enumerate(arr):
        if isinstance(t, (int, float, np.integer, np.floating)):
            out[k] = float(t)
        elif isinstance(t, datetime) and t.tzinfo is not None:
            out[k] = (t - EPOCH).total_seconds()
        else:  # naive (pandas' rules for DST gaps and folds), strings, numpy datetimes
            import pandas as pd

            ts = pd.Timestamp(t)
            if ts.tzinfo is None:
                ts = ts.tz_localize(tz)
            out[k] = (ts - pd.Timestamp(0, tz="UTC")).total_seconds()
    return out


def hour_of_week(unix_s: np.ndarray, tz: str) -> np.ndarray:
    """Fractional local hour of week in [0, 168), Monday 00:00 = 0."""
    unix_s = np.asarray(unix_s, dtype=np.float64)
    offset = np.zeros_like(unix_s) if tz == "UTC" else utc_offsets(unix_s, tz)
    # 1970-01-01 was a Thursday: shift by 3 days so Monday 00:00 maps to 0
    return np.mod((unix_s + offset) / 3600.0 + 72.0, 168.0)


def utc_offsets(unix_s: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset in seconds of ``tz`` at each instant (DST-aware; vectorised by pandas
    for many instants, zoneinfo for a few)."""
    unix_s = np.asarray(unix_s, dtype=np.float64)
    if unix_s.size <= FEW_INSTANTS:
        zone = ZoneInfo(tz)
        micros = np.round(unix_s.ravel() * 1e6).astype(np.int64)  # pandas' rounding
        return np.array([(EPOCH + timedelta(microseconds=int(us))).astimezone(zone)
                         .utcoffset().total_seconds() for us in micros],
                        dtype=np.float64).reshape(unix_s.shape)
    import pandas as pd

    idx = pd.to_datetime(np.round(unix_s * 1e6).astype(np.int64), unit="us", utc=True)
    wall = idx.tz_convert(tz).tz_localize(None)
    return (wall - idx.tz_localize(None)).total_seconds().to_numpy(dtype=np.float64)


def day_type(how: np.ndarray) -> np.ndarray:
    """0 = Monday-Friday, 1 = Saturday, 2 = Sunday (holidays are not modelled)."""
    day = np.floor(np.asarray(how) / 24.0)
    return np.where(day < 5, 0, np.where(day < 6, 1, 2)).astype(np.float64)
