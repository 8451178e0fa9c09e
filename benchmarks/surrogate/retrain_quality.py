"""Decision quality after retraining: plans on the retrained model vs the old one, when
traffic has changed.

On the synthetic city (known truth): January trips train the old model (the champion).
From February the traffic is slower (the city's free-flow speed drops, ``--speed``). Two
weeks of a fleet's actuals (``benchmarks.surrogate.fleet_actuals``: the legs its vans
report, through the actuals' own checks) retrain a challenger with the default policy
(``surrogate.retrain``; the decision and its reason are recorded), and, against the same
champion, a challenger that learns the original trips as they were (``rebase_originals``
off: what retraining did before) and one on the same legs with their durations shuffled
(garbage: the guard must keep it out). The week after, the same delivery days are
planned on the true changed times (oracle), on the old model and on both retrained
ones; every plan is re-timed by the evaluator on the true changed times
(windows are hard, as in ``decision_quality``: lateness on the truth is reported beside
the regret in cost, not priced into it).

Usage: python -m benchmarks.surrogate.retrain_quality [--days 3] [--stops 40]
           [--time-limit 4] [--trips 20000] [--speed 8] [--out benchmarks/surrogate/results]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from benchmarks.machine import cpu_model
from benchmarks.surrogate.decision_quality import (
    HORIZON_S,
    SLICE_S,
    _coords,
    add_regret,
    delivery_day,
    oracle_tensor,
    plans_on_truth,
)
from benchmarks.surrogate.fleet_actuals import fleet_trips
from solver.options import SolveOptions
from solver.travel.base import TravelTensor
from solver.travel.haversine import haversine_matrix
from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel, predict_matrix
from surrogate.clock import to_unix_seconds
from surrogate.retrain import RetrainPolicy, retrain, score

AS_WERE = "retrained, originals as they were"
METHODS = ("oracle", "old model", AS_WERE, "retrained")


def _learned(model: TravelTimeModel, pts: np.ndarray, departures: np.ndarray,
             truth: TravelTensor) -> TravelTensor:
    pred = predict_matrix(model, pts, departures, quantiles=None)
    return TravelTensor(distance=truth.distance, duration=pred.median.astype(np.float64),
                        slice_starts=truth.slice_starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--stops", type=int, default=40)
    parser.add_argument("--trips", type=int, default=20_000)
    parser.add_argument("--speed", type=float, default=8.0, help="free-flow m/s after the "
                        "change (before: 11)")
    parser.add_argument("--actual-days", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/surrogate/results"))
    args = parser.parse_args()
    load_before = os.getloadavg()

    city = SyntheticCity(seed=0)
    changed = dataclasses.replace(city, free_speed_mps=args.speed)
    base = city.simulate_trips(args.trips, start="2024-01-01", days=28, seed=1)
    started = time.perf_counter()
    old = TravelTimeModel(seed=0).fit(base)
    fit_s = time.perf_counter() - started
    actuals = fleet_trips(changed, start="2024-02-05", days=args.actual_days, seed=1)
    started = time.perf_counter()
    registry = _registry(old, base)
    doc = retrain(registry, actuals)
    retrain_s = time.perf_counter() - started
    new = registry.load(doc["challenger"]["model_id"])
    plain = _registry(old, base)
    as_were = retrain(plain, actuals, policy=RetrainPolicy(rebase_originals=False))
    shuffled = actuals.assign(duration_s=np.random.default_rng(3).permutation(
        actuals["duration_s"].to_numpy()))
    docs = {"retrained": doc, AS_WERE: as_were,
            "shuffled durations": retrain(_registry(old, base), shuffled)}
    models = {"old model": old, AS_WERE: plain.load(as_were["challenger"]["model_id"]),
              "retrained": new}
    next_week = fleet_trips(changed, start="2024-02-19", days=5, seed=2)
    accuracy = {name: score(m, next_week) for name, m in models.items()}
    print({k: d["reason"] for k, d in docs.items()}, accuracy, flush=True)

    rows = []
    options = SolveOptions(engine="ils", time_limit=args.time_limit, seed=0)
    for day in range(args.days):
        problem = delivery_day(changed, args.stops, seed=200 + day)
        pts = _coords(problem)
        start = datetime(2024, 2, 19 + day, 7, 0, tzinfo=ZoneInfo(city.tz))
        departures = to_unix_seconds(
            [start + timedelta(seconds=k * SLICE_S) for k in range(int(HORIZON_S / SLICE_S))],
            city.tz)
        truth = oracle_tensor(changed, pts, departures, haversine_matrix(pts))
        tensors = {"oracle": truth} | {name: _learned(m, pts, departures, truth)
                                       for name, m in models.items()}
        rows += plans_on_truth(day, problem, tensors, truth, options)
    add_regret(rows)
    for row in rows:  # lateness priced at the cost of a second of route time
        oracle = next(r for r in rows if r["day"] == row["day"] and r["method"] == "oracle")
        row["regret_with_lateness_pct"] = round(100 * (
            (row["cost_on_truth"] + row["lateness_s"])
            / (oracle["cost_on_truth"] + oracle["lateness_s"]) - 1), 2)
    _write(args, rows, docs, accuracy, fit_s, retrain_s, len(actuals),
           (load_before, os.getloadavg()))


def _registry(model: TravelTimeModel, trips: pd.DataFrame) -> ModelRegistry:
    """A fresh registry whose active model is ``model`` (learned from ``trips``)."""
    registry = ModelRegistry(tempfile.mkdtemp(prefix="retrain-bench-"))
    registry.register(model, trips=trips)
    return registry


def _write(args: argparse.Namespace, rows: list[dict], docs: dict, accuracy: dict,
           fit_s: float, retrain_s: float, n_actuals: int,
           load: tuple[tuple[float, ...], tuple[float, ...]]) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "retrain_quality.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    table = ["| plans made on | mean regret vs oracle (%) | with lateness at 1/s (%) | "
             "late stops / day | lateness (s) / day | on-time rate | next-week RMSLE | "
             "next-week bias (s) | next-week p10-p90 coverage |",
             "|---|---|---|---|---|---|---|---|---|"]
    for method in METHODS:
        rs = [r for r in rows if r["method"] == method]
        a = accuracy.get(method)
        figures = (f"{a['rmsle']:.3f} | {a['bias_s']:+.0f} | {a.get('coverage', np.nan):.2f}"
                   if a else "- | - | -")
        table.append(
            f"| {method} | {np.mean([r['regret_pct'] for r in rs]):.2f} | "
            f"{np.mean([r['regret_with_lateness_pct'] for r in rs]):.2f} | "
            f"{np.mean([r['late_stops'] for r in rs]):.1f} | "
            f"{np.mean([r['lateness_s'] for r in rs]):.0f} | "
            f"{np.mean([r['on_time_rate'] for r in rs]):.3f} | {figures} |")
    decisions = ["| retrain on | level shift (log, se) | hold-out RMSLE champion / "
                 "challenger / distance baseline | decision | reason |", "|---|---|---|---|---|"]
    for name, d in docs.items():
        lvl = d["level_shift"]
        decisions.append(
            f"| {name} | {lvl['level']:+.3f} ({lvl['se']:.3f}) | "
            f"{d['champion_metrics']['rmsle']:.4f} / {d['challenger_metrics']['rmsle']:.4f} / "
            f"{d['baseline']['metrics']['rmsle']:.4f} | **{d['decision']}** | {d['reason']} |")
    (before, after) = load
    text = [
        f"Command: `python -m benchmarks.surrogate.{Path(__file__).stem} "
        f"{' '.join(sys.argv[1:])}`",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores (shared), load average "
        f"{before[0]:.1f} {before[1]:.1f} {before[2]:.1f} at the start, "
        f"{after[0]:.1f} {after[1]:.1f} {after[2]:.1f} at the end.",
        f"Traffic change: free-flow speed 11 -> {args.speed:g} m/s from February. Old model: "
        f"{args.trips} January trips (fit {fit_s:.0f} s). Retrain on {n_actuals} fleet legs "
        f"of {args.actual_days} weekdays ({retrain_s:.0f} s), default policy; the same "
        "champion retrained with the original trips as they were (`rebase_originals` off, "
        "the policy before) and on the legs with their durations shuffled:",
        "", *decisions, "",
        f"Plans: {args.days} days x {args.stops} stops the week after, engine ils "
        f"{args.time_limit:g} s, hard 2-hour windows, every plan re-timed by the evaluator "
        "on the true changed times (regret = cost on truth / oracle plan's - 1; with "
        "lateness: cost + seconds late, over the oracle's); next-week "
        "RMSLE, bias (predicted - actual) and coverage on the fleet's legs of that week.",
        "", *table]
    (args.out / "retrain_quality.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))


if __name__ == "__main__":
    main()
