"""The OR-Tools engine: every modelled feature, evaluator-checked, certified by the exact optimum."""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from solver.compile import compile_problem
from solver.demo import demo_problem
from solver.engines.base import EngineResult
from solver.engines.catalog import FACTORIES, get_engine
from solver.engines.ortools import OrToolsEngine, OrToolsParams, exact_scale
from solver.engines.ortools.model import Model
from solver.engines.ortools.search import Watch, search_parameters
from solver.engines.progress import no_progress
from solver.engines.pyomo.pool import RoutePool
from solver.engines.schedule import plan_cost
from solver.engines.stop import AnyOf, Cancelled, MaxIterations, MaxRuntime
from solver.io import read_instance
from solver.options import SolveOptions
from solver.problem import Depot, Location, Problem, Stop, TimeWindow, VehicleType
from solver.solution import ReasonCode
from tests.solver.oracle import at_least, checked, enumerated_optimum, key, same
from tests.strategies import problems

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"
ENGINE = OrToolsEngine()


def run(problem: Problem, seconds: float = 0.3, **kwargs):
    compiled = compile_problem(problem)
    options = SolveOptions(engine="ortools", time_limit=seconds)
    result = ENGINE.solve(compiled, options, kwargs.pop("progress", no_progress),
                          kwargs.pop("stop", MaxRuntime(seconds)), **kwargs)
    return compiled, result, checked(problem, compiled, result, "ortools")


@pytest.fixture(scope="module")
def tiny() -> Problem:
    return read_instance(TINY)


def test_tiny4_optimum(tiny):
    """tiny4: A-B-C on one van (cost 140) and optional E skipped for 5: total 145."""
    _, result, report = run(tiny)
    assert report.cost == pytest.approx(145.0)
    assert result.unassigned == {4: ReasonCode.UNPROFITABLE}


def test_exact_scale_picks_smallest_power_of_ten():
    """Integers scale by 1, one decimal by 10, irrational values fall back to 1000."""
    assert exact_scale(np.array([1.0, 2.0, math.inf])) == (1, True)
    assert exact_scale(np.array([1.5, 2.1])) == (10, True)
    assert exact_scale(np.array([math.sqrt(2)])) == (1000, False)


def _line(n_stops: int, **stop_kw) -> list[Stop]:
    return [Stop(id=f"S{k}", location=Location(x=10.0 * (k + 1), y=0.0), **stop_kw)
            for k in range(n_stops)]


def _problem(stops, types, depots=None) -> Problem:
    depots = depots or [Depot(id="D", location=Location(x=0, y=0))]
    return Problem(depots=depots, stops=stops, vehicle_types=types)


def test_multiple_windows_use_the_gap():
    """A stop whose first window closes before the van can arrive is served in its second."""
    stops = [Stop(id="A", location=Location(x=50, y=0),
                  time_windows=[TimeWindow(start=0, end=10), TimeWindow(start=100, end=120)])]
    _, result, report = run(_problem(stops, [VehicleType(id="V", start_depot="D")]))
    assert not result.unassigned
    assert report.routes[0].visits[0].start == pytest.approx(100.0)


def test_a_warm_start_is_read_at_once_not_at_the_models_limit(ils_kernels):
    """OR-Tools places a warm start's times by a search that, once it has them, goes on
    improving them until the model's time limit: on the multi-window demo day reading
    ``ils``' plan took the whole 30 s of a solve. The read ends at its first solution, with
    the plan's routes."""
    compiled = compile_problem(demo_problem())
    options = SolveOptions(engine="ils", iteration_limit=50, seed=1)  # a plan whose read
    #   ran to the limit before (with 20 iterations' the read ended sooner by itself)
    plan = get_engine("ils").solve(compiled, options, no_progress, MaxIterations(50))
    model = Model(compiled, drop_required=False)
    model.close(search_parameters("PARALLEL_CHEAPEST_INSERTION", 60.0),
                Watch(no_progress, MaxRuntime(60.0), time.perf_counter(), None))
    tick = time.perf_counter()
    assignment = model.read(plan)
    assert time.perf_counter() - tick < 10.0  # not the model's 60 s
    assert assignment is not None
    assert sorted(map(tuple, (n.tolist() for _, n in model.extract(assignment)))) == sorted(
        map(tuple, (n.tolist() for _, n in plan.routes)))
    assert not model.watch.reading


def test_multi_dimensional_capacity_splits_routes():
    """Two dimensions: weight allows all three stops together, volume only one per van."""
    stops = [Stop(id=f"S{k}", location=Location(x=10, y=k), demand=[1, 5]) for k in range(3)]
    types = [VehicleType(id="V", count=3, capacity=[10, 5], start_depot="D")]
    _, _, report = run(_problem(stops, types))
    assert len(report.routes) == 3


def test_skills_restrict_vehicles():
    """A stop that needs 'fridge' rides only on the vehicle type that has it."""
    stops = _line(2)
    stops[1] = stops[1].model_copy(update={"skills": ["fridge"]})
    types = [VehicleType(id="plain", start_depot="D"),
             VehicleType(id="cold", start_depot="D", skills=["fridge"], fixed_cost=10)]
    _, _, report = run(_problem(stops, types))
    for route in report.routes:
        if "S1" in [v.stop for v in route.visits]:
            assert route.vehicle_type == "cold"


def test_shift_and_max_duration_force_a_second_vehicle():
    """A max duration of 50 fits out-and-back to x=20 but not a tour to x=20 and x=30."""
    stops = [Stop(id="A", location=Location(x=20, y=0)), Stop(id="B", location=Location(x=0, y=20))]
    types = [VehicleType(id="V", count=2, start_depot="D", max_duration=50)]
    _, _, report = run(_problem(stops, types))
    assert len(report.routes) == 2
    assert all(r.duration <= 50 + 1e-6 for r in report.routes)


def test_cost_per_time_and_fixed_cost_match_the_evaluator():
    """Span costs with waiting and forward slack: the claimed cost is the evaluator's."""
    stops = [Stop(id="A", location=Location(x=10, y=0), time_windows=[TimeWindow(start=100, end=110)],
                  service_time=3),
             Stop(id="B", location=Location(x=10, y=10), service_time=2)]
    types = [VehicleType(id="V", start_depot="D", cost_per_time=0.5, fixed_cost=7)]
    _, result, report = run(_problem(stops, types))
    assert result.cost == pytest.approx(report.cost)
    assert report.routes[0].duration < 100  # departure delayed by the forward slack


def test_unreachable_and_oversized_stops_get_reasons():
    """Per-stop diagnosis: a window closing before arrival, a demand nobody can carry,
    a skill nobody has, a stop too far to come back within the shift."""
    stops = [
        Stop(id="ok", location=Location(x=5, y=0)),
        Stop(id="late", location=Location(x=50, y=0), time_windows=[TimeWindow(start=0, end=10)]),
        Stop(id="heavy", location=Location(x=5, y=5), demand=[50], required=False, penalty=1),
        Stop(id="skill", location=Location(x=5, y=1), skills=["crane"]),
        Stop(id="far", location=Location(x=80, y=0)),
    ]
    types = [VehicleType(id="V", capacity=[10], start_depot="D",
                         shift=TimeWindow(start=0, end=100))]
    compiled, result, report = run(_problem(stops, types))
    reasons = {compiled.node_id(i): r for i, r in result.unassigned.items()}
    assert reasons == {"late": ReasonCode.TIME_WINDOW, "heavy": ReasonCode.CAPACITY,
                       "skill": ReasonCode.SKILL, "far": ReasonCode.SHIFT}
    assert [v.stop for v in report.routes[0].visits] == ["ok"]


def test_fleet_too_small_gives_no_vehicle():
    """Three stops of demand 6 and one van of capacity 10: two stay out with NO_VEHICLE."""
    stops = _line(3, demand=[6])
    types = [VehicleType(id="V", capacity=[10], start_depot="D")]
    _, result, report = run(_problem(stops, types))
    assert sorted(result.unassigned.values()) == [ReasonCode.NO_VEHICLE] * 2
    assert len(report.unassigned_required) == 2


def test_multi_depot_routes_start_at_their_depot():
    """Two depots far apart: each stop is served by the type based next to it."""
    depots = [Depot(id="W", location=Location(x=0, y=0)), Depot(id="E", location=Location(x=100, y=0))]
    stops = [Stop(id="w", location=Location(x=1, y=0)), Stop(id="e", location=Location(x=99, y=0))]
    types = [VehicleType(id="vw", start_depot="W"), VehicleType(id="ve", start_depot="E")]
    _, _, report = run(_problem(stops, types, depots))
    assert report.cost == pytest.approx(4.0)


def test_warm_start_and_pool(tiny):
    """A warm start is accepted (never worse than it) and improving routes reach the pool."""
    compiled = compile_problem(tiny)
    start = EngineResult(routes=[(0, np.array([3, 2, 1]))], unassigned={}, cost=math.inf)
    start = EngineResult(routes=[(0, np.array([1, 2])), (0, np.array([3]))], unassigned={},
                         cost=math.inf)
    pool = RoutePool(compiled)
    _, result, report = run(tiny, initial=start, pool=pool)
    assert report.cost == pytest.approx(145.0)
    assert len(pool) >= 1


class _SpySeed:
    """A seed engine that counts its calls and returns one route per stop (a poor plan)."""

    name = "spy-seed"

    def __init__(self) -> None:
        self.calls = 0

    def supports(self, compiled) -> str | None:
        return None

    def solve(self, compiled, options, progress, stop, **kwargs) -> EngineResult:
        self.calls += 1
        routes = [(0, np.array([i])) for i in range(compiled.n_depots, compiled.n_nodes)]
        return EngineResult(routes=routes, unassigned={}, cost=math.inf)


def _windowed(n_stops: int = 6) -> Problem:
    stops = [Stop(id=f"S{k}", location=Location(x=10.0 * (k % 3), y=7.0 * (k // 3)),
                  time_windows=[TimeWindow(start=0, end=200 + 20 * k)]) for k in range(n_stops)]
    return _problem(stops, [VehicleType(id="V", count=n_stops, start_depot="D")])


@pytest.mark.parametrize("seconds, called", [(2.5, 1), (0.3, 0)])
def test_seed_engine_joins_the_race_when_the_budget_allows(monkeypatch, seconds, called):
    """The seed engine's plan is one start of the race (budget >= seed_min_s), and the
    race never returns worse than it; below seed_min_s it is not asked at all. The seed
    is found through the engine lookup the engine was given (the catalog's, here)."""
    spy = _SpySeed()
    monkeypatch.setitem(FACTORIES, spy.name, lambda: spy)
    problem = _windowed()
    compiled = compile_problem(problem)
    engine = OrToolsEngine(OrToolsParams(seed_engine=spy.name, seed_min_s=2.0),
                           engines=get_engine)
    result = engine.solve(compiled, SolveOptions(time_limit=seconds), no_progress,
                          MaxRuntime(seconds))
    report = checked(problem, compiled, result, "ortools")
    singletons = spy.solve(compiled, None, None, None)
    assert spy.calls == called + 1
    assert report.cost <= plan_cost(compiled, singletons.routes)[0] + 1e-9


def test_race_is_deterministic_under_an_iteration_limit():
    """With an iteration limit the race's slices count solutions: same seed, same plan."""
    problem = _windowed(8)
    compiled = compile_problem(problem)
    options = SolveOptions(time_limit=30, iteration_limit=40, seed=3)
    engine = OrToolsEngine(OrToolsParams(seed_min_s=0.0))
    plans = [engine.solve(compiled, options, no_progress,
                          AnyOf((MaxRuntime(30), MaxIterations(40)))) for _ in range(2)]
    assert [r.tolist() for _, r in plans[0].routes] == [r.tolist() for _, r in plans[1].routes]
    assert plans[0].iterations <= 40


def test_a_stalled_search_moves_on_to_the_next_start(caplog):
    """GLS from the race's best plan that finds no new best for ``stall_share`` of the
    iteration limit hands over to the next start, whose search still runs to the limit
    (a CancelSearch would stick and end every later search at once)."""
    problem = _windowed(8)
    compiled = compile_problem(problem)
    options = SolveOptions(time_limit=30, iteration_limit=200, seed=0)
    engine = OrToolsEngine(OrToolsParams(seed_engine=None, stall_share=0.02))
    with caplog.at_level(logging.DEBUG, logger="solver.engines.ortools.engine"):
        result = engine.solve(compiled, options, no_progress,
                              AnyOf((MaxRuntime(30), MaxIterations(200))))
    checked(problem, compiled, result, "ortools")
    descents = [r.getMessage() for r in caplog.records if "GLS from" in r.getMessage()]
    assert len(descents) >= 2 and "stalled: True" in descents[0], descents
    assert result.iterations >= 200


def test_the_descent_does_not_restart_the_seed(monkeypatch, caplog):
    """A plan read into a model that has been searched is refused at once (OR-Tools keeps
    the last search's limit): the descent skips the seed's start, whose search time was
    lost before, and hands the time to the next start."""
    spy = _SpySeed()
    monkeypatch.setitem(FACTORIES, spy.name, lambda: spy)
    compiled = compile_problem(_windowed(8))
    engine = OrToolsEngine(OrToolsParams(seed_engine=spy.name, stall_share=0.02),
                           engines=get_engine)
    model = Model(compiled, drop_required=False)
    watch = Watch(no_progress, MaxRuntime(30.0), time.perf_counter(), None)
    model.close(search_parameters("PARALLEL_CHEAPEST_INSERTION", 30.0), watch)
    options = SolveOptions(time_limit=30, iteration_limit=200, seed=0)
    first = engine._run_start(model, "PARALLEL_CHEAPEST_INSERTION", options, 1.0, watch, 0.0)
    # the race's outcome, as if the seed had ranked second
    ranked = [("PARALLEL_CHEAPEST_INSERTION", first), ("seed", first), ("SAVINGS", first)]
    with caplog.at_level(logging.DEBUG, logger="solver.engines.ortools.engine"):
        best = engine._descend(model, ranked, options, 30.0, time.perf_counter(), watch)
    descents = [r.getMessage() for r in caplog.records if "GLS from" in r.getMessage()]
    assert spy.calls == 0
    assert len(descents) == 2 and "stalled: True" in descents[0], descents
    assert "GLS from SAVINGS" in descents[1], descents
    assert best is not None


def test_cancellation_stops_the_search():
    """A cancel flag raised mid-search ends it well before the time limit."""
    problem = read_instance(TINY)
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    began = time.perf_counter()
    _, result, _ = run(problem, seconds=30, stop=AnyOf((MaxRuntime(30), Cancelled(flag.is_set))))
    assert result.stopped_by == "cancelled"
    assert time.perf_counter() - began < 10


def test_progress_reports_improvements(tiny):
    """Progress events arrive with increasing iteration numbers and a finite best cost."""
    events = []
    run(tiny, progress=events.append)
    assert events and events[-1].feasible and math.isfinite(events[-1].best_cost)
    assert [e.iteration for e in events] == sorted(e.iteration for e in events)


@given(problems(max_stops=5))
@settings(max_examples=12)
def test_random_tiny_never_beats_the_optimum(problem):
    """On random tiny problems: evaluator-feasible, reasons given, cost >= the optimum."""
    compiled, _, report = run(problem, seconds=0.2)
    assert at_least(key(report), enumerated_optimum(compiled))


@pytest.mark.slow
def test_optimality_rate_on_random_tiny():
    """Over 60 random problems (<= 6 stops, 1 s each) OR-Tools hits the optimum >= 80%."""
    outcomes = []

    @given(problems(max_stops=6))
    @settings(max_examples=60, database=None)
    def one(problem):
        compiled, _, report = run(problem, seconds=1.0)
        optimum = enumerated_optimum(compiled)
        assert at_least(key(report), optimum)
        outcomes.append(same(key(report), optimum))

    one()
    rate = sum(outcomes) / len(outcomes)
    print(f"ortools optimal on {sum(outcomes)}/{len(outcomes)} = {rate:.0%}")
    assert rate >= 0.8


def test_time_dependent_travel_is_planned_conservatively(tiny):
    """Two slices (slow then fast): the plan, re-timed by the evaluator, is feasible and
    the claimed cost (duration with the time-dependent schedule) is the evaluator's."""
    from solver.travel.base import TravelTensor

    static = compile_problem(tiny).travel
    slow = static.duration[0] * 2.0
    travel = TravelTensor(distance=static.distance,
                          duration=np.stack([slow, static.duration[0]]),
                          slice_starts=np.array([0.0, 30.0]))
    problem = tiny.model_copy(update={"vehicle_types": [
        tiny.vehicle_types[0].model_copy(update={"cost_per_time": 1.0})]})
    compiled = compile_problem(problem, travel)
    result = ENGINE.solve(compiled, SolveOptions(time_limit=0.5), no_progress, MaxRuntime(0.5))
    checked(problem, compiled, result, "ortools")


@pytest.mark.parametrize("path", ["CVRP/X-n101-k25.vrp", "SOLOMON/C101.txt",
                                  "HFVRP/" , "MDVRPTW/", "SDVRPTW/", "PCVRPTW/"])
def test_pipeline_on_every_instance_type(shared_instances, path):
    """`solve --engine ortools` on each supported public set: evaluator-feasible, complete
    (or with reasons), claimed cost equal to the evaluator's."""
    from solver.pipeline import solve

    target = shared_instances / path
    if target.is_dir():
        target = min(target.glob("*.vrp"), key=lambda p: p.stat().st_size)
    problem = read_instance(target)
    if len(problem.stops) > 300:
        pytest.skip("kept small for the default run")
    outcome = solve(problem, SolveOptions(engine="ortools", time_limit=1.0))
    assert outcome.report.feasible
    assert outcome.solution.stats.claimed_cost == pytest.approx(outcome.report.cost)
