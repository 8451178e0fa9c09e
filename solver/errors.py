"""Typed domain errors; mapped once to exit codes (CLI) and HTTP problems (API)."""

from __future__ import annotations


class RoutecastError(Exception):
    """Base class of every error routecast raises on purpose."""


class InvalidProblemError(RoutecastError, ValueError):
    """The problem is malformed or contradictory; `path` names the offending field."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class InstanceFormatError(RoutecastError, ValueError):
    """An instance or solution file cannot be read; the message names the file."""


class UnsupportedFeatureError(RoutecastError):
    """The chosen engine (or file format) cannot handle a feature of the problem."""


class SolveCancelled(RoutecastError):
    """The solve was cancelled before any solution was found."""


class NoSolutionError(RoutecastError):
    """The engine stopped without producing a solution."""


class InvalidActualsError(RoutecastError, ValueError):
    """Actuals (what really happened on a plan's routes) contradict the plan or cannot be
    read; the message names the row ("row 4" of a CSV, "visits[3]" of a JSON body)."""

    def __init__(self, message: str, row: str | None = None) -> None:
        self.row = row
        super().__init__(f"{row}: {message}" if row else message)
