"""The synthetic city's ground truth: shape, congestion, FIFO, and its trip simulator."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from surrogate import SyntheticCity
from surrogate.clock import to_unix_seconds
from surrogate.trips.schema import SCHEMA_COLUMNS

MONDAY = 1704067200.0  # 2024-01-01 00:00 UTC, a Monday


def test_rush_hour_is_slower_than_night(city: SyntheticCity) -> None:
    """The same trip takes longer at Monday 8:00 than at Monday 3:00."""
    rng = np.random.default_rng(0)
    o, d = city.sample_locations(200, rng), city.sample_locations(200, rng)
    night = city.true_travel_time(o, d, np.full(200, MONDAY + 3 * 3600))
    peak = city.true_travel_time(o, d, np.full(200, MONDAY + 8 * 3600))
    assert (peak >= night).all() and peak.mean() > 1.2 * night.mean()


def test_zero_distance_is_zero_time(city: SyntheticCity) -> None:
    """A trip to the same point takes no time (the matrix diagonal)."""
    p = city.sample_locations(5, np.random.default_rng(1))
    assert (city.true_travel_time(p, p, np.full(5, MONDAY)) == 0).all()


@settings(max_examples=30, deadline=None)
@given(start_h=st.floats(0, 167), wait_s=st.floats(1, 3600), seed=st.integers(0, 1000))
def test_true_times_are_fifo(start_h: float, wait_s: float, seed: int) -> None:
    """Leaving later never means arriving earlier (FIFO), for any trip and departure."""
    city = SyntheticCity(seed=3)
    rng = np.random.default_rng(seed)
    o, d = city.sample_locations(20, rng), city.sample_locations(20, rng)
    t0 = MONDAY + start_h * 3600
    a0 = t0 + city.true_travel_time(o, d, np.full(20, t0))
    a1 = t0 + wait_s + city.true_travel_time(o, d, np.full(20, t0 + wait_s))
    assert (a1 >= a0 - 1e-6).all()


def test_simulated_trips_follow_the_schema_and_truth(city: SyntheticCity) -> None:
    """Simulated trips are in the generic schema, in the box, with median noise ~1."""
    df = city.simulate_trips(3000, "2024-01-01", 7.0, seed=4)
    assert list(df.columns) == list(SCHEMA_COLUMNS)
    lon_min, lat_min, lon_max, lat_max = city.bbox
    assert df["origin_lat"].between(lat_min, lat_max).all()
    assert df["dest_lon"].between(lon_min, lon_max).all()
    unix = to_unix_seconds(df["departure"])
    truth = city.true_travel_time(df[["origin_lat", "origin_lon"]].to_numpy(),
                                  df[["dest_lat", "dest_lon"]].to_numpy(), unix)
    ratio = df["duration_s"].to_numpy() / truth
    assert abs(np.median(ratio) - 1.0) < 0.03


def test_same_seed_same_trips(city: SyntheticCity) -> None:
    """simulate_trips is deterministic given its seed."""
    a = city.simulate_trips(100, "2024-01-01", 2.0, seed=9)
    b = city.simulate_trips(100, "2024-01-01", 2.0, seed=9)
    assert a.equals(b)
