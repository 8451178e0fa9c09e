"""The interface every engine shares, and the registry of engines by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.progress import ProgressCallback
from solver.engines.stop import StopCriterion
from solver.errors import UnsupportedFeatureError
from solver.options import SolveOptions
from solver.solution import ReasonCode


@dataclass
class EngineResult:
    """What an engine returns: node indices only, never ids.

    ``routes`` holds ``(vehicle_type_index, nodes)`` pairs where ``nodes`` are the
    stop node indices visited in order (depots excluded). ``unassigned`` maps each
    left-out stop node to its reason. ``cost`` is the engine's own claim; the evaluator
    recomputes it.
    """

    routes: list[tuple[int, np.ndarray]]
    unassigned: dict[int, ReasonCode]
    cost: float
    iterations: int = 0
    stopped_by: str = "converged"
    stats: dict[str, float] = field(default_factory=dict)
    produced_by: str | None = None  # the engine/step whose plan this is (portfolios)


class Engine(Protocol):
    name: str

    def supports(self, compiled: CompiledProblem) -> str | None:
        """None when the engine can solve ``compiled``, else the reason it cannot."""

    def solve(
        self,
        compiled: CompiledProblem,
        options: SolveOptions,
        progress: ProgressCallback,
        stop: StopCriterion,
    ) -> EngineResult:
        """Search until ``stop`` says so; report improvements through ``progress``.

        Engines that can warm-start also take ``initial: EngineResult | None``
        (routes only); the pipeline passes it when the caller gives a starting plan.
        """


ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    ENGINES[engine.name] = engine
    return engine


def get_engine(name: str) -> Engine:
    from solver.engines import catalog  # noqa: F401  (registers the built-in engines)

    if name not in ENGINES:
        raise UnsupportedFeatureError(
            f"unknown engine {name!r}; available: {', '.join(sorted(ENGINES))}"
        )
    return ENGINES[name]
