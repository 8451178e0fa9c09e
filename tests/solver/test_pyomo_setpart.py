"""Set partitioning over a route pool, and the pool itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solver.compile import compile_problem
from solver.engines.base import EngineResult
from solver.engines.pyomo.build import build_set_partitioning
from solver.engines.pyomo.pool import RoutePool, enumerate_routes
from solver.engines.pyomo.setpart import set_partitioning
from solver.engines.pyomo.solve import MipStatus, solve_model
from solver.engines.schedule import plan_cost
from solver.io import read_instance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"


@pytest.fixture(scope="module")
def tiny():
    return compile_problem(read_instance(TINY))


def test_pool_keeps_distinct_feasible_routes_only(tiny):
    """Duplicates are ignored, and C before A (A then late) is rejected."""
    pool = RoutePool(tiny)
    assert pool.add(0, [1, 2, 3])
    assert not pool.add(0, [1, 2, 3])
    assert not pool.add(0, [3, 2, 1])
    assert pool.rejected == 1 and len(pool) == 1


def test_recombines_two_plans_into_a_better_one(tiny):
    """Plan 1 serves A,B together; plan 2 serves C alone and B,C: the pool holds A-B-C."""
    pool = RoutePool(tiny)
    pool.add_result(EngineResult(routes=[(0, np.array([1, 2])), (0, np.array([3]))],
                                 unassigned={}, cost=0.0))
    pool.add_result(EngineResult(routes=[(0, np.array([1, 2, 3]))], unassigned={}, cost=0.0))
    out = set_partitioning(tiny, pool, 10.0)
    assert out.mip.status == MipStatus.OPTIMAL
    assert [list(n) for _, n in out.routes] == [[1, 2, 3]]
    assert plan_cost(tiny, out.routes)[0] == pytest.approx(145.0)


def test_fleet_counts_are_respected(tiny):
    """With only singleton routes and two vans, at most two stops are served."""
    pool = RoutePool(tiny)
    for i in (1, 2, 3):
        pool.add(0, [i])
    out = set_partitioning(tiny, pool, 10.0)
    assert len(out.routes) == 2


def test_enumerated_pool_gives_the_optimum(tiny):
    """Every feasible route in the pool: set partitioning finds tiny4's optimum, 145."""
    pool = RoutePool(tiny)
    for col in enumerate_routes(tiny):
        pool.add(col.vehicle_type, col.nodes)
    model = build_set_partitioning(tiny, pool.columns())
    outcome = solve_model(model, 10.0)
    assert outcome.objective == pytest.approx(145.0)


def test_solver_reports_infeasible_before_loading(tiny):
    """A contradictory model is reported infeasible and nothing is loaded."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.Binary)
    m.c = pyo.Constraint(expr=m.x >= 2)
    m.o = pyo.Objective(expr=m.x)
    outcome = solve_model(m, 5.0)
    assert outcome.status == MipStatus.INFEASIBLE and not outcome.has_solution
    assert m.x.value is None
