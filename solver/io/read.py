"""read_instance: one entry point for every instance format routecast reads."""

from __future__ import annotations

from pathlib import Path

from solver.errors import InstanceFormatError
from solver.io.json import read_problem_json, read_solution_json
from solver.io.vrplib import read_solomon, read_vrplib
from solver.problem import Problem
from solver.solution import Solution


def detect_format(path: Path) -> str:
    """'json', 'vrplib' or 'solomon', from the extension and the first line."""
    if not path.is_file():
        raise InstanceFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        return "json"
    with path.open(errors="replace") as fh:
        head = [line for line in (fh.readline() for _ in range(5)) if line.strip()]
    if head and head[0].lstrip().startswith(("{", "[")):
        return "json"
    if head and ":" in head[0]:
        return "vrplib"
    if len(head) >= 2 and head[1].strip().upper() == "VEHICLE":
        return "solomon"
    raise InstanceFormatError(f"{path}: unrecognised instance format (expected JSON, VRPLIB or Solomon)")


def read_instance(path: str | Path, rounding: str | None = None) -> Problem:
    """Read a routecast JSON, VRPLIB or Solomon instance into a Problem.

    ``rounding`` overrides the distance convention of VRPLIB/Solomon files
    (``round``, ``dimacs``, ``exact``, ``ceil``).
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "json":
        return read_problem_json(path)
    if fmt == "vrplib":
        return read_vrplib(path, rounding)
    return read_solomon(path, rounding)


def read_solution(path: str | Path, problem: Problem) -> Solution:
    """Read a routecast JSON solution or a VRPLIB ``.sol`` for ``problem``."""
    from solver.io.solution import read_vrplib_solution

    path = Path(path)
    if detect_format(path) == "json":
        return read_solution_json(path)
    return read_vrplib_solution(path, problem)
