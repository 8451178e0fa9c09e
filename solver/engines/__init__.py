"""Engines: each turns a CompiledProblem into an EngineResult of node indices."""

from solver.engines.base import ENGINES, Engine, EngineResult, get_engine, register
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion

__all__ = [
    "ENGINES",
    "Engine",
    "EngineResult",
    "ProgressCallback",
    "ProgressEvent",
    "StopCriterion",
    "get_engine",
    "register",
]
