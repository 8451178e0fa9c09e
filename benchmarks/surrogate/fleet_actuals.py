"""A fleet's actuals in the synthetic city: the legs its vans report, as training trips.

Each weekday from ``start`` the fleet drives one day of ``tests.actuals_days.synthetic_day``
(stops where the city's trips are, a sweep plan, shifts from 08:00) in ``city``; the
visits it would report (``solver.actuals.simulate``) go through the same reading, checks
and legs as real actuals (``POST /v1/jobs/{id}/actuals``) and become trips tagged
``actuals:<day>``. A traffic change is another city (``dataclasses.replace``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from solver.actuals import (
    ExecutedDay,
    LegSet,
    check_actuals,
    executed_legs,
    legs_to_trips,
    plan_clock,
    read_actuals_records,
)
from solver.actuals.simulate import simulate_actuals
from surrogate import SyntheticCity
from tests.actuals_days import synthetic_day


def fleet_days(city: SyntheticCity, *, start: str, days: int, n_stops: int = 60,
               n_vehicles: int = 5, seed: int = 0
               ) -> Iterator[tuple[str, ExecutedDay, LegSet, list[str]]]:
    """Each weekday's (date, checked visits, legs, rows as sent), as the service stores
    them (``api.store.actuals.replace_actuals``)."""
    for k, date in enumerate(pd.bdate_range(start, periods=days)):
        day = date.strftime("%Y-%m-%d")
        problem, plan = synthetic_day(city, n_stops=n_stops, n_vehicles=n_vehicles, day=day,
                                      seed=seed * 1000 + k)
        records = simulate_actuals(problem, plan, city, seed=seed * 1000 + k)
        rows = read_actuals_records(records, plan_clock(problem))
        executed = check_actuals(problem, plan, rows)
        yield day, executed, executed_legs(executed), [r.where for r in rows]


def fleet_trips(city: SyntheticCity, *, start: str, days: int, n_stops: int = 60,
                n_vehicles: int = 5, seed: int = 0) -> pd.DataFrame:
    """The legs of ``days`` weekdays of driving from ``start`` as trips (generic schema)."""
    return pd.concat([legs_to_trips(legs.legs, tz=city.tz, source=f"actuals:{day}")
                      for day, _, legs, _ in fleet_days(city, start=start, days=days,
                                                         n_stops=n_stops,
                                                         n_vehicles=n_vehicles, seed=seed)],
                     ignore_index=True)
