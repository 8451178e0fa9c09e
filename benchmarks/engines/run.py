"""Issue 4's benchmark: routecast's engines against plain OR-Tools, same instances and budget.

Configurations (each run on the same instance, time limit and machine, one at a time):
  ortools        routecast --engine ortools
  plain-ortools  a textbook OR-Tools model (benchmarks/engines/plain_ortools.py)
  hgs            routecast --engine hgs
  auto           the portfolio (hgs, OR-Tools polish, set partitioning, lower bound)
  auto-nosp      the portfolio without polish and set partitioning (same main engine)
  auto-seq       the portfolio with set partitioning after the main engine (not beside it)
  auto-ortools   the portfolio with OR-Tools as its main engine (polish-free; pool from GLS)
  auto-ortools-nosp  OR-Tools main engine only, through the portfolio
Every plan is scored by routecast's evaluator. Results: CSV + markdown in benchmarks/results.

Usage:
  python -m benchmarks.engines.run --set x --time-limit 10 --configs ortools,plain-ortools
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.vrp.run import bks
from solver.compile import compile_problem
from solver.engines import Engine, get_engine
from solver.engines.portfolio import PortfolioEngine, PortfolioParams
from solver.engines.progress import no_progress
from solver.engines.stop import AnyOf, MaxIterations, MaxRuntime
from solver.evaluate import evaluate
from solver.io import read_instance
from solver.options import SolveOptions
from solver.pipeline import decode, solve
from solver.scenarios.executors import warm_up

SHARED = Path(__file__).resolve().parents[3] / "shared" / "instances"
RESULTS = Path(__file__).resolve().parents[1] / "results"
SETS = {
    "x": ["CVRP/X-n101-k25.vrp", "CVRP/X-n120-k6.vrp", "CVRP/X-n157-k13.vrp",
          "CVRP/X-n200-k36.vrp", "CVRP/X-n251-k28.vrp"],
    "gh200": ["GH200/C1_2_1.txt", "GH200/R1_2_1.txt", "GH200/RC1_2_2.txt"],
    "gh1000": ["VRPTW/C1_10_1.vrp", "VRPTW/R1_10_1.vrp"],
}
NO_SP = PortfolioParams(polish_share=0.0, setpart_share=0.0, bound_share=0.0)
SEQUENTIAL = PortfolioParams(concurrent_setpart=False)


@dataclass(frozen=True)
class IterationLimited:
    """``auto``'s main engine stopped at the options' iteration limit, while the portfolio's
    own criterion is the clock only, so that its later phases run after it (a limit in the
    portfolio's criterion would skip them): ``auto`` at the same iterations as its engine
    alone, deterministic with a seed."""

    engine: Engine

    @property
    def name(self) -> str:
        return self.engine.name

    def supports(self, compiled):
        return self.engine.supports(compiled)

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        limit = MaxIterations(options.iteration_limit)
        return self.engine.solve(compiled, options, progress, AnyOf((stop, limit)),
                                 initial=initial, pool=pool)


def run_config(config: str, problem, time_limit: float, seed: int,
               iterations: int | None = None):
    """(evaluation report, stats dict) of one configuration on one problem."""
    if config == "plain-ortools":
        from benchmarks.engines.plain_ortools import solve_plain

        solution = solve_plain(problem, time_limit, iterations)
        return evaluate(problem, solution), {}
    if config in ("ortools", "hgs"):
        outcome = solve(problem, SolveOptions(engine=config, time_limit=time_limit, seed=seed,
                                              iteration_limit=iterations,
                                              max_no_improvement=None))  # whole budget
        return outcome.report, {}
    # "auto" runs the registered portfolio's defaults here, so that its stats are kept
    params = (NO_SP if config.endswith("-nosp") else SEQUENTIAL if config.endswith("-seq")
              else PortfolioParams())
    main = get_engine("ortools" if config.startswith("auto-ortools") else "hgs")
    if iterations is not None:
        main = IterationLimited(main)
    engine = PortfolioEngine(params, main=main, engines=get_engine)
    compiled = compile_problem(problem)
    options = SolveOptions(time_limit=time_limit, seed=seed, iteration_limit=iterations)
    result = engine.solve(compiled, options, no_progress, MaxRuntime(time_limit))
    report = evaluate(problem, decode(compiled, result, "auto", 0.0), compiled.travel)
    return report, {**result.stats, "produced_by": result.produced_by}


PHASES = ("main_cost", "polish_cost", "setpart_cost", "main_pool_routes", "pool_routes",
          "polish_s", "setpart_s", "setpart_cpu_s", "setpart_began_s")


def phase_columns(stats: dict) -> dict:
    """The portfolio's phase results (what each phase reached, pool sizes, phase times)."""
    main = [v for k, v in stats.items() if k.endswith("_cost") and k.split("_")[0]
            in ("hgs", "ortools")]
    found = {**stats, "main_cost": main[0] if main else None}
    return {k: round(found[k], 4) for k in PHASES if found.get(k) is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="x", choices=sorted(SETS))
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--configs", default="ortools,plain-ortools")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=None,
                        help="iteration limit (OR-Tools: solutions) for a deterministic run")
    parser.add_argument("--limit", type=int, default=None, help="first N instances only")
    parser.add_argument("--tag", default="engines")
    args = parser.parse_args()
    configs = args.configs.split(",")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    out = RESULTS / f"{stamp}_{args.tag}_{args.set}.csv"
    if any(c != "plain-ortools" for c in configs):
        # hgs's kernels (also the ortools seed's and auto's main engine) compiled or loaded
        # from the Numba cache before any budget runs
        warm_up("hgs", time_limit=300.0)
    rows = []
    for rel in SETS[args.set][: args.limit]:
        path = SHARED / rel
        problem = read_instance(path)
        best = bks(path)
        for seed in range(args.seeds):
            for config in configs:
                began, cpu = time.perf_counter(), time.process_time()
                try:
                    report, stats = run_config(config, problem, args.time_limit, seed,
                                               args.iterations)
                except Exception as exc:  # a broken engine is a result row, not a crash
                    rows.append({"instance": path.stem, "config": config, "seed": seed,
                                 "error": f"{type(exc).__name__}: {exc}"[:200]})
                    print(f"{path.stem:14s} {config:18s} ERROR {exc}")
                    continue
                row = {
                    "instance": path.stem, "config": config, "seed": seed,
                    "time_limit": args.time_limit, "iterations": args.iterations,
                    "wall_s": round(time.perf_counter() - began, 2),
                    "cpu_s": round(time.process_time() - cpu, 2),  # all threads
                    "load1": round(os.getloadavg()[0], 2),
                    "cost": round(report.cost, 4), "feasible": report.feasible,
                    "unassigned": len(report.unassigned_required),
                    "vehicles": len(report.routes), "bks": best,
                    "gap_bks_pct": round(100 * (report.cost - best) / best, 3) if best else None,
                    "lower_bound": round(stats["lower_bound"], 2) if "lower_bound" in stats
                    else None,
                    "produced_by": stats.get("produced_by"),
                    **phase_columns(stats),
                }
                rows.append(row)
                print(f"{path.stem:14s} {config:18s} cost {report.cost:12.2f} "
                      f"feasible {report.feasible} gap {row['gap_bks_pct']} wall {row['wall_s']} "
                      f"cpu {row['cpu_s']} load {row['load1']}")
    fields = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k)
                    if k in rows[0] else 99)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    print(f"wrote {out} (commit {sha}, {platform.processor() or platform.machine()})")


if __name__ == "__main__":
    main()
