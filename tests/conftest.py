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


@pytest.fixture(scope="session")
def ils_kernels() -> None:
    """Load (on a fresh clone: compile) ``ils``' kernels, plain and operating-day, with no
    clock running: a module whose tests solve under a time limit asks for it, so that the
    compilation of a clean CI clone (over a minute) is not spent inside a timed solve
    (which then ended without a plan, or with another plan than the same solve's next)."""
    from solver.options import SolveOptions
    from solver.pipeline import solve
    from solver.problem import (
        Break,
        Depot,
        Location,
        MatrixTravel,
        Problem,
        Stop,
        TimeWindow,
        VehicleType,
    )

    for breaks in ([], [Break(id="b", earliest_start=0, latest_start=50, duration=5)]):
        solve(Problem(
            depots=[Depot(id="D", location=Location(x=0, y=0))],
            stops=[Stop(id="S", location=Location(x=1, y=0))],
            vehicle_types=[VehicleType(id="T", start_depot="D", breaks=breaks,
                                       shift=TimeWindow(start=0, end=100))],
            travel=MatrixTravel(locations=["D", "S"], distance=[[0, 1], [1, 0]])),
            SolveOptions(engine="ils", iteration_limit=1))
