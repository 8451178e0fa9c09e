"""Decision quality: does planning on learned travel times give better plans?

On the synthetic city (known ground truth), the same delivery days are planned three
ways: with the true time-dependent times (oracle), with the learned model, and with a
constant-speed haversine matrix. Every plan is then re-timed by the evaluator on the
true times: cost regret vs the oracle, late stops and on-time rate.

Usage: python -m benchmarks.surrogate.decision_quality [--days 5] [--stops 60]
           [--time-limit 5] [--out benchmarks/surrogate/results]
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from solver.compile import compile_problem
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import (
    Depot,
    HaversineTravel,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)
from solver.travel.base import TravelTensor
from solver.travel.haversine import haversine_matrix
from surrogate import SyntheticCity, TravelTimeModel, predict_matrix
from surrogate.clock import to_unix_seconds
from surrogate.geo import haversine_m

SLICE_S = 1800.0
HORIZON_S = 12 * 3600.0
HOUR = 3600.0


def delivery_day(city: SyntheticCity, n_stops: int, seed: int) -> Problem:
    """A morning-to-afternoon delivery day: 2-hour windows, time-based costs."""
    rng = np.random.default_rng(seed)
    pts = city.sample_locations(n_stops + 1, rng)
    stops = []
    for k in range(n_stops):
        start = float(rng.integers(0, 9)) * HOUR
        stops.append(Stop(
            id=f"S{k}", location=Location(lat=pts[k + 1, 0], lon=pts[k + 1, 1]),
            demand=[1.0], service_time=300.0,
            time_windows=[TimeWindow(start=start, end=start + 2 * HOUR)],
        ))
    return Problem(
        name=f"day{seed}",
        depots=[Depot(id="depot", location=Location(lat=pts[0, 0], lon=pts[0, 1]))],
        stops=stops,
        vehicle_types=[VehicleType(id="van", count=n_stops // 6 + 2, capacity=[12.0],
                                   start_depot="depot", shift=TimeWindow(start=0, end=HORIZON_S),
                                   fixed_cost=0.0, cost_per_distance=0.0, cost_per_time=1.0)],
        travel=HaversineTravel(),
    )


def _coords(problem: Problem) -> np.ndarray:
    locs = [problem.depots[0].location] + [s.location for s in problem.stops]
    return np.array([(p.lat, p.lon) for p in locs])


def oracle_tensor(city: SyntheticCity, pts: np.ndarray, departures: np.ndarray,
                  distance: np.ndarray) -> TravelTensor:
    n = len(pts)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    slices = [city.true_travel_time(pts[i.ravel()], pts[j.ravel()],
                                    np.full(n * n, t)).reshape(n, n) for t in departures]
    return TravelTensor(distance=distance, duration=np.stack(slices),
                        slice_starts=departures - departures[0])


def plans_on_truth(day: int, problem: Problem, tensors: dict[str, TravelTensor],
                   truth: TravelTensor, options: SolveOptions) -> list[dict[str, Any]]:
    """Plan ``problem`` on each tensor and re-time every plan with the evaluator on
    ``truth``: one row per method (cost on truth, planned cost, lateness, on-time rate)."""
    rows = []
    for method, tensor in tensors.items():
        outcome = solve(problem, options, compiled=compile_problem(problem, travel=tensor))
        on_truth = evaluate(problem, outcome.solution, truth)
        late = [v for v in on_truth.violations if v.kind in ("time_window", "shift")]
        visits = sum(len(r.visits) for r in on_truth.routes)
        rows.append({
            "day": day, "method": method, "cost_on_truth": round(on_truth.cost, 1),
            "planned_cost": round(outcome.report.cost, 1),
            "late_stops": sum(v.kind == "time_window" for v in late),
            "lateness_s": round(sum(v.amount for v in late), 1),
            "on_time_rate": round(1 - sum(v.kind == "time_window" for v in late)
                                  / max(visits, 1), 4),
            "routes": len(on_truth.routes),
            "unassigned": len(on_truth.unassigned_required),
        })
        print(rows[-1], flush=True)
    return rows


def add_regret(rows: list[dict[str, Any]]) -> None:
    """``regret_pct``: cost on truth over the same day's oracle plan's, minus 1."""
    for row in rows:
        oracle = next(r for r in rows if r["day"] == row["day"] and r["method"] == "oracle")
        row["regret_pct"] = round(100 * (row["cost_on_truth"] / oracle["cost_on_truth"] - 1), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--stops", type=int, default=60)
    parser.add_argument("--trips", type=int, default=40_000)
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/surrogate/results"))
    args = parser.parse_args()

    city = SyntheticCity(seed=0)
    trips = city.simulate_trips(args.trips, start="2024-01-01", days=28, seed=1)
    started = time.perf_counter()
    model = TravelTimeModel(seed=0).fit(trips)
    fit_s = time.perf_counter() - started
    crow = haversine_m(trips["origin_lat"].to_numpy(), trips["origin_lon"].to_numpy(),
                       trips["dest_lat"].to_numpy(), trips["dest_lon"].to_numpy())
    speed = float(np.median(crow / trips["duration_s"].to_numpy()))  # the global-speed baseline

    rows = []
    options = SolveOptions(engine="hgs", time_limit=args.time_limit,
                           iteration_limit=args.iterations, seed=0)
    for day in range(args.days):
        problem = delivery_day(city, args.stops, seed=100 + day)
        pts = _coords(problem)
        start = datetime(2024, 1, 29 + day % 3, 7, 0, tzinfo=ZoneInfo(city.tz))
        departures = to_unix_seconds(
            [start + timedelta(seconds=k * SLICE_S) for k in range(int(HORIZON_S / SLICE_S))],
            city.tz)
        distance = haversine_matrix(pts)
        truth = oracle_tensor(city, pts, departures, distance)
        learned = predict_matrix(model, pts, departures, quantiles=None)
        tensors = {
            "oracle": truth,
            "learned": TravelTensor(distance=distance,
                                    duration=learned.median.astype(np.float64),
                                    slice_starts=truth.slice_starts),
            "haversine": TravelTensor.static(distance, distance / speed),
        }
        rows += plans_on_truth(day, problem, tensors, truth, options)
    add_regret(rows)

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "decision_quality.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = ["| method | mean regret vs oracle (%) | late stops / day | lateness (s) / day | "
               "on-time rate |", "|---|---|---|---|---|"]
    for method in tensors:
        rs = [r for r in rows if r["method"] == method]
        summary.append(
            f"| {method} | {np.mean([r['regret_pct'] for r in rs]):.2f} | "
            f"{np.mean([r['late_stops'] for r in rs]):.1f} | "
            f"{np.mean([r['lateness_s'] for r in rs]):.0f} | "
            f"{np.mean([r['on_time_rate'] for r in rs]):.3f} |")
    header = (f"Decision quality, {args.days} days x {args.stops} stops, engine hgs "
              f"{args.time_limit:g} s, model fit {fit_s:.0f} s on {args.trips} synthetic trips, "
              f"haversine speed {speed:.2f} m/s; machine {platform.processor() or platform.machine()}")
    (args.out / "decision_quality.md").write_text(header + "\n\n" + "\n".join(summary) + "\n")
    print(header)
    print("\n".join(summary))


if __name__ == "__main__":
    main()
