"""Shared checks for engine tests: the evaluator's verdict and the exact optimum."""

from __future__ import annotations

import math

from solver.compile import CompiledProblem, compile_problem
from solver.diagnosis import impossible_stops
from solver.engines.base import EngineResult
from solver.engines.pyomo.pool import RoutePool, enumerate_routes
from solver.engines.pyomo.setpart import set_partitioning
from solver.engines.schedule import plan_cost
from solver.evaluate import EvaluationReport, evaluate
from solver.pipeline import decode
from solver.problem import Problem


def checked(problem: Problem, compiled: CompiledProblem, result: EngineResult,
            engine: str) -> EvaluationReport:
    """Evaluate an engine result; assert it is feasible, reasons given, cost as claimed."""
    solution = decode(compiled, result, engine, 0.0)
    report = evaluate(problem, solution, compiled.travel)
    assert report.feasible, report.violations
    served = {s for r in solution.routes for s in r.stops}
    for s in problem.stops:
        if s.required and s.id not in served:
            assert s.id in {u.stop for u in solution.unassigned}
    assert math.isclose(result.cost, report.cost, rel_tol=1e-9, abs_tol=1e-6), (
        result.cost, report.cost)
    return report


def key(report: EvaluationReport) -> tuple[int, float]:
    """Lexicographic quality: required stops left out first, then cost."""
    return len(report.unassigned_required), report.cost


def enumerated_optimum(compiled: CompiledProblem) -> tuple[int, float]:
    """The optimum by brute force: every feasible route, then set partitioning."""
    pool = RoutePool(compiled)
    for col in enumerate_routes(compiled):
        pool.add(col.vehicle_type, col.nodes)
    outcome = set_partitioning(compiled, pool, 60.0)
    assert outcome.routes is not None
    cost, _ = plan_cost(compiled, outcome.routes)
    served = {int(i) for _, nodes in outcome.routes for i in nodes}
    left = sum(1 for i in range(compiled.n_depots, compiled.n_nodes)
               if compiled.required[i] and i not in served)
    return left, cost


def compiled_of(problem: Problem) -> CompiledProblem:
    return compile_problem(problem)


def no_impossible(compiled: CompiledProblem) -> bool:
    return not impossible_stops(compiled)


def at_least(a: tuple[int, float], b: tuple[int, float]) -> bool:
    """``a`` is no better than ``b`` (with a float tolerance on the cost)."""
    return a[0] > b[0] or (a[0] == b[0] and a[1] >= b[1] - 1e-6 * max(1.0, abs(b[1])))


def same(a: tuple[int, float], b: tuple[int, float]) -> bool:
    return a[0] == b[0] and math.isclose(a[1], b[1], rel_tol=1e-7, abs_tol=1e-6)
