"""Stopping criteria as small composable callables (after PyVRP's ``pyvrp.stop``).

A criterion is called between chunks of search with the number of iterations done and
returns the reason to stop (``"time_limit"``, ``"iteration_limit"``, ``"cancelled"``,
``"max_no_improvement"``, ``"optimal"``) or None.
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
    """Stops after ``iterations`` iterations, or ``seconds`` of wall clock, without a better
    plan (PyVRP's ``NoImprovement``, plus a clock form: iterations run at very different
    speeds on a 10-stop and a 1,000-stop problem, seconds do not).

    Engines report better plans through their progress callback; ``watch`` wraps that
    callback so that each new best cost resets both counts, whatever the engine.
    """

    iterations: int | None = None
    seconds: float | None = None
    best: float = math.inf
    since: int = 0
    since_time: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        if self.iterations is None and self.seconds is None:
            raise ValueError("NoImprovement needs iterations, seconds or both")

    def __call__(self, iteration: int) -> str | None:
        if self.iterations is not None and iteration - self.since >= self.iterations:
            return "max_no_improvement"
        if self.seconds is not None and time.perf_counter() - self.since_time >= self.seconds:
            return "max_no_improvement"
        return None

    def watch(self, progress: ProgressCallback) -> ProgressCallback:
        """``progress``, which also restarts the counts at every new best feasible cost."""

        def relay(event: ProgressEvent) -> None:
            if event.feasible and event.best_cost < self.best * (1 - 1e-12):
                self.best, self.since = event.best_cost, event.iteration
                self.since_time = time.perf_counter()
            progress(event)

        return relay


@dataclass(frozen=True)
class Cancelled:
    """Stops when ``is_cancelled()`` says so (e.g. a job's cancel flag)."""

    is_cancelled: Callable[[], bool]

    def __call__(self, iteration: int) -> str | None:
        return "cancelled" if self.is_cancelled() else None


@dataclass(frozen=True)
class ReachedBound:
    """Stops ("optimal") once the best complete plan reported costs no more than a proven
    lower bound of every complete plan: none is cheaper, and a limit is a maximum, not a
    duration. ``best`` gives that plan's cost (``auto`` follows its phases' progress)."""

    bound: float
    best: Callable[[], float]

    def __call__(self, iteration: int) -> str | None:
        return "optimal" if matches_bound(self.best(), self.bound) else None


def matches_bound(cost: float, bound: float) -> bool:
    """Whether a plan of ``cost`` is proven optimal by ``bound`` (to a relative 1e-6, finer
    than HiGHS's default MIP gap of 1e-4)."""
    return cost <= bound + 1e-6 * max(1.0, abs(bound))


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
