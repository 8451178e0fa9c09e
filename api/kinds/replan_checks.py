"""Checks of a replan request before any work, beyond those the day problem's own
validation runs (``solver.replan.validate``: unknown stops and vehicles, times after
``now``, locks against the reference): what the parent plan froze stays frozen, ``now``
does not go back, a served stop is not cancelled, and the locks of a vehicle fit its
capacity and stop limit. Each failure is a 422 naming the item of ``changes``.
"""

from __future__ import annotations

import math
import re

from api.http_errors import ApiProblem, path_loc
from solver.problem import Problem
from solver.replan.changes import Changes

# "in_progress.locks[0] (fixed on 'a'): ..." -> the path, then what follows it
_PATH = re.compile(r"^([A-Za-z_][\w.\[\]]*)(?=: | \()")
TOLERANCE = 1e-9


def changes_error(path: str, msg: str) -> ApiProblem:
    """A 422 naming ``path`` (a dotted path into the request body)."""
    return ApiProblem(422, "invalid-changes", "Invalid changes", f"{path}: {msg}",
                      errors=[{"loc": ["body", *path_loc(path)], "path": path, "msg": msg,
                               "type": "value_error"}])


def from_value_error(exc: ValueError) -> ApiProblem:
    """The 422 of an error of ``apply_changes`` or of the day problem's validation, whose
    ``in_progress`` paths are the request's ``changes`` (its other paths are kept)."""
    text = str(exc)
    match = _PATH.match(text)
    if match is None:
        return changes_error("changes", text)
    path = match.group(1)
    if path == "in_progress" or path.startswith("in_progress."):
        path = "changes" + path.removeprefix("in_progress")
    return changes_error(path, text[match.end():].removeprefix(": "))


def check_lineage(parent: Problem, changes: Changes) -> None:
    """No served stop is cancelled; a replan of a replan keeps its parent's frozen visits
    (each started vehicle lists them first) and its ``now`` is not earlier."""
    served = {sid: j for j, v in enumerate(changes.vehicles) for sid in v.frozen}
    for j, sid in enumerate(changes.cancelled):
        if sid in served:
            raise changes_error(f"changes.cancelled[{j}]", f"stop {sid!r} is served or under "
                                f"way (changes.vehicles[{served[sid]}]); it cannot be "
                                "cancelled")
    ip = parent.in_progress
    if ip is None:
        return
    if changes.now < ip.now:
        raise changes_error("changes.now", f"{changes.now:g} is before the parent plan's "
                            f"now ({ip.now:g})")
    listed = {v.vehicle: (j, v.frozen) for j, v in enumerate(changes.vehicles)}
    for name, kept in ip.frozen().items():
        j, frozen = listed.get(name, (None, []))
        if frozen[:len(kept)] != kept:
            where = "changes.vehicles" if j is None else f"changes.vehicles[{j}]"
            raise changes_error(where, f"vehicle {name!r} has the frozen stops {kept} in the "
                                f"parent plan, got {frozen}; list them first (served, or "
                                "the stop it drives to): a replan never drops a frozen visit")


def check_locks_fit(day: Problem) -> None:
    """Refuse locks that keep more on a vehicle than its capacity or ``max_stops`` has
    left (with what it has already served or carries), naming the lock that overflows."""
    ip = day.in_progress
    assert ip is not None
    types = {v.vehicle_name(k): v for v in day.vehicle_types for k in range(v.count)}
    stops = {s.id: s for s in day.stops}
    states = {v.vehicle: v for v in ip.vehicles}
    load: dict[str, list[float]] = {}
    count: dict[str, int] = {}
    for k, lock in enumerate(ip.locks):
        vtype, state = types[lock.vehicle], states.get(lock.vehicle)
        done = state.frozen if state is not None else []
        if lock.vehicle not in load:
            load[lock.vehicle] = list(state.load) if state is not None and state.load \
                is not None else [math.fsum(stops[s].demand[d] for s in done)
                                  for d in range(len(vtype.capacity))]
            count[lock.vehicle] = len(done)
        extra = [s for s in ip.locked_stops(k) if s not in done]
        count[lock.vehicle] += len(extra)
        where = f"changes.locks[{k}]"
        what = f"{lock.kind} lock on {lock.vehicle!r}"
        for d, cap in enumerate(vtype.capacity):
            load[lock.vehicle][d] += math.fsum(stops[s].demand[d] for s in extra)
            if load[lock.vehicle][d] > cap + TOLERANCE:
                raise changes_error(where, f"{what}: its vehicle would carry "
                                    f"{load[lock.vehicle][d]:g} of capacity dimension {d}, "
                                    f"more than its {cap:g} (infeasible lock)")
        if vtype.max_stops is not None and count[lock.vehicle] > vtype.max_stops:
            raise changes_error(where, f"{what}: its vehicle would serve "
                                f"{count[lock.vehicle]} stops, more than its max_stops "
                                f"{vtype.max_stops} (infeasible lock)")
