"""Named, configurable cleaning rules; every dropped row is counted under one rule.

Rules run in a fixed order and a row is charged to the first rule it fails, so the
counts add up to ``rows_in - rows_out``. The report is returned (and logged at WARNING
when rows are dropped): cleaning is never silent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from surrogate.geo import haversine_m
from surrogate.trips.schema import COORD_COLUMNS

logger = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


@dataclass(frozen=True)
class CleaningParams:
    """Thresholds of the cleaning rules; ``None`` switches a rule off.

    The defaults suit urban car / taxi trips: under a minute is a meter glitch, over
    four hours is a forgotten meter, and a straight-line speed over 130 km/h inside a
    city is impossible.
    """

    min_duration_s: float | None = 60.0
    max_duration_s: float | None = 4 * 3600.0
    min_distance_m: float | None = 50.0
    max_speed_kmh: float | None = 130.0
    min_speed_kmh: float | None = 0.5
    bbox: BBox | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def with_bbox(self, bbox: BBox | None) -> CleaningParams:
        """A copy with the city box set, unless the caller already chose one."""
        if self.bbox is not None or bbox is None:
            return self
        return CleaningParams(**{**asdict(self), "bbox": bbox})


@dataclass
class CleaningReport:
    """Rows in, rows out and rows dropped per rule (in rule order)."""

    rows_in: int = 0
    rows_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)

    def merge(self, other: CleaningReport) -> CleaningReport:
        """Combine the reports of several files."""
        dropped = dict(self.dropped)
        for rule, n in other.dropped.items():
            dropped[rule] = dropped.get(rule, 0) + n
        return CleaningReport(
            self.rows_in + other.rows_in, self.rows_out + other.rows_out, dropped,
            self.params or other.params,
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for model sidecars and ``--json`` output."""
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": dict(self.dropped),
            "params": {k: str(v) if v is not None else None for k, v in self.params.items()},
        }

    def __str__(self) -> str:
        parts = ", ".join(f"{rule}={n}" for rule, n in self.dropped.items() if n)
        return f"{self.rows_in} rows in, {self.rows_out} kept ({parts or 'nothing dropped'})"


Rule = Callable[[pd.DataFrame, CleaningParams], np.ndarray]


def _missing(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    cols = df[list(COORD_COLUMNS) + ["duration_s"]].to_numpy()
    return np.isnan(cols).any(axis=1) | df["departure"].isna().to_numpy()


def _zero_coordinate(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    return (df[list(COORD_COLUMNS)].to_numpy() == 0.0).any(axis=1)


def _invalid_coordinate(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    lat = df[["origin_lat", "dest_lat"]].to_numpy()
    lon = df[["origin_lon", "dest_lon"]].to_numpy()
    return (np.abs(lat) > 90).any(axis=1) | (np.abs(lon) > 180).any(axis=1)


def _outside_bbox(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    if p.bbox is None:
        return np.zeros(len(df), dtype=bool)
    lon_min, lat_min, lon_max, lat_max = p.bbox
    bad = np.zeros(len(df), dtype=bool)
    for lat_c, lon_c in (("origin_lat", "origin_lon"), ("dest_lat", "dest_lon")):
        lat, lon = df[lat_c].to_numpy(), df[lon_c].to_numpy()
        bad |= (lat < lat_min) | (lat > lat_max) | (lon < lon_min) | (lon > lon_max)
    return bad


def _outside_period(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    bad = np.zeros(len(df), dtype=bool)
    if p.start is not None:
        bad |= (df["departure"] < p.start).to_numpy()
    if p.end is not None:
        bad |= (df["departure"] >= p.end).to_numpy()
    return bad


def _non_positive_duration(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    return df["duration_s"].to_numpy() <= 0


def _too_short(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    if p.min_duration_s is None:
        return np.zeros(len(df), dtype=bool)
    return df["duration_s"].to_numpy() < p.min_duration_s


def _too_long(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    if p.max_duration_s is None:
        return np.zeros(len(df), dtype=bool)
    return df["duration_s"].to_numpy() > p.max_duration_s


def _straight_m(df: pd.DataFrame) -> np.ndarray:
    return haversine_m(
        df["origin_lat"].to_numpy(), df["origin_lon"].to_numpy(),
        df["dest_lat"].to_numpy(), df["dest_lon"].to_numpy(),
    )


def _too_close(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    if p.min_distance_m is None:
        return np.zeros(len(df), dtype=bool)
    return _straight_m(df) < p.min_distance_m


def _too_fast(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    if p.max_speed_kmh is None:
        return np.zeros(len(df), dtype=bool)
    return _straight_m(df) / df["duration_s"].to_numpy() * 3.6 > p.max_speed_kmh


def _too_slow(df: pd.DataFrame, p: CleaningParams) -> np.ndarray:
    if p.min_speed_kmh is None:
        return np.zeros(len(df), dtype=bool)
    return _straight_m(df) / df["duration_s"].to_numpy() * 3.6 < p.min_speed_kmh


#: rule name -> predicate returning True for rows to drop; order matters (first match wins)
RULES: dict[str, Rule] = {
    "missing_values": _missing,
    "zero_coordinate": _zero_coordinate,
    "invalid_coordinate": _invalid_coordinate,
    "outside_bbox": _outside_bbox,
    "outside_period": _outside_period,
    "non_positive_duration": _non_positive_duration,
    "too_short": _too_short,
    "too_long": _too_long,
    "too_close": _too_close,
    "impossible_speed": _too_fast,
    "implausibly_slow": _too_slow,
}


def clean_trips(
    df: pd.DataFrame, params: CleaningParams | None = None, *, where: str = "trips"
) -> tuple[pd.DataFrame, CleaningReport]:
    """Apply every rule to a schema frame; return the kept rows and the counts.

    Parameters
    ----------
    df
        A frame in the generic schema (see ``surrogate.trips.schema``).
    params
        Rule thresholds; defaults to ``CleaningParams()``.
    where
        Name used in the log line (usually the file).

    Returns
    -------
    (clean, report)
        ``clean`` keeps the original row order with a fresh index.
    """
    p = params or CleaningParams()
    keep = np.ones(len(df), dtype=bool)
    dropped: dict[str, int] = {}
    for name, rule in RULES.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            bad = rule(df, p) & keep
        dropped[name] = int(bad.sum())
        keep &= ~bad
    clean = df.loc[keep].reset_index(drop=True)
    report = CleaningReport(len(df), len(clean), dropped, asdict(p))
    if report.rows_out < report.rows_in:
        logger.warning("cleaning %s: %s", where, report)
    return clean, report
