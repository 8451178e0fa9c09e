"""The one way a status changes: a conditional UPDATE from the legal sources only.

``WHERE status IN (legal sources)`` makes two processes racing for the same row unable to
both win, on SQLite as on PostgreSQL. Jobs and scenario runs both move through
:func:`move`; they differ only in what a refused move means (an error for a job, an
ignored late event for a run).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session


class StoreError(Exception):
    """Base of the store's own errors."""


class JobNotFoundError(StoreError, LookupError):
    """No such job, or it belongs to someone else (the two are indistinguishable)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id!r} not found")


class IllegalTransitionError(StoreError):
    """A status change that the lifecycle does not allow (e.g. cancelling a finished job)."""

    def __init__(self, job_id: str, current: str, target: str) -> None:
        self.job_id, self.current, self.target = job_id, current, target
        super().__init__(f"job {job_id!r} is {current}; it cannot become {target}")


class IdempotencyConflictError(StoreError):
    """An Idempotency-Key reused with a different request body."""

    def __init__(self, key: str, job_id: str) -> None:
        self.key, self.job_id = key, job_id
        super().__init__(f"Idempotency-Key {key!r} was used for job {job_id!r} with a "
                         "different body")


def sources_of(target: str, transitions: Mapping[str, Collection[str]]) -> list[str]:
    """The statuses from which ``target`` may be reached."""
    return [s for s, targets in transitions.items() if target in targets]


def move(
    session: Session, table: Any, where: list[ColumnElement[bool]], target: str,
    transitions: Mapping[str, Collection[str]], *, sources: Collection[str] | None = None,
    **values: Any,
) -> bool:
    """Set ``table.status = target`` (and ``values``) on the row ``where`` selects, if its
    status may move there (narrowed to ``sources`` when given). True when it moved; the
    caller commits or rolls back."""
    legal = sources_of(target, transitions)
    if sources is not None:
        legal = [s for s in legal if s in sources]
    done = session.execute(update(table).where(*where, table.status.in_(legal))
                           .values(status=target, **values))
    return done.rowcount == 1  # type: ignore[attr-defined]
