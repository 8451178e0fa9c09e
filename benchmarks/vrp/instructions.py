"""Instructions executed by a fixed-work ``ils`` solve, counted by Valgrind's callgrind:
a figure that, unlike seconds, does not move with the load of a shared machine, so two
source trees can be compared on a busy 2-core box.

Usage (the instrumentation is switched on only around the measured solve)::

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=OUT \\
        python benchmarks/vrp/instructions.py GH200/C1_2_1.txt 100
    callgrind_annotate OUT | head     # PROGRAM TOTALS = the solve's instructions

Run it as a script with another tree first on ``PYTHONPATH`` (and that tree's own
``NUMBA_CACHE_DIR``) to count that tree's kernels: it imports the engine under either of
its names (``IlsEngine``, ``HgsEngine`` before 2026-12-01). A first one-iteration solve
loads the kernels outside the count; the counted solve includes the construction. Under
Valgrind a run takes 5-15 minutes (loading the kernels dominates). Paths are relative to
``../shared/instances``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "instances"


def _engine():
    """The ``ils`` engine class and its name, in this tree or an older one."""
    try:
        from solver.engines.heuristic.engine import IlsEngine
        return IlsEngine, "ils"
    except ImportError:  # trees before the rename
        from solver.engines.heuristic.engine import HgsEngine
        return HgsEngine, "hgs"


def _callgrind(switch: str) -> None:
    """Instrumentation on or off for this process (outside Valgrind this fails: no
    callgrind process has its pid)."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True,
                   capture_output=True)


def main(path: str, iterations: int) -> None:
    from solver.compile import compile_problem
    from solver.engines.stop import MaxIterations
    from solver.io import read_instance
    from solver.options import SolveOptions

    engine, name = _engine()
    compiled = compile_problem(read_instance(SHARED / path))

    def solve(n: int):
        options = SolveOptions(engine=name, iteration_limit=n, seed=1, time_limit=3600)
        return engine().solve(compiled, options, lambda event: None, MaxIterations(n))

    solve(1)  # load the kernels
    _callgrind("on")
    result = solve(iterations)
    _callgrind("off")
    print(f"{path}: {result.iterations} iterations, cost {result.cost}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
