"""/v1/evaluate and bad input on operating-day problems: routes by vehicle, 422 by field."""

from __future__ import annotations

from tests.api.conftest import tiny_problem


def _day_problem() -> dict:
    problem = tiny_problem(2, capacity=10, vehicles=2)
    problem["vehicle_types"][0]["vehicle_ids"] = ["van-a", "van-b"]
    return problem


def test_evaluate_accepts_routes_by_vehicle(client) -> None:
    """A route naming only its vehicle is timed like one naming its type; a vehicle
    driving twice is a violation."""
    plan = {"routes": [{"vehicle": "van-b", "stops": ["1", "2"]}]}
    r = client.post("/v1/evaluate", json={"problem": _day_problem(), "solution": plan})
    assert r.status_code == 200 and r.json()["feasible"] is True
    twice = {"routes": [{"vehicle": "van-a", "stops": ["1"]},
                        {"vehicle": "van-a", "stops": ["2"]}]}
    r = client.post("/v1/evaluate", json={"problem": _day_problem(), "solution": twice})
    assert {v["kind"] for v in r.json()["violations"]} == {"vehicle_twice"}


def test_bad_day_input_is_a_422_naming_the_field(client) -> None:
    """HH:MM without a time_origin and max_stops 0 are 422s that name their field."""
    problem = _day_problem()
    problem["stops"][0]["time_windows"] = [{"start": "09:00", "end": "10:00"}]
    r = client.post("/v1/evaluate", json={"problem": problem, "solution": {"routes": []}})
    assert r.status_code == 422
    assert "time_windows" in str(r.json()["errors"]) and "time_origin" in str(r.json())
    problem = _day_problem()
    problem["vehicle_types"][0]["max_stops"] = 0
    r = client.post("/v1/evaluate", json={"problem": problem, "solution": {"routes": []}})
    assert r.status_code == 422 and "max_stops" in str(r.json()["errors"])
