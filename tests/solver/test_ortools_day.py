"""OR-Tools on operating days: one integer cost scale for every rate, and a driving rule
that the conservative model cannot meet is not a failure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.compile import compile_problem
from solver.demo_day import operating_day
from solver.engines.ortools.model import Model
from solver.engines.ortools.search import search_parameters
from solver.engines.schedule import plan_cost
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Break, Problem, TimeWindow

HOUR = 3600.0


def _day(n_stops: int, **vehicle: object) -> Problem:
    """The example day's generator on fewer stops, its vans changed by ``vehicle``."""
    p = operating_day(n_stops=n_stops, seed=3)
    return p.model_copy(update={"vehicle_types": [
        v.model_copy(update=vehicle) for v in p.vehicle_types]})


@pytest.mark.parametrize("late_cost", [0.01, 0.02, 0.05])
def test_every_rate_keeps_its_value_in_integer_units(late_cost):
    """Lateness, overtime and time cost per second become integer coefficients per time
    unit within 0.05% of their value (25/3600 per second used to round to 1 of 0.69)."""
    p = operating_day(n_stops=20, seed=1)
    p = p.model_copy(update={"stops": [s.model_copy(update={"late_cost": late_cost})
                                       for s in p.stops]})
    scale = Model(compile_problem(p)).scaling
    for rate in (late_cost, 25 / HOUR, 37.5 / HOUR):
        value = scale.per_time_unit(rate) * scale.time / scale.cost
        assert value == pytest.approx(rate, rel=5e-4)


def test_ortools_objective_is_the_evaluators_cost():
    """On a day with breaks, soft windows and overtime the model's objective (its own
    integer units, back to cost) is within 0.1% of the evaluator's cost of its plan."""
    c = compile_problem(operating_day(n_stops=25, seed=2))
    model = Model(c)
    found = model.routing.SolveWithParameters(
        search_parameters("PARALLEL_CHEAPEST_INSERTION", 1.0, solution_limit=1))
    assert found is not None
    ours = found.ObjectiveValue() / model.scaling.cost
    cost, checks = plan_cost(c, model.extract(found))
    assert all(ch.feasible for ch in checks)
    assert ours == pytest.approx(cost, rel=1e-3)


def _served_checked(problem: Problem):
    out = solve(problem, SolveOptions(engine="ortools", time_limit=3, seed=0))
    assert out.report.feasible, out.report.violations
    assert not out.solution.unassigned
    assert math.isclose(out.solution.stats.claimed_cost, out.report.cost, abs_tol=1e-6)
    return out


def test_a_shift_starting_long_before_the_break_is_usable():
    """Shifts from 06:00 and lunch from 11:30: 5.5 h from the shift start to the break
    exceed the 4.5 h driving bound as time, which made every van unusable (NoSolutionError
    on 30 stops); the route may now start later in the model and is served in full."""
    out = _served_checked(_day(30, shift=TimeWindow(start=6 * HOUR, end=15 * HOUR)))
    starts = [next(e for e in r.schedule if e.kind == "stop").arrival
              for r in out.solution.routes]
    assert min(starts) < 11.5 * HOUR


def test_stops_the_conservative_driving_model_leaves_out_are_inserted():
    """A 10:30 lunch and stops open 16:00-18:30 with long services: 4.5 h of *time* after
    the break cannot reach them, though the driving does; they used to be left out (a
    NoSolutionError); the engine now inserts them by the evaluator's rules."""
    p = _day(30, shift=TimeWindow(start=7 * HOUR, end=19 * HOUR), breaks=[Break(
        id="lunch", earliest_start=10.5 * HOUR, latest_start=11 * HOUR, duration=1800)])
    late = {s.id for k, s in enumerate(p.stops) if k % 4 == 0}
    p = p.model_copy(update={"stops": [s.model_copy(update={
        "time_windows": [TimeWindow(start=16 * HOUR, end=18.5 * HOUR)],
        "service_time": 900.0}) if s.id in late else s for s in p.stops]})
    out = _served_checked(p)
    starts = {e.id: e.start for r in out.solution.routes for e in r.schedule}
    assert all(starts[s] >= 16 * HOUR for s in late)
    ends = np.array([max(e.end for e in r.schedule) for r in out.solution.routes])
    lunch_end = 11.5 * HOUR
    assert (ends - lunch_end > 4.5 * HOUR).any()  # beyond what the time bound allows


def test_days_with_breaks_start_from_savings():
    """With breaks the insertion strategies fail without drops (measured on the 150-stop
    benchmark day): the race starts from SAVINGS (after the ils seed when ils takes the
    problem); without breaks the usual timed starts race."""
    from solver.engines.ortools.engine import OrToolsEngine, _has_breaks

    c = compile_problem(operating_day(n_stops=10, seed=1))
    engine = OrToolsEngine()
    assert _has_breaks(c)
    starts = engine._starts(Model(c), budget=10.0)
    assert starts[-1] == "SAVINGS" and "LOCAL_CHEAPEST_INSERTION" not in starts
    plain = compile_problem(operating_day(n_stops=10, seed=1).model_copy(update={
        "vehicle_types": [v.model_copy(update={"breaks": [], "driving": None})
                          for v in operating_day(n_stops=10, seed=1).vehicle_types]}))
    assert "LOCAL_CHEAPEST_INSERTION" in engine._starts(Model(plain), budget=10.0)


def test_without_a_plan_with_breaks_the_relaxed_model_is_repaired_and_completed(caplog):
    """When no start finds a plan with break intervals (here: SAVINGS given no time), the
    engine solves the model without them (each route ending its breaks' length earlier),
    and its plan, repaired and completed by the evaluator's rules, serves every stop
    feasibly at the evaluator's cost."""
    from solver.engines.ortools.engine import OrToolsEngine, OrToolsParams
    from solver.engines.progress import no_progress
    from solver.engines.stop import MaxRuntime
    from tests.solver.oracle import checked

    problem = operating_day(n_stops=40, seed=4)
    c = compile_problem(problem)
    engine = OrToolsEngine(OrToolsParams(first_cap_share_breaks=1e-6))
    with caplog.at_level("INFO", logger="solver.engines.ortools.engine"):
        result = engine.solve(c, SolveOptions(engine="ortools", time_limit=3), no_progress,
                              MaxRuntime(3))
    assert "relaxed model" in caplog.text
    report = checked(problem, c, result, "ortools")
    assert report.feasible and not report.unassigned_required
