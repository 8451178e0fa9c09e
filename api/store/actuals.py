"""Actuals' rows: what really happened on a solve job's routes, and its training legs.

The API for whoever learns from them (retraining, drift):

- :func:`replace_actuals` stores a job's checked visits and kept legs (a new report of a
  job replaces the previous one);
- :func:`get_actuals` reads one job's report back;
- :func:`load_legs` reads an owner's legs in a departure window, oldest first (with
  ``limit``: the most recent ones), as :class:`solver.actuals.Leg` plus their job ids;
- :func:`actual_trips` is the same as a frame in the generic trip schema (what
  ``TravelTimeModel.fit`` reads), ``source`` = ``"actuals:<job id>"``.

Every read is scoped to an ``owner``; the caller resolves the job inside its owner's
space first (:func:`api.store.jobs.get_job`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.store.tables import ActualLegRow, ActualsRow, ActualVisitRow
from solver.actuals import ExecutedDay, ExecutedVisit, Leg, LegSet, legs_to_trips

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class StoredActuals:
    """One job's actuals as stored: visits in the order sent, kept legs, skipped counts."""

    job_id: str
    received_at: float
    tz: str
    visits: list[ExecutedVisit]
    legs: list[Leg]
    skipped: dict[str, int]


def replace_actuals(session: Session, *, job_id: str, owner: str, day: ExecutedDay,
                    legs: LegSet, received_at: float, order: Sequence[str] = ()) -> None:
    """Store ``day``'s visits and ``legs`` as the actuals of ``job_id`` (replacing any
    earlier ones). ``order`` lists the rows as sent (``visit.where``) so that reads give
    them back in that order; by default the visits' time order. The caller commits."""
    session.execute(delete(ActualsRow).where(ActualsRow.job_id == job_id))
    session.execute(delete(ActualVisitRow).where(ActualVisitRow.job_id == job_id))
    session.execute(delete(ActualLegRow).where(ActualLegRow.job_id == job_id))
    session.add(ActualsRow(job_id=job_id, owner=owner, received_at=received_at, tz=day.tz,
                           skipped_json=json.dumps(legs.skipped)))
    session.flush()
    rank = {w: k for k, w in enumerate(order)}
    visits = sorted(day.visits, key=lambda v: rank.get(v.where, len(rank)))
    session.add_all(ActualVisitRow(
        job_id=job_id, position=k, source_row=v.where, vehicle=v.vehicle, place=v.place,
        kind=v.kind, plan_position=v.position, lat=v.lat, lon=v.lon, arrival=v.arrival,
        departure=v.departure, departure_estimated=v.departure_estimated)
        for k, v in enumerate(visits))
    session.add_all(ActualLegRow(
        job_id=job_id, owner=owner, vehicle=g.vehicle, from_place=g.from_place,
        to_place=g.to_place, from_row=g.from_row, to_row=g.to_row, origin_lat=g.origin_lat,
        origin_lon=g.origin_lon, dest_lat=g.dest_lat, dest_lon=g.dest_lon,
        departure=g.departure, duration_s=g.duration_s,
        departure_estimated=g.departure_estimated) for g in legs.legs)


def _leg(row: ActualLegRow) -> Leg:
    return Leg(row.vehicle, row.from_place, row.to_place, row.origin_lat, row.origin_lon,
               row.dest_lat, row.dest_lon, row.departure, row.duration_s,
               row.departure_estimated, row.from_row, row.to_row)


def get_actuals(session: Session, *, job_id: str) -> StoredActuals | None:
    """The stored actuals of a job (already resolved in its owner's space), or None."""
    head = session.get(ActualsRow, job_id)
    if head is None:
        return None
    visits = session.scalars(select(ActualVisitRow).where(ActualVisitRow.job_id == job_id)
                             .order_by(ActualVisitRow.position)).all()
    legs = session.scalars(select(ActualLegRow).where(ActualLegRow.job_id == job_id)
                           .order_by(ActualLegRow.id)).all()
    return StoredActuals(
        job_id, head.received_at, head.tz,
        [ExecutedVisit(v.vehicle, v.place, v.kind, v.plan_position,  # type: ignore[arg-type]
                       v.lat, v.lon, v.source_row, v.arrival, v.departure,
                       v.departure_estimated) for v in visits],
        [_leg(g) for g in legs], json.loads(head.skipped_json))


def count_actual_legs(session: Session, *, owner: str) -> int:
    """The number of legs of ``owner``'s actuals (checked before a retrain is queued)."""
    return int(session.scalar(select(func.count()).select_from(ActualLegRow)
                              .where(ActualLegRow.owner == owner)) or 0)


def load_legs(session: Session, *, owner: str, departed_after: float | None = None,
              departed_before: float | None = None, limit: int | None = None
              ) -> tuple[list[Leg], list[str]]:
    """``owner``'s legs departing in ``[departed_after, departed_before)`` (UNIX
    seconds), oldest first, and the job id of each. With ``limit``, the most recent
    ``limit`` legs of the window."""
    query = select(ActualLegRow).where(ActualLegRow.owner == owner)
    if departed_after is not None:
        query = query.where(ActualLegRow.departure >= departed_after)
    if departed_before is not None:
        query = query.where(ActualLegRow.departure < departed_before)
    query = query.order_by(ActualLegRow.departure.desc(), ActualLegRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = list(session.scalars(query).all())[::-1]
    return [_leg(r) for r in rows], [r.job_id for r in rows]


def actual_trips(session: Session, *, owner: str, departed_after: float | None = None,
                 departed_before: float | None = None, limit: int | None = None,
                 tz: str = "UTC") -> pd.DataFrame:
    """:func:`load_legs` as training trips (generic schema, departures in ``tz``)."""
    legs, jobs = load_legs(session, owner=owner, departed_after=departed_after,
                           departed_before=departed_before, limit=limit)
    return legs_to_trips(legs, tz=tz, source=[f"actuals:{j}" for j in jobs])
