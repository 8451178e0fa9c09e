"""Engines: each turns a CompiledProblem into an EngineResult of node indices."""

from solver.engines.base import Engine, EngineResult
from solver.engines.catalog import engine_names, get_engine
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion

__all__ = [
    "Engine",
    "EngineResult",
    "ProgressCallback",
    "ProgressEvent",
    "StopCriterion",
    "engine_names",
    "get_engine",
]
