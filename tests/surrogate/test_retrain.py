"""Champion/challenger retraining (surrogate.retrain) on the synthetic city's fleet actuals."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.surrogate.fleet_actuals import fleet_trips
from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel, TripDataError
from surrogate.retrain import (
    DistanceBaseline,
    RetrainPolicy,
    compare,
    retrain,
    score,
    split_actuals,
)

CITY = SyntheticCity()
SLOWER = dataclasses.replace(CITY, free_speed_mps=8.0)  # the traffic change: 11 -> 8 m/s


@pytest.fixture(scope="module")
def champion_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry whose active model learned 4,000 trips of January (stored with it)."""
    root = tmp_path_factory.mktemp("champion")
    base = CITY.simulate_trips(4000, "2024-01-01", 28.0, seed=0)
    model = TravelTimeModel(n_threads=1, seed=0, n_estimators=150, n_zones=20).fit(base)
    ModelRegistry(root).register(model, trips=base)
    return root


@pytest.fixture
def registry(champion_registry: Path, tmp_path: Path) -> ModelRegistry:
    shutil.copytree(champion_registry, tmp_path / "reg")
    return ModelRegistry(tmp_path / "reg")


def test_retrain_after_a_traffic_change_is_promoted_and_forecasts_better(registry) -> None:
    """Traffic slows down in February: two weeks of the fleet's legs retrain a challenger
    that wins on the latest legs, is activated, and has the lower error on the week after
    (which neither model saw)."""
    champion_id = registry.active_id()
    actuals = fleet_trips(SLOWER, start="2024-02-05", days=10, seed=1)
    doc = retrain(registry, actuals)
    assert doc["decision"] == "promoted", doc["reason"]
    challenger_id = doc["challenger"]["model_id"]
    assert registry.active_id() == challenger_id != champion_id
    assert doc["rmsle_gain"] >= RetrainPolicy().margin
    windows = doc["windows"]
    assert windows["training_actuals"]["to"] <= windows["holdout"]["from"]
    assert windows["original_trips"]["n_trips"] == 4000
    assert windows["training_actuals"]["n_trips"] + windows["holdout"]["n_trips"] == len(actuals)
    assert doc["champion"]["saw_holdout"] is False
    assert registry.comparisons()[0]["challenger"]["model_id"] == challenger_id
    assert doc["baseline_gain"] >= RetrainPolicy().baseline_margin  # predictable actuals
    assert doc["level_shift"]["level"] > 0.2  # the champion predicts the legs too fast
    next_week = fleet_trips(SLOWER, start="2024-02-19", days=5, seed=2)
    old = score(registry.load(champion_id), next_week)["rmsle"]
    new = score(registry.load(challenger_id), next_week)["rmsle"]
    assert new < 0.9 * old, (new, old)


def _log_bias(model: TravelTimeModel, trips: pd.DataFrame) -> float:
    return float(np.mean(np.log(model.predict(trips) / trips["duration_s"].to_numpy())))


def test_the_retrained_model_learns_the_new_level_not_half_of_it(registry) -> None:
    """After the traffic change the challenger predicts the next week's legs without the
    champion's bias. Learning the original trips as they were (``rebase_originals``
    off) keeps about a third of it: no feature tells the old trips from the actuals, so
    the trees memorise the heavily weighted actuals where they lie and predict the old
    level elsewhere (-0.10 in log, -121 s a leg, measured)."""
    next_week = fleet_trips(SLOWER, start="2024-02-19", days=5, seed=2)
    actuals = fleet_trips(SLOWER, start="2024-02-05", days=10, seed=1)
    champion_id = registry.active_id()
    assert _log_bias(registry.load(champion_id), next_week) < -0.25
    plain = retrain(registry, actuals, policy=RetrainPolicy(rebase_originals=False))
    assert plain["decision"] == "promoted"
    as_were = _log_bias(registry.load(plain["challenger"]["model_id"]), next_week)
    assert registry.promote(champion_id, expected=plain["challenger"]["model_id"])
    doc = retrain(registry, actuals)
    assert doc["decision"] == "promoted" and doc["challenger"]["original_trips_rebased"]
    assert doc["champion"]["model_id"] == champion_id
    rebased = _log_bias(registry.load(doc["challenger"]["model_id"]), next_week)
    assert abs(rebased) < 0.05, rebased
    assert as_were < rebased - 0.04, (as_were, rebased)


def test_shuffled_durations_are_not_promoted(registry) -> None:
    """Durations permuted across the legs (garbage with a real spread): the champion
    scores badly on the equally garbled hold-out, and the challenger less badly, so the
    comparison with the champion alone would promote it; it cannot beat the distance
    baseline fitted on the same actuals, and is kept out, saying why."""
    champion_id = registry.active_id()
    actuals = fleet_trips(SLOWER, start="2024-02-05", days=10, seed=1)
    rng = np.random.default_rng(0)
    actuals["duration_s"] = rng.permutation(actuals["duration_s"].to_numpy())
    doc = retrain(registry, actuals)
    assert doc["rmsle_gain"] >= RetrainPolicy().margin  # the champion's yardstick says yes
    assert doc["decision"] == "kept_champion", doc["reason"]
    assert doc["baseline_gain"] < RetrainPolicy().baseline_margin
    assert abs(doc["baseline"]["slope"]) < 0.2  # no relation left between distance and time
    assert "no per-leg signal" in doc["reason"]
    assert registry.active_id() == champion_id


def test_actuals_that_are_noise_do_not_promote(registry) -> None:
    """Legs whose times are the champion's own predictions times trip noise carry nothing
    it does not know: the challenger is registered and compared, not activated."""
    champion_id = registry.active_id()
    champion = registry.load(champion_id)
    actuals = fleet_trips(CITY, start="2024-02-05", days=10, seed=1)
    rng = np.random.default_rng(0)
    actuals["duration_s"] = champion.predict(actuals) * np.exp(
        rng.normal(0.0, CITY.noise_sigma, len(actuals)))
    doc = retrain(registry, actuals)
    assert doc["decision"] == "kept_champion", doc["reason"]
    assert doc["rmsle_gain"] < RetrainPolicy().margin
    assert registry.active_id() == champion_id
    registry.load(doc["challenger"]["model_id"])  # registered all the same
    assert registry.comparisons()[0]["decision"] == "kept_champion"
    assert set(doc["champion_metrics"]) >= {"rmsle", "mae_s", "coverage", "bias_s"}


def test_a_second_retrain_learns_from_the_original_trips_only_once(registry) -> None:
    """The promoted challenger stores its trips (originals + actuals); retraining it
    again takes back only the originals and the actuals as given now, never twice."""
    first = retrain(registry, fleet_trips(SLOWER, start="2024-02-05", days=10, seed=1))
    assert first["decision"] == "promoted"
    stored = registry.training_trips(first["challenger"]["model_id"])
    assert stored["source"].astype(str).str.startswith("actuals").sum() == \
        first["windows"]["training_actuals"]["n_trips"]
    second = retrain(registry, fleet_trips(SLOWER, start="2024-02-05", days=15, seed=1))
    assert second["champion"]["model_id"] == first["challenger"]["model_id"]
    assert second["windows"]["original_trips"]["n_trips"] == 4000


def test_split_keeps_the_latest_actuals_for_judging() -> None:
    actuals = fleet_trips(CITY, start="2024-02-05", days=4, seed=3).sample(frac=1.0,
                                                                         random_state=0)
    train, hold = split_actuals(actuals, RetrainPolicy(holdout_fraction=0.25))
    assert len(hold) == round(0.25 * len(actuals)) and len(train) + len(hold) == len(actuals)
    assert train["departure"].max() <= hold["departure"].min()
    with pytest.raises(TripDataError, match="too few"):
        split_actuals(actuals.head(120), RetrainPolicy())


@pytest.mark.parametrize("field, value", [("margin", -0.1), ("holdout_fraction", 0.95),
                                          ("actuals_share", 1.0), ("min_holdout", 1),
                                          ("baseline_margin", 0.9)])
def test_policy_bounds_are_named(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        RetrainPolicy(**{field: value})


class _Constant:
    """A model that predicts one duration (and a band around it)."""

    quantiles = (0.1, 0.9)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def predict(self, trips: pd.DataFrame) -> np.ndarray:
        return np.full(len(trips), self.seconds)

    def predict_quantiles(self, trips: pd.DataFrame) -> np.ndarray:
        return np.column_stack([self.predict(trips) * 0.8, self.predict(trips) * 1.25])


def test_the_margin_decides() -> None:
    """A challenger a little better than the champion is promoted with a small margin and
    not with a large one; one that is worse never is."""
    trips = pd.DataFrame({"duration_s": [100.0, 110.0, 90.0, 100.0]})
    champion, better, worse = _Constant(130.0), _Constant(115.0), _Constant(200.0)
    small = compare(champion, better, trips, 0.01)
    assert small["decision"] == "promoted" and 0.01 < small["rmsle_gain"] < 0.5
    assert compare(champion, better, trips, 0.5)["decision"] == "kept_champion"
    assert compare(champion, worse, trips, 0.0)["decision"] == "kept_champion"
    assert "short of the margin of 50.0 %" in compare(champion, better, trips, 0.5)["reason"]


def test_the_distance_baseline_guards_the_promotion() -> None:
    """The baseline learns the power law of distance in the actuals (slope 0.8 here) and
    a constant when time does not depend on distance; a challenger that beats the
    champion but not the baseline by its margin is kept, naming the baseline."""
    trips = CITY.simulate_trips(400, seed=9)
    dist = DistanceBaseline._log_distance(trips)
    trips["duration_s"] = 5.0 * np.exp(0.8 * dist)
    fitted = DistanceBaseline.fit(trips)
    assert fitted.slope == pytest.approx(0.8) and fitted.intercept == pytest.approx(np.log(5.0))
    flat = trips.assign(duration_s=np.random.default_rng(1).permutation(trips["duration_s"]))
    assert abs(DistanceBaseline.fit(flat).slope) < 0.15
    champion, challenger = _Constant(2000.0), _Constant(float(np.exp(np.mean(np.log(
        trips["duration_s"])))))
    doc = compare(champion, challenger, trips, 0.02, baseline=fitted, baseline_margin=0.05)
    assert doc["rmsle_gain"] > 0.02 and doc["baseline_gain"] < 0
    assert doc["decision"] == "kept_champion" and "short of the margin of 5.0 %" in doc["reason"]
    assert doc["baseline"]["metrics"]["rmsle"] == pytest.approx(0.0, abs=1e-9)
    beaten = compare(champion, challenger, trips, 0.02, baseline=DistanceBaseline(
        float(np.log(100.0)), 0.0), baseline_margin=0.05)
    assert beaten["decision"] == "promoted" and beaten["baseline_gain"] > 0.05


def test_registry_keeps_training_trips_or_says_they_are_missing(tmp_path) -> None:
    trips = CITY.simulate_trips(300, seed=4)
    model = TravelTimeModel(n_threads=1, n_estimators=20, n_zones=4).fit(trips)
    with_trips, without = ModelRegistry(tmp_path / "a"), ModelRegistry(tmp_path / "b")
    with_trips.register(model, trips=trips)
    back = with_trips.training_trips()
    pd.testing.assert_frame_equal(back, trips.reset_index(drop=True), check_dtype=False)
    without.register(model)
    with pytest.raises(TripDataError, match="registered without its training trips"):
        without.training_trips()


def test_sample_weights_are_checked_and_count() -> None:
    """Weights must be one positive number per trip; weighting the slow half of a mixed
    set pulls the median prediction towards it."""
    fast = CITY.simulate_trips(600, "2024-01-01", 14.0, seed=5)
    slow = SLOWER.simulate_trips(600, "2024-01-01", 14.0, seed=6)
    both = pd.concat([fast, slow], ignore_index=True)
    params = dict(n_threads=1, n_estimators=60, n_zones=4, seed=0)
    with pytest.raises(TripDataError, match="sample_weight"):
        TravelTimeModel(**params).fit(both, sample_weight=np.ones(5))
    with pytest.raises(TripDataError, match="sample_weight"):
        TravelTimeModel(**params).fit(both, sample_weight=np.r_[np.ones(1199), 0.0])
    plain = TravelTimeModel(**params).fit(both)
    heavy = TravelTimeModel(**params).fit(both, sample_weight=np.r_[np.ones(600),
                                                                    np.full(600, 10.0)])
    probe = SLOWER.simulate_trips(300, "2024-01-15", 7.0, seed=7)
    assert heavy.predict(probe).mean() > plain.predict(probe).mean()


def test_promotion_is_a_compare_and_set_on_the_champion(tmp_path) -> None:
    """Two retrains judged against the same champion, both winning: the first to promote
    activates its challenger, the second is recorded ``stale`` and activates nothing."""
    from surrogate.retrain import promote

    trips = CITY.simulate_trips(600, seed=8)
    registry = ModelRegistry(tmp_path / "reg")
    ids = [registry.register(TravelTimeModel(n_threads=1, n_estimators=10, n_zones=4,
                                             seed=seed).fit(trips))
           for seed in (0, 1, 2)]
    champion, first, second = ids
    assert len(set(ids)) == 3 and registry.active_id() == champion
    won = {"decision": "promoted", "reason": "better"}
    assert promote(registry, won, champion_id=champion, challenger_id=first) == won
    assert registry.active_id() == first
    late = promote(registry, won, champion_id=champion, challenger_id=second)
    assert late["decision"] == "stale" and registry.active_id() == first
    assert repr(first) in late["reason"] and repr(champion) in late["reason"]
    lost = {"decision": "kept_champion", "reason": "worse"}
    assert promote(registry, lost, champion_id=first, challenger_id=second) == lost
    assert registry.active_id() == first
    assert registry.promote(second, expected=first) and registry.active_id() == second
