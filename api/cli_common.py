"""What every CLI module shares: the stderr console, the error-to-exit-code mapping, the
KPI table and writing a result."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from solver.errors import RoutecastError
from solver.evaluate import EvaluationReport
from solver.kpis import compute_kpis
from solver.options import usable_cores
from solver.problem import Problem

err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map typed errors to one line on stderr and exit code 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (RoutecastError, ValueError, OSError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


ModelsOption = Annotated[Path | None, typer.Option(
    "--models", help="travel-model registry for learned travel (default: "
    "$ROUTECAST_DATA_DIR/models, or ./data/models)")]


def models_registry(models: Path | None) -> Path:
    """The registry learned travel reads: ``--models``, else ROUTECAST_DATA_DIR's."""
    if models is not None:
        return models
    from api.settings import get_settings

    return get_settings().models_dir


def print_kpis(problem: Problem, report: EvaluationReport, engine: str) -> None:
    """The KPI table, on stderr so that stdout stays machine-readable."""
    k = compute_kpis(problem, report)
    table = Table(title=f"{problem.name} ({engine})" if engine else problem.name)
    day = bool(k.lateness_cost or k.max_lateness or k.overtime_cost or k.breaks)
    for col in ("cost", "distance", "duration", "vehicles", "served", "unassigned",
                "on time", "utilisation", "feasible") + (
                "late cost", "max late s", "overtime cost", "breaks") * day:
        table.add_column(col, justify="right")
    table.add_row(
        f"{k.cost:,.2f}", f"{k.distance:,.2f}", f"{k.duration:,.1f}", str(k.vehicles_used),
        str(k.stops_served), str(k.unassigned), f"{k.on_time_rate:.1%}", f"{k.utilisation:.1%}",
        "[green]yes[/green]" if k.feasible else "[red]no[/red]",
        *((f"{k.lateness_cost:,.2f}", f"{k.max_lateness:,.0f}", f"{k.overtime_cost:,.2f}",
           str(k.breaks)) if day else ()),
    )
    err.print(table)


def emit(text: str, out: Path | None) -> None:
    """Write a result to ``out``, or to stdout when none is given."""
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


def check_cores(cores: int | None) -> None:
    """``--cores`` between 1 and the cores this process may use, else a usage error (exit 2)
    naming the option."""
    usable = usable_cores()
    if cores is not None and not 1 <= cores <= usable:
        raise typer.BadParameter(f"{cores} is not in 1..{usable} (the cores this process "
                                 "may use, os.sched_getaffinity)", param_hint="'--cores'")
