"""The runner: one result per run, feasible variants, warm starts, progress, cancellation,
failures kept to their run, and the same results on every executor."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.scenarios import (
    BASE,
    ScenarioSet,
    compare,
    local_executor,
    repair,
    run_scenarios,
)
from solver.travel import build_travel
from tests import fakes

SET = {
    "variants": [
        {"name": "demand +20%", "edits": [{"op": "scale_demand", "factor": 1.2}]},
        {"name": "busy noon", "edits": [{"op": "traffic", "multiplier": 1.5, "start_hour": 0,
                                         "end_hour": 0.05}]},
        {"name": "new stops", "edits": [{"op": "add_stops", "count": 3, "seed": 1}]},
    ],
    "grid": {"axes": [
        {"name": "vans", "op": "set_vehicles", "param": "count", "type": "van",
         "values": [2, 4]},
        {"name": "demand", "op": "scale_demand", "param": "factor", "values": [1.0, 1.3]},
    ]},
    "replications": 2,
}


def options(engine: str = fakes.GREEDY) -> SolveOptions:
    return SolveOptions(engine=engine, time_limit=30, iteration_limit=50, seed=3)


def routes(result) -> dict[str, list]:
    return {k: [(r.vehicle_type, r.stops) for r in run.solution.routes]
            for k, run in result.runs.items()}


def test_every_run_done_and_feasible(problem):
    """Base + 3 variants + 4 grid cells, twice: 16 runs, each done with a feasible plan."""
    events = []
    with ThreadPoolExecutor(2) as pool:
        result = run_scenarios(problem, ScenarioSet.from_dict(SET), options(), pool,
                               progress=events.append)
    assert len(result.runs) == 16
    assert all(r.status == "succeeded" and r.kpis["feasible"] for r in result.runs.values())
    assert {e.key for e in events if e.status == "queued"} == set(result.runs)
    assert {e.key for e in events if e.status == "succeeded"} == set(result.runs)
    assert max(e.finished for e in events) == 16
    rows = compare(result).rows
    cells = [r for r in rows if r["vans"] is not None]
    assert len(cells) == 8 and len({(r["vans"], r["demand"], r["seed"]) for r in cells}) == 8
    assert [r["variant"] for r in rows[:2]] == [BASE, BASE]


def test_warm_start_never_worse_than_the_repaired_base(problem):
    """Each variant's plan ranks at least as well as the base plan repaired onto it."""
    with ThreadPoolExecutor(2) as pool:
        result = run_scenarios(problem, ScenarioSet.from_dict(SET), options(), pool)
    base = result.runs[f"{BASE}#3"].solution
    for spec in result.specs:
        if spec.name == BASE or spec.seed != 3:
            continue
        variant = result.problems[spec.name]
        travel = build_travel(variant)
        if any(e.changes_travel for e in spec.edits):
            continue  # the runner judged it on the edited tensor
        mine = evaluate(variant, repair(base, variant, travel), travel)
        got = result.runs[spec.key]
        assert got.warm_start in ("kept_initial", "none", "engine")
        if mine.feasible:
            assert (len(evaluate(variant, got.solution).unassigned_required), got.kpis["cost"]) \
                <= (len(mine.unassigned_required), mine.cost + 1e-6)


def test_local_processes_and_dask_give_identical_results(problem):
    """Same seeds and iteration limits: the default local process pool and a 2-worker Dask
    LocalCluster return the same plans and KPIs."""
    distributed = pytest.importorskip("distributed")
    scenarios = ScenarioSet.from_dict(SET)
    with local_executor(2, plugins=[fakes.__name__]) as pool:
        local = run_scenarios(problem, scenarios, options(), pool)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = run_scenarios(problem, scenarios, options(), client.get_executor(pure=False))
    assert routes(local) == routes(dask)
    assert {k: r.kpis for k, r in local.runs.items()} == {k: r.kpis for k, r in dask.runs.items()}


def test_cancellation_stops_running_and_queued_runs(problem):
    """Cancelling while runs search stops them; nothing is left running or queued."""
    started = threading.Event()

    def progress(event):
        if event.status == "running":
            started.set()

    with ThreadPoolExecutor(2) as pool:
        result = run_scenarios(problem, ScenarioSet.from_dict(SET), options("fake-slow"), pool,
                               progress=progress, is_cancelled=started.is_set)
    assert result.cancelled
    assert {r.status for r in result.runs.values()} == {"cancelled"}
    assert result.wall_s < 10


def test_cancellation_reaches_runs_in_worker_processes(problem):
    """On the local process pool, progress comes back from the workers and a cancel
    stops runs mid-search there; each keeps its (empty) plan and says why it stopped."""
    events = []

    def progress(event):
        events.append(event)

    def searching():
        return any(e.status == "progress" for e in events)

    with local_executor(2, plugins=[fakes.__name__]) as pool:
        result = run_scenarios(problem, ScenarioSet.from_dict(SET), options("fake-slow"), pool,
                               progress=progress, is_cancelled=searching)
    assert result.cancelled
    assert {r.status for r in result.runs.values()} == {"cancelled"}
    assert any(r.stopped_by == "cancelled" for r in result.runs.values())
    assert result.wall_s < 30


def test_hgs_on_local_workers_compiles_nothing_and_equals_dask(problem):
    """hgs runs on the local process pool compile nothing (every worker loads the kernels
    from NUMBA_CACHE_DIR, filled here first, once, and reuses them run after run) and,
    warm starts included, give the same plans as on a Dask cluster."""
    distributed = pytest.importorskip("distributed")
    from solver.pipeline import solve

    solve(problem, SolveOptions(engine="hgs", time_limit=60, iteration_limit=2))
    hgs = SolveOptions(engine="hgs", time_limit=60, iteration_limit=3, seed=3)
    scenarios = ScenarioSet.from_dict(SET)
    with local_executor(2) as pool:
        local = run_scenarios(problem, scenarios, hgs, pool)
    assert {r.status for r in local.runs.values()} == {"succeeded"}
    assert {k: r.jit_compiles for k, r in local.runs.items()} == dict.fromkeys(local.runs, 0)
    assert "engine" in {r.warm_start for r in local.runs.values()}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = run_scenarios(problem, scenarios, hgs, client.get_executor(pure=False))
    assert routes(local) == routes(dask)
    assert {k: r.kpis for k, r in local.runs.items()} == {k: r.kpis for k, r in dask.runs.items()}


def test_a_failing_run_does_not_sink_the_batch(problem):
    """An engine crash in one run is that run's 'failed' status with the error text."""
    with ThreadPoolExecutor(2) as pool:
        result = run_scenarios(problem, ScenarioSet.from_dict(SET), options("fake-broken"), pool)
    failed = {k for k, r in result.runs.items() if r.status == "failed"}
    assert failed == {"new stops#3", "new stops#4"}
    assert "engine crashed" in result.runs["new stops#3"].error
    assert all(r.status == "succeeded" for k, r in result.runs.items() if k not in failed)


def test_cold_runs_have_no_warm_start(problem):
    """warm_start=False solves every run without the base plan."""
    with ThreadPoolExecutor(2) as pool:
        result = run_scenarios(problem, ScenarioSet.from_dict(SET), options(), pool,
                               warm_start=False)
    assert {r.warm_start for r in result.runs.values()} == {"none"}
