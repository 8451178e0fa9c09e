"""Drift of a model against actual legs (surrogate.drift), on days driven in the
synthetic city: the flag rises under a traffic change, not under unchanged traffic."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest

from solver.actuals import (
    check_actuals,
    executed_legs,
    legs_to_trips,
    plan_clock,
    read_actuals_records,
)
from solver.actuals.simulate import simulate_actuals
from surrogate import SyntheticCity, TravelTimeModel, TripDataError
from surrogate.drift import DriftParams, drift_report
from tests.actuals_days import synthetic_day

DAYS = ("2024-01-22", "2024-01-23", "2024-01-24", "2024-01-25", "2024-01-26", "2024-01-29")


def driven_legs(planned_in: SyntheticCity, driven_in: SyntheticCity, seed: int = 0
                ) -> pd.DataFrame:
    """Legs of six weekdays of plans made in one city and driven in another."""
    legs = []
    for k, day in enumerate(DAYS):
        problem, solution = synthetic_day(planned_in, n_stops=40, n_vehicles=4, day=day,
                                          seed=seed + k)
        records = simulate_actuals(problem, solution, driven_in, seed=seed + k)
        checked = check_actuals(problem, solution,
                                read_actuals_records(records, plan_clock(problem)))
        legs += executed_legs(checked).legs
    return legs_to_trips(legs)


@functools.lru_cache(maxsize=2)
def _legs(slow: bool) -> pd.DataFrame:
    from tests.surrogate.conftest import _city

    city = _city()
    driven = dataclasses.replace(city, free_speed_mps=city.free_speed_mps / 1.6) if slow \
        else city
    return driven_legs(city, driven)


def test_unchanged_traffic_raises_no_flag(model: TravelTimeModel) -> None:
    """Legs driven in the city the model learned: error near the validation error,
    little bias, the p10-p90 band covers about 80 %, no flag."""
    report = drift_report(model, _legs(False))
    o = report["overall"]
    assert o["n"] == len(DAYS) * (40 + 4)
    assert not report["flag"], report["reason"]
    assert abs(o["bias_log"]) < 0.1 and 0.65 < o["coverage"] < 0.95
    assert o["rmsle"] < report["threshold_rmsle"]


def test_slower_traffic_raises_the_flag(model: TravelTimeModel) -> None:
    """Streets 1.6x slower: the model predicts too fast (negative bias), the band covers
    fewer legs than on unchanged traffic, and the flag rises with a reason naming both
    errors."""
    report = drift_report(model, _legs(True))
    o = report["overall"]
    assert report["flag"], report["reason"]
    assert o["bias_log"] < -0.25 and o["bias_s"] < 0
    assert o["coverage"] < drift_report(model, _legs(False))["overall"]["coverage"] - 0.1
    assert "exceeds validation" in report["reason"]


def test_groups_partition_the_legs(model: TravelTimeModel) -> None:
    """By hour of week and by origin and destination zone, the groups count every leg
    once and agree with the overall means; hours are the local hours the legs left in
    (weekday mornings)."""
    trips = _legs(False)
    report = drift_report(model, trips)
    for key in ("by_hour_of_week", "by_zone", "by_destination_zone"):
        groups = report[key]
        assert sum(g["n"] for g in groups) == len(trips)
        mean = sum(g["n"] * g["mean_actual_s"] for g in groups) / len(trips)
        assert mean == pytest.approx(report["overall"]["mean_actual_s"])
    hours = {g["hour_of_week"] for g in report["by_hour_of_week"]}
    assert all(h % 24 >= 8 and h < 5 * 24 for h in hours)
    for key in ("by_zone", "by_destination_zone"):
        assert all(0 <= z["zone"] < model.feature_space_.n_zones for z in report[key])


def test_a_slow_destination_zone_shows_by_destination(model: TravelTimeModel) -> None:
    """Legs arriving in one zone took twice as long (a closed bridge into it): by
    destination, that zone's bias drops by log 2 and no other zone's moves; by origin,
    the zone moves only by its share of legs that stay inside it, so the origin view
    alone would hide where the change is."""
    trips = _legs(False)
    space = model.feature_space_
    dest = space.zones(trips["dest_lat"].to_numpy(), trips["dest_lon"].to_numpy()).astype(int)
    origin = space.zones(trips["origin_lat"].to_numpy(),
                         trips["origin_lon"].to_numpy()).astype(int)
    slow_zone = int(np.bincount(dest).argmax())
    slow = trips.assign(duration_s=np.where(dest == slow_zone, 2.0, 1.0) * trips["duration_s"])
    before, after = drift_report(model, trips), drift_report(model, slow)

    def moved(key: str) -> dict[int, float]:
        old = {g["zone"]: g["bias_log"] for g in before[key]}
        return {g["zone"]: g["bias_log"] - old[g["zone"]] for g in after[key]}

    by_dest = moved("by_destination_zone")
    assert by_dest.pop(slow_zone) == pytest.approx(-np.log(2.0))
    assert by_dest and all(v == pytest.approx(0.0, abs=1e-12) for v in by_dest.values())
    inside = float(np.mean(dest[origin == slow_zone] == slow_zone))
    assert moved("by_zone")[slow_zone] == pytest.approx(-np.log(2.0) * inside)
    assert inside < 0.9


def test_too_few_legs_raise_no_flag_and_none_is_an_error(model: TravelTimeModel) -> None:
    """Below min_legs the flag stays down and says why; no legs at all is an error."""
    few = _legs(True).iloc[:10]
    report = drift_report(model, few, DriftParams(min_legs=30))
    assert not report["flag"] and "fewer than the 30" in report["reason"]
    with pytest.raises(TripDataError, match="no actual legs"):
        drift_report(model, few.iloc[:0])
    with pytest.raises(ValueError, match="margin"):
        DriftParams(margin=-1)
    assert np.isfinite(report["overall"]["rmsle"])
