"""A time limit is kept where the engine cannot keep it (issue 15): an engine that needs
longer to load than the limit leaves is not started, an engine out of time without a
plan is replaced by the greedy construction, and a plan that lacks required stops is
never a success. The clock is injected: nothing here depends on timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings

from solver.compile import compile_problem
from solver.engines import EngineResult
from solver.engines.catalog import FACTORIES
from solver.engines.deadline import solve_in_time
from solver.engines.greedy import greedy_plan
from solver.engines.progress import ProgressEvent, no_progress
from solver.engines.stop import MaxRuntime
from solver.errors import NoSolutionError
from solver.io import read_instance
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.solution import ReasonCode
from tests.solver.oracle import checked
from tests.solver.test_pipeline_limits import TINY
from tests.strategies import day_problems, problems, problems_with_shipments


class Clock:
    """A wall clock the test moves, and that moves ``step`` at every reading."""

    def __init__(self, step: float = 0.0) -> None:
        self.now, self.step = 100.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class Recorder:
    """An engine that loads for ``cold`` seconds, then (when called) advances the clock
    by ``takes`` and fails with ``fails``, or returns no routes."""

    name = "test-cold"
    warm_starts = False

    def __init__(self, clock: Clock, cold: float = 0.0, takes: float = 0.0,
                 fails: bool = False) -> None:
        self.clock, self.cold, self.takes, self.fails = clock, cold, takes, fails
        self.calls = 0

    def supports(self, compiled):
        return None

    def cold_start_s(self, compiled, budget=None) -> float:
        return self.cold

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        self.calls += 1
        self.clock.now += self.takes
        if self.fails:
            raise NoSolutionError("test-cold: no first plan")
        left = {i: ReasonCode.NO_VEHICLE for i in range(compiled.n_depots, compiled.n_nodes)}
        return EngineResult(routes=[], unassigned=left, cost=0.0, stopped_by="time_limit")


def _run(engine, clock, limit=1.0, **options):
    compiled = compile_problem(read_instance(TINY))
    result = solve_in_time(engine, compiled, SolveOptions(time_limit=limit, **options),
                           no_progress, MaxRuntime(limit), clock(), clock)
    return compiled, result


@pytest.mark.parametrize("cold, beside", [(1.2, True), (2.5, False)])
def test_an_engine_that_cannot_load_in_time_gives_way_to_the_greedy_plan(cold, beside):
    """1.2 or 2.5 s of loading against a 1 s limit: the greedy plan first, said so in its
    stats, and feasible by the evaluator. With 3/4 of its loading time left (1.2 s) the
    engine starts beside it, and its plan without stops does not replace it; with less
    (2.5 s), it is not started."""
    clock = Clock()
    engine = Recorder(clock, cold=cold)
    compiled, result = _run(engine, clock)
    assert engine.calls == int(beside)
    assert result.produced_by == "greedy" and result.stopped_by == "time_limit"
    assert result.stats["engine_skipped_cold"] == 1.0
    report = checked(read_instance(TINY), compiled, result, "test-cold")
    assert not report.unassigned_required


@pytest.mark.parametrize("cold, options", [(0.5, {}), (2.5, {"iteration_limit": 10}),
                                           (0.0, {})])
def test_an_engine_that_fits_or_runs_under_an_iteration_limit_is_started(cold, options):
    """Loading that fits the limit, or an iteration limit (whose result must not depend
    on what the process loaded before): the engine runs."""
    clock = Clock()
    engine = Recorder(clock, cold=cold)
    _, result = _run(engine, clock, **options)
    assert engine.calls == 1 and result.produced_by is None


def test_an_engine_out_of_time_without_a_plan_falls_back_to_the_greedy_plan():
    clock = Clock()
    compiled, result = _run(Recorder(clock, takes=0.95, fails=True), clock)
    assert result.produced_by == "greedy" and result.stats["engine_failed_late"] == 1.0
    checked(read_instance(TINY), compiled, result, "test-cold")


@pytest.mark.parametrize("takes, greedy", [(0.95, True), (0.1, False)])
def test_a_partial_plan_at_the_limit_gives_way_to_the_greedy_plan(takes, greedy):
    """Every stop NO_VEHICLE with idle vans, after 95 % of the limit: the greedy plan;
    after 10 %, the engine's plan stands (the pipeline refuses it, naming a stop)."""
    clock = Clock()
    compiled, result = _run(Recorder(clock, takes=takes), clock)
    assert (result.produced_by == "greedy") == greedy
    if greedy:
        checked(read_instance(TINY), compiled, result, "test-cold")


def test_an_early_failure_is_the_engines_answer():
    """Failing after 10 % of the limit is not running out of time: re-raised."""
    clock = Clock()
    with pytest.raises(NoSolutionError, match="test-cold: no first plan"):
        _run(Recorder(clock, takes=0.1, fails=True), clock)


class Beside(Recorder):
    """A cold engine started beside the greedy plan: it returns the warm start it was
    given at ``saving`` less, or (``gate``) first waits for the test to open the gate,
    then reports progress."""

    warm_starts = True

    def __init__(self, clock: Clock, saving: float = 1.0,
                 gate: threading.Event | None = None, cold: float = 1.2) -> None:
        super().__init__(clock, cold=cold)
        self.saving, self.gate, self.initial = saving, gate, None
        self.finished = threading.Event()

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        self.initial = initial
        if self.gate is not None:
            self.gate.wait()
        progress(ProgressEvent(9.0, 1, initial.cost - self.saving, True))
        self.finished.set()
        return EngineResult(routes=initial.routes, unassigned=dict(initial.unassigned),
                            cost=initial.cost - self.saving, stopped_by="time_limit")


def _events(engine, limit=1.0):
    clock, seen = Clock(), []
    engine.clock = clock
    compiled = compile_problem(read_instance(TINY))
    result = solve_in_time(engine, compiled, SolveOptions(time_limit=limit), seen.append,
                           MaxRuntime(limit), clock(), clock)
    return result, seen


def test_an_engine_loaded_beside_the_greedy_plan_searches_on_from_it():
    """Not loaded at the gate, loaded before the deadline: the engine starts from the
    greedy plan, and its cheaper plan (complete, as the greedy one) is the result."""
    engine = Beside(Clock())
    result, seen = _events(engine)
    assert engine.initial is not None and engine.initial.produced_by == "greedy"
    assert result.produced_by is None and result.stats["engine_loaded_beside_greedy"] == 1.0
    assert result.cost == engine.initial.cost - 1.0
    assert [e.best_cost for e in seen] == [engine.initial.cost, result.cost]


def test_a_dearer_plan_from_beside_leaves_the_greedy_plan():
    engine = Beside(Clock(), saving=-1.0)
    result, _ = _events(engine)
    assert result.produced_by == "greedy" and result.cost == engine.initial.cost


def test_an_engine_still_loading_at_the_deadline_leaves_the_greedy_plan():
    """The engine is held past the deadline (limit 0.2 s + 0.075 s, waited for in
    real time): the greedy plan returns; the engine's later progress is not relayed."""
    gate = threading.Event()
    engine = Beside(Clock(), gate=gate, cold=0.25)
    try:
        result, seen = _events(engine, limit=0.2)
    finally:
        gate.set()
    assert engine.finished.wait(10.0)
    assert result.produced_by == "greedy" and "engine_loaded_beside_greedy" not in result.stats
    assert [e.best_cost for e in seen] == [result.cost]


class Insured(Recorder):
    """An engine that may have no first plan in a short limit (as OR-Tools): it asks for
    the greedy plan first, and records whether that plan's progress came before it ran."""

    insure_below_s = 5.0

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        self.insured_first = bool(self.seen)
        return super().solve(compiled, options, progress, stop)


@pytest.mark.parametrize("limit, insured", [(1.0, True), (10.0, False)])
def test_an_engine_that_may_find_no_plan_is_insured_under_its_limit(limit, insured):
    """Under ``insure_below_s`` the greedy plan is made first; the engine failing at the
    limit then returns that very plan (no second construction in the grace). Above it,
    the fallback is made after the failure, as before."""
    clock, seen = Clock(), []
    engine = Insured(clock, takes=0.95 * limit, fails=True)
    engine.seen = seen
    compiled = compile_problem(read_instance(TINY))
    result = solve_in_time(engine, compiled, SolveOptions(time_limit=limit), seen.append,
                           MaxRuntime(limit), clock(), clock)
    assert engine.insured_first == insured
    assert result.produced_by == "greedy" and result.stats["engine_failed_late"] == 1.0
    assert [e.best_cost for e in seen] == [result.cost]
    checked(read_instance(TINY), compiled, result, "test-cold")


def test_an_insured_engine_with_a_dearer_plan_leaves_the_greedy_plan():
    """The engine's complete plan costs more than the greedy plan made first: the
    greedy plan is returned, said so."""
    clock, seen = Clock(), []
    engine = Insured(clock, takes=0.1)
    engine.seen = seen

    def dearer(compiled, options, progress, stop, *, initial=None, pool=None):
        plan = greedy_plan(compiled, clock() + 1.0, clock)
        return EngineResult(routes=plan.routes, unassigned={}, cost=plan.cost + 1.0,
                            stopped_by="time_limit")

    engine.solve = dearer
    compiled = compile_problem(read_instance(TINY))
    result = solve_in_time(engine, compiled, SolveOptions(time_limit=1.0), seen.append,
                           MaxRuntime(1.0), clock(), clock)
    assert result.produced_by == "greedy" and result.stats["engine_dearer"] == 1.0
    assert result.cost == seen[0].best_cost


def test_ortools_asks_for_insurance():
    from solver.engines.ortools.engine import OrToolsEngine

    assert OrToolsEngine.insure_below_s >= 1.0


def test_a_fallback_past_its_deadline_says_so():
    """A clock that moves 0.5 s at every reading leaves the greedy construction none of
    its 0.15 s: it fails, naming the engine's failure and its own."""
    clock = Clock(step=0.5)
    with pytest.raises(NoSolutionError, match="no first plan; the greedy fallback: "
                                              "greedy construction: .* by the deadline"):
        _run(Recorder(clock, takes=0.95, fails=True), clock)


def test_a_fallback_after_the_limit_passed_still_gets_its_grace():
    """Learned travel's matrices may eat a short limit before the engine starts: the
    greedy plan still gets its grace from when it starts, and is returned."""
    clock = Clock()
    engine = Recorder(clock, cold=2.5)
    compiled = compile_problem(read_instance(TINY))
    started = clock() - 3.0  # the limit of 1 s passed 2 s ago
    result = solve_in_time(engine, compiled, SolveOptions(time_limit=1.0), no_progress,
                           MaxRuntime(1.0), started, clock)
    assert result.produced_by == "greedy" and engine.calls == 0


@pytest.mark.parametrize("spent, started_engine", [(0.95, False), (0.85, True)])
def test_an_engine_with_too_little_of_the_limit_left_is_not_started(spent, started_engine):
    """A warm engine (nothing to load) after travel took 95 % of the limit: the greedy
    plan, said so; after 85 %, the engine runs (its empty plan then gives way too)."""
    clock = Clock()
    engine = Recorder(clock, takes=0.1)
    compiled = compile_problem(read_instance(TINY))
    result = solve_in_time(engine, compiled, SolveOptions(time_limit=1.0), no_progress,
                           MaxRuntime(1.0), clock() - spent, clock)
    assert engine.calls == int(started_engine) and result.produced_by == "greedy"
    assert ("engine_skipped_late" in result.stats) != started_engine


def test_a_partial_greedy_plan_is_no_plan():
    """One van of capacity 10 for A, B and C with 6 each (each fits alone, no two
    together): no complete plan, an error naming a stop, never a success with stops
    NO_VEHICLE."""
    problem = read_instance(TINY)
    problem = problem.model_copy(update={
        "vehicle_types": [problem.vehicle_types[0].model_copy(update={"count": 1})],
        "stops": [s.model_copy(update={"demand": [6.0]}) for s in problem.stops[:3]]})
    with pytest.raises(NoSolutionError, match="2 required stop\\(s\\) .* found no room"):
        greedy_plan(compile_problem(problem), time.perf_counter() + 60)


def _greedy_or_no_room(problem):
    compiled = compile_problem(problem)
    try:
        result = greedy_plan(compiled, time.perf_counter() + 60)
    except NoSolutionError as exc:
        assert "found no room" in str(exc)
        return
    report = checked(problem, compiled, result, "greedy")
    for stop in report.unassigned_required:
        assert result.unassigned[compiled.stop_index()[stop]] != ReasonCode.NO_VEHICLE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_stops=10))
def test_greedy_plans_are_feasible_on_random_problems(problem):
    """Every route the evaluator accepts, the claimed cost is its cost, and a required
    stop is left out only when no vehicle could serve it alone; or it says no room."""
    _greedy_or_no_room(problem)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day_problems(max_stops=5))
def test_greedy_plans_are_feasible_on_operating_days(problem):
    """The same with breaks, driving rules, soft windows, overtime and route limits."""
    _greedy_or_no_room(problem)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems_with_shipments())
def test_greedy_plans_are_feasible_with_shipments(problem):
    """Pickup and delivery together, pickup first."""
    _greedy_or_no_room(problem)


def test_the_pipeline_reports_the_fallback(monkeypatch):
    """Through ``solve``: the plan is the greedy one, evaluated, with ``stopped_by``
    time_limit, ``produced_by`` greedy, and the engine's name kept."""
    engine = Recorder(Clock(), cold=1e6)
    monkeypatch.setitem(FACTORIES, Recorder.name, lambda: engine)
    outcome = solve(read_instance(TINY), SolveOptions(engine=Recorder.name, time_limit=1))
    stats = outcome.solution.stats
    assert (stats.engine, stats.produced_by, stats.stopped_by) == (
        "test-cold", "greedy", "time_limit")
    assert outcome.report.feasible and not outcome.report.unassigned_required
    assert stats.claimed_cost == pytest.approx(outcome.report.cost)


def test_asking_ils_loads_no_kernel():
    """Asking ``ils`` whether it models the operating day (it does, breaks included) and
    whether it can load within a second imports neither Numba nor the engine: a fresh
    process says so."""
    code = ("import sys; from pathlib import Path; "
            "from solver.compile import compile_problem; from solver.io import read_instance; "
            "from solver.engines.standalone import ils_kernels_loaded, standalone_engine; "
            "c = compile_problem(read_instance(Path('instances/day/operating_day.json'))); "
            "ils = standalone_engine('ils'); print(ils.supports(c) is not None, "
            "ils.cold_start_s(c, 1.0) > 1.0, ils_kernels_loaded(), 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "False", "False"]


def test_a_fresh_install_returns_the_greedy_plan_in_its_limit(tmp_path):
    """Where Numba's cache lacks the kernels (a fresh install), ``ils`` would compile them
    for minutes, which no stop criterion interrupts: ``routecast solve --time-limit 3``
    on X-n101 took 151 s. It is not started in the limit's way: the greedy plan comes
    within the limit, and nothing is compiled."""
    from solver.engines.standalone import ILS_COMPILE_S

    code = ("import json; from pathlib import Path; "
            "from solver.compile import compile_problem; from solver.io import read_instance; "
            "from solver.engines.standalone import standalone_engine; "
            "from solver.options import SolveOptions; from solver.pipeline import solve; "
            f"p = read_instance(Path('{TINY}')); c = compile_problem(p); "
            "need = standalone_engine('ils').cold_start_s(c, 10.0); "
            "out = solve(p, SolveOptions(engine='hgs', time_limit=3)); "
            "print(json.dumps([need, out.solution.stats.produced_by, "
            "out.solution.stats.runtime_s]))")
    cache = tmp_path / "numba"
    cache.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, timeout=120).stdout.splitlines()[-1]
    need, produced_by, runtime_s = json.loads(out)
    assert need >= ILS_COMPILE_S and produced_by == "greedy" and runtime_s <= 3.3
    assert not list(cache.rglob("*.nbc"))  # no kernel was compiled


def test_the_cli_says_when_its_plan_is_the_greedy_one(monkeypatch, tmp_path):
    """``routecast solve`` with an engine that cannot load in its limit: exit 0, the
    greedy plan written, and a note on stderr that says what it is."""
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setitem(FACTORIES, Recorder.name, lambda: Recorder(Clock(), cold=1e6))
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(app, ["solve", str(TINY), "--engine", Recorder.name,
                                      "--time-limit", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "this is the greedy construction" in " ".join(result.stderr.split())
    assert '"produced_by": "greedy"' in out.read_text().replace("\n", "")


def test_greedy_refuses_locks():
    """Locks bind stops to vehicles, which the construction does not model: no plan (a
    replan's residual problem goes through the pipeline), rather than one breaking them."""
    compiled = compile_problem(read_instance(TINY))
    compiled.__dict__["day_features"] = ("locks (in_progress.locks)",)  # cached property
    with pytest.raises(NoSolutionError, match="locks .* are not modelled"):
        greedy_plan(compiled, time.perf_counter() + 60)
