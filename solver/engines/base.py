"""The interface every engine shares (the names live in ``catalog``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.progress import ProgressCallback
from solver.engines.stop import StopCriterion
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


class RouteSink(Protocol):
    """Collects routes met during a search (the set-partitioning pool of ``auto``)."""

    def add(self, type_index: int, nodes) -> object:
        """Offer one route (stop node indices in order) of vehicle type ``type_index``."""


class Engine(Protocol):
    """What ``solver.engines.catalog`` hands out; ``warm_starts`` says whether ``solve``
    uses ``initial`` (an engine that does not still accepts it and searches from scratch)."""

    name: str
    warm_starts: bool

    def supports(self, compiled: CompiledProblem) -> str | None:
        """None when the engine can solve ``compiled``, else the reason it cannot."""

    def solve(
        self,
        compiled: CompiledProblem,
        options: SolveOptions,
        progress: ProgressCallback,
        stop: StopCriterion,
        *,
        initial: EngineResult | None = None,
        pool: RouteSink | None = None,
    ) -> EngineResult:
        """Search until ``stop`` says so; report improvements through ``progress``.

        ``initial`` is a starting plan (routes only); ``pool``, when given, is offered
        the routes the search meets.
        """
