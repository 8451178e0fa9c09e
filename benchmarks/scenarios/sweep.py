"""Benchmark: a 24-variant grid sweep on a 300-stop base, on several executors.

Measures the wall time of the whole sweep (base + 24 variants) with 1 and 2 local worker
processes and a 2-worker Dask LocalCluster (starting the pool or cluster and loading the
kernels from the Numba cache in its workers included), and per
variant warm start (the base plan repaired onto the variant) against cold start at the
same budget: final cost, and when each run reached the cold run's final cost and its own.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python -m benchmarks.scenarios.sweep

Runs are bounded by an iteration limit (the time limit is only a safety net), so every
configuration does the same work and, warm or cold, gives the same plans on every
executor. Writes ``DATE_TAG_wall.csv``, ``DATE_TAG_runs.csv`` and ``DATE_TAG.md`` (with
the command, commit, machine and load average at start and end) to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.machine import cpu_model
from solver.demo import demo_problem
from solver.options import SolveOptions
from solver.problem import Problem
from solver.scenarios import (
    BASE,
    RunResult,
    ScenarioResult,
    ScenarioSet,
    apply_edits,
    compare,
    local_executor,
    parse_edits,
    run_scenarios,
)
from solver.scenarios.executors import warm_up

FLEET = {"van-north": 20, "van-south": 20, "truck": 4}  # serves every stop of the base
VANS = [14, 16, 18, 20]
DEMAND = [1.0, 1.05, 1.1, 1.15, 1.2, 1.3]


def sweep(vans: list[int], demand: list[float]) -> ScenarioSet:
    """The grid: van-north count x demand factor."""
    return ScenarioSet.from_dict({
        "name": f"vans x demand ({len(vans) * len(demand)} cells)",
        "grid": {"axes": [
            {"name": "vans", "op": "set_vehicles", "param": "count", "type": "van-north",
             "values": vans},
            {"name": "demand", "op": "scale_demand", "param": "factor", "values": demand},
        ]},
    })


def base_problem(n_stops: int) -> Problem:
    """The demo city with ``n_stops`` stops and the fleet of :data:`FLEET`."""
    return apply_edits(demo_problem(n_stops=n_stops, seed=11), parse_edits(
        [{"op": "set_vehicles", "type": t, "count": n} for t, n in FLEET.items()]))


def engine_fingerprint() -> str:
    """Hash of the engine sources: a change during the run would make configs differ."""
    h = hashlib.sha256()
    for path in sorted(Path("solver/engines").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def git_sha() -> str:
    """The commit, with ``-dirty`` when tracked files differ from it."""
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "solver", "benchmarks"],
                           capture_output=True).returncode != 0
    return sha + ("-dirty" if dirty else "")


@contextmanager
def executor(config: str, engine: str) -> Iterator[tuple[Executor, float]]:
    """``local-N[-cold]`` or ``dask-N``: the executor, its workers loading ``engine``'s
    kernels from the cache before their first run, and the seconds the cluster took to
    start (a local pool's workers start in the background while the base solves)."""
    workers = int(config.split("-")[1])
    if not config.startswith("dask"):
        with local_executor(workers, preload=engine) as pool:
            yield pool, 0.0
        return
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) \
            as cluster, Client(cluster) as client:
        client.run(warm_up, engine)
        yield client.get_executor(pure=False), time.perf_counter() - t0


def reach(run: RunResult, target: float) -> float:
    """Seconds after its start when ``run`` first had a best cost <= ``target`` (NaN: never)."""
    return next((t for t, c in run.trace if c <= target * (1 + 1e-9)), math.nan)


def final(run: RunResult) -> float:
    """The run's last improvement, as the engine reported it (NaN without any)."""
    return run.trace[-1][1] if run.trace else math.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stops", type=int, default=300)
    ap.add_argument("--vans", default=",".join(map(str, VANS)), help="van-north counts")
    ap.add_argument("--demand", default=",".join(map(str, DEMAND)), help="demand factors")
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--engine", default="hgs")
    ap.add_argument("--configs", default="local-1,local-2,dask-2,local-2-cold")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/scenarios/results"))
    ap.add_argument("--tag", default="sweep", help="file name part of the results")
    args = ap.parse_args()
    command = ("NUMBA_CACHE_DIR=" + os.environ.get("NUMBA_CACHE_DIR", "") + " "
               + shlex.join([".venv/bin/python", "-m", "benchmarks.scenarios.sweep",
                             *sys.argv[1:]]))

    problem = base_problem(args.stops)
    grid = sweep([int(v) for v in args.vans.split(",")],
                 [float(d) for d in args.demand.split(",")])
    options = SolveOptions(engine=args.engine, time_limit=args.time_limit,
                           iteration_limit=args.iterations, seed=0)
    load_start = os.getloadavg()
    warm_up(args.engine, time_limit=600)  # fills the Numba cache the workers load
    walls: list[dict[str, Any]] = []
    results: dict[str, ScenarioResult] = {}
    for config in args.configs.split(","):
        fingerprint = engine_fingerprint()
        warm = not config.endswith("cold")
        t0 = time.perf_counter()
        with executor(config, args.engine) as (pool, setup):
            result = run_scenarios(problem, grid, options, pool, warm_start=warm)
        wall = time.perf_counter() - t0
        runs = list(result.runs.values())
        results[config] = result
        walls.append({
            "config": config, "workers": int(config.split("-")[1]), "warm": warm,
            "setup_s": round(setup, 2), "wall_s": round(wall, 2),
            "sum_run_s": round(sum(r.runtime_s for r in runs), 2),
            "sum_cpu_s": round(sum(r.cpu_s for r in runs), 2), "runs": len(runs),
            "done": sum(r.status == "succeeded" for r in runs),
            "jit_compiles": sum(r.jit_compiles for r in runs), "engine": fingerprint,
            "engine_changed": engine_fingerprint() != fingerprint,
            "load_after": round(os.getloadavg()[0], 2)})
        print(walls[-1], flush=True)
    load_end = os.getloadavg()
    write(args, command, problem, grid, walls, results, load_start, load_end)


def write(args: argparse.Namespace, command: str, problem: Problem, grid: ScenarioSet,
          walls: list[dict[str, Any]], results: dict[str, ScenarioResult],
          load_start: tuple[float, ...], load_end: tuple[float, ...]) -> None:
    """The three result files; the markdown is also printed."""
    stamp = dt.date.today().isoformat()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{stamp}_{args.tag}"
    with open(f"{stem}_wall.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(walls[0]))
        w.writeheader()
        w.writerows(walls)
    fields = ["variant", "config", "status", "total_cost", "unassigned", "vehicles_used",
              "feasible", "warm_start", "runtime_s", "cpu_s", "iterations", "stopped_by",
              "jit_compiles"]
    with open(f"{stem}_runs.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for config, result in results.items():
            for row in compare(result).rows:
                w.writerow({**{k: row.get(k) for k in fields}, "config": config})
    configs = list(results)
    warm_configs = [c for c in configs if not c.endswith("cold")]
    identical = len({tuple(round(r.kpis.get("cost", math.nan), 6)
                           for r in results[c].runs.values()) for c in warm_configs}) <= 1
    ref = next((c["wall_s"] for c in walls if c["config"] == "local-1"), walls[0]["wall_s"])
    n_variants = len(next(iter(results.values())).runs) - 1
    lines = [
        f"# Scenario sweep benchmark ({stamp})", "",
        f"Command: `{command}`", "",
        f"Commit {git_sha()}; machine: {cpu_model()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average (1/5/15 min) at start "
        f"{'/'.join(f'{x:.2f}' for x in load_start)}, at end "
        f"{'/'.join(f'{x:.2f}' for x in load_end)} (after each config in the table).", "",
        f"Base: demo city, {args.stops} stops, fleet {FLEET}; sweep: {grid.name} = "
        f"{n_variants} variants + base; every run {args.engine}, seed 0, "
        f"{args.iterations} iterations.", "",
        "## Wall time of the whole sweep", "",
        "Wall time includes starting the pool or cluster and loading the kernels from "
        "the Numba cache in its workers (setup: the cluster's share; a local pool's "
        "workers start while the base solves); run times are summed over runs, CPU time "
        "is the workers'.", "",
        "| config | workers | warm start | setup s | wall s | speed-up vs local-1 | "
        "sum of run s | sum of CPU s | Numba compilations | load after | engine sources "
        "changed |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in walls:
        lines.append(f"| {c['config']} | {c['workers']} | {c['warm']} | {c['setup_s']} | "
                     f"{c['wall_s']} | {ref / c['wall_s']:.2f}x | {c['sum_run_s']} | "
                     f"{c['sum_cpu_s']} | {c['jit_compiles']} | {c['load_after']} | "
                     f"{c['engine_changed']} |")
    lines += ["", f"Warm-started configurations ({', '.join(warm_configs)}) give identical "
              f"costs for every run: {identical}.", ""]
    lines += warm_vs_cold(results)
    Path(f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def warm_vs_cold(results: dict[str, ScenarioResult]) -> list[str]:
    """Per variant: the warm run of the 2-worker pool (else the first warm config) against
    the cold run; times from each run's improvement trace (engine costs)."""
    configs = list(results)
    cold_ref = next((c for c in configs if c.endswith("cold")), None)
    warm_ref = next((c for c in configs if c == "local-2"),
                    next((c for c in configs if not c.endswith("cold")), None))
    if cold_ref is None or warm_ref is None:
        return []
    warm, cold = results[warm_ref], results[cold_ref]
    lines = [f"## Warm vs cold start per variant ({warm_ref} vs {cold_ref})", "",
             "Plans rank by required stops left out, then cost (the evaluator's cost leaves "
             "out unassigned required stops, so a cheaper plan may serve fewer). 'Reach' "
             "times are seconds from the run's start (repair and compilation of the variant "
             "included) until the engine's best cost first got to the cold run's final "
             "cost, or to the run's own final cost; the engine reports a best cost only "
             "once a plan serves every required stop, so runs that never do have none "
             "(n/a).", "",
             "| variant | warm cost | cold cost | Δ cost % | warm unassigned | cold "
             "unassigned | warm is | warm start | warm reaches cold final s | cold reaches "
             "its final s | warm reaches its final s | warm run s | cold run s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    verdicts: list[str] = []
    deltas, speedups = [], []
    for spec in warm.specs:
        if spec.name == BASE:
            continue
        a, b = warm.runs[spec.key], cold.runs[spec.key]
        if a.status != "succeeded" or b.status != "succeeded":
            lines.append(f"| {spec.name} | {a.status} | {b.status} |" + " |" * 10)
            continue
        ua, ub = a.kpis["unassigned"], b.kpis["unassigned"]
        ca, cb = a.kpis["cost"], b.kpis["cost"]
        verdicts.append("better" if (ua, ca) < (ub, cb) else
                        "equal" if (ua, ca) == (ub, cb) else "worse")
        if ua == ub:
            deltas.append(100 * (ca - cb) / cb)
        t_reach, t_cold = reach(a, final(b)), reach(b, final(b))
        if t_reach > 0 and t_cold > 0:
            speedups.append(t_cold / t_reach)
        lines.append(
            f"| {spec.name} | {ca:,.0f} | {cb:,.0f} | {100 * (ca - cb) / cb:+.2f} | {ua} | "
            f"{ub} | {verdicts[-1]} | {a.warm_start} | {_s(t_reach, b)} | {_s(t_cold, b)} | "
            f"{_s(reach(a, final(a)), a)} | {a.runtime_s:.2f} | {b.runtime_s:.2f} |")
    if verdicts:
        lines += ["", f"Warm vs cold over {len(verdicts)} variants: "
                  f"{verdicts.count('better')} better, {verdicts.count('equal')} equal, "
                  f"{verdicts.count('worse')} worse (fewer unassigned, then cost)"
                  + (f"; mean Δ cost {statistics.mean(deltas):+.2f}% over the "
                     f"{len(deltas)} with as many unassigned" if deltas else "")
                  + (f"; where both have times, warm reached the cold final cost a median "
                     f"{statistics.median(speedups):.1f}x sooner than the cold run did "
                     f"({len(speedups)} variants)" if speedups else "") + "."]
    return lines


def _s(seconds: float, target_run: RunResult) -> str:
    """A reach time; n/a when the run whose cost is the target reported none."""
    if not target_run.trace:
        return "n/a"
    return "never" if math.isnan(seconds) else f"{seconds:.2f}"


if __name__ == "__main__":
    main()
