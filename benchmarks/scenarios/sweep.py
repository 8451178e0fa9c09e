"""Benchmark: a 24-variant grid sweep on a 300-stop base, on several executors.

Measures the wall time of the whole sweep (base + 24 variants) with 1 and 2 local
worker processes and a 2-worker Dask LocalCluster, and per variant warm start (the base
plan repaired onto the variant) against cold start at the same budget.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python -m benchmarks.scenarios.sweep \
        --iterations 10 --out benchmarks/scenarios/results

Runs are bounded by an iteration limit (the time limit is only a safety net), so every
configuration does the same work and gives the same plans.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import os
import platform
import subprocess
import time
from pathlib import Path

from benchmarks.machine import cpu_model
from solver.demo import demo_problem
from solver.options import SolveOptions
from solver.problem import Problem
from solver.scenarios import (
    BASE,
    ScenarioSet,
    apply_edits,
    compare,
    local_executor,
    parse_edits,
    run_scenarios,
)

SWEEP = {
    "name": "vans x demand (24 cells)",
    "grid": {"axes": [
        {"name": "vans", "op": "set_vehicles", "param": "count", "type": "van-north",
         "values": [12, 14, 16, 18]},
        {"name": "demand", "op": "scale_demand", "param": "factor",
         "values": [1.0, 1.05, 1.1, 1.15, 1.2, 1.3]},
    ]},
}


def base_problem(n_stops: int) -> Problem:
    """The demo city with ``n_stops`` stops and a fleet sized for them."""
    p = demo_problem(n_stops=n_stops, seed=11)
    return apply_edits(p, parse_edits([
        {"op": "set_vehicles", "type": "van-north", "count": 16},
        {"op": "set_vehicles", "type": "van-south", "count": 16},
        {"op": "set_vehicles", "type": "truck", "count": 3},
    ]))


def engine_fingerprint() -> str:
    """Hash of the engine sources: a change during the run would make configs differ."""
    h = hashlib.sha256()
    for path in sorted(Path("solver/engines").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def warm_up(engine: str) -> None:
    """Fill the Numba cache before timing, so no worker compiles inside a measured run."""
    from solver.pipeline import solve

    solve(demo_problem(n_stops=20), SolveOptions(engine=engine, time_limit=600,
                                                  iteration_limit=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stops", type=int, default=300)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--engine", default="hgs")
    ap.add_argument("--configs", default="local-1,local-2,dask-2,local-2-cold")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/scenarios/results"))
    ap.add_argument("--tag", default="sweep", help="file name part of the results")
    args = ap.parse_args()

    problem = base_problem(args.stops)
    sweep = ScenarioSet.from_dict(SWEEP)
    options = SolveOptions(engine=args.engine, time_limit=args.time_limit,
                           iteration_limit=args.iterations, seed=0)
    load_before = os.getloadavg()[0]
    warm_up(args.engine)
    walls: list[dict] = []
    per_run: dict[str, dict] = {}
    for config in args.configs.split(","):
        fingerprint = engine_fingerprint()
        workers = int(config.split("-")[1])
        warm = not config.endswith("cold")
        setup = 0.0
        t0 = time.perf_counter()
        if config.startswith("dask"):
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                   dashboard_address=None)
            client = Client(cluster)
            setup = time.perf_counter() - t0
            try:
                result = run_scenarios(problem, sweep, options,
                                       client.get_executor(pure=False), warm_start=warm)
            finally:
                client.close()
                cluster.close()
        else:
            with local_executor(workers) as pool:
                result = run_scenarios(problem, sweep, options, pool, warm_start=warm)
        wall = time.perf_counter() - t0
        comp = compare(result)
        solve_s = sum(r["runtime_s"] for r in comp.rows)
        walls.append({"config": config, "workers": workers, "warm": warm,
                      "setup_s": round(setup, 2), "wall_s": round(wall, 2),
                      "sum_run_s": round(solve_s, 2), "runs": len(comp.rows),
                      "done": sum(r["status"] == "done" for r in comp.rows),
                      "engine": fingerprint,
                      "engine_changed": engine_fingerprint() != fingerprint,
                      "load_after": round(os.getloadavg()[0], 1)})
        print(walls[-1], flush=True)
        for r in comp.rows:
            per_run.setdefault(r["variant"], {})[config] = r

    stamp = dt.date.today().isoformat()
    args.out.mkdir(parents=True, exist_ok=True)
    wall_csv = args.out / f"{stamp}_{args.tag}_wall.csv"
    with wall_csv.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(walls[0]))
        w.writeheader()
        w.writerows(walls)
    runs_csv = args.out / f"{stamp}_{args.tag}_runs.csv"
    configs = [c["config"] for c in walls]
    warm_ref = next((c for c in configs if c.startswith("local-2") and "cold" not in c),
                    configs[0])
    cold_ref = next((c for c in configs if "cold" in c), None)
    with runs_csv.open("w", newline="") as fh:
        fields = ["variant", "config", "status", "total_cost", "unassigned", "vehicles_used",
                  "feasible", "warm_start", "runtime_s", "iterations", "stopped_by"]
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for by in per_run.values():
            for config, r in by.items():
                w.writerow({"config": config, **{k: r.get(k) for k in fields if k != "config"}})
    identical = all(
        len({round(by[c]["total_cost"], 6) for c in configs if "cold" not in c
             and c in by}) == 1 for by in per_run.values())
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    lines = [
        f"# Scenario sweep benchmark ({stamp})", "",
        "Command: `NUMBA_CACHE_DIR=.numba_cache .venv/bin/python -m benchmarks.scenarios.sweep "
        f"--stops {args.stops} --iterations {args.iterations} --time-limit {args.time_limit:g}"
        f" --engine {args.engine} --configs {args.configs} --tag {args.tag}`", "",
        f"Commit {sha}; machine: {cpu_model()}, {os.cpu_count()} cores "
        f"(shared with other work while measured; load average before start "
        f"{load_before:.1f}, after each config in the table); Python {platform.python_version()}.", "",
        f"Base: demo city, {args.stops} stops, 35 vehicles; sweep: {SWEEP['name']} "
        f"= {len(per_run) - 1} variants + base; each run {args.engine} with seed 0 and "
        f"{args.iterations} iterations.", "",
        "## Wall time of the whole sweep", "",
        "| config | workers | warm start | setup s | wall s | sum of run times s | "
        "speed-up vs local-1 | load after | engine sources | changed during |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ref = next((c["wall_s"] for c in walls if c["config"] == "local-1"), walls[0]["wall_s"])
    for c in walls:
        lines.append(f"| {c['config']} | {c['workers']} | {c['warm']} | {c['setup_s']} | "
                     f"{c['wall_s']} | {c['sum_run_s']} | {ref / c['wall_s']:.2f}x | "
                     f"{c['load_after']} | {c['engine']} | {c['engine_changed']} |")
    lines += ["", f"Warm-started configurations give identical costs for every variant: "
              f"{identical}.", ""]
    if cold_ref is not None:
        lines += [f"## Warm vs cold per variant ({warm_ref} vs {cold_ref})", "",
                  "| variant | warm cost | cold cost | warm unassigned | cold unassigned | "
                  "warm kept | warm run s | cold run s |", "|---|---|---|---|---|---|---|---|"]
        for name, by in per_run.items():
            if name == BASE or warm_ref not in by or cold_ref not in by:
                continue
            a, b = by[warm_ref], by[cold_ref]
            lines.append(f"| {name} | {a['total_cost']:,.0f} | {b['total_cost']:,.0f} | "
                         f"{a['unassigned']} | {b['unassigned']} | {a['warm_start']} | "
                         f"{a['runtime_s']:.1f} | {b['runtime_s']:.1f} |")
    (args.out / f"{stamp}_{args.tag}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
