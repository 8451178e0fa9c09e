"""Imports the built-in engines so that they register themselves."""

from solver.engines.heuristic import engine as _heuristic  # noqa: F401
from solver.engines import portfolio as _portfolio  # noqa: F401  (last: replaces hgs's 'auto' alias)
