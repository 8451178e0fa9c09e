"""The engines' schedule of operating-day routes agrees with the independent evaluator."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from solver.compile import compile_problem
from solver.engines.schedule import check_route
from solver.evaluate import evaluate
from solver.solution import Route, Solution
from tests.strategies import day_problems


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_check_route_matches_the_evaluator(data):
    """Feasibility, cost, duration and return time of one route are the evaluator's."""
    problem = data.draw(day_problems(max_stops=5))
    compiled = compile_problem(problem)
    order = data.draw(st.permutations([s.id for s in problem.stops]))
    index = compiled.stop_index()
    check = check_route(compiled, 0, [index[s] for s in order])
    report = evaluate(problem, Solution(routes=[Route(vehicle_type="T", stops=order)]))
    assert check.feasible == report.feasible, (check.violation, report.violations)
    assert math.isclose(check.cost, report.cost, abs_tol=1e-6)
    assert math.isclose(check.end_time, report.routes[0].end_time, abs_tol=1e-6)
    assert math.isclose(check.duration, report.routes[0].duration, abs_tol=1e-6)
