"""routecast JSON (schema-versioned) for problems and solutions."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from solver.errors import InstanceFormatError, InvalidProblemError
from solver.problem import Problem
from solver.solution import Solution

M = TypeVar("M", bound=BaseModel)


def validation_message(err: ValidationError) -> tuple[str, str]:
    """(field path, message) of the first error, e.g. ('stops[3].demand[0]', '...')."""
    first = err.errors()[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path, first["msg"].removeprefix("Value error, ")


def parse_model(model: type[M], text: str | bytes, source: str) -> M:
    """Validate JSON text into ``model``; errors name the source and the field path."""
    try:
        return model.model_validate_json(text)
    except ValidationError as err:
        path, msg = validation_message(err)
        if err.errors()[0]["type"] == "json_invalid":
            raise InstanceFormatError(f"{source}: not valid JSON ({msg})") from None
        raise InvalidProblemError(msg, f"{source}: {path}" if path else source) from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise InstanceFormatError(f"{path}: cannot read file ({err})") from None


def read_problem_json(path: str | Path) -> Problem:
    path = Path(path)
    return parse_model(Problem, _read_text(path), str(path))


def write_problem_json(problem: Problem, path: str | Path) -> None:
    Path(path).write_text(problem.to_json())


def read_solution_json(path: str | Path) -> Solution:
    path = Path(path)
    return parse_model(Solution, _read_text(path), str(path))
