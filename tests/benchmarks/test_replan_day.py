"""The re-planning benchmark's day and its midday changes are what the benchmark says."""

from __future__ import annotations

from benchmarks.replan.day import CANCELLED, NEW, midday, plain_day
from solver.compile import compile_problem
from solver.demo_day import operating_day
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.replan.changes import apply_changes


def test_a_larger_day_has_the_vans_asked_for():
    assert sum(v.count for v in operating_day(600, vans=50).vehicle_types) == 50
    assert [v.count for v in operating_day().vehicle_types] == [9, 8, 8]


def test_midday_changes_fit_the_published_plan():
    """A plain day (no feature ils refuses), then at noon: started vans have served a
    prefix of their planned routes, 25 new stops, 5 cancelled ones not yet served, one
    started van down; the changes apply and the reference plan keeps its frozen stops."""
    problem = plain_day(120, 7)
    assert compile_problem(problem).day_features == ()
    plan = solve(problem, SolveOptions(engine="ortools", time_limit=5,
                                       iteration_limit=30)).solution
    changes = midday(problem, plan, 7)
    routes = {r.vehicle: list(r.stops) for r in plan.routes}
    for v in changes.vehicles:
        assert routes[v.vehicle][:len(v.frozen)] == v.frozen
    frozen = {s for v in changes.vehicles for s in v.frozen}
    assert len(changes.new_stops) == NEW and len(changes.cancelled) == CANCELLED
    assert not frozen & set(changes.cancelled)
    (down,) = changes.unavailable
    assert down in {v.vehicle for v in changes.vehicles}
    day = apply_changes(problem, plan, changes)
    assert evaluate(day, plan.model_copy(update={"routes": [
        r.model_copy(update={"stops": [s for s in r.stops if s not in changes.cancelled]})
        for r in plan.routes]})).disruption.moved == []
