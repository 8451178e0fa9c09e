"""Keeping a time limit where the engine cannot: the cold-start gate and the fallback.

A time limit is a promise (issue 15): the whole solve returns within ``time_limit +
max(0.3 s, 3 %)``. Two things break it in a fresh process. An engine whose code is not
loaded yet (``ils``: Numba and its cached kernels, seconds that no stop criterion can
interrupt, or their compilation where the cache lacks them, minutes) cannot keep a short
limit; such an engine says how long it still needs (``cold_start_s(compiled, budget)``,
optional; exact only as far as it matters against ``budget``), and when that exceeds what
is left the engine is not started in the limit's way: the greedy plan comes first; then, where
a fair share of that time is left (``BESIDE_SHARE``), the engine starts in a background
thread (loading its code there) and is waited for until the limit (plus a quarter of
the allowed overrun). If it returns by then, having started from the greedy plan when it
takes a warm start, its plan replaces the greedy one where it is complete and no
dearer. If not, the greedy plan is returned and the thread runs on until the engine's
own stop criterion (the limit, already passed) ends it at its first check: the process
has then loaded the engine, so the next solve is warm. And an engine may run out of
time without a plan (OR-Tools' first solution on a large operating day), or with a plan
that leaves out required stops that idle vehicles could serve (``exact`` at 1 s under
load). In both cases the greedy construction (``greedy.py``) is the plan, reported as
``produced_by="greedy"`` with ``stopped_by="time_limit"``. An engine that may find no
first plan in a short limit says below which limit (``insure_below_s``, OR-Tools): the
greedy plan is then made before it, from the engine's time, since after the limit the
grace is too short to make it on a large day; it also stands where the engine's plan
costs more (OR-Tools on the operating day at 2 s: 12,964 against 4,866). With less than
``LATE_SHARE`` of the limit left (learned travel took the rest), no engine starts. When
the greedy construction cannot place every required stop a vehicle could serve, or
cannot finish by the limit plus half the allowed overrun (from when it starts, if the
limit had passed), the solve fails, saying why: a partial plan is never a success.
Learned travel is built by the limit (``solver.travel.learned``), or the solve fails
saying so.
"""

from __future__ import annotations

import logging
import threading
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
BESIDE_SHARE = 0.75  # the engine starts beside the greedy plan when at least this share
#   of its estimated loading time is left (the estimate is cautious: a cold ils at 2 s
#   searched 213 iterations on X-n101 at load 6, where 2.5 s were estimated; at load 8.5
#   it had no plan by 2 s, estimated 3.0 s); with less, a loading thread that cannot
#   finish only slows the caller (the CLI process's exit by ~1.5 s at 1 s, load 7)
WAIT_SHARE = 0.25  # of the allowed overrun, how long past the limit the engine beside is
#   waited for (its search stops at the limit; the rest of the overrun is for decoding
#   and evaluating while its thread may still be loading, holding the GIL at times)
LATE_SHARE = 0.1  # with less than this share of the limit left when the engine could
#   start (learned travel took the rest), it is not started: its model building or
#   construction would end past the limit (auto at 2 s on the learned demo day: +0.36 s)
INSURE_SHARE = 0.9  # of the time left, what the greedy plan made before an engine that
#   declares ``insure_below_s`` (one that may have no first plan in a short limit) may take
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
    left = limit_at - clock()
    need = (cold(compiled, left) if cold is not None and options.iteration_limit is None
            else 0.0)
    if options.iteration_limit is None and left < LATE_SHARE * options.time_limit:
        why = (f"only {max(left, 0.0):.2f} s of the {options.time_limit:g} s limit were left "
               f"to start engine {engine.name!r} (travel and compilation took the rest)")
        logger.warning("%s: returning the greedy construction", why)
        return _fallback(compiled, max(limit_at, clock()) + grace, clock, why, progress,
                         started, "engine_skipped_late")
    if need > 0 and need > left:
        why = (f"engine {engine.name!r} needs about {need:.1f} s to load in this process "
               f"and {max(left, 0.0):.2f} s of the {options.time_limit:g} s limit were left")
        logger.warning("%s: the greedy construction first, the engine loading beside it", why)
        deadline = max(limit_at, clock()) + grace
        plan = _fallback(compiled, deadline, clock, why, progress, started,
                         "engine_skipped_cold")
        if limit_at - clock() < BESIDE_SHARE * need:
            return plan  # no chance worth the CPU it would take from the caller
        return _engine_beside(engine, plan, compiled, options, progress, stop,
                              limit_at + WAIT_SHARE * allowed_overrun(options.time_limit),
                              clock, **extra)
    insurance = None
    if options.iteration_limit is None and left < getattr(engine, "insure_below_s", 0.0):
        insurance = greedy_insurance(compiled, INSURE_SHARE * left, clock)
        if insurance is not None:
            progress(ProgressEvent(clock() - started, 0, insurance.cost, True))
    try:
        result = engine.solve(compiled, options, progress, stop, **extra)
    except NoSolutionError as exc:
        if clock() - started < SPENT_SHARE * options.time_limit:
            raise
        logger.warning("%s; returning the greedy construction", exc)
        return _fallback(compiled, max(limit_at, clock()) + grace, clock, str(exc), progress,
                         started, "engine_failed_late", insurance)
    if insurance is not None and insurance.cost < result.cost and result.stopped_by != "cancelled":
        logger.info("engine %r's plan costs %.2f, the greedy plan made first %.2f: keeping "
                    "the greedy plan", engine.name, result.cost, insurance.cost)
        insurance.stats["engine_dearer"] = 1.0  # complete, as every greedy plan
        return insurance
    if (result.stopped_by == "cancelled" or clock() - started < SPENT_SHARE * options.time_limit
            or not idle_vehicle_could_serve(compiled, result.routes, list(result.unassigned))):
        return result
    try:  # a partial plan at the limit (the pipeline refuses it): a complete greedy one
        return _fallback(compiled, max(limit_at, clock()) + grace, clock,
                         f"engine {engine.name!r} left required stops out", progress,
                         started, "engine_failed_late", insurance)
    except NoSolutionError as exc:
        logger.info("no greedy plan either (%s)", exc)
        return result  # the pipeline says what the engine's plan lacks


def _fallback(compiled: CompiledProblem, deadline: float, clock: Callable[[], float],
              why: str, progress: ProgressCallback, started: float,
              stat: str, insurance: EngineResult | None = None) -> EngineResult:
    """The greedy plan (``insurance`` when it was made before the engine) with ``stat``
    set in its stats, or ``NoSolutionError`` naming ``why`` and what it lacked."""
    try:
        result = insurance if insurance is not None else greedy_plan(compiled, deadline, clock)
    except NoSolutionError as exc:
        raise NoSolutionError(f"{why}; the greedy fallback: {exc}") from exc
    result.stats["greedy_fallback"] = 1.0
    result.stats[stat] = 1.0
    if insurance is None:  # the insurance's plan was reported when it was made
        progress(ProgressEvent(clock() - started, 0, result.cost, True))
    return result


def _engine_beside(engine: Engine, plan: EngineResult, compiled: CompiledProblem,
                   options: SolveOptions, progress: ProgressCallback, stop: StopCriterion,
                   deadline: float, clock: Callable[[], float],
                   **extra: object) -> EngineResult:
    """``engine.solve`` in a daemon thread (from ``plan`` if it takes a warm start and
    has none), waited for until ``deadline``: its plan where it came in time, is
    complete and costs no more than ``plan``; else ``plan``. Progress events from the
    thread stop when the wait ends (the caller has moved on)."""
    if engine.warm_starts and "initial" not in extra:
        extra["initial"] = plan
    box: dict[str, EngineResult] = {}
    done, open_ = threading.Event(), threading.Event()
    open_.set()

    def relay(event: ProgressEvent) -> None:
        if open_.is_set():
            progress(event)

    def run() -> None:
        try:
            box["result"] = engine.solve(compiled, options, relay, stop, **extra)
        except Exception:  # the greedy plan stands; say why
            logger.warning("engine %r, started beside the greedy plan, failed", engine.name,
                           exc_info=True)
        finally:
            done.set()

    threading.Thread(target=run, name=f"{engine.name}-beside-greedy", daemon=True).start()
    came = done.wait(max(0.0, deadline - clock()))
    open_.clear()
    result = box.get("result")
    if not came or result is None:
        logger.info("engine %r had no plan by the deadline; the greedy plan stands",
                    engine.name)
        return plan
    if (result.cost > plan.cost
            or idle_vehicle_could_serve(compiled, result.routes, list(result.unassigned))):
        logger.info("engine %r's plan (cost %.2f) is no better than the greedy plan's "
                    "(%.2f) or incomplete; the greedy plan stands", engine.name, result.cost,
                    plan.cost)
        return plan
    result.stats["engine_loaded_beside_greedy"] = 1.0
    return result


def loadable(engine: Engine, standin: Engine, compiled: CompiledProblem,
             options: SolveOptions, budget: float) -> tuple[Engine, bool]:
    """``engine``, or ``standin`` where ``engine`` cannot load in ``budget`` (its
    ``cold_start_s``; never under an iteration limit, nor on coordinate-only travel,
    which OR-Tools, ``auto``'s stand-in, cannot read); and whether it was swapped."""
    cold = getattr(engine, "cold_start_s", None)
    if (engine is standin or cold is None or options.iteration_limit is not None
            or not compiled.travel.dense or cold(compiled, budget) <= budget):
        return engine, False
    logger.info("%s needs longer to load than the %.2f s left; %s instead", engine.name,
                budget, standin.name)
    return standin, True


def greedy_insurance(compiled: CompiledProblem, seconds: float,
                     clock: Callable[[], float] = time.perf_counter) -> EngineResult | None:
    """The greedy plan within ``seconds`` (milliseconds to ~0.9 s under load), made
    before an engine that may find no first plan in a short budget (OR-Tools on a large
    operating day at 1 s); None when it has none."""
    try:
        return greedy_plan(compiled, clock() + seconds, clock)
    except NoSolutionError as exc:
        logger.info("no greedy plan in %.2f s (%s)", seconds, exc)
        return None
