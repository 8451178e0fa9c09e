"""``auto`` on a tiny replan with breaks (which ``exact`` does not model): asking
``exact`` whether it supports the problem no longer loads Pyomo (seconds in a cold
process: 2.6 s measured here against a 1 s budget), so the engine that models the
breaks (``ils`` since it models them, ``ortools`` before) gets the budget and ends by its
iteration limit, not the clock. The budget is generous, so the test judges where the time goes (Pyomo not
loaded), not how loaded the machine is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.solve import solve_replan
from tests.solver.replan.test_breaks import A_LUNCHED, B_NOT_YET, _day

day = Problem.model_validate(_day([A_LUNCHED, B_NOT_YET]))
out = solve_replan(day, SolveOptions(engine="auto", time_limit=10, iteration_limit=100))
stats = out.solution.stats
print(json.dumps({"pyomo": "pyomo.environ" in sys.modules, "by": stats.produced_by,
                  "stopped": stats.stopped_by, "iterations": stats.iterations,
                  "feasible": out.report.feasible, "complete": out.report.complete}))
"""


def test_a_cold_auto_replan_with_breaks_gives_its_main_engine_the_budget():
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["pyomo"] is False  # exact was asked, and said no without loading it
    assert out["by"] in ("ils", "ortools") and out["feasible"] and out["complete"], out
    assert out["stopped"] == "iteration_limit" and out["iterations"] == 100, out
