"""The evaluator on operating-day features: breaks, soft windows, overtime, limits."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from solver.evaluate import evaluate
from solver.problem import (
    Break,
    Depot,
    DrivingRule,
    Location,
    MatrixTravel,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)
from solver.solution import Route, Solution
from tests.solver.naive import day_route_reference
from tests.strategies import day_problems


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_evaluator_agrees_with_brute_force(data):
    """On tiny routes with breaks, soft windows, overtime and limits, the evaluator's
    verdict, cost and return time equal the best of all break placements."""
    problem = data.draw(day_problems())
    ids = [s.id for s in problem.stops]
    order = data.draw(st.permutations(ids))
    report = evaluate(problem, Solution(routes=[Route(vehicle_type="T", stops=order)]))
    feasible, cost, end = day_route_reference(problem, order)
    assert report.feasible == feasible, report.violations
    if feasible:
        assert math.isclose(report.cost, cost, abs_tol=1e-6)
        assert math.isclose(report.routes[0].end_time, end, abs_tol=1e-6)


def _line(breaks=(), driving=None, **kw) -> Problem:
    """Depot D and stops A, B on a line, 10 s apart."""
    stops = [Stop(id="A", location=Location(x=1, y=0), service_time=5,
                  time_windows=[TimeWindow(start=0, end=100)], **kw),
             Stop(id="B", location=Location(x=2, y=0),
                  time_windows=[TimeWindow(start=60, end=70)])]
    m = [[0, 10, 20], [10, 0, 10], [20, 10, 0]]
    return Problem(depots=[Depot(id="D", location=Location(x=0, y=0))], stops=stops,
                   vehicle_types=[VehicleType(id="T", start_depot="D", count=2,
                                              vehicle_ids=["v1", "v2"],
                                              shift=TimeWindow(start=0, end=200),
                                              breaks=list(breaks), driving=driving)],
                   travel=MatrixTravel(locations=["D", "A", "B"], distance=m, duration=m))


def test_break_taken_while_waiting_costs_nothing():
    """A break fitting in the wait before B's window leaves the schedule unchanged and
    appears in the route's schedule with its id, start and end."""
    p = _line(breaks=[Break(id="lunch", earliest_start=20, latest_start=40, duration=20)])
    report = evaluate(p, Solution(routes=[Route(vehicle="v2", stops=["A", "B"])]))
    assert report.feasible
    rr = report.routes[0]
    assert rr.vehicle == "v2"
    assert [v.start for v in rr.visits] == [10, 60]
    assert [(b.id, b.start, b.end) for b in rr.breaks] == [("lunch", 25, 45)]


def test_break_that_cannot_fit_is_a_violation():
    """A break whose latest start passes during a service it may not interrupt, with no
    later leg in its window, makes the route infeasible."""
    p = _line(breaks=[Break(id="b", earliest_start=0, latest_start=0, duration=90)])
    report = evaluate(p, Solution(routes=[Route(vehicle_type="T", stops=["A", "B"])]))
    assert {v.kind for v in report.violations} >= {"time_window"} or not report.feasible


def test_soft_window_charges_lateness_and_delays_what_follows():
    """B is soft: reached late it costs late_cost per second, within max_lateness."""
    p = _line()
    stops = [p.stops[0], p.stops[1].model_copy(update={"late_cost": 2.0, "max_lateness": 30})]
    p = p.model_copy(update={"stops": stops})
    report = evaluate(p, Solution(routes=[Route(vehicle_type="T", stops=["B", "A"])]))
    # D->B arrives 20, waits to 60, then A at 70 (window end 100): on time
    assert report.feasible
    p2 = p.model_copy(update={"stops": [stops[0].model_copy(update={"service_time": 50}),
                                        stops[1]]})
    report = evaluate(p2, Solution(routes=[Route(vehicle_type="T", stops=["A", "B"])]))
    # A at 10, leaves 60, B at 70: on time; make it late with a longer service
    assert report.feasible and report.lateness_cost == 0
    p3 = p.model_copy(update={"stops": [stops[0].model_copy(update={"service_time": 65}),
                                        stops[1]]})
    report = evaluate(p3, Solution(routes=[Route(vehicle_type="T", stops=["A", "B"])]))
    assert report.feasible
    assert report.routes[0].visits[1].lateness == 15
    assert report.lateness_cost == 30
    assert report.routes[0].end_time == 85 + 20


def test_driving_rule_without_a_long_enough_break_is_a_violation():
    """40 s of driving with max 30 and no qualifying break breaks the rule."""
    p = _line(breaks=[Break(id="b", earliest_start=0, latest_start=300, duration=1)],
              driving=DrivingRule(max_driving=30, break_duration=10))
    report = evaluate(p, Solution(routes=[Route(vehicle_type="T", stops=["A", "B"])]))
    assert "driving" in {v.kind for v in report.violations}


def test_driving_before_a_short_break_counts_towards_the_rule():
    """A short break (1 s, not qualifying) at 11 then a qualifying one (5 s) by 12, both
    on the way back, with at most 10 s of driving between qualifying breaks: the driver
    drives 4 of the 6 s back before the short break and waits for it (5 s, as late as
    it may start, would make 11 s of driving before the long one), and returns at 19."""
    m = [[0, 6], [6, 0]]
    problem = Problem(
        depots=[Depot(id="D", location=Location(x=0, y=0))],
        stops=[Stop(id="S", location=Location(x=1, y=0))],
        vehicle_types=[VehicleType(
            id="T", start_depot="D", shift=TimeWindow(start=0, end=100), cost_per_time=1.0,
            breaks=[Break(id="short", earliest_start=11, latest_start=11, duration=1),
                    Break(id="long", earliest_start=11, latest_start=12, duration=5)],
            driving=DrivingRule(max_driving=10, break_duration=5))],
        travel=MatrixTravel(locations=["D", "S"], distance=m, duration=m))
    report = evaluate(problem, Solution(routes=[Route(vehicle_type="T", stops=["S"])]))
    assert report.feasible, report.violations
    route = report.routes[0]
    assert [(b.start, b.end) for b in route.breaks] == [(11.0, 12.0), (12.0, 17.0)]
    assert route.end_time == 19.0 and report.cost == 12 + 19
    assert day_route_reference(problem, ["S"]) == (True, 31.0, 19.0)


def test_unknown_and_reused_vehicles_are_reported():
    """A route naming an unknown vehicle or a vehicle already driving is a violation."""
    p = _line()
    report = evaluate(p, Solution(routes=[Route(vehicle="v1", stops=["A"]),
                                          Route(vehicle="v1", stops=["B"])]))
    assert "vehicle_twice" in {v.kind for v in report.violations}
    report = evaluate(p, Solution(routes=[Route(vehicle="nope", stops=["A", "B"])]))
    assert "unknown_vehicle" in {v.kind for v in report.violations}
