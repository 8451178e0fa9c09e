"""Run solvers one after another on the same instances and budget, judge every plan with
routecast's evaluator, and write ``benchmarks/results/<date>_<suite>.csv`` + ``.md``.

Usage::

    python -m benchmarks.vrp --set cvrp-x --budget 10 --solvers routecast,ortools \
        [--instances X-n101-k25,X-n157-k13] [--seed 1] [--cores 2]

``routecast`` runs engine ``hgs``; ``routecast:ENGINE:N`` runs ENGINE with ``cores=N``
(e.g. ``routecast:auto:2,routecast:hgs:1,pyvrp`` for issue 15's 2-core table: keep
``--cores 1`` there, so that each solver has the machine alone). ``--clock cpu`` gives
each solver ``budget`` CPU seconds per core it uses instead of wall seconds (process CPU
time, every thread): on a loaded machine, where a process's threads share what the
scheduler gives it, that is the equal-wall-time comparison an idle machine would give.
There ``auto`` runs without its Pyomo phases, as it plans a 10 s budget (``ENGINES``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import importlib.metadata as md
import math
import multiprocessing
import os
import platform
import shlex
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from benchmarks.machine import cpu_model
from solver.engines.catalog import load_plugin
from solver.evaluate import evaluate
from solver.io import read_instance
from solver.options import SolveOptions
from solver.pipeline import solve

SHARED = Path(__file__).resolve().parents[3] / "shared" / "instances"
RESULTS = Path(__file__).resolve().parents[1] / "results"
SETS = {
    "cvrp-x": [f"CVRP/{n}.vrp" for n in (
        "X-n101-k25", "X-n157-k13", "X-n200-k36", "X-n251-k28", "X-n308-k13", "X-n401-k29",
        "X-n502-k39", "X-n599-k92", "X-n716-k35", "X-n801-k40", "X-n895-k37", "X-n979-k58")],
    "vrptw-gh": [f"VRPTW/{n}.vrp" for n in (
        "C1_10_1", "C2_10_1", "R1_10_1", "R2_10_1", "RC1_10_1", "RC2_10_1")],
}
PEERS = {"pyvrp": "benchmarks.peers.pyvrp", "ortools": "benchmarks.peers.ortools",
         "vroom": "benchmarks.peers.vroom"}
VERSIONS = ("numpy", "numba", "pyvrp", "ortools", "pyvroom")


def bks(path: Path) -> float | None:
    """Best known cost from the ``.sol`` beside the instance."""
    sol = path.with_suffix(".sol")
    if not sol.is_file():
        return None
    for line in sol.read_text().splitlines():
        if line.lower().startswith("cost"):
            return float(line.split()[1])
    return None


def run_one(solver: str, path: Path, problem, budget: float, seed: int,
            cpu: bool = False) -> dict:
    """One solver on one instance: the evaluator's cost and feasibility, and timings.
    ``cpu``: ``budget`` is CPU seconds per core used (see the module docstring)."""
    started, cpu_start = time.perf_counter(), time.process_time()
    extra: dict = {}
    if solver.split(":")[0] == "routecast":
        engine, cores = routecast_spec(solver)
        events = []
        spent = budget * (cores or 1)  # CPU seconds: the solve ends as "cancelled"
        if cpu and engine == "auto":
            load_plugin(__name__)
            engine = "auto-no-mip"
        # the whole budget, as the peers get it (no stall stop)
        outcome = solve(problem, SolveOptions(engine=engine, time_limit=budget * 100 if cpu
                                              else budget, seed=seed,
                                              max_no_improvement=None, cores=cores),
                        progress=events.append,
                        is_cancelled=(lambda: time.process_time() - cpu_start >= spent)
                        if cpu else None)
        solution = outcome.solution
        first = next((e.elapsed_s for e in events if e.feasible), math.nan)
        extra = {"first_feasible_s": first, "iterations": solution.stats.iterations}
    elif cpu:
        solution = importlib.import_module(PEERS[solver]).solve(path, problem, budget, seed,
                                                                cpu=True)
    else:
        solution = importlib.import_module(PEERS[solver]).solve(path, problem, budget, seed)
    runtime, cpu_s = time.perf_counter() - started, time.process_time() - cpu_start
    report = evaluate(problem, solution)
    return {"cost": report.cost, "feasible": report.complete, "runtime_s": runtime,
            "cpu_s": cpu_s, **extra}


def _auto_as_at_10s():
    """``auto`` as it plans a budget under ``pyomo_min_budget_s`` (10 s): no Pyomo phases.
    Under ``--clock cpu`` the wall limit is far off, and ``auto`` would otherwise import
    Pyomo and feed a route pool for set partitioning that the CPU budget never reaches."""
    from solver.engines.catalog import get_engine
    from solver.engines.portfolio import PortfolioEngine, PortfolioParams

    return PortfolioEngine(PortfolioParams(pyomo_min_budget_s=math.inf), engines=get_engine)


# ``load_plugin(__name__)`` adds these to the catalog (for ``--clock cpu``)
ENGINES = {"auto-no-mip": _auto_as_at_10s}


def routecast_spec(solver: str) -> tuple[str, int | None]:
    """``routecast[:ENGINE[:CORES]]`` -> (engine, cores); plain ``routecast`` is ``hgs``."""
    parts = solver.split(":")
    if parts[0] != "routecast" or len(parts) > 3:
        raise ValueError(f"{solver!r}: expected routecast[:ENGINE[:CORES]]")
    engine = parts[1] if len(parts) > 1 else "hgs"
    return engine, int(parts[2]) if len(parts) > 2 else None


def run_instance(path: Path, solvers: list[str], budget: float, seed: int,
                 cpu: bool = False) -> list[dict]:
    """Every solver on one instance, one after another: the rows of the results table."""
    problem = read_instance(path)
    best = bks(path)
    rows = []
    for solver in solvers:
        res = run_one(solver, path, problem, budget, seed, cpu)
        gap = 100.0 * (res["cost"] / best - 1.0) if best else math.nan
        rows.append({"instance": path.stem, "solver": solver, "budget_s": budget,
                     "seed": seed, "bks": best, "gap_pct": gap, **res})
        print(f"{path.stem:14s} {solver:10s} cost {res['cost']:.1f} gap {gap:6.2f}% "
              f"feasible {res['feasible']} {res['runtime_s']:.1f}s {res['cpu_s']:.1f} CPU-s",
              flush=True)
    return rows


def _pin_to_own_core(cores: multiprocessing.Queue) -> None:
    """Pool initializer: each worker takes a core of its own from ``cores``."""
    os.sched_setaffinity(0, {cores.get()})


def _available(solver: str) -> bool:
    return solver.split(":")[0] == "routecast" or importlib.import_module(PEERS[solver]).available()


def _versions() -> str:
    out = []
    for name in VERSIONS:
        try:
            out.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            continue
    return ", ".join(out)


def write_markdown(path: Path, rows: list[dict], solvers: list[str], header: list[str]) -> None:
    """Gap per instance and solver, then the mean gap and feasibility per solver."""
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    cell = {(r["instance"], r["solver"]): r for r in rows}
    lines = header + ["", "| instance | BKS | " + " | ".join(solvers) + " |",
                      "|---|---:|" + "---:|" * len(solvers)]
    for name in instances:
        any_row = next(r for r in rows if r["instance"] == name)
        vals = []
        for s in solvers:
            r = cell.get((name, s))
            vals.append("-" if r is None else
                        (f"{r['gap_pct']:.2f}%" if r["feasible"] else "infeasible"))
        lines.append(f"| {name} | {any_row['bks']:g} | " + " | ".join(vals) + " |")
    lines += ["", "| solver | mean gap | feasible | mean time to first feasible (s) |",
              "|---|---:|---:|---:|"]
    for s in solvers:
        mine = [r for r in rows if r["solver"] == s]
        ok = [r for r in mine if r["feasible"]]
        gap = sum(r["gap_pct"] for r in ok) / len(ok) if ok else math.nan
        firsts = [r["first_feasible_s"] for r in mine
                  if not math.isnan(r.get("first_feasible_s", math.nan))]
        first = f"{sum(firsts) / len(firsts):.2f}" if firsts else "n/a"
        lines.append(f"| {s} | {gap:.2f}% | {len(ok)}/{len(mine)} | {first} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.vrp", description=__doc__)
    ap.add_argument("--set", choices=sorted(SETS), required=True)
    ap.add_argument("--budget", type=float, required=True, help="seconds per solver and instance")
    ap.add_argument("--solvers", default="routecast,pyvrp,ortools,vroom")
    ap.add_argument("--instances", default="", help="comma-separated names (default: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cores", type=int, default=1,
                    help="run instances in this many processes, each pinned to one core")
    ap.add_argument("--name", default="",
                    help="results file stem before _<budget>s (default: <date>_<set>)")
    ap.add_argument("--data", type=Path, default=SHARED, help="the instances folder")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="budget in wall seconds, or CPU seconds per core (pyvrp only)")
    args = ap.parse_args(argv)
    if not 1 <= args.cores <= len(os.sched_getaffinity(0)):
        ap.error(f"--cores must lie in 1..{len(os.sched_getaffinity(0))} (the cores allowed)")
    wanted = {s for s in args.instances.split(",") if s}
    paths = [args.data / p for p in SETS[args.set] if not wanted or Path(p).stem in wanted]
    solvers = [s for s in args.solvers.split(",") if _available(s)]
    skipped = sorted(set(args.solvers.split(",")) - set(solvers))
    load_start = os.getloadavg()[0]
    cpu = args.clock == "cpu"
    if cpu and any(s in PEERS and s != "pyvrp" for s in solvers):
        ap.error("--clock cpu: of the peers only pyvrp takes a CPU budget")
    task = partial(run_instance, solvers=solvers, budget=args.budget, seed=args.seed, cpu=cpu)
    if args.cores == 1:
        per_instance = [task(path) for path in paths]
    else:  # instances spread over pinned processes; solvers still one after another
        ctx = multiprocessing.get_context("spawn")
        cores = ctx.Queue()
        for core in sorted(os.sched_getaffinity(0))[: args.cores]:
            cores.put(core)
        with ctx.Pool(args.cores, initializer=_pin_to_own_core, initargs=(cores,)) as pool:
            per_instance = pool.map(task, paths, chunksize=1)
            pool.close()
            pool.join()
        cores.close()
        cores.join_thread()
    rows = [row for block in per_instance for row in block]
    load_end = os.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    seed = "" if args.seed == 1 else f"_seed{args.seed}"  # seed 1 keeps the published names
    name = args.name or f"{dt.date.today().isoformat()}_{args.set}"
    stem = RESULTS / f"{name}_{args.budget:g}s{seed}"
    fields = ["instance", "solver", "budget_s", "seed", "bks", "cost", "gap_pct", "feasible",
              "runtime_s", "cpu_s", "first_feasible_s", "iterations"]
    with stem.with_suffix(".csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    header = [
        f"# {args.set}, {args.budget:g} {'CPU-s per core' if cpu else 's'} per instance, "
        f"seed {args.seed}", "",
        f"- command: `python -m benchmarks.vrp {shlex.join(sys.argv[1:] if argv is None else argv)}`",
        f"- git: {sha}; {dt.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {cpu_model()}, {platform.machine()}, Python {platform.python_version()}; "
        "solvers run one after another, single-threaded but routecast:ENGINE:N (N cores)"
        + (f", instances spread over {args.cores} processes pinned one core each"
           if args.cores > 1 else ""),
        f"- load average (1 min): {load_start:.2f} at start, {load_end:.2f} at end",
        *(["- budget: CPU seconds of this process per core a solver uses (`--clock cpu`); "
           "`auto` without its Pyomo phases, as it plans a 10 s wall budget"] if cpu else []),
        f"- versions: {_versions()}",
        "- every plan is scored by routecast's evaluator; gap = cost / BKS - 1"
        + (f"; not installed: {', '.join(skipped)}" if skipped else ""),
    ]
    write_markdown(stem.with_suffix(".md"), rows, solvers, header)
