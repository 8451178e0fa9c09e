"""One solve of a large instance with its peak memory, dense or coordinate-only travel.

    python benchmarks/vrp/notes/scale_run.py FILE [--dense-limit N] [--time-limit S]

Prints one JSON line: travel mode, cost, gap to the ``.sol`` beside the file (if any),
feasibility, and the process's peak RSS (``ru_maxrss``), which covers reading,
compiling, solving and evaluating. ``--dense-limit`` overrides
``solver.travel.build.DENSE_LIMIT`` (a large value forces the dense matrix).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from solver.compile import compile_problem
from solver.io.read import read_instance, read_solution
from solver.options import SolveOptions
from solver.pipeline import solve


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--dense-limit", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    started = time.perf_counter()
    problem = read_instance(args.path)
    compiled = compile_problem(problem, dense_limit=args.dense_limit)
    out = solve(problem, SolveOptions(engine=args.engine, time_limit=args.time_limit,
                                      seed=args.seed), compiled=compiled)
    sol = args.path.with_suffix(".sol")
    bks = None
    if sol.is_file():
        from solver.evaluate import evaluate

        bks = evaluate(problem, read_solution(sol, problem), compiled.travel).cost
    print(json.dumps({
        "instance": args.path.stem,
        "clients": len(problem.stops),
        "travel": "dense" if compiled.travel.dense else "coordinate-only",
        "engine": args.engine,
        "time_limit_s": args.time_limit,
        "cost": out.report.cost,
        "gap_pct": None if bks is None else round(100 * (out.report.cost / bks - 1), 3),
        "complete": out.report.complete,
        "routes": len(out.solution.routes),
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
