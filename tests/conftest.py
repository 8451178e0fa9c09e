"""Shared fixtures and Hypothesis profiles (select with HYPOTHESIS_PROFILE)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# LightGBM's OpenMP threads spin while they wait; beside the other xdist worker on two
# cores the spinning starved it (test_cli_retrain took 58-99 s instead of 6-14 s). Set
# before anything loads the OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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


@pytest.fixture(scope="session", autouse=True)
def _kernels_compiled_once() -> None:
    """The Numba kernels are compiled (or loaded) before the first test; under xdist the
    workers compile them between them, each specialisation once (``tests.kernel_cache``)."""
    from tests.kernel_cache import share_between_workers

    share_between_workers()


@pytest.fixture(scope="session")
def ils_kernels() -> None:
    """Load (on a fresh clone: compile) every specialisation of ``ils``' kernels with no
    clock running: a module whose tests solve under a time limit asks for it, so that a
    timed solve on a clean clone finds its kernels cached (else it gets the greedy plan:
    a compilation does not fit a time limit, ``LazyIls.cold_start_s``)."""
    from tests.kernel_cache import ILS_KINDS, compile_kinds

    compile_kinds(list(ILS_KINDS))
