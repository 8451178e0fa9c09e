"""Actuals' rows (:mod:`api.store.actuals`): stored with their job, replaced by a new
report, read back per owner and time window, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import numpy as np

from api.store import actuals
from solver.actuals import check_actuals, executed_legs, plan_clock, read_actuals_records
from solver.actuals.simulate import simulate_actuals
from surrogate import SyntheticCity
from surrogate.trips.schema import SCHEMA_COLUMNS
from tests.actuals_days import synthetic_day
from tests.api.store.conftest import new_job

CITY = SyntheticCity()


def _checked(seed: int, day: str = "2024-03-04"):
    problem, solution = synthetic_day(CITY, n_stops=8, n_vehicles=2, day=day, seed=seed)
    rows = read_actuals_records(simulate_actuals(problem, solution, CITY, seed=seed),
                                plan_clock(problem))
    checked = check_actuals(problem, solution, rows)
    return checked, executed_legs(checked), [r.where for r in rows]


def test_actuals_round_trip_through_the_store(sessions: Any) -> None:
    """Visits come back in the order sent, legs exactly as kept; a second report of the
    same job replaces the first; the legs read back as training trips."""
    day, legset, order = _checked(1)
    with sessions() as s:
        job = new_job(s, owner="a", body="p1")
        actuals.replace_actuals(s, job_id=job.id, owner="a", day=day, legs=legset,
                                received_at=10.0, order=order)
        s.commit()
    with sessions() as s:
        got = actuals.get_actuals(s, job_id=job.id)
    assert got is not None and got.received_at == 10.0 and got.tz == day.tz
    assert [v.where for v in got.visits] == order
    assert got.legs == legset.legs and got.skipped == legset.skipped
    day2, legset2, order2 = _checked(2)
    with sessions() as s:
        actuals.replace_actuals(s, job_id=job.id, owner="a", day=day2, legs=legset2,
                                received_at=20.0, order=order2)
        s.commit()
    with sessions() as s:
        got = actuals.get_actuals(s, job_id=job.id)
        legs, jobs = actuals.load_legs(s, owner="a")
        trips = actuals.actual_trips(s, owner="a", tz="Europe/Rome")
    assert got is not None and got.legs == legset2.legs and len(legs) == len(legset2.legs)
    assert jobs == [job.id] * len(legs)
    assert list(trips.columns) == list(SCHEMA_COLUMNS)
    np.testing.assert_allclose(trips["duration_s"], [g.duration_s for g in legs])
    assert set(trips["source"]) == {f"actuals:{job.id}"}


def test_legs_are_read_per_owner_and_window(sessions: Any) -> None:
    """Another owner's legs never show; a window and a limit pick the recent ones."""
    monday, legs_a, order_a = _checked(1, "2024-03-04")
    tuesday, legs_b, order_b = _checked(2, "2024-03-05")
    with sessions() as s:
        j1, j2, j3 = (new_job(s, owner=o, body=b) for o, b in
                      (("a", "x1"), ("a", "x2"), ("b", "x3")))
        for job, owner, day, legs, order in ((j1, "a", monday, legs_a, order_a),
                                             (j2, "a", tuesday, legs_b, order_b),
                                             (j3, "b", tuesday, legs_b, order_b)):
            actuals.replace_actuals(s, job_id=job.id, owner=owner, day=day, legs=legs,
                                    received_at=1.0, order=order)
        s.commit()
    split = min(g.departure for g in legs_b.legs)
    with sessions() as s:
        everything, _ = actuals.load_legs(s, owner="a")
        recent, jobs = actuals.load_legs(s, owner="a", departed_after=split)
        last3, _ = actuals.load_legs(s, owner="a", limit=3)
        before, _ = actuals.load_legs(s, owner="a", departed_before=split)
    assert len(everything) == len(legs_a.legs) + len(legs_b.legs)
    assert [g.departure for g in everything] == sorted(g.departure for g in everything)
    assert set(jobs) == {j2.id} and len(recent) == len(legs_b.legs)
    assert last3 == everything[-3:] and len(before) == len(legs_a.legs)
