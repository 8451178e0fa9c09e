"""Champion/challenger retraining: learn from a fleet's actuals, promote only what is better.

The champion is the registry's active model. The challenger is a model with the
champion's hyperparameters trained on the champion's original trips plus the actuals
(legs of executed routes, ``solver.actuals``), except the most recent ones: those are
the hold-out on which both are scored, so neither has seen it (the comparison says so
when the champion's own training period reaches into it). The challenger is promoted
(activated) only when its hold-out RMSLE is lower than the champion's by ``margin``
(relative) and the active model is still that champion (else the decision is ``stale``:
``promote``); either way it is registered and the comparison — metrics of both, the data
windows, the decision and why — is written into the registry.

Two choices keep a few weeks of actuals from drowning in months of old trips:

- the actuals carry at least ``actuals_share`` of the training weight (LightGBM sample
  weights; the old trips keep weight 1), since they are the roads as they are now;
- the challenger's early-stopping and calibration windows (``TravelTimeModel``'s latest
  trips) are the latest ``window_fraction`` of the training actuals each, not a share of
  all trips, which would have swallowed them.

The original trips are first brought to the actuals' level (``rebase_originals``): they
are multiplied by ``exp(level)``, ``level`` the mean of ``log(actual / champion)`` over
the training actuals. Without it the trees see two worlds that no feature tells apart
(no feature says "before" or "now"): they memorise the heavily weighted actuals where
they lie and predict the old level everywhere else, so a retrained model kept about half
of a traffic change's bias (-144 s on the benchmark's legs, README). Rebased, the old
trips teach the shape of the city (where and when it is slow) and the actuals its level
and what changed locally. The level is global: a change confined to one zone moves the
old trips everywhere by its average, which the actuals then have to pull back.

A hold-out cut from the same actuals cannot tell garbage from a change: durations
shuffled across legs score the champion badly and a challenger that learned their spread
less badly. So the challenger must also show that the actuals are predictable at all:
its hold-out RMSLE must beat, by ``baseline_margin`` (relative), a baseline fitted on
the same training actuals, ``log duration = a + b log(straight line + 200 m)``: a
constant (``b = 0``, what shuffled durations leave to learn) or a speed (``b = 1``) or
anything between. A model that cannot beat it has learned no per-leg signal the
geometry does not already carry, whatever it scores against the champion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from surrogate.errors import TripDataError
from surrogate.evaluate import metrics
from surrogate.geo import haversine_m
from surrogate.model import TravelTimeModel
from surrogate.registry import ModelRegistry
from surrogate.trips.schema import conform

ACTUALS_PREFIX = "actuals"  # ``source`` of trips that came from executed routes
#: added to the straight line in the baseline, so that legs of a few meters (the next
#: door) do not dominate the fit through log(distance) going to minus infinity
BASELINE_OFFSET_M = 200.0


@dataclass(frozen=True)
class RetrainPolicy:
    """How a retrain splits, weighs and decides (every field is recorded with it)."""

    margin: float = 0.02
    holdout_fraction: float = 0.25
    min_holdout: int = 50
    min_train_actuals: int = 100
    actuals_share: float = 0.5
    window_fraction: float = 0.1
    baseline_margin: float = 0.05
    rebase_originals: bool = True

    def __post_init__(self) -> None:
        for name, lo, hi in (("margin", 0.0, 0.5), ("holdout_fraction", 0.05, 0.8),
                             ("actuals_share", 0.0, 0.95), ("window_fraction", 0.02, 0.3),
                             ("baseline_margin", 0.0, 0.5)):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}], got {value:g}")
        if self.min_holdout < 10 or self.min_train_actuals < 20:
            raise ValueError("min_holdout must be at least 10 and min_train_actuals 20")


def split_actuals(actuals: pd.DataFrame, policy: RetrainPolicy
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training actuals, hold-out): the hold-out is the latest ``holdout_fraction`` by
    departure (at least ``min_holdout``); TripDataError when either part is too small."""
    actuals = actuals.sort_values("departure", kind="stable").reset_index(drop=True)
    n = len(actuals)
    n_hold = max(policy.min_holdout, int(round(policy.holdout_fraction * n)))
    if n - n_hold < policy.min_train_actuals:
        raise TripDataError(
            f"retrain: {n} actual trips are too few; it needs {policy.min_train_actuals} to "
            f"learn from and {n_hold} more, the latest, to judge on")
    return actuals.iloc[:n - n_hold].reset_index(drop=True), \
        actuals.iloc[n - n_hold:].reset_index(drop=True)


def original_trips(trips: pd.DataFrame) -> pd.DataFrame:
    """``trips`` without those that came from actuals (a challenger's trips hold some)."""
    source = trips["source"].astype("string").fillna("")
    return trips[~source.str.startswith(ACTUALS_PREFIX)].reset_index(drop=True)


def level_shift(champion: TravelTimeModel, actuals: pd.DataFrame) -> dict[str, float]:
    """How much slower (> 0) the actuals are than the champion predicts: the mean of
    ``log(actual / predicted)`` (``level``), with its standard error and count."""
    resid = np.log(actuals["duration_s"].to_numpy(np.float64)) - np.log(
        champion.predict(actuals))
    resid = resid[np.isfinite(resid)]
    if len(resid) == 0:
        raise TripDataError("retrain: the champion predicts none of the training actuals")
    se = float(np.std(resid, ddof=1) / np.sqrt(len(resid))) if len(resid) > 1 else float("nan")
    return {"level": float(np.mean(resid)), "se": se, "n": len(resid)}


def challenger_model(champion: TravelTimeModel, base: pd.DataFrame, train_actuals: pd.DataFrame,
                     policy: RetrainPolicy, progress: Callable[[str, int, int], None] | None = None,
                     *, level: float = 0.0) -> tuple[TravelTimeModel, pd.DataFrame, float]:
    """Fit the challenger; returns it, the trips it learned from (the original ones
    times ``exp(level)``: see :func:`level_shift`) and the actuals' weight."""
    tz = str(base["departure"].dt.tz)
    base = conform(base)
    base = base.assign(duration_s=base["duration_s"] * np.exp(level))
    trips = pd.concat([_in_zone(base, tz), _in_zone(conform(train_actuals), tz)],
                      ignore_index=True)
    n_base, n_act = len(base), len(train_actuals)
    weight_actual = max(1.0, policy.actuals_share / (1.0 - policy.actuals_share)
                        * n_base / max(n_act, 1))
    weights = np.concatenate([np.ones(n_base), np.full(n_act, weight_actual)])
    window = max(1, int(round(policy.window_fraction * n_act))) / len(trips)
    params = champion.get_params() | {"validation_fraction": window,
                                      "calibration_fraction": window if champion.quantiles
                                      and champion.calibration_fraction > 0 else 0.0}
    model = TravelTimeModel(**params)
    model.preset = champion.preset
    model.fit(trips, sample_weight=weights, progress=progress)
    return model, trips, weight_actual


def _window(trips: pd.DataFrame) -> dict[str, Any]:
    dep = trips["departure"]
    return {"n_trips": len(trips), "from": dep.min().isoformat() if len(trips) else None,
            "to": dep.max().isoformat() if len(trips) else None}


def score(model: TravelTimeModel, trips: pd.DataFrame) -> dict[str, float]:
    """RMSLE, MAE, MAPE, bias (mean predicted - actual, s) and p10-p90 coverage."""
    y = trips["duration_s"].to_numpy(dtype=np.float64)
    pred = model.predict(trips)
    band = None
    if model.quantiles:
        q = model.predict_quantiles(trips)
        band = (q[:, 0], q[:, -1])
    return metrics(y, pred, band) | {"bias_s": float(np.mean(pred - y))}


@dataclass(frozen=True)
class DistanceBaseline:
    """``log duration = intercept + slope * log(straight line + 200 m)``, least squares:
    the most a model of the geometry alone gets out of the actuals (the guard's yardstick)."""

    intercept: float
    slope: float

    @staticmethod
    def _log_distance(trips: pd.DataFrame) -> np.ndarray:
        d = haversine_m(trips["origin_lat"].to_numpy(np.float64),
                        trips["origin_lon"].to_numpy(np.float64),
                        trips["dest_lat"].to_numpy(np.float64),
                        trips["dest_lon"].to_numpy(np.float64))
        return np.log(d + BASELINE_OFFSET_M)

    @classmethod
    def fit(cls, trips: pd.DataFrame) -> DistanceBaseline:
        x = cls._log_distance(trips)
        y = np.log(trips["duration_s"].to_numpy(np.float64))
        design = np.column_stack([np.ones_like(x), x])
        (intercept, slope), *_ = np.linalg.lstsq(design, y, rcond=None)
        return cls(float(intercept), float(slope))

    def predict(self, trips: pd.DataFrame) -> np.ndarray:
        return np.exp(self.intercept + self.slope * self._log_distance(trips))


def _gain(old: float, new: float) -> float:
    return (old - new) / old if old > 0 else 0.0


def compare(champion: TravelTimeModel, challenger: TravelTimeModel, holdout: pd.DataFrame,
            margin: float, *, baseline: DistanceBaseline | None = None,
            baseline_margin: float = 0.0) -> dict[str, Any]:
    """Both models' hold-out metrics and the decision: promoted when the challenger's
    relative RMSLE gain over the champion is at least ``margin`` and, with a
    ``baseline``, its gain over the baseline at least ``baseline_margin`` (the actuals
    are predictable: see the module's docstring)."""
    old, new = score(champion, holdout), score(challenger, holdout)
    gain = _gain(old["rmsle"], new["rmsle"])
    better = bool(gain >= margin and new["rmsle"] < old["rmsle"])
    reason = (f"hold-out RMSLE {new['rmsle']:.4f} (challenger) vs {old['rmsle']:.4f} "
              f"(champion): {100 * gain:+.1f} %, {'better by' if better else 'short of'} "
              f"the margin of {100 * margin:.1f} %")
    out: dict[str, Any] = {"champion_metrics": old, "challenger_metrics": new,
                           "rmsle_gain": gain}
    predictable = True
    if baseline is not None:
        y = holdout["duration_s"].to_numpy(np.float64)
        pred = baseline.predict(holdout)
        base = metrics(y, pred) | {"bias_s": float(np.mean(pred - y))}
        over = _gain(base["rmsle"], new["rmsle"])
        predictable = bool(over >= baseline_margin and new["rmsle"] < base["rmsle"])
        out |= {"baseline": {"kind": "log duration = intercept + slope * log(straight "
                             "line + 200 m), fitted on the training actuals",
                             "intercept": baseline.intercept, "slope": baseline.slope,
                             "metrics": base},
                "baseline_gain": over}
        reason += (f"; vs the distance baseline fitted on the actuals ({base['rmsle']:.4f}): "
                   f"{100 * over:+.1f} %, " + (
                       f"the actuals are predictable (margin {100 * baseline_margin:.1f} %)"
                       if predictable else
                       f"short of the margin of {100 * baseline_margin:.1f} %: the actuals "
                       "carry no per-leg signal a model can learn (garbled times?), not "
                       "promoted"))
    promote = better and predictable
    return out | {"decision": "promoted" if promote else "kept_champion", "reason": reason}


def promote(registry: ModelRegistry, outcome: dict[str, Any], *, champion_id: str,
            challenger_id: str) -> dict[str, Any]:
    """Activate the challenger when ``outcome`` (``compare``) promotes it and the active
    model is still ``champion_id``; when another retrain (or an activation) changed the
    champion meanwhile, the decision becomes ``stale`` and nothing is activated: the
    challenger was judged against a model that is no longer the one it would replace."""
    if outcome["decision"] != "promoted" or registry.promote(challenger_id,
                                                             expected=champion_id):
        return outcome
    return outcome | {"decision": "stale", "reason": (
        f"{outcome['reason']}; not activated: the active model is now "
        f"{registry.active_id()!r}, not the champion {champion_id!r} it was compared with")}


def retrain(registry: ModelRegistry, actuals: pd.DataFrame, *,
            base: pd.DataFrame | None = None, policy: RetrainPolicy | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Train a challenger against the active model, register it, promote it when better
    by the margin, and record the comparison; returns the comparison document.

    ``base`` are the original trips (default: those stored with the champion, without
    any that came from actuals). ``actuals`` are trips in the generic schema; their
    ``source`` is set to ``"actuals"`` where it does not already say so.
    """
    policy = policy or RetrainPolicy()
    champion_id = registry.active_id()
    if champion_id is None:
        raise TripDataError("retrain: no travel model is active; train and activate one first")
    champion = registry.load(champion_id)
    base = original_trips(registry.training_trips(champion_id) if base is None
                          else conform(base))
    actuals = _tagged(conform(actuals, where="actuals"))
    train_actuals, holdout = split_actuals(actuals, policy)
    level = level_shift(champion, train_actuals)
    challenger, trips, weight = challenger_model(
        champion, base, train_actuals, policy, progress,
        level=level["level"] if policy.rebase_originals else 0.0)
    challenger_id = registry.register(challenger, activate=False, trips=trips)
    outcome = promote(registry, compare(champion, challenger, holdout, policy.margin,
                                        baseline=DistanceBaseline.fit(train_actuals),
                                        baseline_margin=policy.baseline_margin),
                      champion_id=champion_id, challenger_id=challenger_id)
    hold = _window(holdout)
    doc = {
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "champion": {"model_id": champion_id,
                     "training_period": list(champion.training_period_),
                     "n_trips": champion.n_trips_, "validation": champion.metrics_.get(
                         "validation", {}), "saw_holdout": bool(
                         pd.Timestamp(champion.training_period_[1]) >= holdout[
                             "departure"].min())},
        "challenger": {"model_id": challenger_id,
                       "training_period": list(challenger.training_period_),
                       "n_trips": challenger.n_trips_, "actuals_weight": weight,
                       "original_trips_rebased": policy.rebase_originals,
                       "validation": challenger.metrics_.get("validation", {})},
        "windows": {"original_trips": _window(base), "training_actuals": _window(train_actuals),
                    "holdout": hold},
        "policy": asdict(policy),
        "level_shift": level,
        **outcome,
        "active": registry.active_id(),
    }
    doc["name"] = registry.record_comparison(doc)
    return doc


def _tagged(actuals: pd.DataFrame) -> pd.DataFrame:
    source = actuals["source"].astype("string").fillna("")
    keep = source.str.startswith(ACTUALS_PREFIX)
    return actuals.assign(source=source.where(keep, ACTUALS_PREFIX).astype("object"))


def _in_zone(trips: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Departures in ``tz`` at nanoseconds, so frames read from different files concat."""
    return trips.assign(departure=trips["departure"].dt.tz_convert(tz).astype(
        f"datetime64[ns, {tz}]"))
