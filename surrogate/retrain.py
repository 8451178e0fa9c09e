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
from surrogate.model import TravelTimeModel
from surrogate.registry import ModelRegistry
from surrogate.trips.schema import conform

ACTUALS_PREFIX = "actuals"  # ``source`` of trips that came from executed routes


@dataclass(frozen=True)
class RetrainPolicy:
    """How a retrain splits, weighs and decides (every field is recorded with it)."""

    margin: float = 0.02
    holdout_fraction: float = 0.25
    min_holdout: int = 50
    min_train_actuals: int = 100
    actuals_share: float = 0.5
    window_fraction: float = 0.1

    def __post_init__(self) -> None:
        for name, lo, hi in (("margin", 0.0, 0.5), ("holdout_fraction", 0.05, 0.8),
                             ("actuals_share", 0.0, 0.95), ("window_fraction", 0.02, 0.3)):
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


def challenger_model(champion: TravelTimeModel, base: pd.DataFrame, train_actuals: pd.DataFrame,
                     policy: RetrainPolicy, progress: Callable[[str, int, int], None] | None = None
                     ) -> tuple[TravelTimeModel, pd.DataFrame, float]:
    """Fit the challenger; returns it, the trips it learned from and the actuals' weight."""
    tz = str(base["departure"].dt.tz)
    trips = pd.concat([_in_zone(conform(base), tz), _in_zone(conform(train_actuals), tz)],
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


def compare(champion: TravelTimeModel, challenger: TravelTimeModel, holdout: pd.DataFrame,
            margin: float) -> dict[str, Any]:
    """Both models' hold-out metrics and the decision (relative RMSLE gain >= margin)."""
    old, new = score(champion, holdout), score(challenger, holdout)
    gain = (old["rmsle"] - new["rmsle"]) / old["rmsle"] if old["rmsle"] > 0 else 0.0
    promote = bool(gain >= margin and new["rmsle"] < old["rmsle"])
    verdict = "better by" if promote else "short of"
    return {"champion_metrics": old, "challenger_metrics": new, "rmsle_gain": gain,
            "decision": "promoted" if promote else "kept_champion",
            "reason": f"hold-out RMSLE {new['rmsle']:.4f} (challenger) vs "
                      f"{old['rmsle']:.4f} (champion): {100 * gain:+.1f} %, {verdict} the "
                      f"margin of {100 * margin:.1f} %"}


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
    challenger, trips, weight = challenger_model(champion, base, train_actuals, policy,
                                                 progress)
    challenger_id = registry.register(challenger, activate=False, trips=trips)
    outcome = promote(registry, compare(champion, challenger, holdout, policy.margin),
                      champion_id=champion_id, challenger_id=challenger_id)
    hold = _window(holdout)
    doc = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "champion": {"model_id": champion_id,
                     "training_period": list(champion.training_period_),
                     "n_trips": champion.n_trips_, "validation": champion.metrics_.get(
                         "validation", {}), "saw_holdout": bool(
                         pd.Timestamp(champion.training_period_[1]) >= holdout[
                             "departure"].min())},
        "challenger": {"model_id": challenger_id,
                       "training_period": list(challenger.training_period_),
                       "n_trips": challenger.n_trips_, "actuals_weight": weight,
                       "validation": challenger.metrics_.get("validation", {})},
        "windows": {"original_trips": _window(base), "training_actuals": _window(train_actuals),
                    "holdout": hold},
        "policy": asdict(policy),
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
