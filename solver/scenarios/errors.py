"""The error a scenario raises when an edit or a scenario set makes no sense."""

from __future__ import annotations

from pydantic import ValidationError

from solver.errors import InvalidProblemError


class ScenarioError(InvalidProblemError):
    """An edit or a scenario set is invalid for its base problem.

    ``path`` names the offending field, e.g. ``variants[2].edits[0].factor``.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        self.message = message
        super().__init__(message, path)

    def within(self, prefix: str) -> ScenarioError:
        """The same error with ``prefix`` put before its path."""
        return ScenarioError(self.message, f"{prefix}.{self.path}" if self.path else prefix)


def first_error(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """(dotted path, message) of the first error of a pydantic ValidationError."""
    err = exc.errors()[0]
    parts: list[str] = []
    for loc in err["loc"]:
        if isinstance(loc, int):
            parts.append(f"[{loc}]")
        else:
            parts.append(f".{loc}" if parts or prefix else str(loc))
    return prefix + "".join(parts), err["msg"].removeprefix("Value error, ")
