"""``routecast travel``: train, evaluate, predict, build matrices, turn actuals of
executed routes into training trips and measure a model's drift on them, from the
command line.

Mounted by api/cli.py with ``app.add_typer(travel_app, name="travel")``. Typed surrogate
errors end the command with one line on stderr and exit code 2, never a traceback.
``surrogate`` and pandas (LightGBM, about 2 s to import) load in the commands that use
them, so that ``routecast solve`` does not wait for them.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_common import emit, handle_errors

travel_app = typer.Typer(help="Learned travel times: train, evaluate, predict, matrix, "
                         "actuals, drift.",
                         no_args_is_help=True)
out_console = Console()
err_console = Console(stderr=True)
logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def _typed_errors(fn: F) -> F:
    """Turn a SurrogateError into one stderr line and exit code 2."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            from surrogate import SurrogateError

            if not isinstance(exc, SurrogateError):
                raise
            err_console.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(code=2) from None
    return wrapper  # type: ignore[return-value]


@travel_app.command("train")
@_typed_errors
def train(
    trips: Annotated[list[Path] | None, typer.Argument(help="trip files (CSV, CSV.gz, Parquet)")] = None,
    out: Annotated[Path, typer.Option("--out", help="directory to save the model in")] = Path("model"),
    synthetic: Annotated[int, typer.Option(help="with no TRIPS: simulate this many trips "
                                           "in the built-in synthetic city")] = 50_000,
    seed: Annotated[int, typer.Option(help="model and simulation seed")] = 0,
    preset: Annotated[str, typer.Option(help="model settings: default, accurate, fast or fastest "
                                        "(surrogate.model.PRESETS; recorded with the "
                                        "model)")] = "default",
    n_estimators: Annotated[int | None, typer.Option(help="max trees of the median booster "
                                                     "(default: the preset's)")] = None,
    register: Annotated[Path | None, typer.Option(help="also register in this registry root "
                                                  "and activate (with its trips, for "
                                                  "`travel retrain`)")] = None,
) -> None:
    """Train a travel-time model from trip logs (or from the synthetic city)."""
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel, load_trips
    from surrogate.model import PRESETS

    if preset not in PRESETS:  # before any trip is read
        raise typer.BadParameter(f"unknown preset {preset!r}; presets are "
                                 f"{', '.join(PRESETS)}", param_hint="--preset")
    overrides = {} if n_estimators is None else {"n_estimators": n_estimators}
    model = TravelTimeModel.from_preset(preset, seed=seed, **overrides)
    if trips:
        df, report = load_trips(trips)
        report_d = report.to_dict()
        err_console.print(f"cleaning: {report}")
    else:
        df = SyntheticCity(seed=seed).simulate_trips(synthetic, "2024-01-01", 28.0, seed)
        report_d = {"rows_in": len(df), "rows_out": len(df), "dropped": {}, "synthetic": True}
        err_console.print(f"no trip files: simulated {len(df)} trips in the synthetic city")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}"
                  "/{task.total}"), TimeElapsedColumn(), console=err_console) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, it: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"booster {stage}", total=total)
            bar.update(tasks[stage], completed=it)

        model.fit(df, cleaning_report=report_d, progress=progress)
    model.save(out)
    val = model.metrics_["validation"]
    out_console.print(f"saved model {model.model_id_} ({preset}) to {out} (validation RMSLE "
                      f"{val['rmsle']:.3f}, MAE {val['mae_s']:.0f} s, p10-p90 coverage "
                      f"{val.get('coverage', float('nan')):.2f})")
    if register is not None:
        ModelRegistry(register).register(model, activate=True, trips=df)
        out_console.print(f"registered and activated in {register}")


@travel_app.command("evaluate")
@_typed_errors
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="saved model or registry root")],
    trips: Annotated[list[Path], typer.Argument(help="held-out trip files")],
    train_trips: Annotated[list[Path] | None, typer.Option(
        "--train", help="trips to fit the baselines on (default: the held-out trips)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Metrics of a model on trips, next to the two haversine baselines."""
    from surrogate import evaluate_model, load_model, load_trips

    model = load_model(model_dir)
    test, report = load_trips(trips)
    train_df = load_trips(train_trips)[0] if train_trips else None
    result = evaluate_model(model, test, train_df)
    result["model_id"] = model.model_id_
    result["cleaning"] = report.to_dict()
    if as_json:
        # plain JSON on stdout: machine-readable output does not go through rich
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"model {model.model_id_} on {len(test)} trips")
    for col in ("predictor", "RMSLE", "MAE (s)", "MAPE (%)", "p10-p90 coverage"):
        table.add_column(col)
    for name in ("model", "haversine_global_speed", "haversine_hourly_speed"):
        m = result[name]
        table.add_row(name, f"{m['rmsle']:.3f}", f"{m['mae_s']:.0f}", f"{m['mape_pct']:.1f}",
                      f"{m.get('coverage', float('nan')):.3f}")
    out_console.print(table)


@travel_app.command("predict")
@_typed_errors
def predict(
    model_dir: Annotated[Path, typer.Argument(help="saved model or registry root")],
    trips: Annotated[list[Path], typer.Argument(help="trip files; one prediction per row")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write (column predicted_s)")],
) -> None:
    """One predicted median duration per input row, same order; empty when impossible."""
    import pandas as pd

    from surrogate import load_model, load_trips

    model = load_model(model_dir)
    df, _ = load_trips(trips, clean=False)
    pred = model.predict(df)
    missing = int(np.isnan(pred).sum())
    pd.DataFrame({"predicted_s": np.round(pred, 1)}).to_csv(out, index=False, na_rep="")
    if missing:
        logger.warning("%d of %d rows could not be predicted (missing coordinates or time)",
                       missing, len(pred))
        err_console.print(f"{missing} of {len(pred)} rows could not be predicted "
                          "(missing coordinates or time): left empty")
    out_console.print(f"wrote {len(pred)} predictions to {out}")


def _read_points(path: Path) -> np.ndarray:
    import pandas as pd

    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    df = pd.read_csv(path)
    cols = {c.lower(): c for c in df.columns}
    lat = cols.get("lat") or cols.get("latitude")
    lon = cols.get("lon") or cols.get("lng") or cols.get("longitude")
    if lat is None or lon is None:
        from surrogate import TripDataError
        raise TripDataError(f"{path}: points need columns lat and lon")
    return df[[lat, lon]].to_numpy(dtype=np.float64)


@travel_app.command("matrix")
@_typed_errors
def matrix(
    model_dir: Annotated[Path, typer.Argument(help="saved model or registry root")],
    points: Annotated[Path, typer.Option("--points", help="CSV with lat,lon columns or .npy [n,2]")],
    depart: Annotated[str, typer.Option("--depart", help="first departure, ISO 8601 "
                                        "(naive = model's local time)")],
    out: Annotated[Path, typer.Option("--out", help=".npy file: float32 [slices, n, n] seconds")],
    slices: Annotated[int, typer.Option(help="number of slices")] = 1,
    slice_minutes: Annotated[float, typer.Option(help="slice length in minutes")] = 15.0,
    quantiles: Annotated[bool, typer.Option(help="also write <out>.q0.1.npy and .q0.9.npy")] = False,
) -> None:
    """All-pairs median travel times for each departure slice, saved as .npy."""
    import pandas as pd

    from surrogate import load_model, predict_matrix

    model = load_model(model_dir)
    pts = _read_points(points)
    try:
        start = pd.Timestamp(depart)
    except ValueError as exc:
        raise typer.BadParameter(f"--depart: {exc}") from None
    if start.tzinfo is None:
        start = start.tz_localize(model.feature_space_.tz)
    times = [start + pd.Timedelta(minutes=slice_minutes * k) for k in range(slices)]
    levels = sorted(model.quantiles) if quantiles else None
    result = predict_matrix(model, pts, times, quantiles=levels)
    np.save(out, result.median)
    for q, arr in result.quantiles.items():
        np.save(out.with_suffix(f".q{q:g}.npy"), arr)
    out_console.print(f"wrote {result.median.shape} float32 seconds to {out} "
                      f"(model {result.model_id})")


def _read_plan(plan: Path, problem_path: Path | None) -> tuple[Any, Any]:
    """(problem, solution): a plan document (``GET /v1/jobs/{id}/plan``: ``problem`` and
    ``solution``; its other keys, the job's status and schedule, are not needed), or a
    solution file with ``--problem``."""
    from solver.errors import InstanceFormatError
    from solver.io import read_instance, read_solution
    from solver.io.json import parse_model
    from solver.problem import Problem
    from solver.solution import Solution

    if problem_path is not None:
        problem = read_instance(problem_path)
        return problem, read_solution(plan, problem)
    try:
        doc = json.loads(plan.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InstanceFormatError(f"{plan}: cannot read the plan ({exc})") from None
    if not isinstance(doc, dict) or not {"problem", "solution"} <= set(doc):
        raise InstanceFormatError(f"{plan}: a plan has 'problem' and 'solution' (as GET "
                                  "/v1/jobs/{id}/plan returns); for a solution file give "
                                  "--problem")
    return (parse_model(Problem, json.dumps(doc["problem"]), f"{plan}: problem"),
            parse_model(Solution, json.dumps(doc["solution"]), f"{plan}: solution"))


@travel_app.command("actuals")
@handle_errors
def actuals(
    plan: Annotated[Path, typer.Argument(help="the plan: JSON with problem and solution "
                                         "(GET /v1/jobs/{id}/plan), or a solution file "
                                         "with --problem")],
    actuals_csv: Annotated[Path, typer.Argument(help="CSV: stop, vehicle, arrival, "
                                                "departure (or arrived_at)")],
    problem: Annotated[Path | None, typer.Option(help="the problem, when PLAN is a "
                                                 "solution file")] = None,
    out: Annotated[Path | None, typer.Option(help="training trips CSV (generic schema) to "
                                             "write; default: stdout")] = None,
    tz: Annotated[str | None, typer.Option(help="zone of the trips' departures "
                                           "(default: the plan's)")] = None,
    min_speed_kmh: Annotated[float | None, typer.Option(
        help="skip legs slower over the straight line (of at least --slow-min-m) as "
        "too_slow [default: 1]")] = None,
    slow_min_m: Annotated[float | None, typer.Option(
        help="straight-line meters from which the minimum speed applies [default: 1000]")
    ] = None,
    max_speed_kmh: Annotated[float | None, typer.Option(
        help="skip legs faster over the straight line as too_fast [default: 130]")] = None,
    max_leg_s: Annotated[float | None, typer.Option(
        help="skip legs lasting longer as too_long [default: 14400]")] = None,
) -> None:
    """Check what really happened on a plan's routes and write the legs between
    consecutive visits as training trips (``routecast travel train`` reads them). A row
    that contradicts the plan exits 2 naming the row; implausible legs (speed over the
    straight line, duration: the service's ``actuals_*`` settings) are skipped and
    counted by reason."""
    from solver.actuals import (
        LegBounds,
        check_actuals,
        executed_legs,
        legs_to_trips,
        plan_clock,
        read_actuals_csv,
    )
    from solver.errors import InvalidActualsError

    given = {"min_speed_kmh": min_speed_kmh, "slow_min_m": slow_min_m,
             "max_speed_kmh": max_speed_kmh, "max_duration_s": max_leg_s}
    bounds = LegBounds(**{k: v for k, v in given.items() if v is not None})
    prob, solution = _read_plan(plan, problem)
    try:
        text = actuals_csv.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidActualsError(f"cannot read ({exc})", str(actuals_csv)) from None
    try:
        rows = read_actuals_csv(text, plan_clock(prob))
        day = check_actuals(prob, solution, rows)
    except InvalidActualsError as exc:
        raise InvalidActualsError(str(exc), str(actuals_csv)) from None
    legs = executed_legs(day, bounds)
    trips = legs_to_trips(legs.legs, tz=tz or day.tz, source=f"actuals:{actuals_csv.name}")
    csv_text = trips.to_csv(index=False)
    emit(csv_text, out)
    skipped = ", ".join(f"{n} {why}" for why, n in legs.skipped.items()) or "none"
    err_console.print(f"{len(rows)} visits checked against the plan; {len(legs.legs)} legs "
                      f"kept as training trips; skipped: {skipped}", highlight=False)


@travel_app.command("drift")
@_typed_errors
def drift(
    model_dir: Annotated[Path, typer.Argument(help="saved model or registry root (its "
                                              "active model)")],
    trips: Annotated[list[Path], typer.Argument(help="actual legs as trip files (from "
                                                "`routecast travel actuals --out`)")],
    margin: Annotated[float, typer.Option(help="flag when RMSLE > validation x (1 + "
                                          "margin)")] = 0.3,
    min_legs: Annotated[int, typer.Option(help="fewer legs never raise the flag")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as "
                                          "JSON")] = False,
) -> None:
    """Predicted vs actual legs: RMSLE, bias and p10-p90 coverage overall and by hour of
    week, origin zone and destination zone (``--json``), and the drift flag (as GET
    /v1/travel-models/{id}/drift)."""
    from surrogate import load_model, load_trips
    from surrogate.drift import DriftParams, drift_report

    model = load_model(model_dir)
    legs, _ = load_trips(trips, clean=False)
    report = drift_report(model, legs, DriftParams(margin=margin, min_legs=min_legs))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    o = report["overall"]
    out_console.print(
        f"model {report['model_id']} on {o['n']} legs: RMSLE {o['rmsle']:.3f} (validation "
        f"{report['validation'].get('rmsle', float('nan')):.3f}), bias {o['bias_log']:+.3f} "
        f"log ({o['bias_s']:+.0f} s), p10-p90 coverage {o.get('coverage', float('nan')):.2f}")
    out_console.print(("DRIFT: " if report["flag"] else "no drift: ") + report["reason"],
                      markup=False, highlight=False)
