"""Imports the built-in engines so that they register themselves."""

from solver.engines.heuristic import engine as _heuristic  # noqa: F401
