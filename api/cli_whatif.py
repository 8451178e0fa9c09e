"""`routecast whatif`: solve a base problem and its variants in parallel, compare them.

Registered in api/cli.py as ``app.command()(whatif)``.
"""

from __future__ import annotations

import math
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_common import ModelsOption, err, handle_errors, models_registry
from solver.io import read_instance
from solver.options import SolveOptions, usable_cores

if TYPE_CHECKING:
    from solver.scenarios import RunProgress
    from solver.scenarios.compare import Comparison


@handle_errors
def whatif(
    base: Annotated[Path, typer.Argument(help="base problem (routecast JSON, VRPLIB, Solomon)")],
    variants: Annotated[Path, typer.Argument(help="VARIANTS.yaml: variants, grid, seeds")],
    out: Annotated[Path, typer.Option("--out", help="folder for comparison.csv/.json, "
                                      "report.html")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds per run")] = 10.0,
    seed: Annotated[int, typer.Option(help="seed of every run (first seed of replications)")] = 0,
    executor: Annotated[str, typer.Option(
        help="local (process pool), threads (or inline), dask-local or dask://host:port "
             "(tcp://, tls://)",
        envvar="ROUTECAST_EXECUTOR")] = "local",
    iterations: Annotated[int | None, typer.Option(help="iteration limit per run "
                                                   "(with a seed: reproducible)")] = None,
    engine: Annotated[str, typer.Option(help="engine name")] = "auto",
    workers: Annotated[int | None, typer.Option(help="local workers (default: all cores)")]
    = None,
    cold: Annotated[bool, typer.Option("--cold", help="solve variants without the base plan "
                                       "as warm start")] = False,
    models: ModelsOption = None,
) -> None:
    """Solve BASE and every variant of VARIANTS.yaml, compare KPIs, write the report.

    Ctrl-C stops the runs (each keeps its best plan so far) and still writes the report.
    """
    from solver.scenarios import (  # here: they cost every other command ~1 s to import
        ScenarioSet,
        compare,
        expand,
        open_executor,
        run_scenarios,
        write_report,
    )
    from solver.scenarios.run import prepare

    problem = read_instance(base)
    models = models_registry(models)
    scenarios = ScenarioSet.from_yaml(variants)
    # the runs solve side by side: each gets its share of the cores (one by default)
    cores = max(1, usable_cores() // (workers or usable_cores()))
    options = SolveOptions(engine=engine, time_limit=time_limit, iteration_limit=iterations,
                           seed=seed, cores=cores)
    prepare(problem, expand(scenarios, seed))  # a bad edit fails before any worker starts
    stop = {"asked": False}

    def on_sigint(signum: int, frame: Any) -> None:
        if stop["asked"]:
            raise KeyboardInterrupt
        stop["asked"] = True
        err.print("[yellow]stopping: runs keep their best plan so far (Ctrl-C again to "
                  "abort)[/yellow]")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with open_executor(executor, workers, preload=engine) as pool, \
                _Bars(time_limit) as bars:
            result = run_scenarios(problem, scenarios, options, pool, bars.update,
                                   lambda: stop["asked"], warm_start=not cold,
                                   models_dir=models)
    finally:
        signal.signal(signal.SIGINT, previous)
    comparison = compare(result)
    paths = write_report(comparison, out)
    print_comparison(comparison)
    err.print(f"wrote {paths['csv']}, {paths['json']}, {paths['html']}")
    if result.cancelled:
        raise typer.Exit(1)


class _Bars:
    """One rich bar per run over its time budget, with its status and best cost."""

    def __init__(self, time_limit: float) -> None:
        self.time_limit = time_limit
        self.progress = Progress(
            TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(), console=err, transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, event: RunProgress) -> None:
        label = event.name if event.seed == 0 else f"{event.name} #{event.seed}"
        if event.key not in self.tasks:
            self.tasks[event.key] = self.progress.add_task(label[:28], total=self.time_limit,
                                                           info="queued", start=False)
        task = self.tasks[event.key]
        if event.status == "running":
            self.progress.start_task(task)
            self.progress.update(task, info="running")
        elif event.status == "progress":
            best = f"best {event.best_cost:,.1f}" if math.isfinite(event.best_cost) else ""
            self.progress.update(task, completed=event.elapsed_s, info=best)
        elif event.status in ("succeeded", "failed", "cancelled"):
            colour = {"succeeded": "green", "failed": "red", "cancelled": "yellow"}[event.status]
            self.progress.update(task, completed=self.time_limit,
                                 info=f"[{colour}]{event.status}[/{colour}]")


def print_comparison(comparison: Comparison) -> None:
    """The KPI table with deltas against the base, on stderr."""
    from solver.scenarios import BASE

    table = Table(title=f"what-if: {comparison.name}")
    cols = ("variant", "cost", "Δ cost", "distance", "vehicles", "unassigned", "on time",
            "moved", "status")
    for c in cols:
        table.add_column(c, justify="left" if c == "variant" else "right")
    for r in comparison.rows:
        name = r["variant"] if len(comparison.seeds) == 1 else f"{r['variant']} #{r['seed']}"

        def num(v: Any, fmt: str) -> str:
            return "" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)

        table.add_row(
            f"[bold]{name}[/bold]" if r["variant"] == BASE else name,
            num(r["total_cost"], "{:,.2f}"),
            "" if r["variant"] == BASE else num(r["delta_total_cost_pct"], "{:+.1f}%"),
            num(r["distance"], "{:,.1f}"), num(r["vehicles_used"], "{:.0f}"),
            num(r["unassigned"], "{:.0f}"), num(r["on_time_rate"], "{:.1%}"),
            num(r.get("stops_moved"), "{:.0f}"), r["status"],
        )
    err.print(table)
