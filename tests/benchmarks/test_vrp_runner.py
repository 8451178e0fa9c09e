"""The peers' runner: routecast solver specs, and a CPU budget per core used."""

from __future__ import annotations

import pytest

from benchmarks.vrp.run import routecast_spec, run_one
from tests.solver.engines.cases import cvrp


def test_routecast_specs_name_the_engine_and_the_cores():
    assert routecast_spec("routecast") == ("hgs", None)
    assert routecast_spec("routecast:auto") == ("auto", None)
    assert routecast_spec("routecast:auto:2") == ("auto", 2)
    with pytest.raises(ValueError, match="routecast"):
        routecast_spec("routecast:auto:2:x")


def test_a_cpu_budget_ends_the_solve_and_is_recorded():
    """``cpu``: the solve ends once the process spent the budget (as "cancelled" inside),
    and the row records the CPU seconds; the plan is scored by the evaluator."""
    row = run_one("routecast:ils:1", None, cvrp(30, 0, count=20), 0.5, 1, cpu=True)
    assert row["feasible"] and row["cpu_s"] >= 0.5


def test_auto_under_a_cpu_budget_runs_without_its_pyomo_phases():
    """``auto`` on a CPU budget is the catalog's ``auto-no-mip`` (its 10 s plan)."""
    import sys

    if "pyomo.environ" in sys.modules:
        pytest.skip("Pyomo already loaded by another test")
    row = run_one("routecast:auto:1", None, cvrp(30, 0, count=20), 0.5, 1, cpu=True)
    assert row["feasible"] and "pyomo.environ" not in sys.modules
