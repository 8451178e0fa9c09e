"""Run a base problem and its variants on any ``concurrent.futures.Executor``.

:func:`run_scenarios` is a plain function (base, set, options, executor, progress,
is_cancelled), so the CLI, a job worker of the service and the benchmarks share it.

1. Every variant's edits are applied here, up front: an edit that makes no sense
   stops the batch before anything is solved, with the variant, edit and field named.
2. The base is solved once per seed; when it is done, the variants of that seed are
   submitted, each with the base plan repaired onto it as its warm start
   (:mod:`solver.scenarios.repair`). Without warm starts everything is submitted at once.
3. A run (:func:`run_one`, in a worker) builds travel, applies ``traffic`` to the
   tensor, compiles and solves through :func:`solver.pipeline.solve`; its KPIs come
   from the evaluator. Results do not depend on the executor: a run sees only its task.

Warm starts: when the engine's ``solve`` takes ``initial=`` (``hgs``, ``auto``), the
repaired plan goes to it through ``solver.pipeline.solve`` and the search starts from it
(``warm_start="engine"``). Either way the runner also evaluates the repaired plan itself
and keeps it when it beats the engine's plan (fewer required stops left out, then lower
cost; ``"kept_initial"``), so a variant is never worse than its warm start.

Each result carries the run's improvement trace (seconds since the run started, best cost
as the engine reports it), its CPU time, and how many functions Numba compiled during it
(0 when the worker loaded the kernels from the on-disk cache or had them already).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solver.compile import compile_problem
from solver.engines import get_engine
from solver.errors import SolveCancelled
from solver.evaluate import EvaluationReport, evaluate
from solver.kpis import compute_kpis
from solver.options import SolveOptions
from solver.pipeline import SolveOutcome, solve
from solver.problem import Problem
from solver.reliability import on_time_probabilities
from solver.scenarios.base import Edit
from solver.scenarios.channel import Sink, open_channel
from solver.scenarios.compiles import count_compiles
from solver.scenarios.edits import apply_edits, apply_travel_edits
from solver.scenarios.executors import local_executor
from solver.scenarios.repair import repair
from solver.scenarios.sets import BASE, ScenarioSet, VariantSpec, expand
from solver.solution import Solution
from solver.travel.build import build_travel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunProgress:
    """What the runner reports: one run's status change or improvement."""

    key: str  # "<variant>#<seed>"
    name: str
    seed: int
    status: str  # queued, running, progress, succeeded, failed, cancelled
    elapsed_s: float = 0.0
    best_cost: float = float("inf")
    iteration: int = 0
    finished: int = 0  # runs finished so far, all variants
    total: int = 0


def no_progress(event: RunProgress) -> None:
    """The default callback: ignore events."""


@dataclass(frozen=True)
class RunTask:
    """Everything one run needs; pickled to the worker."""

    key: str
    problem: Problem
    travel_edits: tuple[Edit, ...]
    options: SolveOptions
    sink: Sink
    base: Solution | None = None
    models_dir: Path | None = None


@dataclass
class RunResult:
    """One run's outcome, as the evaluator sees it."""

    key: str
    status: str  # succeeded, failed, cancelled
    solution: Solution | None = None
    kpis: dict[str, Any] = field(default_factory=dict)
    cost_parts: dict[str, float] = field(default_factory=dict)
    on_time_expected: float | None = None
    warm_start: str = "none"  # engine, kept_initial, none
    runtime_s: float = 0.0
    iterations: int = 0
    stopped_by: str | None = None
    error: str | None = None
    trace: list[tuple[float, float]] = field(default_factory=list)  # (s, engine best cost)
    cpu_s: float = 0.0  # CPU time of the worker process (threads: of all runs meanwhile)
    jit_compiles: int = 0


@dataclass
class ScenarioResult:
    """All runs of a set, in :func:`solver.scenarios.sets.expand` order (base first)."""

    name: str
    specs: list[VariantSpec]
    problems: dict[str, Problem]  # variant name -> edited problem (base under "base")
    runs: dict[str, RunResult]  # run key -> result
    options: SolveOptions
    axes: list[str] = field(default_factory=list)
    cancelled: bool = False
    wall_s: float = 0.0


def _takes_initial(engine: str) -> bool:
    return get_engine(engine).warm_starts


def _rank(report: EvaluationReport) -> tuple[bool, int, float]:
    return (not report.feasible, len(report.unassigned_required), report.cost)


def run_one(task: RunTask) -> RunResult:
    """Solve one variant (in a worker); progress and cancellation go through the sink."""
    if task.sink.cancelled():
        return RunResult(task.key, "cancelled")
    task.sink.send(task.key, "running")
    cpu = time.process_time()
    with count_compiles() as compiles:
        result = _solve(task)
    result.cpu_s, result.jit_compiles = time.process_time() - cpu, compiles.count
    return result


def _solve(task: RunTask) -> RunResult:
    sink, key = task.sink, task.key
    started = time.perf_counter()
    problem = task.problem
    travel = apply_travel_edits(build_travel(problem, task.models_dir), task.travel_edits)
    compiled = compile_problem(problem, travel)
    initial = repair(task.base, problem, travel) if task.base is not None else None
    trace: list[tuple[float, float]] = []

    def on_progress(event: Any) -> None:
        if not trace or event.best_cost < trace[-1][1]:
            trace.append((time.perf_counter() - started, event.best_cost))
        sink.send(key, "progress", (event.elapsed_s, event.iteration, event.best_cost),
                  force=False)

    kwargs: dict[str, Any] = {"compiled": compiled, "models_dir": task.models_dir}
    warm = "none"
    if initial is not None and _takes_initial(task.options.engine):
        kwargs["initial"], warm = initial, "engine"
    try:
        outcome: SolveOutcome = solve(problem, task.options, on_progress, sink.cancelled,
                                      **kwargs)
    except SolveCancelled:
        return RunResult(key, "cancelled", runtime_s=time.perf_counter() - started)
    solution, report = outcome.solution, outcome.report
    if initial is not None:  # the engine may have ignored the warm start or lost ground
        mine = evaluate(problem, initial, travel)
        if _rank(mine) < _rank(report):
            initial.cost, initial.feasible, initial.stats = mine.cost, mine.feasible, \
                solution.stats
            if {0.1, 0.9} <= set(travel.quantiles):
                initial.on_time_probability = on_time_probabilities(problem, initial, travel)
            solution, report, warm = initial, mine, "kept_initial"
    stats = solution.stats
    stopped_by = stats.stopped_by if stats else None
    return RunResult(
        key,
        "cancelled" if stopped_by == "cancelled" else "succeeded",
        solution=solution,
        kpis=compute_kpis(problem, report).as_dict(),
        cost_parts=cost_parts(problem, report),
        on_time_expected=(sum(solution.on_time_probability.values())
                          / max(len(solution.on_time_probability), 1)
                          if solution.on_time_probability else None),
        warm_start=warm,
        runtime_s=time.perf_counter() - started,
        iterations=stats.iterations if stats else 0,
        stopped_by=stopped_by,
        trace=trace,
    )


def cost_parts(problem: Problem, report: EvaluationReport) -> dict[str, float]:
    """Total cost split into fixed, distance, time and penalty parts."""
    types = {v.id: v for v in problem.vehicle_types}
    return {
        "fixed_cost": sum(types[r.vehicle_type].fixed_cost for r in report.routes),
        "distance_cost": sum(types[r.vehicle_type].cost_per_distance * r.distance
                             for r in report.routes),
        "time_cost": sum(types[r.vehicle_type].cost_per_time * r.duration
                         for r in report.routes),
        "penalty_cost": report.penalty_cost,
    }


def prepare(base: Problem, specs: Sequence[VariantSpec]) -> dict[str, Problem]:
    """Variant name -> edited problem; the first bad edit raises ScenarioError."""
    problems = {BASE: base}
    for spec in specs:
        if spec.name not in problems:
            problems[spec.name] = apply_edits(base, spec.edits, f"{spec.path}.edits")
    return problems


def run_scenarios(
    base: Problem,
    scenarios: ScenarioSet,
    options: SolveOptions | None = None,
    executor: Executor | None = None,
    progress: Callable[[RunProgress], None] = no_progress,
    is_cancelled: Callable[[], bool] | None = None,
    *,
    warm_start: bool = True,
    models_dir: Path | None = None,
    workers: int | None = None,
) -> ScenarioResult:
    """Solve the base and every variant of ``scenarios``; see the module docstring.

    Parameters
    ----------
    base
        The problem every variant edits.
    scenarios
        Variants, grid and seeds (``options.seed`` is the first seed).
    options
        Engine and budget for every run (time limit per run).
    executor
        Where runs execute; None opens a local process pool of ``workers`` for this call
        (its workers preload the engine while the base solves).
    progress
        Called in this thread with a :class:`RunProgress` for every status change.
    is_cancelled
        Polled about every 0.1 s; when true, queued runs are dropped and running ones stop
        at their next check, keeping their best plan so far.
    warm_start
        Start each variant from the base plan (repaired); False solves every run cold.

    Raises
    ------
    ScenarioError
        An edit of some variant makes no sense for ``base``.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    specs = expand(scenarios, options.seed)
    problems = prepare(base, specs)
    own = executor is None
    pool = local_executor(workers, preload=options.engine) if own else executor
    channel = open_channel(pool)
    by_key = {s.key: s for s in specs}
    results: dict[str, RunResult] = {}
    pending: dict[Future[RunResult], str] = {}
    waiting = [s for s in specs if s.name != BASE] if warm_start else []
    cancelled = False

    def emit(key: str, status: str, *payload: Any) -> None:
        s = by_key[key]
        elapsed, iteration, best = (payload[0] if payload and payload[0] else (0.0, 0,
                                                                               float("inf")))
        progress(RunProgress(key, s.name, s.seed, status, elapsed, best, iteration,
                             len(results), len(specs)))

    def submit(spec: VariantSpec, base_solution: Solution | None) -> None:
        task = RunTask(spec.key, problems[spec.name],
                       tuple(e for e in spec.edits if e.changes_travel),
                       options.model_copy(update={"seed": spec.seed}), channel.sink,
                       base_solution, models_dir)
        pending[pool.submit(run_one, task)] = spec.key

    try:
        for s in specs:
            emit(s.key, "queued")
        for s in specs:
            if s.name == BASE or not warm_start:
                submit(s, None)
        while pending:
            done, _ = wait(list(pending), timeout=0.1, return_when=FIRST_COMPLETED)
            for key, kind, payload in channel.drain():
                if key in by_key and kind == "progress":
                    emit(key, "progress", payload)
                elif key in by_key and kind == "running":
                    emit(key, "running")
            for fut in done:
                key = pending.pop(fut)
                results[key] = _result(fut, key)
                emit(key, results[key].status)
                spec = by_key[key]
                if spec.name == BASE and not cancelled:
                    base_run = results[key]
                    for v in [v for v in waiting if v.seed == spec.seed]:
                        waiting.remove(v)
                        submit(v, base_run.solution if base_run.status == "succeeded" else None)
            if not cancelled and is_cancelled is not None and is_cancelled():
                cancelled = True
                channel.cancel()
                for fut in list(pending):
                    if fut.cancel():
                        key = pending.pop(fut)
                        results[key] = RunResult(key, "cancelled")
                        emit(key, "cancelled")
                for v in waiting:
                    results[v.key] = RunResult(v.key, "cancelled")
                    emit(v.key, "cancelled")
                waiting.clear()
    finally:
        channel.close()
        if own:
            pool.shutdown(cancel_futures=True)
    grid = scenarios.grid
    return ScenarioResult(
        name=scenarios.name, specs=specs, problems=problems,
        runs={s.key: results[s.key] for s in specs}, options=options,
        axes=[a.label for a in grid.axes] if grid else [], cancelled=cancelled,
        wall_s=time.perf_counter() - started,
    )


def _result(fut: Future[RunResult], key: str) -> RunResult:
    """A run's result; an exception in the worker becomes a failed run, not a crash."""
    if fut.cancelled():
        return RunResult(key, "cancelled")
    exc = fut.exception()
    if exc is not None:
        logger.error("scenario run %s failed: %s: %s", key, type(exc).__name__, exc)
        return RunResult(key, "failed", error=f"{type(exc).__name__}: {exc}")
    return fut.result()
