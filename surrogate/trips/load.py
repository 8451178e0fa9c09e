"""Read trip files (CSV, CSV.gz, Parquet), recognise their format, adapt and clean."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from surrogate.errors import TripDataError
from surrogate.trips import chicago, nyc
from surrogate.trips.cleaning import CleaningParams, CleaningReport, clean_trips
from surrogate.trips.schema import REQUIRED_COLUMNS, SCHEMA_COLUMNS, conform, empty_trips

logger = logging.getLogger(__name__)

FORMATS = ("auto", "generic", "nyc", "nyc_zones", "chicago")


@dataclass(frozen=True)
class _Format:
    name: str
    tz: str | None
    bbox: tuple[float, float, float, float] | None


def detect_format(columns: Sequence[str]) -> str:
    """Name of the trip format whose columns ``columns`` carries (generic wins)."""
    cols = set(columns)
    if set(REQUIRED_COLUMNS) <= cols:
        return "generic"
    if chicago.is_chicago(cols):
        return "chicago"
    if nyc.is_nyc_zones(cols):
        return "nyc_zones"
    if nyc.is_nyc_points(cols):
        return "nyc"
    raise TripDataError(
        "unrecognised trip format: expected the generic schema "
        f"({', '.join(REQUIRED_COLUMNS)}) or an NYC/Chicago layout; got columns "
        f"{', '.join(sorted(cols)[:12])}"
    )


_INFO = {
    "generic": _Format("generic", None, None),
    "nyc": _Format("nyc", nyc.TZ, nyc.BBOX),
    "nyc_zones": _Format("nyc_zones", nyc.TZ, nyc.BBOX),
    "chicago": _Format("chicago", chicago.TZ, chicago.BBOX),
}


def _read_columns(path: Path) -> list[str]:
    if _is_parquet(path):
        return list(pq.read_schema(path).names)
    return list(pd.read_csv(path, nrows=0).columns)


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _read(path: Path) -> pd.DataFrame:
    if _is_parquet(path):
        return pd.read_parquet(path)
    # every column as text: adapters parse, and bad values become NaN counted by cleaning
    return pd.read_csv(path, dtype=str, keep_default_na=True)


def _generic(raw: pd.DataFrame, where: str, tz: str | None) -> pd.DataFrame:
    df = raw.copy()
    dep = df["departure"]
    if not isinstance(dep.dtype, pd.DatetimeTZDtype):
        parsed = pd.to_datetime(dep, errors="coerce", utc=False, format="mixed")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            pass
        elif parsed.dtype == object:  # mixed offsets: normalise through UTC
            parsed = pd.to_datetime(dep, errors="coerce", utc=True, format="mixed")
        elif tz is None:
            raise TripDataError(
                f"{where}: 'departure' has no time zone; pass tz= (e.g. 'Europe/Paris')"
            )
        else:
            parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        df["departure"] = parsed
    if tz is not None:
        df["departure"] = df["departure"].dt.tz_convert(tz)
    return conform(df, where=where)


def read_trips(path: str | PathLike[str], *, fmt: str = "auto", tz: str | None = None
               ) -> tuple[pd.DataFrame, str]:
    """One file in the generic schema, uncleaned, in file order; returns (frame, format)."""
    p = Path(path)
    if fmt not in FORMATS:
        raise TripDataError(f"unknown trip format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not p.is_file():
        raise TripDataError(f"{p}: no such trip file")
    try:
        name = detect_format(_read_columns(p)) if fmt == "auto" else fmt
        raw = _read(p)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, TripDataError):
            raise TripDataError(f"{p}: {exc}") from exc
        raise TripDataError(f"{p}: cannot read trips ({exc})") from exc
    where = str(p)
    try:
        if name == "generic":
            df = _generic(raw, where, tz)
        elif name == "nyc":
            df = nyc.adapt_points(raw, where)
        elif name == "nyc_zones":
            df = nyc.adapt_zones(raw, where)
        else:
            df = chicago.adapt(raw, where)
    except KeyError as exc:
        raise TripDataError(f"{where}: format {name!r} needs column {exc}") from exc
    if tz is not None and name != "generic":
        df["departure"] = df["departure"].dt.tz_convert(tz)
    logger.info("read %d trips from %s (format %s)", len(df), p, name)
    return df, name


def load_trips(
    paths: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    fmt: str = "auto",
    tz: str | None = None,
    cleaning: CleaningParams | None = None,
    clean: bool = True,
) -> tuple[pd.DataFrame, CleaningReport]:
    """Read, adapt and clean trip files into one frame in the generic schema.

    Parameters
    ----------
    paths
        One path or several (CSV, CSV.gz or Parquet). Formats are recognised per file
        by their columns: the generic schema, NYC points, NYC zones, Chicago.
    fmt
        Force a format instead of ``"auto"``.
    tz
        Time zone for naive generic timestamps, and the zone all departures are
        converted to (default: the first file's zone).
    cleaning
        Rule thresholds. The city box defaults to the recognised city's box.
    clean
        ``False`` keeps every row in file order (used to predict one value per row).

    Returns
    -------
    (trips, report)
        The trips in the generic schema and the per-rule drop counts.

    Raises
    ------
    TripDataError
        A file is missing, unreadable, or in no known format.
    """
    items = [paths] if isinstance(paths, (str, PathLike)) else list(paths)
    if not items:
        raise TripDataError("no trip files given")
    frames, report = [], CleaningReport()
    for path in items:
        df, name = read_trips(path, fmt=fmt, tz=tz)
        if tz is None:
            tz = str(df["departure"].dt.tz)
        df["departure"] = df["departure"].dt.tz_convert(tz)
        if clean:
            params = (cleaning or CleaningParams()).with_bbox(_INFO[name].bbox)
            df, rep = clean_trips(df, params, where=str(path))
        else:
            rep = CleaningReport(len(df), len(df), {}, {})
        frames.append(df)
        report = report.merge(rep)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(out) == 0:
        out = empty_trips(tz or "UTC")
    return out[list(SCHEMA_COLUMNS)], report
