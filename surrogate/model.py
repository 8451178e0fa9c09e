"""TravelTimeModel: LightGBM on log duration, plus quantile boosters (sklearn conventions).

The median booster minimises squared error on log(duration), whose optimum is the
conditional median under log-normal noise; each quantile booster uses the pinball loss on
the same target (quantiles commute with the log). Outputs are sorted along the quantile
axis so bands never cross.

Quantile calibration (``calibrate=True``): quantile boosters fitted by pinball loss are
often over-confident out of sample (p10-p90 held 0.74-0.81 of hold-out trips). After
fitting, each quantile level ``q`` gets a log-scale offset, the split-conformal one-sided
correction on the validation split: the ``ceil((n + 1) q)``-th smallest residual
``log y - log q_hat(x)`` (Romano, Patterson & Candes 2019, "Conformalized quantile
regression", one-sided per level). The offsets live in the sidecar and every quantile
prediction adds them. With ``calibration_fraction > 0`` (the default) the residuals come
from a separate calibration window, the latest trips, used neither for training nor for
early stopping, so the offsets are not biased by the choice of the number of trees.

Time order of the trips in ``fit``: training part | validation window (early stopping,
reported metrics) | calibration window (quantile offsets). With ``refit=True`` (the
default) the median booster is then fitted again on all three, with the early-stopped
tree count scaled to the data and capped by ``n_estimators``; zones and pace tables stay
those of the training part (the windows' rows get the tables' values, out of sample for
them), and so do the quantile boosters and their offsets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from surrogate import fit_support
from surrogate.errors import IncompatibleModelError, NotFittedError, TripDataError
from surrogate.evaluate import metrics
from surrogate.features import (
    CATEGORICAL,
    FEATURE_NAMES,
    FEATURE_SETS,
    PACE_FEATURES,
    FeatureSpace,
    fit_feature_space,
    fit_pace,
    row_features,
    trip_features,
)
from surrogate.predictor import (
    FORMAT_VERSION,
    SIDECAR,
    booster_file,
    booster_path,
    quantile_keys,
    read_sidecar,
)
from surrogate.trees import CompiledEnsemble
from surrogate.trips.schema import conform

logger = logging.getLogger(__name__)

#: named constructor settings: matrix cost against accuracy (benchmarks/surrogate/README.md
#: measures both). The matrix walks every tree for every pair, so its cost follows the
#: median booster's tree count and depth. "default" (the constructor's) is 60 trees of
#: 31 leaves, the speed goal's size; "accurate" the former default's 300-tree / 63-leaf
#: settings (about 4x the matrix cost); "fast" in between; "fastest" 40 trees.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "accurate": {"learning_rate": 0.08, "num_leaves": 63, "n_estimators": 300,
                 "quantile_estimators": 150},
    "fast": {"learning_rate": 0.15, "num_leaves": 63, "n_estimators": 80,
             "quantile_estimators": 50},
    "fastest": {"learning_rate": 0.25, "n_estimators": 40},
}


class TravelTimeModel:
    """Learned travel times with uncertainty.

    Parameters
    ----------
    quantiles
        Quantile levels besides the median (at least p10 and p90 by default).
    n_estimators, learning_rate, num_leaves, min_child_samples
        Median booster size (``n_estimators`` caps the refit too: it bounds the matrix
        cost). On a time split inside NYC's training part (first 64 % vs 64-80 %): these
        defaults 0.314 RMSLE, the former 241 x 63 leaves without refit 0.318, ``"accurate"``
        0.305 at ~4x the matrix cost (benchmarks/surrogate/README.md).
    quantile_estimators, quantile_num_leaves
        Quantile boosters are smaller: bands need less detail than the median.
    n_zones
        Zones learned by k-means on training end points (categorical features).
    grid_angle_deg
        Street-grid orientation; ``None`` estimates it from trip bearings.
    validation_fraction
        Share of trips (by departure, before the calibration window): early stopping, metrics.
    calibration_fraction
        The latest share of trips, used only for the quantile offsets; 0 calibrates on
        the validation window (format-1 behaviour).
    feature_set
        ``"v2"`` (rotated coordinates, grid components, zone pace encodings) or ``"v1"``
        (the 15 features of format 1); see ``features.FEATURE_SETS``.
    refit
        Refit the median booster on every trip, windows included, after early stopping
        and calibration (module docstring): the latest trips are the closest to what the
        model predicts. Quantile boosters, offsets and window metrics stay out of sample.
    monotone_distance
        Constrain the median booster to be non-decreasing in the straight-line distance
        (LightGBM refuses monotone constraints for the quantile objective).
    early_stopping_rounds
        Stop when validation loss has not improved for this many rounds.
    seed
        Seeds zones, feature sampling and the quantile boosters' bagging: same data + seed = same model.
    n_threads
        Threads for training and prediction (``None``: all cores).
    calibrate
        Shift each quantile by its conformal offset from the validation split.
    """

    def __init__(self, *, quantiles: Sequence[float] = (0.1, 0.9), n_estimators: int = 60,
                 learning_rate: float = 0.2, num_leaves: int = 31, min_child_samples: int = 20,
                 quantile_estimators: int = 40, quantile_num_leaves: int = 15,
                 n_zones: int = 40, grid_angle_deg: float | None = None,
                 validation_fraction: float = 0.1, early_stopping_rounds: int = 30,
                 seed: int = 0, n_threads: int | None = None, calibrate: bool = True,
                 calibration_fraction: float = 0.1, feature_set: str = "v2",
                 monotone_distance: bool = True, refit: bool = True) -> None:
        self.quantiles = tuple(quantiles)
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.quantile_estimators = quantile_estimators
        self.quantile_num_leaves = quantile_num_leaves
        self.n_zones = n_zones
        self.grid_angle_deg = grid_angle_deg
        self.validation_fraction = validation_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.seed = seed
        self.n_threads = n_threads
        self.calibrate = calibrate
        self.calibration_fraction = calibration_fraction
        self.feature_set = feature_set
        self.monotone_distance = monotone_distance
        self.refit = refit
        self.preset: str | None = None  # the PRESETS entry (from_preset), kept in the sidecar

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> TravelTimeModel:
        """A model with the settings of ``PRESETS[name]``, then ``overrides``, labelled with
        ``name`` (recorded in its sidecar); ValueError naming the presets for another name."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; presets are {sorted(PRESETS)}")
        model = cls(**{**PRESETS[name], **overrides})
        model.preset = name
        return model

    # ----------------------------------------------------------------- params
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (sklearn convention), JSON-serialisable."""
        names = ("quantiles", "n_estimators", "learning_rate", "num_leaves", "min_child_samples",
                 "quantile_estimators", "quantile_num_leaves", "n_zones", "grid_angle_deg",
                 "validation_fraction", "early_stopping_rounds", "seed", "n_threads", "calibrate",
                 "calibration_fraction", "feature_set", "monotone_distance", "refit")
        return {k: (list(getattr(self, k)) if k == "quantiles" else getattr(self, k))
                for k in names}

    def _threads(self) -> int:
        return int(self.n_threads or os.cpu_count() or 1)

    def _lgb_params(self, objective: str, alpha: float | None, leaves: int) -> dict[str, Any]:
        p: dict[str, Any] = {
            "objective": objective, "learning_rate": self.learning_rate, "num_leaves": leaves,
            "min_child_samples": self.min_child_samples, "feature_fraction": 0.9,
            # no row bagging for the median: its few trees do not average that noise out
            "bagging_fraction": 0.8 if alpha is not None else 1.0, "bagging_freq": 1, "lambda_l2": 1.0,
            "seed": self.seed, "deterministic": True, "num_threads": self._threads(),
            "verbosity": -1, "max_cat_to_onehot": 4, "cat_smooth": 10.0,
        }
        if alpha is not None:
            p["alpha"] = alpha
        if self.monotone_distance and alpha is None:  # LightGBM refuses it for quantiles
            p["monotone_constraints"] = [int(f == "haversine_m") for f in self._names()]
        return p

    def _names(self) -> list[str]:
        """The features this model's boosters read (a prefix of FEATURE_NAMES)."""
        if self.feature_set not in FEATURE_SETS:
            raise ValueError(f"feature_set must be one of {sorted(FEATURE_SETS)}, "
                             f"got {self.feature_set!r}")
        return list(FEATURE_NAMES[:FEATURE_SETS[self.feature_set]])

    # -------------------------------------------------------------------- fit
    def fit(self, trips: pd.DataFrame, *, cleaning_report: dict[str, Any] | None = None,
            progress: fit_support.Progress | None = None,
            sample_weight: np.ndarray | None = None) -> TravelTimeModel:
        """Learn from trips in the generic schema (already cleaned); returns ``self``.

        The latest ``validation_fraction`` of trips by departure is the validation set:
        time-based, so the reported metrics are a forecast, not an interpolation.
        ``sample_weight`` (one positive weight per row of ``trips``) weighs the training
        rows (retraining gives a fleet's recent actuals more say than old trips); the
        validation and calibration windows are not weighted, except as rows of the
        median's refit (``refit``), where every trip keeps its weight.

        Raises
        ------
        TripDataError
            Too few trips, or values the model cannot learn from (NaN, durations <= 0).
        """
        trips = conform(trips, where="fit")
        if len(trips) < 50:
            raise TripDataError(f"fit: need at least 50 trips, got {len(trips)}")
        y_all = trips["duration_s"].to_numpy()
        coords = trips[["origin_lat", "origin_lon", "dest_lat", "dest_lon"]].to_numpy()
        if not np.isfinite(coords).all() or not (y_all > 0).all() or trips["departure"].isna().any():
            raise TripDataError("fit: trips contain missing values or durations <= 0; "
                                "clean them first (load_trips does)")
        if any(not 0.0 < q < 1.0 or q == 0.5 for q in self.quantiles):
            raise ValueError(f"quantiles must lie in (0, 1) without 0.5, got {self.quantiles}")
        names = self._names()
        if sample_weight is not None:
            trips = trips.assign(_weight=fit_support.checked_weights(sample_weight,
                                                                     len(trips)))
        trips = trips.sort_values("departure", kind="stable").reset_index(drop=True)
        weight = trips.pop("_weight").to_numpy() if sample_weight is not None else None
        n_cal = int(round(self.calibration_fraction * len(trips))) if self.quantiles else 0
        n_val = max(1, int(round(self.validation_fraction * len(trips))))
        if len(trips) - n_cal - n_val < 20:
            raise TripDataError(f"fit: {len(trips)} trips leave too few to train on after "
                                f"{n_val} validation and {n_cal} calibration trips")
        train = trips.iloc[:len(trips) - n_val - n_cal]
        val = trips.iloc[len(trips) - n_val - n_cal:len(trips) - n_cal]
        cal = trips.iloc[len(trips) - n_cal:] if n_cal else val
        tz = str(trips["departure"].dt.tz)
        space = fit_feature_space(train, n_zones=self.n_zones, seed=self.seed,
                                  grid_angle_deg=self.grid_angle_deg, tz=tz)
        self.feature_space_, oof = fit_pace(space, train, seed=self.seed)
        x_tr = trip_features(self.feature_space_, train)
        x_tr[:, [FEATURE_NAMES.index(f) for f in PACE_FEATURES]] = oof  # out-of-fold
        x_tr, x_va = x_tr[:, :len(names)], trip_features(self.feature_space_, val)[:, :len(names)]
        y_tr, y_va = np.log(train["duration_s"].to_numpy()), np.log(val["duration_s"].to_numpy())
        self.boosters_: dict[str, lgb.Booster] = {}
        self.quantile_offsets_: dict[str, float] = {}
        self._ensembles: dict[str, CompiledEnsemble] = {}
        self.refit_: dict[str, int] | None = None
        jobs = [("median", None, self.n_estimators, self.num_leaves)]
        jobs += [(f"{q:g}", q, self.quantile_estimators, self.quantile_num_leaves)
                 for q in sorted(self.quantiles)]
        for key, alpha, rounds, leaves in jobs:
            objective = "regression" if alpha is None else "quantile"
            d_tr = lgb.Dataset(x_tr, y_tr, feature_name=names,
                               weight=None if weight is None else weight[:len(train)],
                               categorical_feature=list(CATEGORICAL), free_raw_data=False)
            d_va = lgb.Dataset(x_va, y_va, reference=d_tr)
            callbacks: list[Any] = [lgb.early_stopping(self.early_stopping_rounds, verbose=False)]
            if progress is not None:
                callbacks.append(fit_support.progress_callback(progress, key, rounds))
            self.boosters_[key] = lgb.train(
                self._lgb_params(objective, alpha, leaves), d_tr, num_boost_round=rounds,
                valid_sets=[d_va], callbacks=callbacks)
            logger.info("trained %s booster: %d trees", key, self.boosters_[key].best_iteration)
        self.feature_names_ = names
        self.n_features_in_ = len(names)
        self.slices_ = {"time_features": "local hour of week (cyclic), hour of day, day type",
                        "period_s": 7 * 86400, "default_slice_s": 900}
        self.training_period_ = (trips["departure"].iloc[0].isoformat(),
                                 trips["departure"].iloc[-1].isoformat())
        self.n_trips_ = len(trips)
        self.data_fingerprint_ = fit_support.fingerprint(trips)
        self.cleaning_report_ = cleaning_report or {}
        x_cal = trip_features(self.feature_space_, cal)[:, :len(names)]
        self.calibration_ = (self._calibrate(x_cal, np.log(cal["duration_s"].to_numpy()))
                             if self.quantiles else {})
        if n_cal:
            self.calibration_["window"] = [cal["departure"].iloc[0].isoformat(),
                                           cal["departure"].iloc[-1].isoformat()]
        self.metrics_ = {"validation": self._window_metrics(val)}
        if n_cal:
            self.metrics_["calibration"] = self._window_metrics(cal)
        if self.refit:
            x_all = np.vstack([x_tr, x_va] + ([x_cal] if n_cal else []))
            y_all = np.log(trips["duration_s"].to_numpy()[:len(x_all)])
            self._refit_median(x_all, y_all, len(train),
                               None if weight is None else weight[:len(x_all)], progress)
        self.model_id_ = "tt-" + hashlib.sha256(
            "".join(b.model_to_string() for b in self.boosters_.values()).encode()
            + json.dumps(self.quantile_offsets_, sort_keys=True).encode()).hexdigest()[:12]
        self.created_at_ = datetime.now(UTC).isoformat(timespec="seconds")
        return self

    def _refit_median(self, x: np.ndarray, y: np.ndarray, n_train: int,
                      weight: np.ndarray | None, progress: fit_support.Progress | None) -> None:
        """Replace the median booster by one fitted on all rows ``x`` (train, then the
        windows, in time order) with the early-stopped tree count scaled by the data."""
        best = self.boosters_["median"].best_iteration or self.boosters_["median"].num_trees()
        rounds = min(self.n_estimators, fit_support.refit_rounds(best, n_train, len(x)))
        data = lgb.Dataset(x, y, feature_name=self.feature_names_, weight=weight,
                           categorical_feature=list(CATEGORICAL), free_raw_data=False)
        callbacks = ([] if progress is None
                     else [fit_support.progress_callback(progress, "median refit", rounds)])
        self.boosters_["median"] = lgb.train(self._lgb_params("regression", None, self.num_leaves),
                                             data, num_boost_round=rounds, callbacks=callbacks)
        self.refit_ = {"early_stopped_trees": int(best), "trees": int(rounds),
                       "n_trips": int(len(x))}
        logger.info("refit median booster on %d trips: %d trees", len(x), rounds)

    def _window_metrics(self, window: pd.DataFrame) -> dict[str, float]:
        """Point metrics and p10-p90 coverage (outermost levels) on a window of trips."""
        q = self.predict_quantiles(window) if self.quantiles else None
        band = (q[:, 0], q[:, -1]) if q is not None else None
        return metrics(window["duration_s"].to_numpy(), self.predict(window), band)

    def _calibrate(self, x_va: np.ndarray, y_va: np.ndarray) -> dict[str, Any]:
        """Set ``quantile_offsets_`` (split-conformal, per level) and describe them."""
        n = len(y_va)
        before = self.sorted_quantiles(x_va)
        for key, q in zip(self.quantile_keys(), sorted(self.quantiles), strict=True):
            resid = np.sort(y_va - np.log(self.predict_features(x_va, key)))
            rank = min(n, max(1, int(np.ceil((n + 1) * q))))
            self.quantile_offsets_[key] = float(resid[rank - 1]) if self.calibrate else 0.0
        after = self.sorted_quantiles(x_va)
        y = np.exp(y_va)
        return {
            "method": "split-conformal one-sided offset per level on log duration "
                      + ("(calibration window)" if self.calibration_fraction > 0
                         else "(validation split)") if self.calibrate else "none",
            "n": n, "offsets_log": dict(self.quantile_offsets_),
            "below_share_before": {k: float(np.mean(y < before[:, c]))
                                   for c, k in enumerate(self.quantile_keys())},
            "below_share_after": {k: float(np.mean(y < after[:, c]))
                                  for c, k in enumerate(self.quantile_keys())},
        }

    # ---------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "boosters_"):
            raise NotFittedError("this TravelTimeModel is not fitted yet; call fit or load")

    def predict_features(self, x: np.ndarray, key: str = "median") -> np.ndarray:
        """Seconds from a feature matrix ``x[k, f]`` (FEATURE_NAMES order) for one booster.

        Quantile keys include their calibration offset (``quantile_offsets_``).
        """
        self._check_fitted()
        b = self.boosters_[key]
        raw = b.predict(x[:, :self.n_features_in_], num_iteration=b.best_iteration or None,
                        num_threads=self._threads())
        return np.exp(raw + self.quantile_offsets_.get(key, 0.0))

    def compiled(self, key: str = "median") -> CompiledEnsemble:
        """The booster ``key`` flattened for the Numba evaluator (built once, then reused)."""
        self._check_fitted()
        if key not in self._ensembles:
            b = self.boosters_[key]
            self._ensembles[key] = CompiledEnsemble.from_booster(b, b.best_iteration or None)
        return self._ensembles[key]

    def predict(self, trips: pd.DataFrame) -> np.ndarray:
        """Median duration in seconds per trip; NaN where coordinates or time are missing."""
        self._check_fitted()
        x, ok = self._features(trips)
        out = np.full(len(trips), np.nan)
        if ok.any():
            out[ok] = self.predict_features(x[ok])
        return out

    def predict_quantiles(self, trips: pd.DataFrame) -> np.ndarray:
        """``[n, len(quantiles)]`` seconds, columns in ascending quantile order.

        The median is sorted in with the quantiles, so ``q_low <= median <= q_high``.
        """
        self._check_fitted()
        x, ok = self._features(trips)
        keys = self.quantile_keys()
        out = np.full((len(trips), len(keys)), np.nan)
        if ok.any():
            out[ok] = self.sorted_quantiles(x[ok])
        return out

    def quantile_keys(self) -> list[str]:
        return quantile_keys(self.quantiles)

    def sorted_quantiles(self, x: np.ndarray, median: np.ndarray | None = None) -> np.ndarray:
        """Quantile columns for features ``x``, monotone across levels (rearrangement)."""
        levels = sorted(self.quantiles)
        med = self.predict_features(x) if median is None else median
        cols = [self.predict_features(x, k) for k in self.quantile_keys()]
        stack = np.column_stack(cols + [med])
        stack.sort(axis=1)
        below = sum(q < 0.5 for q in levels)
        return np.delete(stack, below, axis=1)  # drop the median's slot

    def predict_pairs(self, orig: np.ndarray, dest: np.ndarray, unix_s: np.ndarray) -> np.ndarray:
        """Median seconds for paired ``orig[n, 2]``, ``dest[n, 2]`` lat/lon and departures."""
        self._check_fitted()
        o, d = np.asarray(orig, np.float64), np.asarray(dest, np.float64)
        x = row_features(self.feature_space_, np.ascontiguousarray(o[:, 0]),
                         np.ascontiguousarray(o[:, 1]), np.ascontiguousarray(d[:, 0]),
                         np.ascontiguousarray(d[:, 1]), np.asarray(unix_s, np.float64))
        return self.predict_features(x)

    def _features(self, trips: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        cols = trips[["origin_lat", "origin_lon", "dest_lat", "dest_lon"]].to_numpy(np.float64)
        ok = np.isfinite(cols).all(axis=1) & trips["departure"].notna().to_numpy()
        safe = trips.copy()
        if not ok.all():  # placeholders keep the kernel simple; results are masked out
            safe.loc[~ok, ["origin_lat", "origin_lon", "dest_lat", "dest_lon"]] = 0.0
            safe.loc[~ok, "departure"] = safe["departure"][ok].min() if ok.any() else pd.NaT
        if not ok.any():
            return np.empty((len(trips), len(FEATURE_NAMES))), ok
        return trip_features(self.feature_space_, safe), ok

    # ------------------------------------------------------------- save/load
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write one LightGBM text file per booster plus the JSON sidecar; returns the dir."""
        self._check_fitted()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for key, booster in self.boosters_.items():
            booster.save_model(out / booster_file(key), num_iteration=booster.best_iteration or None)
        (out / SIDECAR).write_text(json.dumps(self.metadata(), indent=2))
        return out

    def metadata(self) -> dict[str, Any]:
        """Everything the sidecar stores: enough to check compatibility and provenance."""
        self._check_fitted()
        return {
            "format_version": FORMAT_VERSION, "model_id": self.model_id_,
            "created_at": self.created_at_, "params": self.get_params(), "preset": self.preset,
            "feature_names": self.feature_names_, "categorical": list(CATEGORICAL),
            "feature_space": self.feature_space_.to_dict(), "slices": self.slices_,
            "boosters": {k: booster_file(k) for k in self.boosters_},
            "training_period": list(self.training_period_), "n_trips": self.n_trips_,
            "data_fingerprint": self.data_fingerprint_, "cleaning_report": self.cleaning_report_,
            "metrics": self.metrics_, "versions": fit_support.versions(),
            "quantile_offsets": self.quantile_offsets_, "calibration": self.calibration_,
            "refit": self.refit_,
        }

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TravelTimeModel:
        """Read a model written by ``save``; raise IncompatibleModelError on any mismatch."""
        src = Path(directory)
        meta, params, names = read_sidecar(src)
        model = cls(**params)
        model.boosters_ = {}
        for key, fname in meta["boosters"].items():
            path = booster_path(src, fname)
            booster = lgb.Booster(model_file=str(path))
            if booster.feature_name() != names:
                raise IncompatibleModelError(f"{path}: booster features differ from the sidecar")
            model.boosters_[key] = booster
        model.feature_names_ = list(meta["feature_names"])
        model.n_features_in_ = len(model.feature_names_)
        model.feature_space_ = FeatureSpace.from_dict(meta["feature_space"])
        model.slices_ = meta["slices"]
        model.training_period_ = tuple(meta["training_period"])
        model.n_trips_ = meta["n_trips"]
        model.data_fingerprint_ = meta["data_fingerprint"]
        model.cleaning_report_ = meta["cleaning_report"]
        model.metrics_ = meta["metrics"]
        model.model_id_ = meta["model_id"]
        model.quantile_offsets_ = {k: float(v) for k, v in meta.get("quantile_offsets", {}).items()}
        model.calibration_ = meta.get("calibration", {})
        model.refit_ = meta.get("refit")
        model._ensembles = {}
        model.created_at_, model.preset = meta["created_at"], meta.get("preset")
        return model
