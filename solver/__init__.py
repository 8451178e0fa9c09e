"""routecast solver: the problem model, engines and the independent evaluator.

Re-exports only; see the modules for the details.
"""

from solver.compile import CompiledProblem, compile_problem
from solver.errors import (
    InstanceFormatError,
    InvalidProblemError,
    NoSolutionError,
    RoutecastError,
    SolveCancelled,
    UnsupportedFeatureError,
)
from solver.evaluate import EvaluationReport, evaluate
from solver.io import read_instance, read_solution
from solver.kpis import Kpis, compute_kpis
from solver.options import SolveOptions
from solver.pipeline import SolveOutcome, solve
from solver.problem import Problem
from solver.solution import ReasonCode, Route, Solution, Unassigned

__all__ = [
    "CompiledProblem",
    "EvaluationReport",
    "InstanceFormatError",
    "InvalidProblemError",
    "Kpis",
    "NoSolutionError",
    "Problem",
    "ReasonCode",
    "Route",
    "RoutecastError",
    "Solution",
    "SolveCancelled",
    "SolveOptions",
    "SolveOutcome",
    "Unassigned",
    "UnsupportedFeatureError",
    "compile_problem",
    "compute_kpis",
    "evaluate",
    "read_instance",
    "read_solution",
    "solve",
]
