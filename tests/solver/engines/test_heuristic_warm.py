"""The hgs engine's warm start (``initial``) and route pool feed (``pool``)."""

from __future__ import annotations

import numpy as np
import pytest

from solver.compile import compile_problem
from solver.engines import EngineResult, get_engine
from solver.engines.schedule import check_route
from solver.engines.stop import MaxIterations
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import decode, solve
from tests.solver.engines.cases import cvrp, mixed, vrptw


def _options(iterations, seed=1):
    return SolveOptions(engine="hgs", time_limit=30, iteration_limit=iterations, seed=seed)


def _evaluated(problem, compiled, result):
    """The evaluator's report on an engine result (asserted feasible)."""
    report = evaluate(problem, decode(compiled, result, "hgs", 0.0), compiled.travel)
    assert report.feasible, [v.message for v in report.violations]
    return report


@pytest.mark.parametrize("problem", [cvrp(40, 2, count=20), vrptw(40, 3), mixed(1)],
                         ids=["cvrp", "vrptw", "mixed"])
def test_warm_start_is_never_worse(problem):
    """Warm-started from a searched plan, one iteration returns a plan that costs no more
    (from scratch, one iteration costs more: the warm start is what keeps it)."""
    searched = solve(problem, _options(400))
    assert searched.report.feasible
    warm = solve(problem, _options(1, seed=9), initial=searched.solution)
    cold = solve(problem, _options(1, seed=9))
    assert warm.report.feasible, [v.message for v in warm.report.violations]
    assert warm.report.cost <= searched.report.cost + 1e-6
    assert cold.report.cost > searched.report.cost


def test_messy_warm_start_is_cleaned_not_fatal():
    """Unknown vehicle types, depots, out-of-range and duplicated nodes, an overloaded
    route and more routes than vehicles: what can be kept is, the rest is constructed."""
    problem = cvrp(30, 4, capacity=20.0, count=8)
    compiled = compile_problem(problem)
    clients = np.arange(compiled.n_depots, compiled.n_nodes)
    junk = [
        (99, clients[:3]),
        (-1, clients[3:5]),
        (0, np.array([0, 10_000, -5, clients[0], clients[0]])),
        (0, clients),  # every client on one vehicle: far over capacity
        *[(0, clients[i : i + 1]) for i in range(12)],  # more routes than the 8 vehicles
    ]
    initial = EngineResult(routes=junk, unassigned={}, cost=float("nan"))
    result = get_engine("hgs").solve(compiled, _options(30), lambda _: None, MaxIterations(30),
                                     initial=initial)
    report = _evaluated(problem, compiled, result)
    assert report.complete


class _Recorder:
    """A pool that keeps every offer (and says it was new when it was)."""

    def __init__(self) -> None:
        self.offers: list[tuple[int, tuple[int, ...]]] = []

    def add(self, type_index: int, nodes) -> bool:
        key = (type_index, tuple(int(i) for i in nodes))
        new = key not in self.offers
        self.offers.append(key)
        return new


@pytest.mark.parametrize("problem", [cvrp(40, 5, count=20), vrptw(30, 3), mixed(2)],
                         ids=["cvrp", "vrptw", "mixed"])
def test_pool_gets_feasible_routes_including_the_result(problem):
    """Every route offered is feasible by the evaluator's rules; many distinct ones come,
    among them every route of the returned plan."""
    compiled = compile_problem(problem)
    pool = _Recorder()
    result = get_engine("hgs").solve(compiled, _options(200), lambda _: None,
                                     MaxIterations(200), pool=pool)
    _evaluated(problem, compiled, result)
    offered = set(pool.offers)
    for k, nodes in offered:
        check = check_route(compiled, k, nodes)
        assert check.feasible, (k, nodes, check.violation)
    assert len(offered) > 2 * len(result.routes)
    assert {(k, tuple(int(i) for i in nodes)) for k, nodes in result.routes} <= offered
