"""Shared tiny fixtures: one synthetic city, its trips and one small fitted model."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from surrogate import SyntheticCity, TravelTimeModel


@functools.lru_cache(maxsize=1)
def _city() -> SyntheticCity:
    return SyntheticCity(seed=3)


@functools.lru_cache(maxsize=1)
def _trips() -> pd.DataFrame:
    return _city().simulate_trips(6000, "2024-01-01", 21.0, seed=1)


@functools.lru_cache(maxsize=1)
def _model() -> TravelTimeModel:
    return TravelTimeModel(n_estimators=60, quantile_estimators=40, n_zones=12,
                           n_threads=2, seed=0).fit(_trips())


@pytest.fixture(scope="session")
def city() -> SyntheticCity:
    return _city()


@pytest.fixture(scope="session")
def trips() -> pd.DataFrame:
    return _trips().copy()


@pytest.fixture(scope="session")
def model() -> TravelTimeModel:
    return _model()


@pytest.fixture(scope="session")
def test_trips(city: SyntheticCity) -> pd.DataFrame:
    return city.simulate_trips(2000, "2024-01-22", 7.0, seed=2)


@pytest.fixture(scope="session")
def points(city: SyntheticCity) -> np.ndarray:
    return city.sample_locations(25, np.random.default_rng(5))
