"""Imports the built-in engines so that they register themselves."""

from solver.engines import portfolio as _portfolio  # noqa: F401  (ortools, exact, auto; imports hgs first, then replaces its 'auto' alias)
from solver.engines.heuristic import engine as _heuristic  # noqa: F401
