"""Legs between consecutive executed visits -> training trips (the generic trip schema).

A leg from visit ``a`` to the next visit ``b`` of one vehicle (in time order) is a trip
departing when ``a`` was left and lasting until ``b`` was reached. It is kept only when
it is a real trip of the street network:

- ``no_departure`` / ``no_arrival``: ``a`` has no departure or ``b`` no arrival;
- ``gap``: the route has unreported stops and ``b`` does not follow ``a`` in the plan
  (an unreported visit may lie between);
- ``break``: the plan put a driver break right after ``a`` (or the route has breaks and
  the plan carries no schedule), so the leg may hold the break;
- ``same_place``: both ends at one point;
- ``not_positive``: the leg lasts zero seconds or less (a departure reported at the
  next arrival, or the estimated departure of an "arrived at" event not before it);
- ``too_long``: it lasts more than ``LegBounds.max_duration_s`` (the van was parked, or
  a visit went unreported);
- ``too_fast``: its speed over the straight line exceeds ``max_speed_kmh`` (a road is
  never shorter than the straight line, so the van would have driven faster still: a
  clock or a stop is wrong);
- ``too_slow``: its speed over a straight line of at least ``slow_min_m`` is below
  ``min_speed_kmh`` (walking pace over a long leg: the van stood somewhere on the way).

The last four are the plausibility filter (:class:`LegBounds`): one bad clock makes a
training trip that teaches the model nonsense, and a retrain on it would be judged on
more of the same. The skipped legs are counted by reason, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from solver.actuals.check import ExecutedDay, ExecutedVisit
from solver.travel.haversine import haversine_matrix

if TYPE_CHECKING:  # only legs_to_trips builds a DataFrame; api.settings imports LegBounds,
    import pandas as pd  # and with it every CLI solve (issue 15: pandas is seconds cold)

SKIP_REASONS = ("no_departure", "no_arrival", "gap", "break", "same_place", "not_positive",
                "too_long", "too_fast", "too_slow")


@dataclass(frozen=True)
class LegBounds:
    """What a driven leg may look like (the service's ``actuals_*`` settings).

    The defaults suit road vehicles in and around a city: at most 130 km/h over the
    straight line (motorway speed on a road that would have to be straight), at least
    1 km/h over a straight line of 1 km or more (shorter legs may be slow for good
    reasons: one-way streets, finding the door), at most 4 hours.
    """

    min_speed_kmh: float = 1.0
    slow_min_m: float = 1000.0
    max_speed_kmh: float = 130.0
    max_duration_s: float = 4 * 3600.0

    def __post_init__(self) -> None:
        if not (0 <= self.min_speed_kmh < self.max_speed_kmh and self.slow_min_m >= 0
                and self.max_duration_s > 0):
            raise ValueError(
                f"leg bounds: need 0 <= min_speed_kmh < max_speed_kmh, slow_min_m >= 0 "
                f"and max_duration_s > 0, got {self}")

    def why_implausible(self, straight_m: float, duration_s: float) -> str | None:
        """The skip reason of a leg of ``duration_s`` over ``straight_m``, or None."""
        if duration_s <= 0:
            return "not_positive"
        if duration_s > self.max_duration_s:
            return "too_long"
        kmh = 3.6 * straight_m / duration_s
        if kmh > self.max_speed_kmh:
            return "too_fast"
        if straight_m >= self.slow_min_m and kmh < self.min_speed_kmh:
            return "too_slow"
        return None


@dataclass(frozen=True)
class Leg:
    """One driven leg: where from and to, when it left (UNIX seconds) and how long it took.

    ``from_row`` / ``to_row`` name the actuals' rows the leg comes from.
    """

    vehicle: str
    from_place: str
    to_place: str
    origin_lat: float
    origin_lon: float
    dest_lat: float
    dest_lon: float
    departure: float
    duration_s: float
    departure_estimated: bool = False
    from_row: str = ""
    to_row: str = ""


@dataclass(frozen=True)
class LegSet:
    """The kept legs and the count of skipped ones by reason (``SKIP_REASONS``)."""

    legs: list[Leg]
    skipped: dict[str, int] = field(default_factory=dict)


def _why_not(a: ExecutedVisit, b: ExecutedVisit, complete: bool,
             breaks: frozenset[int] | None, bounds: LegBounds) -> str | None:
    if a.departure is None:
        return "no_departure"
    if b.arrival is None:
        return "no_arrival"
    if not complete and b.position != a.position + 1:
        return "gap"
    if breaks is None or a.position in breaks:
        return "break"
    if (a.lat, a.lon) == (b.lat, b.lon):
        return "same_place"
    straight = float(haversine_matrix(np.array([[a.lat, a.lon], [b.lat, b.lon]]))[0, 1])
    return bounds.why_implausible(straight, b.arrival - a.departure)


def executed_legs(day: ExecutedDay, bounds: LegBounds | None = None) -> LegSet:
    """The legs of every route of ``day`` that are real, plausible trips (``bounds``,
    default :class:`LegBounds`), and the skipped counts."""
    bounds = bounds or LegBounds()
    legs: list[Leg] = []
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    for vehicle, visits in day.routes.items():
        reported = sum(v.kind == "stop" for v in visits)
        complete = reported == day.planned_stops.get(vehicle, -1)
        breaks = day.breaks_after.get(vehicle, frozenset())
        for a, b in zip(visits, visits[1:], strict=False):
            why = _why_not(a, b, complete, breaks, bounds)
            if why is not None:
                skipped[why] += 1
                continue
            assert a.departure is not None and b.arrival is not None  # _why_not checked
            legs.append(Leg(vehicle, a.place, b.place, a.lat, a.lon, b.lat, b.lon,
                            a.departure, b.arrival - a.departure, a.departure_estimated,
                            a.where, b.where))
    return LegSet(legs, {k: n for k, n in skipped.items() if n})


def legs_to_trips(legs: Sequence[Leg], *, tz: str = "UTC",
                  source: str | Sequence[str] = "actuals") -> pd.DataFrame:
    """Training trips in the generic schema (:mod:`surrogate.trips.schema`), one per leg.

    ``departure`` is tz-aware in ``tz``; ``distance_m`` is unknown (NaN); ``source`` tags
    the provenance (for example ``"actuals:<job id>"``; one string, or one per leg). The frame goes to
    ``TravelTimeModel.fit`` as is, or next to other trips after ``tz_convert``.
    """
    import pandas as pd

    from surrogate.trips.schema import conform

    unix = np.array([g.departure for g in legs], dtype=np.float64)
    departure = pd.Series(pd.to_datetime(np.round(unix * 1e6).astype(np.int64), unit="us",
                                         utc=True)).dt.tz_convert(tz)
    frame = pd.DataFrame({
        "origin_lat": [g.origin_lat for g in legs], "origin_lon": [g.origin_lon for g in legs],
        "dest_lat": [g.dest_lat for g in legs], "dest_lon": [g.dest_lon for g in legs],
        "departure": departure.astype(f"datetime64[ns, {tz}]"),
        "duration_s": np.array([g.duration_s for g in legs], dtype=np.float64),
        "distance_m": np.nan, "source": source if isinstance(source, str) else list(source),
    })
    return conform(frame, where="actuals")
