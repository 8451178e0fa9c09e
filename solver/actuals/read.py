"""Reading actuals: CSV text or JSON records -> ``ActualRow`` (times in plan seconds).

One row per visit: ``stop`` (a stop id, or a depot id for the route's departure from its
start depot or arrival at its end depot), ``vehicle`` (the route's vehicle name; needed
on depot rows, checked against the plan elsewhere), ``arrival`` (alias ``arrived_at``)
and ``departure``. A row with only an arrival is an "arrived at" event. Times are
seconds from the plan's origin, ISO 8601 datetimes (naive ones in the plan's zone) or a
local ``HH:MM[:SS]`` on the origin's date, read by the plan's :class:`~solver.clock.Clock`.

Rows are named as a spreadsheet numbers them (the header is row 1) or as the JSON path
(``visits[0]``). An unknown column is an error, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from solver.clock import Clock
from solver.errors import InvalidActualsError
from solver.fields import MAX_MAGNITUDE

COLUMNS = ("stop", "vehicle", "arrival", "departure")
ALIASES = {"arrived_at": "arrival", "departed_at": "departure", "stop_id": "stop",
           "vehicle_id": "vehicle"}
#: rows read at most, before any is parsed (a plan has far fewer visits)
MAX_ROWS = 100_000


@dataclass(frozen=True)
class ActualRow:
    """One reported visit; times in seconds from the plan's origin (None: not reported)."""

    where: str
    stop: str
    vehicle: str | None
    arrival: float | None
    departure: float | None


def _time(value: Any, clock: Clock, where: str, column: str) -> float | None:
    """A time cell in plan seconds; empty is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidActualsError(f"{column}: {value!r} is not a time", where)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                seconds = clock.seconds(text)
            except (ValueError, OverflowError) as exc:
                raise InvalidActualsError(f"{column}: {text!r} cannot be read ({exc})",
                                          where) from None
    if not math.isfinite(seconds) or abs(seconds) > MAX_MAGNITUDE:
        raise InvalidActualsError(f"{column}: {value!r} is not a finite time", where)
    return seconds


def _row(cells: Mapping[str, Any], clock: Clock, where: str) -> ActualRow:
    unknown = sorted(set(cells) - set(COLUMNS))
    if unknown:
        raise InvalidActualsError(f"unknown column(s) {', '.join(map(repr, unknown))}; "
                                  f"expected {', '.join(COLUMNS)}", where)
    stop = cells.get("stop")
    if stop is None or not str(stop).strip():
        raise InvalidActualsError("stop: missing", where)
    vehicle = cells.get("vehicle")
    vehicle = str(vehicle).strip() if vehicle is not None and str(vehicle).strip() else None
    arrival = _time(cells.get("arrival"), clock, where, "arrival")
    departure = _time(cells.get("departure"), clock, where, "departure")
    if arrival is None and departure is None:
        raise InvalidActualsError("give an arrival, a departure or both", where)
    return ActualRow(where, str(stop).strip(), vehicle, arrival, departure)


def _canonical(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)


def _cells(names: Sequence[str], values: Sequence[Any], where: str) -> dict[str, Any]:
    """Cells by canonical column name; a column given twice (``arrival`` and
    ``arrived_at``) is an error, not a silent choice."""
    keys = [_canonical(n) for n in names]
    if len(set(keys)) != len(keys):
        raise InvalidActualsError(f"a column is given twice: {list(names)}", where)
    return dict(zip(keys, values, strict=True))


def read_actuals_csv(text: str, clock: Clock, *, max_rows: int = MAX_ROWS) -> list[ActualRow]:
    """Rows of a CSV of actuals (header: ``stop`` and ``arrival`` and/or ``departure``,
    optionally ``vehicle``).

    Raises
    ------
    InvalidActualsError
        A missing or unknown column, an empty ``stop``, an unreadable time, a row with
        no time, or more than ``max_rows`` rows; the message names the row.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return _csv_rows(reader, clock, max_rows)
    except csv.Error as exc:  # a NUL byte, an unclosed quote, a huge cell
        raise InvalidActualsError(f"not readable as CSV ({exc})",
                                  f"row {max(reader.line_num, 1)}") from None


def _csv_rows(reader: Any, clock: Clock, max_rows: int) -> list[ActualRow]:
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InvalidActualsError("empty file: expected a header with stop, arrival, "
                                  "departure", "row 1")
    names = list(_cells(header, header, "row 1"))
    if "stop" not in names or not {"arrival", "departure"} & set(names):
        raise InvalidActualsError("the header needs 'stop' and 'arrival' and/or "
                                  "'departure'", "row 1")
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= max_rows:
            raise InvalidActualsError(f"more than {max_rows} rows", f"row {line}")
        if len(cells) != len(names):
            raise InvalidActualsError(f"{len(cells)} cells for {len(names)} columns",
                                      f"row {line}")
        rows.append(_row(dict(zip(names, cells, strict=True)), clock, f"row {line}"))
    return rows


def read_actuals_records(records: Sequence[Mapping[str, Any]], clock: Clock, *,
                         prefix: str = "visits", max_rows: int = MAX_ROWS
                         ) -> list[ActualRow]:
    """Rows of a JSON list of visits (``{"stop", "vehicle", "arrival", "departure"}``);
    errors name ``visits[k]``."""
    if len(records) > max_rows:
        raise InvalidActualsError(f"{len(records)} visits exceed the limit of {max_rows}",
                                  prefix)
    rows = []
    for k, rec in enumerate(records):
        where = f"{prefix}[{k}]"
        if not isinstance(rec, Mapping):
            raise InvalidActualsError("each visit must be an object", where)
        rows.append(_row(_cells([str(n) for n in rec], list(rec.values()), where), clock,
                         where))
    return rows
