"""Progress events engines report while they search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    elapsed_s: float
    iteration: int
    best_cost: float  # math.inf until a feasible solution exists
    feasible: bool


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """The default callback: ignore events."""
