"""A day re-planned twice, for the replan API tests (in process and end to end): the
problem, the changes made from whatever plan the engine returned, and the independent
checks of every plan (the evaluator's, and the frozen prefixes, cancellations, new
stops and unavailable vehicles by hand)."""

from __future__ import annotations

from typing import Any

from solver.evaluate import evaluate
from solver.problem import Problem
from solver.replan.changes import apply_changes, read_changes
from solver.solution import Solution, with_vehicles
from tests.api.conftest import tiny_problem

ENGINE = {"engine": "ortools", "time_limit": 1, "iteration_limit": None, "seed": 0}


def day_problem() -> dict[str, Any]:
    """Nine unit stops, four vehicles of capacity 4 (at least three routes), named."""
    problem = tiny_problem(9, seed=7, capacity=4, vehicles=4, name="replan-day")
    problem["vehicle_types"][0]["vehicle_ids"] = ["a", "b", "c", "d"]
    return problem


def starts(problem: Problem, plan: Solution) -> dict[str, float]:
    report = evaluate(problem, plan)
    return {v.stop: v.start for r in report.routes for v in r.visits}


def routes(problem: Problem, plan: Solution) -> dict[str, list[str]]:
    return {r.vehicle or "": list(r.stops) for r in with_vehicles(problem, plan).routes}


def first_changes(problem: Problem, plan: Solution) -> dict[str, Any]:
    """Vehicle A (the longest route) has served its first stop and keeps its route in
    sequence; B drives to its first stop; C (another route) breaks down; B's last stop
    is cancelled; one stop is new. Moves cost 1000."""
    by_len = sorted(routes(problem, plan).items(), key=lambda kv: (-len(kv[1]), kv[0]))
    (a, ra), (b, rb), (c, _) = by_len[:3]
    assert len(ra) >= 2 and len(rb) >= 2, by_len
    t = starts(problem, plan)
    now = t[ra[0]] + 1.0
    return {"now": now,
            "vehicles": [{"vehicle": a, "served": [{"stop": ra[0], "arrival": t[ra[0]],
                                                    "departure": t[ra[0]]}]},
                         {"vehicle": b, "next": rb[0], "eta": max(t[rb[0]], now)}],
            "new_stops": [{"id": "n1", "location": {"x": 40, "y": 60}, "demand": [1]}],
            "cancelled": [rb[-1]], "unavailable": [c],
            "locks": [{"kind": "sequence", "vehicle": a}],
            "disruption": {"move_cost": 1000}}


def second_changes(day: Problem, plan: Solution, first: dict[str, Any]) -> dict[str, Any]:
    """Later: A has served one more stop, B has served the stop it drove to; C stays down;
    another stop is new and one of A's later stops (if any) is cancelled."""
    (sa, sb) = first["vehicles"]
    r, t = routes(day, plan), starts(day, plan)
    a_next, b_done = r[sa["vehicle"]][1], sb["next"]
    now = max(t[a_next], t[b_done], first["now"]) + 1.0
    a_rest = r[sa["vehicle"]][2:]
    return {"now": now,
            "vehicles": [{"vehicle": sa["vehicle"], "served": [
                *sa["served"], {"stop": a_next, "arrival": t[a_next], "departure": t[a_next]}]},
                {"vehicle": sb["vehicle"], "served": [{"stop": b_done, "arrival": t[b_done],
                                                        "departure": t[b_done]}]}],
            "new_stops": [{"id": "n2", "location": {"x": 10, "y": 90}, "demand": [1]}],
            "cancelled": a_rest[-1:], "unavailable": first["unavailable"],
            "disruption": {"move_cost": 1000}}


def expected_day(parent: Problem, parent_plan: Solution, changes: dict[str, Any]) -> Problem:
    """The day problem the service should have built (computed here, independently)."""
    return apply_changes(parent, parent_plan, read_changes(parent, changes))


def check_plan(day: Problem, plan: Solution, changes: dict[str, Any]) -> None:
    """The independent evaluator finds ``plan`` feasible at its claimed cost, and by hand:
    every started vehicle begins with its frozen stops, nothing cancelled is served,
    every new stop is, and unavailable vehicles get nothing beyond their frozen stops."""
    report = evaluate(day, plan)
    assert report.feasible and report.complete, report.violations
    assert abs(report.cost - (plan.cost or 0.0)) < 1e-6
    r = routes(day, plan)
    frozen = {}
    for v in changes["vehicles"]:
        frozen[v["vehicle"]] = [s["stop"] for s in v.get("served", [])] + (
            [v["next"]] if v.get("next") else [])
        assert r[v["vehicle"]][:len(frozen[v["vehicle"]])] == frozen[v["vehicle"]]
    served = {s for stops in r.values() for s in stops}
    assert not set(changes["cancelled"]) & served
    assert {s["id"] for s in changes["new_stops"]} <= served
    for name in changes["unavailable"]:
        assert r.get(name, []) == frozen.get(name, [])
