"""``auto`` on a tiny replan with breaks: ``exact`` models breaks on tiny problems now
(route enumeration), so ``auto`` proves the optimum there; and asking ``exact`` whether
it supports a problem it refuses does not load Pyomo (seconds in a cold process: 2.6 s
measured here against a 1 s budget), so the engine that models the problem keeps the
budget. Budgets are generous: the test judges where the time goes, not the load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
from solver.compile import compile_problem
from solver.engines import get_engine
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.solve import solve_replan
from tests.solver.engines.cases import vrptw
from tests.solver.replan.test_breaks import A_LUNCHED, B_NOT_YET, _day

refusal = get_engine("exact").supports(compile_problem(vrptw(30, 0)))
refused = {"refusal": refusal, "pyomo": "pyomo.environ" in sys.modules}
day = Problem.model_validate(_day([A_LUNCHED, B_NOT_YET]))
out = solve_replan(day, SolveOptions(engine="auto", time_limit=10, iteration_limit=100))
stats = out.solution.stats
print(json.dumps({**refused, "by": stats.produced_by, "stopped": stats.stopped_by,
                  "feasible": out.report.feasible, "complete": out.report.complete}))
"""


def test_a_cold_auto_replan_with_breaks_is_proved_and_a_refusal_loads_no_pyomo():
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["refusal"] and out["pyomo"] is False, out  # said no without loading it
    assert out["by"] == "exact" and out["stopped"] == "optimal", out
    assert out["feasible"] and out["complete"], out
