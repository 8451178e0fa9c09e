"""The preload (``solver.engines.preload``): which kernels a problem needs, and that a
preloaded process loads no further kernel when it solves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from solver.engines import preload
from solver.io import read_instance
from solver.problem import Shipment

ROOT = Path(__file__).resolve().parents[3]
TINY = ROOT / "instances" / "tiny" / "tiny4.json"


@pytest.fixture
def tiny():
    return read_instance(TINY)


def test_kernel_variant_follows_engine_travel_and_features(tiny, monkeypatch):
    """ILS needs its dense kernels for a small Euclidean problem; ``auto`` too (ILS is its
    main engine); ``ortools`` only from the budget its ILS seed needs; ``exact`` none."""
    assert preload.kernel_variant(tiny, "ils", 1.0) == "dense"
    assert preload.kernel_variant(tiny, "hgs", 1.0) == "dense"
    assert preload.kernel_variant(tiny, "auto", 1.0) == "dense"
    assert preload.kernel_variant(tiny, "ortools", 1.0) is None  # below seed_min_s
    assert preload.kernel_variant(tiny, "ortools", 10.0) == "dense"
    assert preload.kernel_variant(tiny, "exact", 10.0) is None
    monkeypatch.setattr("solver.travel.build.DENSE_LIMIT", 3)  # 5 locations: no matrices
    assert preload.kernel_variant(tiny, "ils", 1.0) == "coordinates"


def test_kernel_variant_none_where_ils_refuses(tiny):
    """With a shipment, ``auto`` and ``ortools`` run OR-Tools alone: no kernels."""
    shipped = tiny.model_copy(update={"shipments": [
        Shipment(id="P", pickup="A", delivery="B", amount=[1.0])]})
    assert preload.kernel_variant(shipped, "auto", 10.0) is None
    assert preload.kernel_variant(shipped, "ortools", 10.0) is None


def test_preloader_ignores_unknown_engine(tiny):
    """An unknown engine name is the solve's error to report; the thread just ends."""
    loader = preload.Preloader("nope", 1.0)
    loader.problem_read(tiny)
    assert loader.join(60)
    assert loader.variant is None and "imported" not in loader.timings


def test_preloaded_solve_loads_no_further_kernel():
    """In a fresh process: after the preload for the demo day (haversine matrices, two
    windows per stop, 2-D capacity, skills: unlike the preload's own 10 planar stops),
    solving it with ``ils`` adds no kernel overload (the preload loaded the variant the
    solve calls), and the solve's plan passes the evaluator."""
    code = """
import json, sys
from numba.core.registry import CPUDispatcher
from solver.engines.preload import Preloader
from solver.demo import demo_problem
from solver.options import SolveOptions
from solver.pipeline import solve

problem = demo_problem(n_stops=20)
loader = Preloader("ils", 5.0)
loader.problem_read(problem)
assert loader.join(600)

def overloads():
    return {f"{m}.{k}": len(v.overloads) for m, mod in list(sys.modules.items())
            if m.startswith("solver.engines.heuristic")
            for k, v in vars(mod).items() if isinstance(v, CPUDispatcher)}

before = overloads()
out = solve(problem, SolveOptions(engine="ils", time_limit=5.0, iteration_limit=50, seed=1))
after = overloads()
print(json.dumps({"variant": loader.variant, "loaded": sum(before.values()),
                  "new": {k: after[k] - before.get(k, 0) for k in after
                          if after[k] != before.get(k, 0)},
                  "feasible": out.report.feasible}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["variant"] == "dense"
    assert result["loaded"] > 5  # the preload did load kernels
    assert result["new"] == {}
    assert result["feasible"]
