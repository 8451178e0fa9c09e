"""Actuals: what really happened on a plan's routes, turned into training trips.

The loop that makes the learned travel times keep learning (issue 18). A driven route
reports, per visit, the actual arrival and departure, or only GPS-free "arrived at"
events. The public API, used by the API (``POST /v1/jobs/{id}/actuals``), the CLI
(``routecast travel actuals``) and retraining:

- :func:`read_actuals_csv` / :func:`read_actuals_records`: rows -> ``list[ActualRow]``
  (times in seconds from the plan's origin; a bad cell raises
  :class:`~solver.errors.InvalidActualsError` naming the row);
- :func:`check_actuals`: (problem, solution, rows) -> :class:`ExecutedDay`, every row
  checked against the plan (unknown stop, a time before the route's start, a departure
  before its arrival, overlapping visits: errors naming the row);
- :func:`executed_legs`: ExecutedDay -> ``list[Leg]`` (one per pair of consecutive
  visits that is a real trip and plausible by :class:`LegBounds`: speed, duration),
  with the count of legs skipped by reason;
- :func:`legs_to_trips`: ``list[Leg]`` -> a frame in the generic trip schema
  (:mod:`surrogate.trips.schema`), exactly what ``TravelTimeModel.fit`` reads.
"""

from solver.actuals.check import (
    ExecutedDay,
    ExecutedVisit,
    VisitPlace,
    check_actuals,
    plan_clock,
)
from solver.actuals.legs import Leg, LegBounds, LegSet, executed_legs, legs_to_trips
from solver.actuals.read import ActualRow, read_actuals_csv, read_actuals_records

__all__ = [
    "ActualRow",
    "ExecutedDay",
    "ExecutedVisit",
    "VisitPlace",
    "Leg",
    "LegBounds",
    "LegSet",
    "check_actuals",
    "executed_legs",
    "legs_to_trips",
    "plan_clock",
    "read_actuals_csv",
    "read_actuals_records",
]
