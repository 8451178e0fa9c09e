"""Stopping criteria as small composable callables (after PyVRP's ``pyvrp.stop``).

A criterion is called between chunks of search with the number of iterations done and
returns the reason to stop (``"time_limit"``, ``"iteration_limit"``, ``"cancelled"``,
``"max_no_improvement"``) or None.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from solver.engines.progress import ProgressCallback, ProgressEvent

StopCriterion = Callable[[int], str | None]


@dataclass
class MaxRuntime:
    seconds: float
    start: float = field(default_factory=time.perf_counter)

    def __call__(self, iteration: int) -> str | None:
        return "time_limit" if time.perf_counter() - self.start >= self.seconds else None

    def remaining(self) -> float:
        return max(self.seconds - (time.perf_counter() - self.start), 0.0)


@dataclass(frozen=True)
class MaxIterations:
    iterations: int

    def __call__(self, iteration: int) -> str | None:
        return "iteration_limit" if iteration >= self.iterations else None


@dataclass
class NoImprovement:
    """Stops after ``iterations`` without a better plan (PyVRP's ``NoImprovement``).

    Engines report better plans through their progress callback; ``watch`` wraps that
    callback so that each new best cost resets the count, whatever the engine.
    """

    iterations: int
    best: float = math.inf
    since: int = 0

    def __call__(self, iteration: int) -> str | None:
        return "max_no_improvement" if iteration - self.since >= self.iterations else None

    def watch(self, progress: ProgressCallback) -> ProgressCallback:
        """``progress``, which also restarts the count at every new best feasible cost."""

        def relay(event: ProgressEvent) -> None:
            if event.feasible and event.best_cost < self.best * (1 - 1e-12):
                self.best, self.since = event.best_cost, event.iteration
            progress(event)

        return relay


@dataclass(frozen=True)
class Cancelled:
    """Stops when ``is_cancelled()`` says so (e.g. a job's cancel flag)."""

    is_cancelled: Callable[[], bool]

    def __call__(self, iteration: int) -> str | None:
        return "cancelled" if self.is_cancelled() else None


@dataclass(frozen=True)
class AnyOf:
    criteria: tuple[StopCriterion, ...]

    def __call__(self, iteration: int) -> str | None:
        for criterion in self.criteria:
            reason = criterion(iteration)
            if reason is not None:
                return reason
        return None


def remaining_seconds(stop: StopCriterion, default: float) -> float:
    """The time left on the tightest ``MaxRuntime`` inside ``stop`` (``default`` if none)."""
    if isinstance(stop, MaxRuntime):
        return stop.remaining()
    if isinstance(stop, AnyOf):
        left = [remaining_seconds(c, math.inf) for c in stop.criteria]
        best = min(left, default=math.inf)
        return default if math.isinf(best) else best
    return default
