"""Keeping a time limit where the engine cannot: the cold-start gate and the fallback.

A time limit is a promise (issue 15): the whole solve returns within ``time_limit +
max(0.3 s, 3 %)``. Two things break it in a fresh process. An engine whose code is not
loaded yet (``ils``: Numba and its cached kernels, seconds that no stop criterion can
interrupt) cannot keep a short limit; such an engine says how long it
still needs (``cold_start_s(compiled)``, optional), and when that exceeds what is left
the engine is not started. And an engine may run out of time without a plan (OR-Tools'
first solution on a large operating day), or with a plan that leaves out required stops
that idle vehicles could serve (``exact`` at 1 s under load). In both cases the greedy construction
(``greedy.py``) is the plan, reported as ``produced_by="greedy"`` with ``stopped_by=
"time_limit"``; when it cannot place every required stop a vehicle could serve, or
cannot finish by the limit plus half the allowed overrun (from when it starts, if the
limit had passed: learned travel's matrices may take longer than a short limit in a
cold process, and a plan then is still worth more than an error), the solve fails,
saying why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from solver.compile import CompiledProblem
from solver.diagnosis import idle_vehicle_could_serve
from solver.engines.base import Engine, EngineResult
from solver.engines.greedy import greedy_plan
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion
from solver.errors import NoSolutionError
from solver.options import SolveOptions

logger = logging.getLogger(__name__)

GRACE_SHARE = 0.5  # of the allowed overrun, what the fallback may use past the limit (the
#   rest is for decoding and the caller)
SPENT_SHARE = 0.9  # an engine that fails after this share of the limit ran out of time;
#   earlier, its failure is its answer (e.g. a model it proved infeasible)


def allowed_overrun(time_limit: float) -> float:
    """How far past ``time_limit`` a solve may return: max(0.3 s, 3 %) (issue 15)."""
    return max(0.3, 0.03 * time_limit)


def solve_in_time(engine: Engine, compiled: CompiledProblem, options: SolveOptions,
                  progress: ProgressCallback, stop: StopCriterion, started: float,
                  clock: Callable[[], float] = time.perf_counter,
                  **extra: object) -> EngineResult:
    """``engine.solve(...)``, or the greedy plan when the engine cannot start or ends
    without a plan in time (module docstring). ``started`` is when the limit began, on
    ``clock``. Under an iteration limit the gate is off: the result must not depend on
    what this process loaded before."""
    limit_at = started + options.time_limit
    grace = GRACE_SHARE * allowed_overrun(options.time_limit)
    cold = getattr(engine, "cold_start_s", None)
    need = cold(compiled) if cold is not None and options.iteration_limit is None else 0.0
    left = limit_at - clock()
    if need > 0 and need > left:
        why = (f"engine {engine.name!r} needs about {need:.1f} s to load in this process "
               f"and {max(left, 0.0):.2f} s of the {options.time_limit:g} s limit were left")
        logger.warning("%s: returning the greedy construction", why)
        return _fallback(compiled, max(limit_at, clock()) + grace, clock, why, progress,
                         started, skipped=True)
    try:
        result = engine.solve(compiled, options, progress, stop, **extra)
    except NoSolutionError as exc:
        if clock() - started < SPENT_SHARE * options.time_limit:
            raise
        logger.warning("%s; returning the greedy construction", exc)
        return _fallback(compiled, max(limit_at, clock()) + grace, clock, str(exc), progress,
                         started, skipped=False)
    if (result.stopped_by == "cancelled" or clock() - started < SPENT_SHARE * options.time_limit
            or not idle_vehicle_could_serve(compiled, result.routes, list(result.unassigned))):
        return result
    try:  # a partial plan at the limit (the pipeline refuses it): a complete greedy one
        return _fallback(compiled, max(limit_at, clock()) + grace, clock,
                         f"engine {engine.name!r} left required stops out", progress,
                         started, skipped=False)
    except NoSolutionError as exc:
        logger.info("no greedy plan either (%s)", exc)
        return result  # the pipeline says what the engine's plan lacks


def _fallback(compiled: CompiledProblem, deadline: float, clock: Callable[[], float],
              why: str, progress: ProgressCallback, started: float,
              skipped: bool) -> EngineResult:
    """The greedy plan, or ``NoSolutionError`` naming ``why`` and what it lacked."""
    try:
        result = greedy_plan(compiled, deadline, clock)
    except NoSolutionError as exc:
        raise NoSolutionError(f"{why}; the greedy fallback: {exc}") from exc
    result.stats["greedy_fallback"] = 1.0
    result.stats["engine_skipped_cold" if skipped else "engine_failed_late"] = 1.0
    progress(ProgressEvent(clock() - started, 0, result.cost, True))
    return result


def loadable(engine: Engine, standin: Engine, compiled: CompiledProblem,
             options: SolveOptions, budget: float) -> tuple[Engine, bool]:
    """``engine``, or ``standin`` where ``engine`` cannot load in ``budget`` (its
    ``cold_start_s``; never under an iteration limit, nor on coordinate-only travel,
    which OR-Tools, ``auto``'s stand-in, cannot read); and whether it was swapped."""
    cold = getattr(engine, "cold_start_s", None)
    if (engine is standin or cold is None or options.iteration_limit is not None
            or not compiled.travel.dense or cold(compiled) <= budget):
        return engine, False
    logger.info("%s needs longer to load than the %.2f s left; %s instead", engine.name,
                budget, standin.name)
    return standin, True


def greedy_insurance(compiled: CompiledProblem, seconds: float) -> EngineResult | None:
    """The greedy plan within ``seconds`` (milliseconds to ~0.9 s under load), made
    before an engine that may find no first plan in a short budget (OR-Tools on a large
    operating day at 1 s); None when it has none."""
    try:
        return greedy_plan(compiled, time.perf_counter() + seconds)
    except NoSolutionError as exc:
        logger.info("no greedy plan in %.2f s (%s)", seconds, exc)
        return None
