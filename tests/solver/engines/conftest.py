"""Fixtures for the engine tests: warm the hgs kernels once per session."""

from __future__ import annotations

import pytest

from solver.options import SolveOptions
from solver.pipeline import solve
from tests.solver.engines.cases import cvrp


@pytest.fixture(scope="session", autouse=True)
def warm_hgs() -> None:
    """Load (or compile) every hgs kernel before any timed or limited solve."""
    solve(cvrp(6), SolveOptions(engine="hgs", time_limit=60, iteration_limit=2))
