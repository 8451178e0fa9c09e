"""Retrain jobs' store reads: how many actual legs an owner has, before a retrain is queued.

A retrain job's own row is a ``trainings`` row (``api.store.trainings``, kind
``retrain``); its trips are the owner's actuals (``api.store.actuals.actual_trips``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.store.tables import ActualLegRow


def count_actual_legs(session: Session, *, owner: str) -> int:
    """The number of legs of ``owner``'s actuals (training trips from executed routes)."""
    return int(session.scalar(select(func.count()).select_from(ActualLegRow)
                              .where(ActualLegRow.owner == owner)) or 0)
