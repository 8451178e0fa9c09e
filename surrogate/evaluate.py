"""Accuracy metrics, the two baselines, and quantile calibration on held-out trips.

Baselines (issue 3): straight-line (haversine) distance divided by the global median
speed of the training trips, and by the median speed of the trip's hour of week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from surrogate.clock import hour_of_week, to_unix_seconds
from surrogate.geo import haversine_m


def rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared log error, log1p as in the Kaggle NYC convention."""
    return float(np.sqrt(np.mean((np.log1p(y_pred) - np.log1p(y_true)) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error in seconds."""
    return float(np.mean(np.abs(y_pred - y_true)))


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error, in percent (targets are > 0 after cleaning)."""
    return float(100.0 * np.mean(np.abs(y_pred - y_true) / y_true))


def coverage(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of trips whose duration lies in [lower, upper] (p10-p90: ideally 0.8)."""
    return float(np.mean((y_true >= lower) & (y_true <= upper)))


def metrics(y_true: np.ndarray, y_pred: np.ndarray,
            band: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float]:
    """All point metrics, plus band coverage when a (lower, upper) band is given."""
    out = {"n": float(len(y_true)), "rmsle": rmsle(y_true, y_pred), "mae_s": mae(y_true, y_pred),
           "mape_pct": mape(y_true, y_pred)}
    if band is not None:
        out["coverage"] = coverage(y_true, *band)
    return out


def _trip_arrays(trips: pd.DataFrame, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dist = haversine_m(trips["origin_lat"].to_numpy(), trips["origin_lon"].to_numpy(),
                       trips["dest_lat"].to_numpy(), trips["dest_lon"].to_numpy())
    how = np.floor(hour_of_week(to_unix_seconds(trips["departure"], tz), tz)).astype(int)
    return dist, how, trips["duration_s"].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class SpeedBaseline:
    """Haversine / median speed, globally or per hour of week (168 speeds).

    Speeds are medians of straight-line speed over training trips; an hour with fewer
    than ``min_trips`` trips falls back to the global speed. The quantile band uses the
    training spread of log(duration / baseline) so baselines get a coverage number too.
    """

    global_speed: float
    hourly_speed: np.ndarray | None
    log_resid_q: tuple[float, float]
    tz: str

    @classmethod
    def fit(cls, trips: pd.DataFrame, *, per_hour: bool, tz: str | None = None,
            min_trips: int = 20, band: tuple[float, float] = (0.1, 0.9)) -> SpeedBaseline:
        tz = tz or str(trips["departure"].dt.tz)
        dist, how, dur = _trip_arrays(trips, tz)
        speed = dist / dur
        g = float(np.median(speed))
        hourly = None
        if per_hour:
            hourly = np.full(168, g)
            counts = np.bincount(how, minlength=168)
            for h in np.nonzero(counts >= min_trips)[0]:
                hourly[h] = np.median(speed[how == h])
        base = cls(g, hourly, (0.0, 0.0), tz)
        resid = np.log(dur) - np.log(base._predict(dist, how))
        q = np.quantile(resid, band)
        return cls(g, hourly, (float(q[0]), float(q[1])), tz)

    def _predict(self, dist: np.ndarray, how: np.ndarray) -> np.ndarray:
        speed = self.global_speed if self.hourly_speed is None else self.hourly_speed[how]
        return np.maximum(dist / speed, 1.0)

    def predict(self, trips: pd.DataFrame) -> np.ndarray:
        """Predicted duration in seconds for each trip."""
        dist, how, _ = _trip_arrays(trips, self.tz)
        return self._predict(dist, how)

    def predict_band(self, trips: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) from the training residual quantiles."""
        p = self.predict(trips)
        return p * np.exp(self.log_resid_q[0]), p * np.exp(self.log_resid_q[1])


class _QuantileModel(Protocol):
    quantiles: tuple[float, ...]

    def predict(self, trips: pd.DataFrame) -> np.ndarray: ...

    def predict_quantiles(self, trips: pd.DataFrame) -> np.ndarray: ...


def evaluate_model(model: _QuantileModel, test: pd.DataFrame,
                   train: pd.DataFrame | None = None) -> dict[str, Any]:
    """Metrics of ``model`` on ``test``, next to the two baselines fitted on ``train``.

    The band for coverage is the lowest and highest of the model's quantiles
    (p10-p90 by default). Without ``train`` the baselines are fitted on ``test`` itself,
    which flatters them; the result says which.
    """
    y = test["duration_s"].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {}
    pred = model.predict(test)
    band = None
    if model.quantiles:
        q = model.predict_quantiles(test)
        band = (q[:, 0], q[:, -1])
    out["model"] = metrics(y, pred, band)
    ref = train if train is not None else test
    for name, per_hour in (("haversine_global_speed", False), ("haversine_hourly_speed", True)):
        base = SpeedBaseline.fit(ref, per_hour=per_hour)
        out[name] = metrics(y, base.predict(test), base.predict_band(test))
    out["baselines_fitted_on"] = "train" if train is not None else "test"
    return out
