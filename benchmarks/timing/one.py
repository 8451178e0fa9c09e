"""Two timed solves in a fresh process: ``python -m benchmarks.timing.one KIND ENGINE LIMIT
[MODELS] [--cold-only]`` (``--cold-only``: the first solve only).

The first solve is cold (engine imports and Numba kernels load inside it, as in a CLI
run); the second, the same problem again, is warm (as in a service worker). Prints one
JSON line: per solve the ``runtime_s`` (from the solve call), ``stopped_by``, the
evaluator's cost and feasibility, or the error; and ``tail_s``, the time after the
first solve, so that the parent can derive a one-solve process wall.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--cold-only"]
    kind, engine, limit = args[0], args[1], float(args[2])
    models = Path(args[3]) if len(args) > 3 else None
    from benchmarks.timing.kinds import build
    from solver.errors import RoutecastError
    from solver.options import SolveOptions
    from solver.pipeline import solve

    problem = build(kind)
    out: dict[str, object] = {"kind": kind, "engine": engine, "limit": limit,
                              "start_s": time.perf_counter() - STARTED}
    first_done = 0.0
    for run in ("cold",) if "--cold-only" in sys.argv else ("cold", "warm"):
        called = time.perf_counter()
        try:
            outcome = solve(problem, SolveOptions(engine=engine, time_limit=limit, seed=1),
                            models_dir=models)
        except RoutecastError as exc:
            out[run] = {"error": f"{type(exc).__name__}: {exc}"[:200],
                        "runtime_s": time.perf_counter() - called}
        else:
            stats, report = outcome.solution.stats, outcome.report
            out[run] = {"runtime_s": stats.runtime_s, "stopped_by": stats.stopped_by,
                        "produced_by": stats.produced_by,
                        "cost": report.cost, "feasible": report.feasible,
                        "unassigned_required": len(report.unassigned_required)}
        first_done = first_done or time.perf_counter()
    out["tail_s"] = time.perf_counter() - first_done
    print(json.dumps(out))


if __name__ == "__main__":
    main()
