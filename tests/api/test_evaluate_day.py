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


def test_evaluate_routes_name_their_vehicle_and_show_breaks(client) -> None:
    """Each route of the response names its vehicle (given or assigned in order) and its
    schedule lists the stops and every break (kind 'break', its id, start and end), with
    ISO times when the problem has a time_origin."""
    problem = _day_problem()
    problem["time_origin"] = "2026-03-30T00:00:00+02:00"
    problem["vehicle_types"][0]["shift"] = {"start": "08:00", "end": "18:00"}
    problem["vehicle_types"][0]["breaks"] = [
        {"id": "lunch", "earliest_start": "12:00", "latest_start": "13:00", "duration": 1800}]
    plan = {"routes": [{"vehicle": "van-b", "stops": ["1"]},
                       {"vehicle_type": "van", "stops": ["2"]}]}
    r = client.post("/v1/evaluate", json={"problem": problem, "solution": plan})
    assert r.status_code == 200, r.text
    routes = r.json()["routes"]
    assert [x["vehicle"] for x in routes] == ["van-b", "van-a"]
    for route, stop in zip(routes, ["1", "2"], strict=True):
        kinds = [(e["kind"], e["id"]) for e in route["schedule"]]
        assert sorted(kinds) == [("break", "lunch"), ("stop", stop)]
        lunch = next(e for e in route["schedule"] if e["kind"] == "break")
        assert 12 * 3600 <= lunch["start"] <= 13 * 3600
        assert lunch["end"] == lunch["start"] + 1800
        assert lunch["start_at"].startswith("2026-03-30T1")
