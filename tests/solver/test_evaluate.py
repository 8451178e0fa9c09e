"""The independent evaluator, on hand-checked plans, time-dependent travel and every .sol."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from solver.evaluate import evaluate
from solver.evaluate_legs import travel_time
from solver.io import read_instance, read_solution
from solver.problem import TimeWindow
from solver.solution import Route, Solution
from solver.travel.base import TravelTensor
from tests.solver.plans import plan

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"


@pytest.fixture(scope="module")
def tiny():
    return read_instance(TINY)


def test_hand_checked_route(tiny):
    """depot-A-B-C-depot: 10+10+10+10 = 40 distance, C waits for its window, E's penalty."""
    report = evaluate(tiny, plan(["A", "B", "C"]))
    assert report.feasible
    (route,) = report.routes
    assert route.distance == pytest.approx(40.0)
    a, b, c = route.visits
    assert (a.arrival, a.start, a.departure) == (10, 10, 15)
    assert (b.arrival, b.start) == (25, 25)
    assert (c.arrival, c.start, c.wait) == (40, 60, 20)
    assert c.load == (0.0,) and a.load == (6.0,)
    # departure can be delayed by C's wait (20) without making anything later
    assert route.start_time == 20 and route.end_time == 75 and route.duration == 55
    assert report.penalty_cost == 5 and report.unassigned_optional == ["E"]
    assert report.cost == pytest.approx(100 + 40 + 5)


def test_late_arrival_is_a_time_window_violation(tiny):
    """Visiting C before A makes A late: the evaluator names the stop and the lateness."""
    report = evaluate(tiny, plan(["C", "B", "A"]))
    kinds = {(v.kind, v.stop) for v in report.violations}
    assert ("time_window", "A") in kinds
    late = next(v for v in report.violations if v.stop == "A")
    assert late.amount == pytest.approx(60 + 5 + 10 + 5 + 10 - 50)


def test_capacity_duplicate_missing_and_fleet(tiny):
    """Every kind of structural violation is found and named."""
    tight = tiny.model_copy(update={"vehicle_types": [
        tiny.vehicle_types[0].model_copy(update={"capacity": [5.0], "count": 1})
    ]})
    report = evaluate(tight, Solution(routes=[
        Route(vehicle_type="van", stops=["A", "B"]),
        Route(vehicle_type="van", stops=["A", "Z"]),
        Route(vehicle_type="bike", stops=["B"]),
    ]))
    kinds = {v.kind for v in report.violations}
    assert {"capacity", "duplicate", "unknown_stop", "unknown_vehicle_type", "fleet_size",
            "missing"} <= kinds
    assert not report.feasible


def test_declared_unassigned_required_stop_is_not_a_violation(tiny):
    """A required stop listed as unassigned makes the plan incomplete, not infeasible."""
    report = evaluate(tiny, plan(["A", "B"], unassigned=("C",)))
    assert report.feasible and not report.complete
    assert report.unassigned_required == ["C"]


def test_shift_and_max_duration(tiny):
    """A short shift and a max duration are checked on return to the depot."""
    v = tiny.vehicle_types[0].model_copy(update={"max_duration": 30.0,
                                                 "shift": TimeWindow(start=0, end=50)})
    report = evaluate(tiny.model_copy(update={"vehicle_types": [v]}), plan(["A", "B", "C"]))
    kinds = {x.kind for x in report.violations}
    assert {"shift", "max_duration"} <= kinds


def test_skills(tiny):
    """A stop needing a skill the vehicle type lacks is a skill violation."""
    stops = [s.model_copy(update={"skills": ["fridge"]}) if s.id == "B" else s
             for s in tiny.stops]
    report = evaluate(tiny.model_copy(update={"stops": stops}), plan(["A", "B", "C"]))
    assert [v.kind for v in report.violations] == ["skill"]


def test_time_dependent_travel_integrates_across_slices():
    """Leaving 10 s before a slice where the arc is twice as slow: half speed after it."""
    dur = np.array([[[0, 100], [100, 0]], [[0, 200], [200, 0]]], dtype=float)
    travel = TravelTensor(distance=np.array([[0, 1.0], [1.0, 0]]), duration=dur,
                          slice_starts=np.array([0.0, 100.0]))
    assert travel_time(travel, 0, 1, 0.0) == pytest.approx(100)
    # 10 s cover 10 % of the arc; the remaining 90 % at 200 s per arc take 180 s
    assert travel_time(travel, 0, 1, 90.0) == pytest.approx(190)
    assert travel_time(travel, 0, 1, 150.0) == pytest.approx(200)


def test_time_dependent_travel_is_fifo():
    """Leaving later never means arriving earlier (random slices, many departures)."""
    rng = np.random.default_rng(3)
    dur = rng.uniform(10, 500, size=(6, 2, 2))
    travel = TravelTensor(distance=np.ones((2, 2)), duration=dur,
                          slice_starts=np.arange(6) * 120.0)
    departures = np.linspace(0, 800, 400)
    arrivals = [t + travel_time(travel, 0, 1, t) for t in departures]
    assert all(b >= a - 1e-9 for a, b in zip(arrivals, arrivals[1:], strict=False))


def _bks(path: Path) -> float:
    return float(path.read_text().split("Cost")[-1].strip(" :\n"))


@pytest.mark.parametrize("folder", ["CVRP", "VRPTW"])
def test_every_best_known_solution_is_feasible_with_its_exact_cost(shared_instances, folder):
    """For every CVRP and VRPTW instance, the .sol is feasible and its Cost is recomputed."""
    files = sorted((shared_instances / folder).glob("*.vrp"))
    assert files
    for vrp in files:
        problem = read_instance(vrp)
        sol = vrp.with_suffix(".sol")
        report = evaluate(problem, read_solution(sol, problem))
        assert report.complete, (vrp.name, report.violations[:3])
        assert math.isclose(report.cost, _bks(sol), abs_tol=1e-6), vrp.name
