"""The evaluator on shipments: loads at every point, pairing and precedence, hand-checked.

tiny_shipments: a van of capacity 5 delivers 3 to A from the depot and carries 4 from P
to Q; an optional pair F1 -> F2 (amount 1, penalty 10 each) lies far out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.evaluate import evaluate
from solver.io import read_instance
from tests.solver.plans import plan

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny_shipments.json"


@pytest.fixture(scope="module")
def tiny():
    return read_instance(TINY)


def kinds(report) -> list[str]:
    return sorted(v.kind for v in report.violations)


def test_hand_checked_route_with_a_shipment(tiny):
    """depot-A-P-Q-depot: 10+10+10+10 = 40; loads 3 at the start, 0 after A, 4 after P
    (the pickup), 0 after Q; F1/F2 left out cost 10 + 10."""
    report = evaluate(tiny, plan(["A", "P", "Q"]))
    assert report.feasible, report.violations
    (route,) = report.routes
    assert route.distance == pytest.approx(40.0)
    assert [v.load for v in route.visits] == [(0.0,), (4.0,), (0.0,)]
    assert route.load == (4.0,)  # the peak on board, after the pickup
    assert [v.arrival for v in route.visits] == [10, 25, 40]
    assert route.end_time == 55
    assert sorted(report.unassigned_optional) == ["F1", "F2"]
    assert report.cost == pytest.approx(40 + 20)


def test_pickup_before_the_depot_delivery_overloads(tiny):
    """depot-P-Q-A: after P the van holds A's 3 and P's 4 = 7 > 5, one capacity violation
    of 2 after P (the total delivered, 3, alone fits)."""
    report = evaluate(tiny, plan(["P", "A", "Q"]))
    assert kinds(report) == ["capacity"]
    (v,) = report.violations
    assert v.amount == pytest.approx(2.0) and "'P'" in v.message
    assert [x.load for x in report.routes[0].visits] == [(7.0,), (4.0,), (0.0,)]


def test_delivery_before_pickup_is_a_precedence_violation(tiny):
    """depot-A-Q-P: Q unloads what P has not loaded yet: precedence, named on Q."""
    report = evaluate(tiny, plan(["A", "Q", "P"]))
    assert kinds(report) == ["precedence"]
    assert report.violations[0].stop == "Q"


def test_half_a_shipment_is_a_pairing_violation(tiny):
    """Serving P but declaring Q unassigned breaks the pair; so does serving only F1."""
    report = evaluate(tiny, plan(["A", "P"], unassigned=("Q",)))
    assert kinds(report) == ["pairing"]
    report = evaluate(tiny, plan(["A", "P", "Q", "F1"]))
    assert kinds(report) == ["pairing"]
    assert "F1" in report.violations[0].message and "no route" in report.violations[0].message


def test_pair_on_two_routes_is_a_pairing_violation(tiny):
    """P on one van and Q on another is a pairing violation (and here a fleet excess)."""
    report = evaluate(tiny, plan(["A", "P"], ["Q"]))
    assert kinds(report) == ["fleet_size", "pairing"]


def test_optional_pair_served_together_pays_no_penalty(tiny):
    """Serving F1 then F2 is feasible: distance 40 - 10 + 30 + 10 + 50 = 120, no penalty;
    loads 3, 0, 4, 0, 1 (F1's amount), 0."""
    report = evaluate(tiny, plan(["A", "P", "Q", "F1", "F2"]))
    assert report.feasible
    assert report.distance == pytest.approx(120.0)
    assert report.penalty_cost == 0
    assert [v.load for v in report.routes[0].visits] == [(0,), (4,), (0,), (1,), (0,)]


def test_depot_deliveries_count_from_the_start(tiny):
    """With capacity 4, A's 3 fits at the start and P's 4 after A: feasible; the peak is 4.
    With capacity 3.5, P's amount alone no longer fits after A."""
    van = tiny.vehicle_types[0]
    roomy = tiny.model_copy(update={"vehicle_types": [van.model_copy(update={"capacity": [4.0]})]})
    assert evaluate(roomy, plan(["A", "P", "Q"])).feasible
    tight = tiny.model_copy(update={"vehicle_types": [
        van.model_copy(update={"capacity": [3.5]})]})
    report = evaluate(tight, plan(["A", "P", "Q"]))
    assert kinds(report) == ["capacity"]
    assert report.violations[0].amount == pytest.approx(0.5)
