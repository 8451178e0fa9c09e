"""The `routecast` command line: solve, check, info, convert, plot, schema, demo, serve, db,
replan.

Domain errors become one line on stderr and exit code 2 here, and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_common import (
    ModelsOption,
    check_cores,
    emit,
    err,
    handle_errors,
    models_registry,
    print_kpis,
)
from api.cli_db import db_app
from api.cli_replan import replan
from api.cli_retrain import retrain
from api.cli_travel import travel_app
from api.cli_whatif import whatif
from api.logging import configure_logging
from solver.engines import ProgressEvent
from solver.evaluate import evaluate
from solver.io import read_instance, read_solution, solution_to_csv, solution_to_json
from solver.io.solution import solution_to_vrplib
from solver.options import DEFAULT_MAX_NO_IMPROVEMENT, SolveOptions
from solver.pipeline import solve as run_solve
from solver.problem import problem_json_schema

app = typer.Typer(help="routecast: vehicle routing with learned travel times.", no_args_is_help=True)
travel_app.command("retrain")(retrain)
app.add_typer(travel_app, name="travel")
app.add_typer(db_app, name="db")
app.command()(whatif)
app.command()(replan)
logger = logging.getLogger(__name__)


class OutputFormat(StrEnum):
    json = "json"
    vrplib = "vrplib"
    csv = "csv"


Rounding = Annotated[
    str | None,
    typer.Option(help="distance rounding for VRPLIB/Solomon files: round, dimacs, exact, ceil"),
]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    configure_logging("cli", logging.DEBUG if verbose else logging.WARNING)


@app.command()
@handle_errors
def solve(
    path: Path,
    engine: Annotated[str, typer.Option(help="engine name (auto, ils, ortools, exact; hgs = ils)")] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds")] = 10.0,
    iterations: Annotated[int | None, typer.Option(help="iteration limit")] = None,
    stall: Annotated[int | None, typer.Option(
        "--max-no-improvement", help="stop after this many iterations without a better "
        f"plan (default {DEFAULT_MAX_NO_IMPROVEMENT:,}; 0: never)")] = None,
    stall_s: Annotated[float | None, typer.Option(
        "--max-no-improvement-s", help="stop after this many seconds without a better plan")] = None,
    seed: int = 0,
    cores: Annotated[int | None, typer.Option(
        help="cores the engine may use (auto: one ils search per core); "
             "default: every core this process may use")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json,
    out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
    rounding: Rounding = None,
    models: ModelsOption = None,
) -> None:
    """Solve an instance; the solution goes to stdout (or --out), KPIs to stderr."""
    check_cores(cores)
    problem = read_instance(path, rounding)
    options = SolveOptions(
        engine=engine, time_limit=time_limit, iteration_limit=iterations, seed=seed,
        max_no_improvement=DEFAULT_MAX_NO_IMPROVEMENT if stall is None else (stall or None),
        max_no_improvement_s=stall_s, cores=cores)
    with _progress_bar(time_limit) as on_progress:
        outcome = run_solve(problem, options, progress=on_progress,
                            models_dir=models_registry(models))
    print_kpis(problem, outcome.report, outcome.solution.stats.engine if outcome.solution.stats else "")
    if outcome.solution.stats and outcome.solution.stats.produced_by == "greedy":
        err.print(f"[yellow]note[/yellow]: {engine} could not load or find a plan within "
                  f"{time_limit:g} s in this process: this is the greedy construction "
                  "(a longer limit gives a searched plan)", highlight=False)
    text = {
        OutputFormat.json: lambda: solution_to_json(outcome.solution),
        OutputFormat.vrplib: lambda: solution_to_vrplib(outcome.solution, problem,
                                                        outcome.report.cost),
        OutputFormat.csv: lambda: solution_to_csv(outcome.report, problem),
    }[fmt]()
    emit(text, out)


@app.command()
@handle_errors
def check(path: Path, solution: Path, rounding: Rounding = None) -> None:
    """Evaluate a solution file (JSON or VRPLIB .sol); exit 1 when it is infeasible."""
    problem = read_instance(path, rounding)
    report = evaluate(problem, read_solution(solution, problem))
    print_kpis(problem, report, "check")
    for v in report.violations[:20]:
        err.print(f"[red]violation[/red] {v.kind}: {v.message}", highlight=False)
    if len(report.violations) > 20:
        err.print(f"... and {len(report.violations) - 20} more violations")
    if not report.feasible:
        raise typer.Exit(1)


@app.command()
@handle_errors
def info(path: Path, rounding: Rounding = None) -> None:
    """Summarise an instance: sizes, fleet, windows, travel."""
    problem = read_instance(path, rounding)
    table = Table(title=problem.name, show_header=False)
    n_tw = sum(1 for s in problem.stops if s.time_windows[0].end != float("inf"))
    rows = {
        "depots": len(problem.depots),
        "stops": len(problem.stops),
        "optional stops": sum(not s.required for s in problem.stops),
        "stops with time windows": n_tw,
        "demand dimensions": problem.n_dims,
        "total demand": " ".join(f"{sum(s.demand[d] for s in problem.stops):g}"
                                 for d in range(problem.n_dims)),
        "vehicle types": len(problem.vehicle_types),
        "vehicles": sum(v.count for v in problem.vehicle_types),
        "travel": problem.travel.kind + (f" ({problem.travel.rounding})"
                                         if problem.travel.kind == "euclidean" else ""),
    }
    for key, value in rows.items():
        table.add_row(key, str(value))
    Console().print(table)


class ConvertTarget(StrEnum):
    json = "json"


@app.command()
@handle_errors
def convert(
    path: Path,
    to: Annotated[ConvertTarget, typer.Option("--to")] = ConvertTarget.json,
    out: Annotated[Path | None, typer.Option()] = None,
    rounding: Rounding = None,
) -> None:
    """Convert a VRPLIB/Solomon instance to routecast JSON."""
    emit(read_instance(path, rounding).to_json(), out)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the routecast problem format."""
    typer.echo(problem_json_schema())


class PlotKind(StrEnum):
    map = "map"
    timeline = "timeline"


@app.command()
@handle_errors
def plot(
    solution: Path,
    problem_path: Annotated[Path, typer.Option("--problem", help="the instance it solves")],
    out: Annotated[Path, typer.Option(help="PNG file to write")],
    kind: Annotated[PlotKind, typer.Option(help="routes on a map, or a timeline per "
                                                "vehicle")] = PlotKind.map,
    models: Annotated[Path | None, typer.Option(help="model registry (learned travel)")] = None,
    rounding: Rounding = None,
) -> None:
    """Draw a solution (JSON or VRPLIB .sol) as a route map or a vehicle timeline (PNG)."""
    from solver.plotting import plot_routes, plot_timeline
    from solver.travel.build import build_travel

    problem = read_instance(problem_path, rounding)
    plan = read_solution(solution, problem)
    report = evaluate(problem, plan, build_travel(problem, models))
    ax = (plot_routes(problem, report) if kind is PlotKind.map
          else plot_timeline(problem, report, plan.on_time_probability))
    out.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(out, dpi=120, bbox_inches="tight")
    err.print(f"wrote {out}")


class DemoTravel(StrEnum):
    learned = "learned"
    haversine = "haversine"


@app.command()
@handle_errors
def demo(
    out: Annotated[Path, typer.Option(help="folder for the plot, the solution and the model")] = Path("out/demo"),
    time_limit: Annotated[float, typer.Option("--time-limit")] = 5.0,
    seed: int = 0,
    travel: Annotated[DemoTravel, typer.Option(help="plan on learned or haversine times")] = DemoTravel.learned,
) -> None:
    """Build the demo city, solve it, print the KPIs and write a route plot.

    With learned travel (the default) a travel-time model is first trained on the
    synthetic city's simulated trips (once; kept in OUT/models), and the day is planned
    on its hourly time-dependent matrices.
    """
    from solver.demo import demo_problem
    from solver.plotting import plot_routes, plot_timeline
    from solver.problem import LearnedTravel

    models = out / "models"
    spec = None
    if travel is DemoTravel.learned:
        _ensure_demo_model(models)
        spec = LearnedTravel(departure=DEMO_DEPARTURE, slice_minutes=60, horizon_hours=12)
    problem = demo_problem(travel=spec)
    options = SolveOptions(time_limit=time_limit, seed=seed)
    with _progress_bar(time_limit) as on_progress:
        outcome = run_solve(problem, options, progress=on_progress, models_dir=models)
    print_kpis(problem, outcome.report, outcome.solution.stats.engine if outcome.solution.stats else "")
    out.mkdir(parents=True, exist_ok=True)
    (out / "problem.json").write_text(problem.to_json())
    (out / "solution.json").write_text(solution_to_json(outcome.solution))
    ax = plot_routes(problem, outcome.report)
    ax.figure.savefig(out / "routes.png", dpi=120, bbox_inches="tight")
    ax = plot_timeline(problem, outcome.report, outcome.solution.on_time_probability)
    ax.figure.savefig(out / "timeline.png", dpi=120, bbox_inches="tight")
    err.print(f"wrote {out / 'routes.png'}, {out / 'timeline.png'}, {out / 'solution.json'}, "
              f"{out / 'problem.json'}")


# A Monday morning just after the 28 days of simulated trips the demo model learns from.
DEMO_DEPARTURE = datetime(2024, 1, 29, 7, 0, tzinfo=UTC)


def _ensure_demo_model(models: Path) -> None:
    """Train and register the synthetic-city model unless OUT/models has an active one."""
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    registry = ModelRegistry(models)
    if registry.active_id() is not None:
        return
    with err.status("training the demo travel model on 20,000 simulated trips"):
        trips = SyntheticCity().simulate_trips(20_000, seed=0)
        model = TravelTimeModel(seed=0, n_estimators=150).fit(trips)
    err.print(f"registered travel model {registry.register(model, activate=True)} in {models}")


class _progress_bar:  # noqa: N801 (used as a context manager, reads like a function)
    """A rich bar over the time budget that shows the best cost, for solves over 1 s."""

    def __init__(self, time_limit: float) -> None:
        self.enabled = time_limit > 1.0
        self.progress = Progress(
            TextColumn("solving"), BarColumn(), TextColumn("{task.fields[best]}"),
            TimeElapsedColumn(), console=err, transient=True, disable=not self.enabled,
        )
        self.task = self.progress.add_task("solve", total=time_limit, best="")

    def __enter__(self) -> Callable[[ProgressEvent], None]:
        self.progress.start()
        return self.update

    def update(self, event: ProgressEvent) -> None:
        best = f"best {event.best_cost:,.1f}" if event.feasible else "no feasible yet"
        self.progress.update(self.task, completed=event.elapsed_s, best=best)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="interface to bind (forced to localhost "
                                           "when no API key is configured)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="solver worker processes (default: ROUTECAST_WORKERS)")] = None,
    executor: Annotated[str | None, typer.Option(
        "--executor", help="local, inline (threads), dask-local or dask://host:port (tcp://, "
        "tls://; default: ROUTECAST_EXECUTOR); "
        "with Dask the database must be reachable from every worker")] = None,
) -> None:
    """Start the HTTP service: jobs API, docs at /docs, metrics at /metrics."""
    import uvicorn

    from api.app import create_app
    from api.settings import Settings, get_settings

    configure_logging("server", logging.INFO)
    settings = get_settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    if executor is not None:
        settings = Settings.model_validate({**settings.model_dump(), "executor": executor})
    if not settings.all_keys() and host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("no API keys configured (ROUTECAST_API_KEYS): binding to 127.0.0.1 "
                       "instead of %s", host)
        host = "127.0.0.1"
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    auth = "" if not settings.all_keys() else " -H 'Authorization: Bearer $KEY'"
    err.print(f"routecast serving on {url} (docs: {url}/docs); data in {settings.data_dir}\n"
              f"try: routecast convert INSTANCE --out p.json && curl -s{auth} "
              f"-H 'content-type: application/json' -d \"{{\\\"problem\\\": $(cat p.json), "
              f"\\\"options\\\": {{\\\"time_limit\\\": 5}}}}\" {url}/v1/jobs",
              highlight=False, soft_wrap=True)
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1 by default;
    # only ROUTECAST_TRUSTED_PROXIES decides whose header counts (api/client_address.py)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None,
                timeout_graceful_shutdown=5, proxy_headers=False)
