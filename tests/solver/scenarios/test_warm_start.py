"""Warm starts with the real engine: hgs starts each variant from the repaired base plan,
returns evaluator-feasible plans, and at the same iteration budget does no worse than
cold starts on average over seeds."""

from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor

import pytest

from solver.demo import demo_problem
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.problem import Problem
from solver.scenarios import BASE, ScenarioResult, ScenarioSet, apply_edits, parse_edits, repair
from solver.travel import build_travel

VARIANTS = {
    "variants": [
        {"name": "demand +10%", "edits": [{"op": "scale_demand", "factor": 1.1}]},
        {"name": "service +20%", "edits": [{"op": "scale_service_time", "factor": 1.2}]},
        {"name": "one van less", "edits": [{"op": "remove_vehicles", "count": 1,
                                            "type": "van-north"}]},
        {"name": "new stops", "edits": [{"op": "add_stops", "count": 5, "seed": 1}]},
    ],
    "replications": 3,
}


def base() -> Problem:
    """60 demo stops and a fleet large enough to serve all of them."""
    return apply_edits(demo_problem(n_stops=60), parse_edits([
        {"op": "set_vehicles", "type": "van-north", "count": 6},
        {"op": "set_vehicles", "type": "van-south", "count": 6},
    ]))


@pytest.fixture(scope="module")
def runs() -> dict[bool, ScenarioResult]:
    """The same set solved warm and cold: hgs, 20 iterations per run, seeds 0-2."""
    from solver.scenarios import run_scenarios

    options = SolveOptions(engine="hgs", time_limit=120, iteration_limit=20, seed=0)
    out = {}
    for warm in (True, False):
        with ThreadPoolExecutor(1) as pool:
            out[warm] = run_scenarios(base(), ScenarioSet.from_dict(VARIANTS), options, pool,
                                      warm_start=warm)
    return out


def variant_keys(result: ScenarioResult) -> list[str]:
    return [s.key for s in result.specs if s.name != BASE]


def test_warm_variants_start_in_the_engine_and_are_feasible(runs):
    """Every warm variant went to hgs with its warm start, and its plan passes the
    evaluator with every required stop served and no worse than the repaired base plan."""
    result = runs[True]
    for spec in result.specs:
        run = result.runs[spec.key]
        assert run.status == "succeeded", run.error
        if spec.name == BASE:
            continue
        assert run.warm_start in ("engine", "kept_initial")
        problem = result.problems[spec.name]
        travel = build_travel(problem)
        report = evaluate(problem, run.solution, travel)
        assert report.feasible and not report.unassigned_required, spec.key
        start = evaluate(problem, repair(result.runs[f"{BASE}#{spec.seed}"].solution, problem,
                                         travel), travel)
        if start.feasible and not start.unassigned_required:
            assert report.cost <= start.cost + 1e-6, spec.key
    assert {result.runs[k].warm_start for k in variant_keys(result)} >= {"engine"}


def test_warm_start_is_no_worse_than_cold_on_average(runs):
    """Same seeds, same 20 iterations: the mean variant cost warm is at most the cold one
    (bases are solved identically either way)."""
    warm, cold = runs[True], runs[False]
    for key in (s.key for s in warm.specs if s.name == BASE):
        assert warm.runs[key].kpis["cost"] == cold.runs[key].kpis["cost"]
    keys = variant_keys(warm)
    assert all(cold.runs[k].kpis["feasible"] for k in keys)
    assert statistics.mean(warm.runs[k].kpis["cost"] for k in keys) \
        <= statistics.mean(cold.runs[k].kpis["cost"] for k in keys)
