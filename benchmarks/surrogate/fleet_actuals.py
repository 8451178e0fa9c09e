"""A fleet's actuals in the synthetic city: the legs its vans report, as training trips.

Each weekday from ``start`` the fleet drives one day of ``tests.actuals_days.synthetic_day``
(stops where the city's trips are, a sweep plan, shifts from 08:00) in ``city``; the
visits it would report (``solver.actuals.simulate``) go through the same reading, checks
and legs as real actuals (``POST /v1/jobs/{id}/actuals``) and become trips tagged
``actuals:<day>``. A traffic change is another city (``dataclasses.replace``).
"""

from __future__ import annotations

import pandas as pd

from solver.actuals import (
    check_actuals,
    executed_legs,
    legs_to_trips,
    plan_clock,
    read_actuals_records,
)
from solver.actuals.simulate import simulate_actuals
from surrogate import SyntheticCity
from tests.actuals_days import synthetic_day


def fleet_trips(city: SyntheticCity, *, start: str, days: int, n_stops: int = 60,
                n_vehicles: int = 5, seed: int = 0) -> pd.DataFrame:
    """The legs of ``days`` weekdays of driving from ``start`` as trips (generic schema)."""
    frames = []
    dates = pd.bdate_range(start, periods=days)
    for k, date in enumerate(dates):
        day = date.strftime("%Y-%m-%d")
        problem, plan = synthetic_day(city, n_stops=n_stops, n_vehicles=n_vehicles, day=day,
                                      seed=seed * 1000 + k)
        records = simulate_actuals(problem, plan, city, seed=seed * 1000 + k)
        rows = read_actuals_records(records, plan_clock(problem))
        legs = executed_legs(check_actuals(problem, plan, rows))
        frames.append(legs_to_trips(legs.legs, tz=city.tz, source=f"actuals:{day}"))
    return pd.concat(frames, ignore_index=True)
