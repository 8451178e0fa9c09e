"""Iterations per second of ``ils`` on a fixed number of iterations (fixed work: the same
seed and limit give the same plan), per wall and per CPU second; and the search's own
pace, candidate routes priced per second of the iterations (``moves_per_s``), apart from
``setup_s``, the rest of the solve (kernel loading, the first plan and its local search).
A short run's iterations per CPU second mostly measure the setup: the 2 s runs of
``2026-12-05_iteration-speed.md`` read 0.2 s more of kernel loading as a 10 % slower search.

Usage (one JSON line per instance)::

    python -m benchmarks.vrp.iteration_speed CVRP/X-n101-k25.vrp:2000 GH200/C1_2_1.txt:1000

``--cost-per-time C`` has every vehicle type pay ``C`` per second besides its distance
(a fleet paid by the hour), which the move bounds must then allow for.

To compare two source trees, run this file alternately under each tree's ``PYTHONPATH``
(and its own ``NUMBA_CACHE_DIR``) after one warm-up run each (``python
benchmarks/vrp/iteration_speed.py``: trees before 2026-11-26 name the engine
``HgsEngine``). Paths are relative to ``../shared/instances`` (or absolute).
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.vrp.run import SHARED
from solver.compile import compile_problem
from solver.engines.stop import MaxIterations
from solver.io import read_instance
from solver.options import SolveOptions
from solver.problem import Problem

try:
    from solver.engines.heuristic.engine import IlsEngine
except ImportError:  # a tree from before the engine's rename
    from solver.engines.heuristic.engine import HgsEngine as IlsEngine


def measure(path: str, iterations: int, seed: int, cost_per_time: float = 0.0) -> dict:
    """One solve of ``iterations`` iterations: its speed and cost."""
    compiled = compile_problem(paid_per_second(read_instance(SHARED / path), cost_per_time))
    options = SolveOptions(engine=IlsEngine.name, iteration_limit=iterations, seed=seed)
    wall, cpu = time.perf_counter(), time.process_time()
    result = IlsEngine().solve(compiled, options, lambda event: None, MaxIterations(iterations))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"instance": path, "iterations": result.iterations, "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "it_per_s": round(result.iterations / wall, 1),
            "it_per_cpu_s": round(result.iterations / cpu, 1),
            "moves_per_s": round(result.stats["moves_per_s"]),
            "setup_s": round(wall - _search_s(result.stats), 2),
            "cost": result.cost}


def paid_per_second(problem: Problem, cost_per_time: float) -> Problem:
    """``problem`` with every vehicle type paying ``cost_per_time`` per second (when
    not 0)."""
    if not cost_per_time:
        return problem
    return problem.model_copy(update={"vehicle_types": [
        v.model_copy(update={"cost_per_time": cost_per_time})
        for v in problem.vehicle_types]})


def _search_s(stats: dict) -> float:
    """Seconds of the iterations (the engine reports their pace, not their time)."""
    return stats["moves_evaluated"] / stats["moves_per_s"] if stats["moves_per_s"] else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="PATH:ITERATIONS under shared/instances")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cost-per-time", type=float, default=0.0,
                        help="every vehicle type pays this per second")
    args = parser.parse_args(argv)
    for run in args.runs:
        path, _, count = run.rpartition(":")
        print(json.dumps(measure(path, int(count), args.seed, args.cost_per_time)),
              flush=True)


if __name__ == "__main__":
    main()
