"""Shared fixtures and Hypothesis profiles (select with HYPOTHESIS_PROFILE)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "instances"


@pytest.fixture(scope="session")
def shared_instances() -> Path:
    """The public benchmark instances beside the repo (skip when absent)."""
    if not SHARED.is_dir():
        pytest.skip("../shared/instances is not available")
    return SHARED
