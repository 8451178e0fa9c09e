"""A started vehicle's driving since its last break (``driving_since_break``, else the
worst value its times allow): the evaluator's driving counter starts there, the
engines plan with it, and bad values are refused by name."""

from __future__ import annotations

import pytest

from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.problem import Problem
from solver.replan.solve import solve_replan
from solver.solution import Solution
from tests.solver.replan.test_breaks import A_LUNCHED, B_NOT_YET, LUNCH, _day

RULE = {"max_driving": 200, "break_duration": 60}  # LUNCH (60 s) qualifies
# b lunched at 100-160 and is at s4 (40 s from the depot, s5 and s6 10 s apart beyond)
B_LUNCHED = {**B_NOT_YET, "breaks_taken": [{"id": "lunch", "start": 100}]}


def _problem(vehicles: list[dict], now: float = 200) -> Problem:
    return Problem.model_validate(_day(vehicles, now=now, driving=RULE))


def _state(problem: Problem, name: str):
    ip = problem.in_progress
    return next(v for v in ip.vehicles if v.vehicle == name)


def _driven(problem: Problem, name: str) -> float:
    stops = {s.id: s for s in problem.stops}
    return _state(problem, name).driven(problem.vehicle_types[0], stops,
                                        problem.in_progress.now)


@pytest.mark.parametrize(("vehicle", "expected"), [
    # given: taken as is
    ({**B_NOT_YET, "driving_since_break": 33}, 33),
    # departed at the shift start (0), reached s4 at 40: 40 s (the true drive)
    (B_NOT_YET, 40),
    # stops on the way: s1 10-15 (5 s serving), reached s2 at 25: 25 - 5
    ({"vehicle": "b", "served": [{"stop": "s1", "arrival": 10, "departure": 15},
                                 {"stop": "s2", "arrival": 25}]}, 20),
    # lunch (qualifying) ended at 180, after it reached s2 at 25: nothing since
    (A_LUNCHED, 0),
    # driving to s5, eta 210, after lunch 100-160: 50 s
    ({**B_LUNCHED, "next": "s5", "eta": 210}, 50),
    # no times at all: every second to now (200) but s4's service (5) could be driving;
    # a vehicle that kept the rule drove at most max_driving
    ({"vehicle": "b", "served": [{"stop": "s4"}]}, 195),
    ({"vehicle": "b", "served": [{"stop": "s4"}], "now": 300}, 200),
])
def test_the_default_is_the_worst_value_the_times_allow(vehicle, expected):
    now = vehicle.pop("now", 200)
    problem = _problem([vehicle], now=now)
    assert _driven(problem, "b" if vehicle["vehicle"] == "b" else "a") == pytest.approx(
        expected)


@pytest.mark.parametrize(("given", "message"), [
    (-1, r"driving_since_break\n  Input should be greater than or equal to 0"),
    (201, r"in_progress\.vehicles\[0\]\.driving_since_break: 201 is above the "
          r"max_driving \(200\)"),
])
def test_bad_values_are_refused_by_name(given, message):
    with pytest.raises(ValueError, match=message):
        _problem([{**B_LUNCHED, "driving_since_break": given}])


def test_a_value_for_a_vehicle_without_a_driving_rule_is_refused_by_name():
    with pytest.raises(ValueError, match=r"vehicles\[0\]\.driving_since_break: vehicle 'b' "
                                         r"has no driving rule"):
        Problem.model_validate(_day([{**B_LUNCHED, "driving_since_break": 10}], now=200))


def test_the_evaluator_counts_from_the_given_value():
    """b (lunch taken, no break left) keeps s5, s6 and drives home: 10 + 10 + 60 s. From
    120 s since its lunch that is 200 s (the limit); from 121 s, one too many."""
    plan = Solution.model_validate({"routes": [
        {"vehicle": "b", "stops": ["s4", "s5", "s6"]},
        {"vehicle": "a", "stops": ["s1", "s2", "s3"]}]})
    for given, broken in ((120, False), (121, True)):
        day = _problem([{**B_LUNCHED, "driving_since_break": given}])
        report = evaluate(day, plan)
        driving = [v for v in report.violations if v.kind == "driving"]
        assert bool(driving) is broken, report.violations
        if broken:
            assert driving[0].amount == pytest.approx(1.0)


@pytest.mark.parametrize("engine", ["ortools", "auto"])
def test_engines_plan_within_the_drive_left(engine):
    """b may drive 40 s more (160 since its lunch, none left): it cannot keep s5 and s6
    (the evaluator test above: 80 s more), so they move. The plan is feasible and
    complete by the evaluator, at the cost it claims; with no driving since the lunch b
    may keep them."""
    day = _problem([{**B_LUNCHED, "driving_since_break": 160}])
    out = solve_replan(day, SolveOptions(engine=engine, time_limit=10, iteration_limit=200))
    report = evaluate(day, out.solution)
    assert report.feasible and report.complete, report.violations
    assert report.cost == pytest.approx(out.solution.cost)
    routes = {r.vehicle: list(r.stops) for r in out.solution.routes}
    assert routes["b"][0] == "s4" and not {"s5", "s6"} & set(routes["b"])
    fresh = _problem([{**B_LUNCHED, "driving_since_break": 0}])
    assert evaluate(fresh, Solution.model_validate({"routes": [
        {"vehicle": "b", "stops": ["s4", "s5", "s6"]},
        {"vehicle": "a", "stops": ["s1", "s2", "s3"]}]})).feasible


def test_ortools_takes_the_break_before_the_drive_runs_out():
    """b has not lunched and has driven 195 s of 200: its lunch (from 100, so at once)
    must come before 5 s more driving. The evaluator's judgment of ortools' plan."""
    day = _problem([{**B_NOT_YET, "driving_since_break": 195}], now=150)
    out = solve_replan(day, SolveOptions(engine="ortools", time_limit=10,
                                         iteration_limit=200))
    report = evaluate(day, out.solution)
    assert report.feasible and report.complete, report.violations
    assert report.cost == pytest.approx(out.solution.cost)
    b = next(r for r in report.routes if r.vehicle == "b")
    (lunch,) = b.breaks
    assert lunch.start <= min((v.arrival for v in b.visits[1:]), default=lunch.start)



@pytest.mark.parametrize("driven", [0, 195])
def test_the_ortools_model_starts_the_drive_left_at_the_given_value(driven):
    """Lunch (qualifying) no earlier than 300; b (a is down) is free at s4 at 150.
    Having driven 195 s of 200, the model's b may drive 5 s before its lunch (bounded as
    time, like the rule): its route starts no earlier than 295; from 0, at once."""
    from solver.compile import compile_problem
    from solver.engines.ortools.model import Model
    from solver.engines.ortools.search import search_parameters
    from solver.replan.residual import residual_problem
    from solver.travel.build import build_travel

    data = _day([{**B_NOT_YET, "driving_since_break": driven}], now=150, driving=RULE)
    data["vehicle_types"][0]["breaks"] = [{**LUNCH, "earliest_start": 300}]
    data["in_progress"]["unavailable"] = ["a"]  # b serves all
    day = Problem.model_validate(data)
    c = compile_problem(residual_problem(day, build_travel(day)).problem)
    model = Model(c)
    found = model.routing.SolveWithParameters(
        search_parameters("PARALLEL_CHEAPEST_INSERTION", 5.0, solution_limit=1))
    assert found is not None
    b = next(v for v, k in enumerate(model.vehicle_type) if c.type_ids[k] == "b")
    assert found.Value(model.routing.NextVar(model.routing.Start(b))) != \
        model.routing.End(b), "b unused: nothing to check"
    start = found.Value(model.time.CumulVar(model.routing.Start(b))) / model.scaling.time
    assert start >= 295 - 1e-6 if driven else start < 295
