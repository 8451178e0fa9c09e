"""solve(problem, options): compile, run an engine, decode, and re-evaluate.

This is step 4 of the path of a job (docs/ARCHITECTURE.md): the CLI, the API workers and the
benchmarks all go through here, so every user-visible cost is the evaluator's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.compile import CompiledProblem, compile_problem
from solver.diagnosis import idle_vehicle_could_serve
from solver.engines import EngineResult, ProgressCallback, get_engine
from solver.engines.deadline import solve_in_time
from solver.engines.progress import no_progress
from solver.engines.stop import AnyOf, Cancelled, MaxIterations, MaxRuntime, NoImprovement
from solver.errors import NoSolutionError, UnsupportedFeatureError
from solver.evaluate import EvaluationReport, evaluate
from solver.options import SolveOptions
from solver.problem import Problem
from solver.reliability import on_time_probabilities
from solver.solution import Route, Solution, SolveStats, Unassigned, with_vehicles
from solver.timeline import with_schedules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SolveOutcome:
    solution: Solution
    report: EvaluationReport
    compiled: CompiledProblem


def solve(
    problem: Problem,
    options: SolveOptions | None = None,
    progress: ProgressCallback = no_progress,
    is_cancelled: Callable[[], bool] | None = None,
    compiled: CompiledProblem | None = None,
    models_dir: Path | None = None,
    initial: Solution | None = None,
) -> SolveOutcome:
    """Solve ``problem`` and return the solution with the evaluator's report.

    ``models_dir`` is the travel-model registry, needed when ``problem.travel`` is learned.
    ``initial`` warm-starts engines that accept one (``solve(..., initial=EngineResult)``);
    stops and vehicle types it names that the problem lacks are skipped.

    The time limit starts now: building travel matrices and compiling count against it
    (the engine gets what is left), and ``runtime_s`` is measured from here.
    """
    started = time.perf_counter()
    options = options or SolveOptions()
    if problem.in_progress is not None and (problem.in_progress.vehicles
                                            or problem.in_progress.unavailable):
        raise UnsupportedFeatureError("in_progress with started or unavailable vehicles: "
                                      "solve it with solver.replan.solve.solve_replan")
    if compiled is None:  # travel built by the limit, unless iterations bound the solve
        deadline = started + options.time_limit if options.iteration_limit is None else None
        compiled = compile_problem(problem, models_dir=models_dir, deadline=deadline)
    engine = get_engine(options.engine)
    reason = engine.supports(compiled)
    if reason is not None:
        raise UnsupportedFeatureError(f"engine {engine.name!r} cannot solve this problem: {reason}")
    criteria = [MaxRuntime(options.time_limit, start=started)]
    if options.iteration_limit is not None:
        criteria.append(MaxIterations(options.iteration_limit))
    if is_cancelled is not None:
        criteria.append(Cancelled(is_cancelled))
    if options.max_no_improvement is not None or options.max_no_improvement_s is not None:
        stall = NoImprovement(options.max_no_improvement, options.max_no_improvement_s,
                              since_time=started)
        criteria.append(stall)
        progress = stall.watch(progress)
    extra: dict[str, EngineResult] = {}
    if initial is not None:
        if engine.warm_starts:
            extra["initial"] = encode(compiled, initial)
        else:
            logger.warning("engine %s takes no warm start; solving from scratch", engine.name)
    # an engine that cannot start or find a plan in time: the greedy plan (deadline.py)
    result = solve_in_time(engine, compiled, options, progress, AnyOf(tuple(criteria)),
                           started, **extra)
    runtime = time.perf_counter() - started
    missed = ([] if result.stopped_by == "cancelled" else  # the caller takes what there is
              idle_vehicle_could_serve(compiled, result.routes, list(result.unassigned)))
    if missed:
        raise NoSolutionError(
            f"engine {engine.name!r} stopped ({result.stopped_by}) after {runtime:.2f} s "
            f"without a plan for {len(missed)} required stop(s) that idle vehicles can "
            f"serve alone (e.g. {compiled.node_id(missed[0])!r}): allow more time, or use an "
            f"engine that models the problem exactly"
        )
    solution = decode(compiled, result, engine.name, runtime)
    report = evaluate(problem, solution, compiled.travel)
    solution = with_schedules(problem, solution, report)
    solution.cost = report.cost
    solution.feasible = report.feasible
    bound = solution.stats.lower_bound if solution.stats else None
    if bound is not None and report.cost > 0:
        solution.stats.gap = (report.cost - bound) / report.cost
    if {0.1, 0.9} <= set(compiled.travel.quantiles):
        solution.on_time_probability = on_time_probabilities(problem, solution, compiled.travel)
    if not math.isclose(result.cost, report.cost, rel_tol=1e-9, abs_tol=1e-6):
        logger.error(
            "engine %s claimed cost %.6f but the evaluator computes %.6f",
            engine.name, result.cost, report.cost,
        )
    return SolveOutcome(solution, report, compiled)


def encode(compiled: CompiledProblem, solution: Solution) -> EngineResult:
    """A Solution as engine indices (the inverse of ``decode``), for warm starts; routes
    may name their vehicle instead of its type."""
    solution = with_vehicles(compiled.problem, solution)
    stop_index = compiled.stop_index()
    type_index = {t: k for k, t in enumerate(compiled.type_ids)}
    routes = []
    for route in solution.routes:
        nodes = [stop_index[s] for s in route.stops if s in stop_index]
        if route.vehicle_type in type_index and nodes:
            routes.append((type_index[route.vehicle_type], np.array(nodes, dtype=np.int64)))
    return EngineResult(routes=routes, unassigned={}, cost=math.nan)


def decode(
    compiled: CompiledProblem, result: EngineResult, engine: str, runtime: float
) -> Solution:
    """Turn an engine's index arrays into a Solution of ids."""
    routes = [
        Route(
            vehicle_type=compiled.type_ids[k],
            stops=[compiled.node_id(int(i)) for i in nodes],
        )
        for k, nodes in result.routes
        if len(nodes) > 0
    ]
    unassigned = [
        Unassigned(stop=compiled.node_id(int(i)), reason=reason)
        for i, reason in sorted(result.unassigned.items())
    ]
    stats = SolveStats(
        engine=engine,
        runtime_s=runtime,
        iterations=result.iterations,
        stopped_by=result.stopped_by,
        claimed_cost=result.cost,
        travel_model=compiled.travel.model_id,
        produced_by=result.produced_by or engine,
        lower_bound=result.stats.get("lower_bound"),
    )
    return with_vehicles(compiled.problem, Solution(
        problem=compiled.problem.name, routes=routes, unassigned=unassigned, stats=stats))
