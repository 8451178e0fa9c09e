"""solve_replan: a day in progress solved as its residual problem, judged as a whole day."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from solver.compile import compile_problem
from solver.engines import ProgressCallback
from solver.engines.progress import no_progress
from solver.errors import InvalidProblemError
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import SolveOutcome, solve
from solver.problem import Problem
from solver.replan.residual import reattach, residual_problem
from solver.replan.travel import travel_for
from solver.solution import Route, Solution, SolveStats
from solver.timeline import with_schedules
from solver.travel.build import Travel, build_travel


def solve_replan(
    problem: Problem,
    options: SolveOptions | None = None,
    progress: ProgressCallback = no_progress,
    is_cancelled: Callable[[], bool] | None = None,
    models_dir: Path | None = None,
    warm: bool = True,
    travel: Travel | None = None,
) -> SolveOutcome:
    """Plan the rest of ``problem``'s day (it has ``in_progress``), warm-started from the
    reference plan (``warm=False``: from scratch, as the benchmark compares); the plan
    returned is the whole day, frozen stops included, with the evaluator's cost and
    disruption. A lock the plan could not keep is an error naming it. The time limit
    counts from this call (travel and the residual problem are built inside it).
    ``travel``: ``problem``'s, when the caller has it (:mod:`solver.replan.travel`);
    the residual's is read off it, so travel is built once at most.
    """
    started = time.perf_counter()
    if travel is None:
        travel = build_travel(problem, models_dir)
    residual = residual_problem(problem, travel)
    compiled = compile_problem(residual.problem, travel_for(
        residual.problem, problem, travel, residual.positions))
    reference = residual.problem.in_progress.reference
    initial = Solution(routes=[Route(vehicle=r.vehicle, stops=r.stops) for r in reference
                               if r.stops]) if reference and warm else None
    options = options or SolveOptions()
    spent = time.perf_counter() - started
    options = options.model_copy(update={"time_limit": max(options.time_limit - spent,
                                                           0.01)})
    if residual.problem.stops:
        outcome = solve(residual.problem, options, progress, is_cancelled,
                        compiled=compiled, models_dir=models_dir, initial=initial)
        rest = outcome.solution
    else:  # nothing left to plan (some engines fail on an empty problem)
        rest = Solution(problem=problem.name, stats=SolveStats(engine=options.engine))
    plan = reattach(residual, rest)
    report = evaluate(problem, plan, travel)
    broken = [v.message for v in report.violations if v.kind == "lock"]
    if broken:
        raise InvalidProblemError("a lock could not be kept: " + "; ".join(broken[:5]),
                                  "in_progress.locks")
    plan = with_schedules(problem, plan, report)
    plan.cost, plan.feasible = report.cost, report.feasible
    return SolveOutcome(plan, report, compiled)
