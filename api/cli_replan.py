"""`routecast replan PROBLEM PLAN CHANGES.json`: re-plan a day in progress.

Registered in api/cli.py as ``app.command()(replan)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import emit, err, handle_errors, print_kpis
from solver.io import read_instance, read_solution, solution_to_json
from solver.options import SolveOptions
from solver.replan.changes import apply_changes, read_changes
from solver.replan.solve import solve_replan


@handle_errors
def replan(
    problem_path: Annotated[Path, typer.Argument(help="the day's problem (routecast JSON)")],
    plan_path: Annotated[Path, typer.Argument(help="the published plan (solution JSON)")],
    changes_path: Annotated[Path, typer.Argument(help="CHANGES.json: now, vehicles, "
                                                 "new_stops, cancelled, unavailable, locks, "
                                                 "disruption")],
    engine: Annotated[str, typer.Option(help="engine name (auto, ortools, hgs, ...)")] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds")] = 5.0,
    seed: int = 0,
    out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
) -> None:
    """Plan the rest of the day; the whole day's plan goes to stdout (or --out), KPIs and
    the disruption to stderr. Bad changes exit 2 naming the item."""

    problem = read_instance(problem_path)
    plan = read_solution(plan_path, problem)
    changes = read_changes(problem, json.loads(changes_path.read_text()))
    day = apply_changes(problem, plan, changes)
    outcome = solve_replan(day, SolveOptions(engine=engine, time_limit=time_limit, seed=seed))
    print_kpis(day, outcome.report, outcome.solution.stats.engine
               if outcome.solution.stats else "")
    d = outcome.report.disruption
    if d is not None:
        err.print(f"disruption: {len(d.moved)} stops moved, largest ETA shift "
                  f"{d.max_shift:,.0f} s, cost {d.cost:,.2f}; shifts {d.histogram}",
                  highlight=False)
    emit(solution_to_json(outcome.solution), out)
