"""Two first plans probed in turn where routes are long; the better one is searched on.

On GH R2/RC2 the route count of the first local optimum sticks: the search keeps about as
many routes as it started with (R2_10_1: 29-31 from the insertion, 36-38 from many short
routes; the best known plan has 37). PyVRP starts from a random plan that deals the
clients over every vehicle and works its way down. Neither start wins everywhere (R2_10_3
wants 24 routes), so both are searched for a few seconds each, in turn, and the one with
the cheaper feasible plan goes on alone (benchmarks/results/2026-12-07d_route-count-starts.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from solver.engines.base import EngineResult
from solver.engines.progress import ProgressCallback, ProgressEvent

SLICE_S = 1.0  # each start searches this long before the other's turn


def spread_plan(active: np.ndarray, route_type: np.ndarray, seed: int) -> EngineResult:
    """PyVRP's random first plan: the active clients shuffled and dealt in equal runs over
    the vehicle slots (each run to its slot's type), as many runs as slots allow."""
    clients = np.flatnonzero(active)
    np.random.default_rng(seed).shuffle(clients)
    per = max(1, -(-clients.size // max(route_type.size, 1)))
    runs = range(0, clients.size, per)
    return EngineResult(routes=[(int(route_type[i]), clients[at:at + per])
                                for i, at in enumerate(runs)],
                        unassigned={}, cost=math.nan, produced_by="ils-spread")


class BestOnly:
    """A progress callback that passes on only events better than every one before: two
    searches in turn must not report a best that went back up."""

    def __init__(self, progress: ProgressCallback) -> None:
        self.progress, self.best = progress, math.inf

    def __call__(self, event: ProgressEvent) -> None:
        if event.best_cost < self.best:
            self.best = event.best_cost
            self.progress(event)


def worth_probing(search, initial: EngineResult | None, iteration_limit: int | None,
                  seconds: float, min_seconds: float) -> bool:
    """Whether to probe the spread start beside ``search`` (an ``IlsSearch`` past its
    first plan): from scratch, under a time limit only (an iteration limit fixes the
    result with the seed), on problems the segment data price exactly (not ``exact``:
    operating days, several windows, time-dependent travel, where it was not measured),
    where windows bind and routes are long, and for at least ``min_seconds`` each."""
    return (initial is None and iteration_limit is None and search.cut is None
            and not search.inst.exact and search.long_routes() and seconds >= min_seconds)


def probe_starts(first, make: Callable[[ProgressCallback], object], seed: int,
                 stop: Callable[[int], str | None], clock, seconds: float,
                 ) -> tuple[object, str | None, bool]:
    """``first`` (an ``IlsSearch`` past its first plan) and ``make(progress)``'s search
    from the spread plan, ``seconds`` each in turn: the better one, the stop's reason if
    one came, and whether it is the spread start. ``clock`` is the engine's
    ``FirstPlanClock``; a spread plan it cuts short is not probed."""
    first.progress = guard = BestOnly(first.progress)
    other = make(guard)
    if other.construct(spread_plan(first.shared.active, first.inst.route_type, seed),
                       clock) is not None:
        return first, None, False
    search, reason = probe([first, other], stop, clock.left, seconds)
    return search, reason, search is other


def probe(searches: list, stop: Callable[[int], str | None],
          left: Callable[[], float], seconds: float) -> tuple[object, str | None]:
    """Advance ``searches`` in turn, ``SLICE_S`` at a time, until each has searched
    ``seconds``; the one with the cheapest best (the first on a tie) and, if ``stop``
    gave one meanwhile, its reason."""
    spent = [0.0] * len(searches)
    while min(spent) < seconds:
        for k, search in enumerate(searches):
            tick = time.perf_counter()
            end = tick + min(SLICE_S, seconds - spent[k])
            reason = search.advance(
                None, lambda s=search, e=end: stop(s.done) or (
                    "slice" if time.perf_counter() >= e else None), left)
            spent[k] += time.perf_counter() - tick
            if reason != "slice":
                return _better(searches), reason
    return _better(searches), None


def _better(searches: list) -> object:
    return min(searches, key=lambda s: s.best_cost)
