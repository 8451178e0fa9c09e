"""OR-Tools routing with PATH_CHEAPEST_ARC and guided local search (a textbook model)."""

from __future__ import annotations

from pathlib import Path

from solver.problem import Problem
from solver.solution import Solution


def available() -> bool:
    try:
        import ortools  # noqa: F401
    except ImportError:
        return False
    return True


def solve(path: Path, problem: Problem, budget: float, seed: int) -> Solution:
    """The plain model of benchmarks/engines (GLS + PATH_CHEAPEST_ARC), ``budget`` seconds."""
    from benchmarks.engines.plain_ortools import solve_plain

    return solve_plain(problem, budget)
