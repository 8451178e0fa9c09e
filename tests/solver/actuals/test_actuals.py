"""Actuals: read, checked against the plan, legs, training trips (solver.actuals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solver.actuals import (
    check_actuals,
    executed_legs,
    legs_to_trips,
    plan_clock,
    read_actuals_csv,
    read_actuals_records,
)
from solver.actuals.simulate import simulate_actuals
from solver.errors import InvalidActualsError
from solver.travel.haversine import haversine_matrix
from surrogate import SyntheticCity, load_trips
from surrogate.trips.schema import SCHEMA_COLUMNS
from tests.actuals_days import actuals_csv, synthetic_day

CITY = SyntheticCity()


@pytest.fixture(scope="module")
def day():
    return synthetic_day(CITY, n_stops=12, n_vehicles=2, seed=3)


def _legs(problem, solution, text):
    rows = read_actuals_csv(text, plan_clock(problem))
    return executed_legs(check_actuals(problem, solution, rows))


def test_round_trip_actuals_to_legs_to_training_rows(day, tmp_path: Path) -> None:
    """Every leg of a fully reported day (depot out, stops, depot back) becomes one trip
    whose departure and duration are the reported times, and the trips written as CSV
    read back through the trainer's loader unchanged."""
    problem, solution = day
    records = simulate_actuals(problem, solution, CITY, seed=1)
    legset = _legs(problem, solution, actuals_csv(records))
    assert legset.skipped == {}
    assert len(legset.legs) == len(problem.stops) + len(solution.routes)
    clock = plan_clock(problem)
    origin = clock.origin.timestamp()
    by_stop = {r["stop"]: r for r in records if r["stop"] != "D"}
    for leg in legset.legs:
        if leg.to_place != "D":
            arrival = origin + clock.seconds(by_stop[leg.to_place]["arrival"])
            assert leg.departure + leg.duration_s == pytest.approx(arrival)
    trips = legs_to_trips(legset.legs, tz="Europe/Rome", source="actuals:test")
    assert list(trips.columns) == list(SCHEMA_COLUMNS)
    assert (trips["duration_s"] > 0).all() and len(trips) == len(legset.legs)
    path = tmp_path / "trips.csv"
    trips.to_csv(path, index=False)
    back, report = load_trips(path, clean=False)
    assert report.rows_in == len(trips)
    np.testing.assert_allclose(back["duration_s"], trips["duration_s"])
    np.testing.assert_allclose(back["origin_lat"], trips["origin_lat"])
    assert (back["departure"] == trips["departure"]).all()


def test_arrival_events_estimate_departures_by_the_evaluator_rule(day) -> None:
    """"Arrived at" events alone give the same legs: the departure is the arrival (or
    the window's opening) plus the service time, as the simulation drove it."""
    problem, solution = day
    full = _legs(problem, solution, actuals_csv(simulate_actuals(problem, solution, CITY, seed=2)))
    events = _legs(problem, solution, actuals_csv(simulate_actuals(problem, solution, CITY, seed=2,
                                                             arrivals_only=True)))
    assert [(g.from_place, g.to_place) for g in events.legs] == \
        [(g.from_place, g.to_place) for g in full.legs]
    np.testing.assert_allclose([g.duration_s for g in events.legs],
                               [g.duration_s for g in full.legs], atol=1.0)
    assert any(g.departure_estimated for g in events.legs)


def test_unreported_stop_skips_the_legs_around_it(day) -> None:
    """A stop left out may hide a visit: the leg that jumps over it is counted as a gap,
    not turned into a trip."""
    problem, solution = day
    records = simulate_actuals(problem, solution, CITY, seed=1)
    missing = solution.routes[0].stops[2]
    legset = _legs(problem, solution, actuals_csv([r for r in records if r["stop"] != missing]))
    assert legset.skipped == {"gap": 1}
    assert all(missing not in (g.from_place, g.to_place) for g in legset.legs)
    assert len(legset.legs) == len(problem.stops) + len(solution.routes) - 2


@pytest.mark.parametrize("edit, message", [
    (lambda rs: rs[2].update(stop="NOPE"), "row 4: unknown stop 'NOPE'"),
    (lambda rs: rs[2].update(arrival="2024-03-04T07:30:00+00:00"),
     "row 4: arrival 2024-03-04T07:30:00+00:00 is before the route's start"),
    (lambda rs: rs[3].update(departure=rs[3]["arrival"], arrival=rs[3]["departure"]),
     "row 5: departure"),
    (lambda rs: rs[4].update(stop=rs[3]["stop"]), "row 6: stop"),
    (lambda rs: rs[2].update(vehicle="van#2"), "row 4: stop"),
    (lambda rs: rs[0].update(vehicle=""), "row 2: depot 'D': a depot row needs its vehicle"),
    (lambda rs: rs[2].update(arrival="half past eight"), "row 4: arrival"),
    (lambda rs: rs[3].update(arrival=rs[2]["arrival"]), "row 5:"),
    (lambda rs: rs[2].update(vehicle="truck"), "row 4: unknown vehicle 'truck'"),
    (lambda rs: rs[5].update(departure="2024-03-12T08:00:01+00:00"),
     "row 7: departure 2024-03-12T08:00:01+00:00 is more than 7 days after"),
    (lambda rs: rs[5].update(departure="1e12"), "row 7: departure 1e+12 s from the plan's"),
    (lambda rs: rs[5].update(departure="-1e12"), "row 7: departure -1e+12 s from the plan's"),
    (lambda rs: rs[5].update(departure="9999-12-31T23:59:59-14:00"),
     "row 7: departure: '9999-12-31T23:59:59-14:00' cannot be read"),
])
def test_errors_name_the_row(day, edit, message: str) -> None:
    """Each contradiction with the plan is an InvalidActualsError naming the CSV row
    (the header is row 1)."""
    problem, solution = day
    records = [dict(r) for r in simulate_actuals(problem, solution, CITY, seed=1)]
    edit(records)
    with pytest.raises(InvalidActualsError) as err:
        _legs(problem, solution, actuals_csv(records))
    assert str(err.value).startswith(message), str(err.value)


def test_json_records_are_named_by_path(day) -> None:
    """JSON visits name the offending item as visits[k]; an unknown field is refused."""
    problem, solution = day
    clock = plan_clock(problem)
    with pytest.raises(InvalidActualsError, match=r"^visits\[1\]: unknown column"):
        read_actuals_records([{"stop": "S1", "arrival": 30000},
                              {"stop": "S2", "arrival": 30000, "gps": 1}], clock)
    rows = read_actuals_records([{"stop": "S1", "arrived_at": "09:15"}], clock)
    assert rows[0].arrival == 9.25 * 3600 and rows[0].departure is None


def test_header_needs_stop_and_a_time(day) -> None:
    """A file without the needed columns is refused at row 1."""
    problem, _ = day
    with pytest.raises(InvalidActualsError, match="^row 1:"):
        read_actuals_csv("vehicle,stop\nvan#1,S1\n", plan_clock(problem))


def test_plan_without_clock_is_refused(day) -> None:
    """Actual times cannot be placed on a plan that counts bare seconds."""
    problem, _ = day
    bare = problem.model_copy(update={"time_origin": None, "time_zone": None})
    with pytest.raises(InvalidActualsError, match="no clock"):
        plan_clock(bare)


def test_legs_that_may_hold_a_break_are_skipped(day) -> None:
    """A vehicle type with a break: the leg after which the plan put the break is
    skipped (the driver may have taken it on the road); with no schedule in the plan,
    every leg of such a route is."""
    from solver.solution import ScheduleEntry

    problem, solution = day
    vtype = problem.vehicle_types[0].model_copy(update={"breaks": [
        {"id": "lunch", "earliest_start": 0, "latest_start": 86000, "duration": 600}]})
    with_break = problem.model_copy(update={"vehicle_types": [vtype]})
    records = simulate_actuals(problem, solution, CITY, seed=1)
    route = solution.routes[0]
    schedule = [ScheduleEntry(kind="stop", id=route.stops[0], start=0, end=0),
                ScheduleEntry(kind="break", id="lunch", start=0, end=600),
                *(ScheduleEntry(kind="stop", id=s, start=0, end=0) for s in route.stops[1:])]
    timed = solution.model_copy(update={"routes": [
        route.model_copy(update={"schedule": schedule}), *solution.routes[1:]]})
    legset = _legs(with_break, timed, actuals_csv(records))
    assert legset.skipped == {"break": 1 + len(solution.routes[1].stops) + 1}
    assert (route.stops[0], route.stops[1]) not in {(g.from_place, g.to_place)
                                                     for g in legset.legs}
    untimed = _legs(with_break, solution, actuals_csv(records))
    assert untimed.skipped == {"break": len(problem.stops) + len(solution.routes)}


def test_a_plan_visiting_a_stop_twice_is_refused(day) -> None:
    """Actuals cannot be placed on a plan that visits one stop on two routes."""
    problem, solution = day
    twice = solution.model_copy(update={"routes": [
        solution.routes[0], solution.routes[1].model_copy(update={
            "stops": [*solution.routes[1].stops, solution.routes[0].stops[0]]})]})
    with pytest.raises(InvalidActualsError, match="^plan: the plan visits stop"):
        check_actuals(problem, twice, [])


def test_unreadable_csv_names_the_row(day) -> None:
    """A cell the csv module cannot read (a huge quoted cell here) is an actuals error
    naming its row, not a crash."""
    problem, _ = day
    text = "stop,arrival\nS1,09:00\nS2,\"" + "x" * 200_000 + "\"\n"
    with pytest.raises(InvalidActualsError, match="^row 3: not readable as CSV"):
        read_actuals_csv(text, plan_clock(problem))


def _shifted(records: list[dict], vehicle: str, from_index: int, seconds: float) -> list[dict]:
    """``records`` with every time of ``vehicle``'s rows from its ``from_index``-th on
    moved by ``seconds`` (the route ran that much later from there)."""
    from datetime import datetime, timedelta

    out, k = [], 0
    for r in records:
        r = dict(r)
        if r.get("vehicle") == vehicle:
            if k >= from_index:
                for key in ("arrival", "departure"):
                    if key in r:
                        r[key] = (datetime.fromisoformat(r[key])
                                  + timedelta(seconds=seconds)).isoformat()
            k += 1
        out.append(r)
    return out


def _leg_into(legset, stop: str):
    return next(g for g in legset.legs if g.to_place == stop)


def test_implausible_legs_are_skipped_by_reason(day) -> None:
    """A leg driven faster than 130 km/h over the straight line (an arrival clocked one
    second after the previous departure), one lasting over 4 hours (the route stood
    still), one at walking pace over more than a kilometre, and one of zero seconds are
    not training trips: each is skipped and counted under its reason."""
    from solver.actuals import LegBounds

    problem, solution = day
    records = simulate_actuals(problem, solution, CITY, seed=1)
    vehicle = solution.routes[0].vehicle
    rows = [r for r in records if r.get("vehicle") == vehicle]
    stop = rows[3]["stop"]
    plain = _legs(problem, solution, actuals_csv(records))
    leg = _leg_into(plain, stop)
    straight = float(haversine_matrix(np.array([[leg.origin_lat, leg.origin_lon],
                                                [leg.dest_lat, leg.dest_lon]]))[0, 1])
    assert straight > 100.0

    def skipped(recs, bounds=None):
        rows_in = read_actuals_csv(actuals_csv(recs), plan_clock(problem))
        return executed_legs(check_actuals(problem, solution, rows_in), bounds)

    fast = [dict(r) for r in records]
    at = next(r for r in fast if r.get("vehicle") == vehicle and r["stop"] == stop)
    at["arrival"] = _plus(rows[2]["departure"], 1)
    out = skipped(fast)
    assert out.skipped == {"too_fast": 1} and stop not in {g.to_place for g in out.legs}
    assert len(out.legs) == len(plain.legs) - 1

    zero = [dict(r) for r in fast]
    next(r for r in zero if r.get("stop") == stop)["arrival"] = rows[2]["departure"]
    assert skipped(zero).skipped == {"not_positive": 1}

    late = _shifted(records, vehicle, 3, 5 * 3600.0)
    assert skipped(late).skipped == {"too_long": 1}
    slow_bounds = LegBounds(min_speed_kmh=3.6 * straight / (leg.duration_s + 3600) * 1.5,
                            slow_min_m=straight - 1.0)
    assert skipped(_shifted(records, vehicle, 3, 3600.0), slow_bounds).skipped == \
        {"too_slow": 1}
    assert skipped(_shifted(records, vehicle, 3, 3600.0), LegBounds(
        min_speed_kmh=slow_bounds.min_speed_kmh, slow_min_m=straight + 1.0)).skipped == {}


def _plus(iso: str, seconds: float) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(iso) + timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize("straight, duration, reason", [
    (5000.0, 100.0, "too_fast"),        # 180 km/h
    (5000.0, 150.0, None),              # 120 km/h
    (2000.0, 7300.0, "too_slow"),       # 0.99 km/h over 2 km
    (900.0, 7300.0, None),              # as slow, but under the 1 km the rule needs
    (100.0, 4 * 3600.0 + 1, "too_long"),
    (100.0, 0.0, "not_positive"),
    (100.0, -5.0, "not_positive"),
])
def test_leg_bounds_reasons(straight: float, duration: float, reason: str | None) -> None:
    from solver.actuals import LegBounds

    assert LegBounds().why_implausible(straight, duration) == reason


def test_leg_bounds_are_checked() -> None:
    from solver.actuals import LegBounds

    with pytest.raises(ValueError, match="min_speed_kmh < max_speed_kmh"):
        LegBounds(min_speed_kmh=50.0, max_speed_kmh=40.0)
    with pytest.raises(ValueError, match="max_duration_s"):
        LegBounds(max_duration_s=0.0)
