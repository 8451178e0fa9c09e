"""``routecast travel retrain``: champion/challenger retraining of a registry's active model
on actual trips (``surrogate.retrain``), the command-line form of
``POST /v1/travel-models/retrain``.

Registered on ``routecast travel`` by api/cli.py. Bad input (unreadable trips, too few
actuals, a champion without its trips and no ``--trips``, a policy out of bounds) ends
with one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli_travel import _typed_errors, err_console, out_console


@_typed_errors
def retrain(
    registry: Annotated[Path, typer.Argument(help="model registry root (its active model "
                                             "is the champion)")],
    actuals: Annotated[list[Path], typer.Argument(help="actual trips (CSV, CSV.gz, "
                                                  "Parquet; the generic trip schema)")],
    trips: Annotated[list[Path] | None, typer.Option(
        "--trips", help="the champion's original trips (default: those stored with it)")] = None,
    margin: Annotated[float, typer.Option(help="relative hold-out RMSLE gain needed to "
                                          "promote the challenger")] = 0.02,
    holdout_fraction: Annotated[float, typer.Option(help="share of the latest actuals to "
                                                    "judge on")] = 0.25,
    actuals_share: Annotated[float, typer.Option(help="share of the training weight the "
                                                 "actuals carry at least")] = 0.5,
    baseline_margin: Annotated[float, typer.Option(
        help="relative hold-out RMSLE gain needed over a distance baseline fitted on the "
        "same actuals")] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
) -> None:
    """Train a challenger on the original trips plus ACTUALS; promote it when better."""
    from surrogate import ModelRegistry, load_trips
    from surrogate.retrain import RetrainPolicy
    from surrogate.retrain import retrain as run_retrain

    try:
        policy = RetrainPolicy(margin=margin, holdout_fraction=holdout_fraction,
                               actuals_share=actuals_share, baseline_margin=baseline_margin)
    except ValueError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(code=2) from None
    actual, report = load_trips(actuals)
    err_console.print(f"actuals: {report}")
    base = load_trips(trips)[0] if trips else None
    doc = run_retrain(ModelRegistry(registry), actual, base=base, policy=policy)
    if as_json:
        typer.echo(json.dumps(doc, indent=2, default=str))
        return
    table = Table(title=f"hold-out: {doc['windows']['holdout']['n_trips']} latest actual "
                  f"trips from {doc['windows']['holdout']['from']}")
    for col in ("model", "role", "RMSLE", "MAE (s)", "bias (s)", "p10-p90 coverage"):
        table.add_column(col)
    rows = [(doc[role]["model_id"], role, doc[f"{role}_metrics"])
            for role in ("champion", "challenger")]
    rows.append(("-", "distance baseline", doc["baseline"]["metrics"]))
    for model_id, role, m in rows:
        table.add_row(model_id, role, f"{m['rmsle']:.4f}", f"{m['mae_s']:.0f}",
                      f"{m['bias_s']:+.0f}", f"{m.get('coverage', float('nan')):.3f}")
    out_console.print(table)
    out_console.print(f"{doc['decision']}: {doc['reason']}; active model {doc['active']}")
