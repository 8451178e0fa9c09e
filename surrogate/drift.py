"""Drift: how a model's predictions compare with what really happened (issue 18).

Actual legs of executed routes (trips in the generic schema) are predicted by the model
and compared, overall, by local hour of week, by origin zone and by destination zone
(the model's own k-means zones: a street that slowed down shows in the legs leaving its
zone and in those arriving there): the error (RMSLE, as the model's validation
metrics), the bias, the coverage of the model's outer quantile band (p10-p90 by
default), and the flag.

Bias is predicted minus actual: ``bias_log`` is the mean of ``log(predicted / actual)``
(-0.2: the model predicts about 18 % too fast), ``bias_s`` the mean difference in
seconds. The flag rises when, on at least ``min_legs`` legs, the recent RMSLE exceeds
the model's validation RMSLE by more than ``margin`` (relative): ``rmsle > validation
x (1 + margin)``. A relative margin, because the irreducible noise of a city sets the
validation error. The default 0.3 sits above both the sampling error of the RMSLE of a
few hundred legs (about ``rmsle / sqrt(2 n)``: 0.01 for 0.25 on 300 legs) and the shift
from taxi-like trips to delivery legs: the default model of 20,000 synthetic trips
(validation 0.265) scores 0.294 and 0.304 on 1,000 and 10,000 legs of days driven in its
own city (x 1.11-1.15), and about x 1.6 when the streets are 1.6 times slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from surrogate.clock import hour_of_week, to_unix_seconds
from surrogate.errors import TripDataError
from surrogate.features import FeatureSpace


class _Model(Protocol):
    model_id_: str
    metrics_: dict[str, Any]
    feature_space_: FeatureSpace
    quantiles: tuple[float, ...]

    def predict(self, trips: pd.DataFrame) -> np.ndarray: ...

    def predict_quantiles(self, trips: pd.DataFrame) -> np.ndarray: ...


@dataclass(frozen=True)
class DriftParams:
    """When the flag rises: ``margin`` over the validation RMSLE, on ``min_legs`` legs."""

    margin: float = 0.3
    min_legs: int = 30

    def __post_init__(self) -> None:
        if not self.margin >= 0 or self.min_legs < 1:
            raise ValueError(f"drift: margin must be >= 0 and min_legs >= 1, got "
                             f"{self.margin}, {self.min_legs}")


def _figures(y: np.ndarray, pred: np.ndarray, band: tuple[np.ndarray, np.ndarray] | None
             ) -> dict[str, float]:
    """The figures of one group of legs (at least one)."""
    log_err = np.log1p(pred) - np.log1p(y)
    out = {"n": int(len(y)), "mean_actual_s": float(np.mean(y)),
           "mean_predicted_s": float(np.mean(pred)),
           "rmsle": float(np.sqrt(np.mean(log_err ** 2))),
           "bias_log": float(np.mean(np.log(pred) - np.log(y))),
           "bias_s": float(np.mean(pred - y)),
           "mae_s": float(np.mean(np.abs(pred - y)))}
    if band is not None:
        out["coverage"] = float(np.mean((y >= band[0]) & (y <= band[1])))
    return out


def _groups(keys: np.ndarray, y: np.ndarray, pred: np.ndarray,
            band: tuple[np.ndarray, np.ndarray] | None, name: str) -> list[dict[str, Any]]:
    out = []
    for key in np.unique(keys):
        m = keys == key
        sub = None if band is None else (band[0][m], band[1][m])
        out.append({name: int(key), **_figures(y[m], pred[m], sub)})
    return out


def drift_report(model: _Model, trips: pd.DataFrame, params: DriftParams = DriftParams()
                 ) -> dict[str, Any]:
    """Predicted vs actual on ``trips`` (actual legs, generic schema), with the flag.

    Returns
    -------
    dict
        ``model_id``, ``window`` (first and last departure, ISO), ``overall`` (n,
        rmsle, bias_log, bias_s, mae_s, coverage, means), ``validation`` (the model's
        own validation figures), ``threshold_rmsle``, ``flag``, ``reason``,
        ``by_hour_of_week`` (0 = Monday 00:00 local, non-empty hours only),
        ``by_zone`` (origin zone with its centre) and ``by_destination_zone`` (the
        same, by the zone the legs arrive in).

    Raises
    ------
    TripDataError
        No trips, or trips with missing values or durations <= 0.
    """
    y = trips["duration_s"].to_numpy(np.float64)
    if len(trips) == 0:
        raise TripDataError("drift: no actual legs to compare with (post actuals first)")
    pred = model.predict(trips)
    if not (np.isfinite(pred).all() and (y > 0).all()):
        raise TripDataError("drift: legs with missing values or durations <= 0")
    band = None
    if model.quantiles:
        q = model.predict_quantiles(trips)
        band = (q[:, 0], q[:, -1])
    space = model.feature_space_
    how = np.floor(hour_of_week(to_unix_seconds(trips["departure"], space.tz), space.tz))
    overall = _figures(y, pred, band)
    validation = dict(model.metrics_.get("validation", {}))
    threshold = float(validation.get("rmsle", np.nan)) * (1.0 + params.margin)
    if len(y) < params.min_legs:
        flag, reason = False, f"{len(y)} legs, fewer than the {params.min_legs} needed"
    elif not np.isfinite(threshold):
        flag, reason = False, "the model records no validation RMSLE"
    else:
        flag = overall["rmsle"] > threshold
        reason = (f"recent RMSLE {overall['rmsle']:.3f} "
                  f"{'exceeds' if flag else 'is within'} validation "
                  f"{validation['rmsle']:.3f} x (1 + {params.margin:g}) = {threshold:.3f}")
    by_zone = {end: _zone_groups(space, trips, end, y, pred, band)
               for end in ("origin", "dest")}
    dep = trips["departure"]
    return {
        "model_id": model.model_id_, "tz": space.tz,
        "window": [dep.min().isoformat(), dep.max().isoformat()],
        "overall": overall, "validation": validation, "margin": params.margin,
        "min_legs": params.min_legs,
        "threshold_rmsle": threshold if np.isfinite(threshold) else None, "flag": bool(flag),
        "reason": reason,
        "by_hour_of_week": _groups(how.astype(np.int64), y, pred, band, "hour_of_week"),
        "by_zone": by_zone["origin"], "by_destination_zone": by_zone["dest"],
    }


def _zone_groups(space: FeatureSpace, trips: pd.DataFrame, end: str, y: np.ndarray,
                 pred: np.ndarray, band: tuple[np.ndarray, np.ndarray] | None
                 ) -> list[dict[str, Any]]:
    """The figures by the model's zone of the legs' ``end`` (origin or dest), with the
    zone's centre."""
    zone = space.zones(trips[f"{end}_lat"].to_numpy(np.float64),
                       trips[f"{end}_lon"].to_numpy(np.float64))
    groups = _groups(zone.astype(np.int64), y, pred, band, "zone")
    for g in groups:
        g["lat"], g["lon"] = float(space.zone_lat[g["zone"]]), float(space.zone_lon[g["zone"]])
    return groups
