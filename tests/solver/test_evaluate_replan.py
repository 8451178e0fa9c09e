"""The evaluator on a day in progress: frozen prefixes, unavailable vehicles, positions,
loads on board, locks and disruption, judged from the problem alone."""

from __future__ import annotations

import pytest

from solver.evaluate import evaluate
from solver.kpis import compute_kpis
from solver.problem import Depot, Location, Problem, Stop, VehicleType
from solver.solution import Route, Solution


def _day(**in_progress) -> Problem:
    return Problem.model_validate({
        "depots": [Depot(id="D", location=Location(x=0, y=0)).model_dump()],
        "stops": [Stop(id=f"s{i}", location=Location(x=10 * (i + 1), y=0), demand=[1],
                       service_time=5).model_dump() for i in range(4)],
        "vehicle_types": [VehicleType(id="T", count=2, capacity=[3], start_depot="D",
                                      vehicle_ids=["a", "b"]).model_dump()],
        "in_progress": {"reference": [{"vehicle": "a", "stops": ["s0", "s1"],
                                       "etas": [10, 25]},
                                      {"vehicle": "b", "stops": ["s2", "s3"],
                                       "etas": [30, 45]}], **in_progress}})


def _plan(a: list[str], b: list[str]) -> Solution:
    return Solution(routes=[Route(vehicle="a", stops=a), Route(vehicle="b", stops=b)])


def test_a_started_vehicle_continues_from_its_position_at_its_time():
    """After serving s0 (arrived 50, left 60), a's next stop s1 is reached at 60 + 10,
    and the route is costed from its depot through s0 (frozen) to the end."""
    day = _day(now=60, vehicles=[{"vehicle": "a", "served": [
        {"stop": "s0", "arrival": 50, "departure": 60}]}])
    report = evaluate(day, _plan(["s0", "s1"], ["s2", "s3"]))
    assert report.feasible, report.violations
    a = report.routes[0]
    assert [(v.stop, v.start) for v in a.visits] == [("s0", 50), ("s1", 70)]
    assert a.distance == pytest.approx(40)
    # b had not started: it leaves at now (60), reaching s2 at 90 and s3 at 105
    assert [v.start for v in report.routes[1].visits] == [90, 105]
    assert report.disruption.shifts["s2"] == pytest.approx(60)


def test_a_changed_prefix_an_unavailable_vehicle_and_a_broken_lock_are_violations():
    """Frozen stops must lead their route, an unavailable vehicle takes nothing new,
    and locks hold."""
    day = _day(now=60, vehicles=[{"vehicle": "a", "served": [{"stop": "s0"}]}],
               unavailable=["b"], locks=[{"kind": "sequence", "vehicle": "a"}])
    kinds = {v.kind for v in evaluate(day, _plan(["s1", "s0"], ["s2", "s3"])).violations}
    assert {"frozen", "unavailable", "lock"} <= kinds


def test_loads_on_board_count_against_the_capacity():
    """A route that already used 3 of its capacity 3 cannot take one more stop."""
    day = _day(now=60, vehicles=[{"vehicle": "a", "served": [{"stop": "s0"}], "load": [3]}])
    kinds = {v.kind for v in evaluate(day, _plan(["s0", "s1"], ["s2", "s3"])).violations}
    assert "capacity" in kinds


def test_disruption_counts_moves_and_late_shifts_beyond_the_tolerance():
    """Moving s1 to b costs move_cost; seconds later than promised past the tolerance
    cost eta_cost each; both are in the evaluated cost."""
    day = _day(now=0, disruption={"move_cost": 100, "eta_cost": 1, "eta_tolerance": 10})
    base = evaluate(day, _plan(["s0", "s1"], ["s2", "s3"]))
    assert base.disruption.moved == [] and base.disruption.cost == 0
    moved = evaluate(day, _plan(["s0"], ["s1", "s2", "s3"]))
    d = moved.disruption
    assert d.moved == ["s1"]
    late = sum(max(s - 10, 0) for s in d.shifts.values())
    assert d.cost == pytest.approx(100 + late)
    assert moved.cost == pytest.approx(moved.route_cost + moved.penalty_cost + d.cost)
    assert sum(d.histogram.values()) == 4 and d.max_shift == max(map(abs, d.shifts.values()))
    kpis = compute_kpis(day, moved)
    assert (kpis.stops_moved, kpis.max_eta_shift, kpis.disruption_cost) == (
        1, d.max_shift, d.cost)
