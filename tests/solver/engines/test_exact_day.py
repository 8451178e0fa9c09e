"""``exact`` on operating-day problems: driver breaks and the driving-time rule, soft windows
(with a cost per time too), overtime and route limits. What the arc-flow MIP cannot model
it solves by enumerating routes and set partitioning (``pyomo/exact.py``); its plans are
evaluator-feasible with the evaluator's cost, and equal brute force on tiny instances
(every split of the stops, every order, every placement of the breaks)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from solver.compile import compile_problem
from solver.engines.progress import no_progress
from solver.engines.pyomo.exact import MAX_ENUMERATED, ExactEngine, beyond_the_mip
from solver.engines.pyomo.pool import enumerate_routes
from solver.engines.schedule import check_route
from solver.engines.stop import MaxRuntime
from solver.errors import NoSolutionError, UnsupportedFeatureError
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Depot, Location, Problem, Stop, TimeWindow
from tests.solver.engines.test_heuristic_breaks import _far_stop, break_problems
from tests.solver.engines.test_heuristic_day import (
    _checked,
    _one_stop,
    brute_force,
    walk_problems,
)
from tests.solver.oracle import at_least, key
from tests.strategies import day_problems

pytestmark = pytest.mark.usefixtures("ils_kernels")  # compiled before any timed solve

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(day_problems(max_stops=4))
def test_exact_equals_brute_force_on_tiny_day_problems(problem):
    """Breaks (maybe a driving rule, cost per time), soft windows, overtime and route
    limits: exact's plan is evaluator-feasible and claims the evaluator's cost; when some
    plan serves every stop it serves all at brute force's cost, else it leaves a required
    stop out."""
    out = _checked(problem, "exact")
    assert out.solution.stats.produced_by == "exact"
    assert out.solution.stats.stopped_by == "optimal"
    optimum = brute_force(problem)
    if optimum is None:
        assert out.report.unassigned_required
        return
    assert not out.solution.unassigned
    assert math.isclose(out.report.cost, optimum, rel_tol=1e-9, abs_tol=1e-6)


@SETTINGS
@given(st.one_of(break_problems(), walk_problems()))
def test_ils_is_never_better_than_exact_on_mixed_fleets(problem):
    """Multi-depot, mixed-fleet problems with breaks on some types, soft windows with a
    cost per time, overtime and route limits: exact's plan is evaluator-feasible with the
    evaluator's cost, and ils finds no plan leaving fewer required stops out, nor cheaper
    with as many."""
    compiled = compile_problem(problem)
    assume(ExactEngine().supports(compiled) is None)
    exact = _checked(problem, "exact")
    ils = _checked(problem, "ils")
    assert at_least(key(ils.report), key(exact.report))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(day_problems(max_stops=5), break_problems(), walk_problems()))
def test_enumeration_prunes_no_feasible_route(problem):
    """The routes ``enumerate_routes`` keeps (pruned by load, route limits, the schedule
    states of prefixes and their dominance) are, per type and set of stops, exactly the
    feasible ones of every order ``check_route`` accepts, at the cheapest order's cost."""
    compiled = compile_problem(problem)
    assume(compiled.n_clients <= 5)
    stops = range(compiled.n_depots, compiled.n_nodes)
    every: dict[tuple[int, frozenset[int]], float] = {}
    for k in range(compiled.n_types):
        for size in range(1, compiled.n_clients + 1):
            for order in itertools.permutations(stops, size):
                check = check_route(compiled, k, order)
                if check.feasible:
                    at = (k, frozenset(order))
                    every[at] = min(every.get(at, math.inf), check.cost)
    kept = {(r.vehicle_type, frozenset(r.nodes)): r.cost for r in enumerate_routes(compiled)}
    assert kept.keys() == every.keys()
    for at, cost in every.items():
        assert math.isclose(kept[at], cost, rel_tol=1e-12, abs_tol=1e-9), at


def test_a_break_and_a_late_visit_are_priced_as_the_evaluator_does():
    """The break of ``_far_stop`` after 40 s of driving (cost 200 distance + 210
    duration); a soft window with a cost per time, served 30 s late at 2 per second."""
    out = _checked(_far_stop(), "exact")
    assert out.report.cost == pytest.approx(410)
    out = _checked(_one_stop(cost_per_time=1.0), "exact")
    assert out.report.cost == pytest.approx(100 + 100 + 2 * 30)


def test_a_required_stop_served_late_at_any_cost_is_served():
    """Serving the only stop 50 s late costs 5,000 in lateness: more than leaving it out
    cost the MIP before (its skip cost ignored lateness), and HiGHS 1.14's presolve still
    skipped it when the skip cost more (solve.make_solver); exact serves it."""
    problem = Problem(
        depots=[Depot(id="D", location=Location(x=0, y=0))],
        stops=[Stop(id="S", location=Location(x=30, y=40), late_cost=100.0,
                    time_windows=[TimeWindow(start=0, end=0)])],
        vehicle_types=_one_stop().vehicle_types)
    assert not beyond_the_mip(compile_problem(problem))  # the arc-flow MIP's case
    out = _checked(problem, "exact")
    assert not out.solution.unassigned
    assert out.report.cost == pytest.approx(100 + 100 * 50)


def test_exact_refuses_breaks_on_more_stops_than_it_enumerates_by_name():
    """Breaks on 8 stops: refused, naming the size and the feature; 7 are supported."""
    base = _far_stop()
    stops = [base.stops[0].model_copy(update={"id": f"S{k}"})
             for k in range(MAX_ENUMERATED + 1)]
    big = base.model_copy(update={"stops": stops})
    with pytest.raises(UnsupportedFeatureError, match=r"8 stops > 7 with breaks"):
        solve(big, SolveOptions(engine="exact", time_limit=1))
    fits = base.model_copy(update={"stops": stops[:MAX_ENUMERATED]})
    assert ExactEngine().supports(compile_problem(fits)) is None


def test_an_enumeration_out_of_time_has_no_plan():
    """Cut short, the enumeration proves nothing: exact says so rather than return the
    partition of the routes it had."""
    compiled = compile_problem(_far_stop())
    with pytest.raises(NoSolutionError, match="route enumeration ran out of time"):
        ExactEngine().solve(compiled, SolveOptions(engine="exact", time_limit=1),
                            no_progress, MaxRuntime(0.0))
