"""TravelTimeModel: sklearn conventions, accuracy vs baselines, quantiles, save/load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surrogate import (
    IncompatibleModelError,
    NotFittedError,
    SpeedBaseline,
    SyntheticCity,
    TravelTimeModel,
    TripDataError,
    evaluate_model,
)
from surrogate.evaluate import rmsle


def test_init_only_stores_params() -> None:
    """The constructor stores settings (incl. seed, quantiles, n_threads) and learns nothing."""
    m = TravelTimeModel(seed=7, quantiles=(0.9, 0.1), n_threads=1)
    assert m.seed == 7 and m.n_threads == 1 and m.quantiles == (0.9, 0.1)
    assert not any(k.endswith("_") for k in vars(m))


def test_predict_before_fit_raises(trips: pd.DataFrame) -> None:
    """predict, predict_quantiles and save raise NotFittedError before fit."""
    m = TravelTimeModel()
    with pytest.raises(NotFittedError):
        m.predict(trips)
    with pytest.raises(NotFittedError):
        m.predict_quantiles(trips)
    with pytest.raises(NotFittedError):
        m.save("unused")


def test_fit_sets_learned_attributes(model: TravelTimeModel) -> None:
    """fit returns self and sets the trailing-underscore attributes."""
    assert model.n_features_in_ == len(model.feature_names_)
    assert set(model.boosters_) == {"median", "0.1", "0.9"}
    assert model.slices_["period_s"] == 7 * 86400
    assert model.metrics_["validation"]["rmsle"] > 0
    assert model.model_id_.startswith("tt-")


def test_fit_rejects_dirty_trips(trips: pd.DataFrame) -> None:
    """Uncleaned trips (a negative duration) are refused with TripDataError."""
    bad = trips.head(200).copy()
    bad.loc[3, "duration_s"] = -5.0
    with pytest.raises(TripDataError):
        TravelTimeModel(n_estimators=5).fit(bad)


def test_model_beats_both_baselines(model: TravelTimeModel, trips: pd.DataFrame,
                                    test_trips: pd.DataFrame) -> None:
    """On later synthetic trips the model's RMSLE beats global and hourly speed baselines."""
    res = evaluate_model(model, test_trips, trips)
    assert res["model"]["rmsle"] < res["haversine_hourly_speed"]["rmsle"]
    assert res["model"]["rmsle"] < res["haversine_global_speed"]["rmsle"]


def test_model_close_to_ground_truth(model: TravelTimeModel, city: SyntheticCity,
                                     test_trips: pd.DataFrame) -> None:
    """Predicted medians track the city's true median times (log error well under noise)."""
    from surrogate.clock import to_unix_seconds
    truth = city.true_travel_time(test_trips[["origin_lat", "origin_lon"]].to_numpy(),
                                  test_trips[["dest_lat", "dest_lon"]].to_numpy(),
                                  to_unix_seconds(test_trips["departure"]))
    assert rmsle(truth, model.predict(test_trips)) < city.noise_sigma


def test_quantiles_are_ordered(model: TravelTimeModel, test_trips: pd.DataFrame) -> None:
    """p10 <= median <= p90 on every row (quantiles never cross)."""
    q = model.predict_quantiles(test_trips)
    med = model.predict(test_trips)
    assert q.shape == (len(test_trips), 2)
    assert (q[:, 0] <= med + 1e-9).all() and (med <= q[:, 1] + 1e-9).all()


def test_missing_rows_predict_nan(model: TravelTimeModel, test_trips: pd.DataFrame) -> None:
    """A row without coordinates gets NaN; the others are unaffected."""
    df = test_trips.head(10).copy()
    ref = model.predict(df)
    df.loc[4, "origin_lat"] = np.nan
    out = model.predict(df)
    assert np.isnan(out[4]) and np.allclose(np.delete(out, 4), np.delete(ref, 4))


def test_save_load_round_trip(model: TravelTimeModel, test_trips: pd.DataFrame,
                              tmp_path: Path) -> None:
    """A saved and reloaded model gives identical predictions and metadata, without pickle."""
    model.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {
        "model.json", "median.txt", "quantile_0.1.txt", "quantile_0.9.txt"}
    back = TravelTimeModel.load(tmp_path)
    np.testing.assert_array_equal(back.predict(test_trips), model.predict(test_trips))
    np.testing.assert_array_equal(back.predict_quantiles(test_trips),
                                  model.predict_quantiles(test_trips))
    assert back.model_id_ == model.model_id_ and back.get_params() == model.get_params()
    assert back.refit_ == model.refit_ and model.refit_ is not None
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["data_fingerprint"].startswith("sha256:") and "lightgbm" in meta["versions"]


def test_load_rejects_mismatched_features(model: TravelTimeModel, tmp_path: Path) -> None:
    """A sidecar whose feature list differs from the code's raises IncompatibleModelError."""
    model.save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["feature_names"] = meta["feature_names"][::-1]
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModelError):
        TravelTimeModel.load(tmp_path)


def test_load_rejects_other_format_version(model: TravelTimeModel, tmp_path: Path) -> None:
    """A future sidecar format is refused rather than misread."""
    model.save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModelError, match="format"):
        TravelTimeModel.load(tmp_path)


def test_same_seed_same_model(trips: pd.DataFrame) -> None:
    """Two fits with the same data and seed give the same model id."""
    kw = dict(n_estimators=10, quantiles=(), n_zones=6, n_threads=2, seed=4)
    a = TravelTimeModel(**kw).fit(trips.head(1500))
    b = TravelTimeModel(**kw).fit(trips.head(1500))
    assert a.model_id_ == b.model_id_


def test_hourly_baseline_uses_hour_of_week(trips: pd.DataFrame) -> None:
    """The hourly baseline has 168 speeds and is slower at rush hour than at night."""
    b = SpeedBaseline.fit(trips, per_hour=True)
    assert b.hourly_speed is not None and b.hourly_speed.shape == (168,)
    assert b.hourly_speed[8] < b.hourly_speed[3]


def test_quantile_calibration_hits_levels_on_validation(model: TravelTimeModel) -> None:
    """Conformal offsets put ~10 % of validation trips below p10 and ~90 % below p90."""
    cal = model.calibration_
    assert cal["n"] > 100 and set(cal["offsets_log"]) == {"0.1", "0.9"}
    tol = 2.0 / np.sqrt(cal["n"])
    assert abs(cal["below_share_after"]["0.1"] - 0.1) < tol
    assert abs(cal["below_share_after"]["0.9"] - 0.9) < tol
    assert model.quantile_offsets_ == cal["offsets_log"]


def test_quantile_offsets_apply_and_round_trip(model: TravelTimeModel, test_trips: pd.DataFrame,
                                               tmp_path: Path) -> None:
    """Quantile predictions are the booster's times exp(offset); offsets survive save/load."""
    from surrogate.features import trip_features

    x = trip_features(model.feature_space_, test_trips.iloc[:200])
    b = model.boosters_["0.9"]
    raw = b.predict(x, num_iteration=b.best_iteration or None)
    np.testing.assert_allclose(model.predict_features(x, "0.9"),
                               np.exp(raw + model.quantile_offsets_["0.9"]), rtol=1e-12)
    loaded = TravelTimeModel.load(model.save(tmp_path / "m"))
    assert loaded.quantile_offsets_ == model.quantile_offsets_
    assert json.loads((tmp_path / "m" / "model.json").read_text())["calibration"]["n"] > 0


def test_calibration_can_be_switched_off(trips: pd.DataFrame) -> None:
    """calibrate=False leaves every offset at 0 (the boosters' own quantiles)."""
    m = TravelTimeModel(n_estimators=10, quantile_estimators=10, n_zones=4, n_threads=1,
                        calibrate=False).fit(trips.iloc[:800])
    assert m.quantile_offsets_ == {"0.1": 0.0, "0.9": 0.0}
    assert m.get_params()["calibrate"] is False


def test_calibration_window_is_the_latest_trips(model: TravelTimeModel) -> None:
    """Offsets come from a window after the validation window, and its coverage is reported."""
    window = model.calibration_["window"]
    assert "calibration window" in model.calibration_["method"]
    assert pd.Timestamp(window[0]) <= pd.Timestamp(window[1]) == pd.Timestamp(
        model.training_period_[1])
    cal = model.metrics_["calibration"]
    assert cal["n"] == model.calibration_["n"]
    assert abs(cal["coverage"] - 0.8) < 3.0 / np.sqrt(cal["n"])


def test_hold_out_trips_do_not_reach_the_pace_tables(trips: pd.DataFrame) -> None:
    """Durations of the validation and calibration windows never change the pace encodings."""
    kw = dict(n_estimators=3, quantile_estimators=3, n_zones=5, n_threads=1, seed=0)
    base = trips.sort_values("departure").reset_index(drop=True).head(1000)
    a = TravelTimeModel(**kw).fit(base)
    late = base.copy()
    late.loc[late.index[-200:], "duration_s"] *= 3.0  # exactly the 10 % + 10 % windows
    b = TravelTimeModel(**kw).fit(late)
    np.testing.assert_array_equal(a.feature_space_.pace, b.feature_space_.pace)
    early = base.copy()
    early.loc[early.index[:50], "duration_s"] *= 3.0
    c = TravelTimeModel(**kw).fit(early)
    assert not np.array_equal(a.feature_space_.pace, c.feature_space_.pace)


def test_refit_replaces_only_the_median_and_keeps_the_out_of_sample_records(
        trips: pd.DataFrame) -> None:
    """refit=True refits the median on every trip, windows included, within n_estimators
    trees; the quantile boosters, their offsets, the pace tables and the recorded window
    metrics are exactly those of the early-stopped fit (refit=False)."""
    kw = dict(n_estimators=40, quantile_estimators=10, n_zones=6, n_threads=1, seed=0)
    data = trips.sort_values("departure").reset_index(drop=True).iloc[:2000]
    a = TravelTimeModel(refit=False, **kw).fit(data)
    b = TravelTimeModel(**kw).fit(data)
    assert a.refit_ is None and b.refit_ is not None and b.refit_["n_trips"] == len(data)
    assert b.boosters_["median"].num_trees() == b.refit_["trees"] <= kw["n_estimators"]
    for key in ("0.1", "0.9"):
        assert a.boosters_[key].model_to_string() == b.boosters_[key].model_to_string()
    assert a.quantile_offsets_ == b.quantile_offsets_ and a.metrics_ == b.metrics_
    np.testing.assert_array_equal(a.feature_space_.pace, b.feature_space_.pace)
    late = data.copy()
    late.loc[late.index[-400:], "duration_s"] *= 3.0  # exactly the 10 % + 10 % windows
    c = TravelTimeModel(**kw).fit(late)
    assert c.metrics_["validation"]["rmsle"] > 0.5  # the early-stopped median never saw them
    # ... the refit median learned them; without a refit, their durations reach no tree
    windows = data.iloc[-400:]
    assert np.median(c.predict(windows) / b.predict(windows)) > 1.5
    d = TravelTimeModel(refit=False, **kw).fit(late)
    assert np.median(d.predict(windows) / a.predict(windows)) < 1.2


def test_v1_models_still_load(trips: pd.DataFrame, test_trips: pd.DataFrame,
                              tmp_path: Path) -> None:
    """A format-1 sidecar (15 features, no feature_set) loads and predicts as saved."""
    m = TravelTimeModel(n_estimators=8, quantile_estimators=8, n_zones=5, n_threads=1,
                        feature_set="v1", calibration_fraction=0.0).fit(trips.iloc[:1500])
    assert m.n_features_in_ == 15
    m.save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["format_version"] = 1
    for key in ("feature_set", "calibration_fraction", "monotone_distance"):
        del meta["params"][key]
    for key in ("centre", "pace"):
        del meta["feature_space"][key]
    (tmp_path / "model.json").write_text(json.dumps(meta))
    back = TravelTimeModel.load(tmp_path)
    assert back.feature_set == "v1"
    np.testing.assert_array_equal(back.predict(test_trips.head(50)), m.predict(test_trips.head(50)))


def test_monotone_distance_never_decreases_with_distance(trips: pd.DataFrame) -> None:
    """With monotone_distance, a longer straight line never predicts a shorter median."""
    from surrogate.features import FEATURE_NAMES, trip_features

    m = TravelTimeModel(n_estimators=20, quantiles=(), n_zones=5, n_threads=1,
                        monotone_distance=True).fit(trips.iloc[:2000])
    x = trip_features(m.feature_space_, trips.iloc[:50])
    col = FEATURE_NAMES.index("haversine_m")
    low = m.predict_features(x)
    x[:, col] *= 1.5
    assert (m.predict_features(x) >= low).all()


def test_presets_set_their_params_and_unknown_names_are_refused() -> None:
    """from_preset applies the preset, then the overrides; an unknown name is an error."""
    from surrogate.model import PRESETS

    for name, params in PRESETS.items():
        got = TravelTimeModel.from_preset(name, seed=3).get_params()
        assert all(got[k] == v for k, v in params.items()) and got["seed"] == 3
    assert TravelTimeModel.from_preset("fast", n_estimators=20).n_estimators == 20
    with pytest.raises(ValueError, match="'quick'"):
        TravelTimeModel.from_preset("quick")


def test_fast_preset_keeps_few_trees_and_lightgbm_matrices(trips: pd.DataFrame,
                                                           points: np.ndarray) -> None:
    """The cheap presets cap the median booster, and their matrices are LightGBM's."""
    from surrogate import predict_matrix

    t0 = pd.Timestamp("2024-01-22 08:00", tz="UTC")
    for name in ("fast", "fastest"):
        m = TravelTimeModel.from_preset(name, quantile_estimators=20, n_zones=12, n_threads=2,
                                        seed=0).fit(trips)
        assert m.compiled("median").n_trees <= m.n_estimators
        ex = predict_matrix(m, points, [t0], method="exact")
        ref = predict_matrix(m, points, [t0], method="lightgbm")
        np.testing.assert_allclose(ex.median, ref.median, rtol=1e-6)
        np.testing.assert_allclose(ex.quantiles[0.9], ref.quantiles[0.9], rtol=1e-6)
