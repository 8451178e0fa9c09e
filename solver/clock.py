"""Clock times: a problem's ``time_origin`` and the conversions to and from seconds.

A problem without an origin works in bare seconds, as before. With one, any time in it may
be written as seconds from the origin, as an ISO 8601 datetime, or as a local ``"HH:MM"``
on the origin's date in its zone. Strings are converted once, while the problem is
validated, with ``zoneinfo`` (so a day that crosses a DST change counts real seconds).

``parsing_clock`` makes the problem's clock visible to the field validators of its
nested models while Pydantic validates them (a context variable, set by ``Problem``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CLOCK: ContextVar[Clock | None] = ContextVar("routecast_clock", default=None)
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$")

CLOCK_TIME_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "description": "with a time_origin: an ISO 8601 datetime "
         "(with offset, or local to time_zone) or a local 'HH:MM' on the origin's date"},
        {"type": "string", "enum": ["Infinity"]},
    ],
    "examples": [3600, "09:30", "2026-03-29T14:00:00+02:00"],
}


@dataclass(frozen=True)
class Clock:
    """The origin instant (aware, in UTC) and the zone local times are read in."""

    origin: datetime
    zone: tzinfo

    @classmethod
    def parse(cls, origin: str, zone: str | None) -> Clock:
        """``origin``: an ISO datetime with offset, or a date (then ``zone`` is required)."""
        tz = _zone(zone) if zone is not None else None
        try:
            when = datetime.fromisoformat(origin)
        except ValueError:
            raise ValueError(f"time_origin: {origin!r} is not an ISO 8601 date or datetime") \
                from None
        if len(origin.strip()) <= 10:  # a bare date: local midnight in the zone
            if tz is None:
                raise ValueError("time_zone: a time_origin given as a date needs an IANA "
                                 "time_zone (e.g. 'Europe/Berlin')")
            when = datetime.combine(date.fromisoformat(origin.strip()), time(), tz)
        elif when.tzinfo is None:
            if tz is None:
                raise ValueError("time_origin: a datetime needs an offset (e.g. +01:00) or "
                                 "a time_zone")
            when = when.replace(tzinfo=tz)
        # kept in UTC: Python subtracts aware datetimes of one zone object by wall time
        return cls(origin=when.astimezone(UTC), zone=tz if tz is not None else when.tzinfo)

    def seconds(self, text: str) -> float:
        """Seconds from the origin of ``text`` (ISO datetime or local ``HH:MM[:SS]``)."""
        match = _HHMM.match(text.strip())
        if match:
            h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
            day = self.origin.astimezone(self.zone).date() + timedelta(days=h // 24)
            when = _local(datetime.combine(day, time(h % 24, m, s)), self.zone, text)
        else:
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text!r} is neither seconds, an ISO 8601 datetime nor "
                                 "'HH:MM'") from None
            if when.tzinfo is None:
                when = _local(when, self.zone, text)
        return (when.astimezone(UTC) - self.origin).total_seconds()

    def iso(self, seconds: float) -> str:
        """The local ISO 8601 datetime ``seconds`` after the origin (to the second)."""
        when = (self.origin + timedelta(seconds=round(seconds))).astimezone(self.zone)
        return when.isoformat()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time_zone: unknown IANA time zone {name!r}") from None


def _local(naive: datetime, zone: tzinfo, text: str) -> datetime:
    """``naive`` in ``zone``; a wall time skipped by a DST change is an error."""
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise ValueError(f"{text!r} does not exist in {zone} on {naive.date()} (DST change)")
    return aware


@contextmanager
def parsing_clock(clock: Clock | None) -> Iterator[None]:
    """Let time fields read ``clock`` while a problem validates (see the module doc)."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


def to_seconds(value: object) -> object:
    """A time field's value in seconds: strings through the problem's clock."""
    if not isinstance(value, str) or value.strip().lower() in {"infinity", "inf"}:
        return value
    try:
        return float(value)
    except ValueError:
        pass
    clock = _CLOCK.get()
    if clock is None:
        raise ValueError(f"clock time {value!r} needs the problem's time_origin")
    return clock.seconds(value)
