"""The exact arc-flow MIP, certified against brute force (all routes + set partitioning)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from solver.compile import compile_problem
from solver.engines.progress import no_progress
from solver.engines.pyomo.exact import ExactEngine
from solver.engines.stop import MaxRuntime
from solver.io import read_instance
from solver.options import SolveOptions
from tests.solver.oracle import checked, enumerated_optimum, key, same
from tests.strategies import problems

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"


def run_exact(problem):
    compiled = compile_problem(problem)
    result = ExactEngine().solve(compiled, SolveOptions(engine="exact", time_limit=30),
                                 no_progress, MaxRuntime(30))
    return compiled, result


def test_tiny4_hand_checked_optimum():
    """tiny4: one van A-B-C (40 distance + 100 fixed) and E skipped for its penalty 5."""
    problem = read_instance(TINY)
    compiled, result = run_exact(problem)
    report = checked(problem, compiled, result, "exact")
    assert report.cost == pytest.approx(145.0)
    assert result.stopped_by == "optimal"
    assert result.stats["lower_bound"] == pytest.approx(145.0)


@given(problems(max_stops=6))
@settings(max_examples=40)
def test_exact_matches_brute_force(problem):
    """On random tiny problems the MIP's plan is feasible and as good as brute force."""
    compiled, result = run_exact(problem)
    report = checked(problem, compiled, result, "exact")
    assert same(key(report), enumerated_optimum(compiled))


def test_exact_refuses_large_or_time_dependent():
    """supports() names why the exact model does not apply."""
    problem = read_instance(TINY)
    stops = [s.model_copy(update={"id": f"X{k}"}) for k in range(11) for s in problem.stops[:1]]
    big = problem.model_copy(update={"stops": stops})
    assert "stops" in ExactEngine().supports(compile_problem(big))
    assert ExactEngine().supports(compile_problem(problem)) is None
