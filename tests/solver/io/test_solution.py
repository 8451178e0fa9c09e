"""VRPLIB ``.sol`` numbering never gives two stops one number (issue 14, defect 12):
ids like "2", "X" and "²" used to all export as 2."""

from __future__ import annotations

from pathlib import Path

from solver.io.solution import read_vrplib_solution, solution_to_vrplib, vrplib_numbering
from solver.problem import Problem
from solver.solution import Route, Solution


def _problem(ids: list[str]) -> Problem:
    return Problem.model_validate({
        "depots": [{"id": "depot", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": i, "location": {"x": k + 1, "y": 0}} for k, i in enumerate(ids)],
        "vehicle_types": [{"id": "v", "count": 2, "start_depot": "depot"}],
    })


def test_mixed_ids_are_numbered_by_position_without_collisions(tmp_path: Path) -> None:
    """"2", "X", "²" get 1, 2, 3 (positions); the file reads back to the same stops."""
    problem = _problem(["2", "X", "²"])
    assert vrplib_numbering(problem) == {"2": "1", "X": "2", "²": "3"}
    solution = Solution(routes=[Route(vehicle_type="v", stops=["X", "2"]),
                                Route(vehicle_type="v", stops=["²"])])
    text = solution_to_vrplib(solution, problem, 0.0)
    assert text.splitlines()[:2] == ["Route #1: 2 1", "Route #2: 3"]
    (tmp_path / "x.sol").write_text(text)
    back = read_vrplib_solution(tmp_path / "x.sol", problem)
    assert [r.stops for r in back.routes] == [["X", "2"], ["²"]]


def test_numeric_ids_keep_their_numbers_unless_two_collide() -> None:
    """Distinct decimal ids are kept (VRPLIB files); "7" beside "07" falls back to positions."""
    assert vrplib_numbering(_problem(["5", "3", "9"])) == {"5": "5", "3": "3", "9": "9"}
    numbers = vrplib_numbering(_problem(["7", "07"]))
    assert len(set(numbers.values())) == 2
