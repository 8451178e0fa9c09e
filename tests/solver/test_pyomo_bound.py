"""The lower bound: two-index LP with rounded capacity cuts, valid for complete plans."""

from __future__ import annotations

from hypothesis import given, settings

from solver.compile import compile_problem
from solver.engines.pyomo.bound import lower_bound
from solver.io import read_instance
from tests.solver.oracle import enumerated_optimum
from tests.strategies import problems


@given(problems(max_stops=6))
@settings(max_examples=20)
def test_bound_never_exceeds_the_optimum(problem):
    """On random tiny problems whose optimum serves every required stop, bound <= optimum."""
    compiled = compile_problem(problem)
    left, optimum = enumerated_optimum(compiled)
    outcome = lower_bound(compiled, 5.0)
    if left == 0:
        assert outcome.value is not None and outcome.value <= optimum + 1e-6


def test_bound_on_x_instance_is_below_the_best_known(shared_instances):
    """X-n101-k25 (BKS 27591): the cuts lift the bound well above the plain LP, below BKS."""
    problem = read_instance(shared_instances / "CVRP" / "X-n101-k25.vrp")
    compiled = compile_problem(problem)
    plain = lower_bound(compiled, 5.0, max_rounds=1)
    cut = lower_bound(compiled, 5.0)
    assert plain.value < cut.value <= 27591
    assert cut.cuts > 0


def test_bound_skipped_above_the_size_limit(shared_instances):
    """Too many stops: skipped, with the reason."""
    problem = read_instance(shared_instances / "CVRP" / "X-n101-k25.vrp")
    outcome = lower_bound(compile_problem(problem), 5.0, max_stops=50)
    assert outcome.value is None and "stops" in outcome.skipped
