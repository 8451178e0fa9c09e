"""The evaluator's route schedule: travel over time slices, and the breaks placed by a
labelling over legs (see :mod:`solver.evaluate` for the semantics it implements).

Apart from the evaluator so that module stays one concept; like it, it shares no code
with any engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.problem import Stop, VehicleType
from solver.travel.build import Travel

EPS = 1e-6


@dataclass(frozen=True)
class BreakVisit:
    """A break in a route's schedule (``kind`` 'break' in every output)."""

    id: str
    start: float
    end: float


def travel_time(travel: Travel, i: int, j: int, depart: float) -> float:
    """Arrival minus departure from ``i`` to ``j`` leaving at ``depart`` (FIFO-integrated).

    Reads one arc at a time, so dense and coordinate-only travel are judged alike.
    """
    starts = travel.slice_starts
    if len(starts) == 1:
        return travel.arc_duration(0, i, j)
    s = max(int(np.searchsorted(starts, depart, side="right")) - 1, 0)
    t, remaining = depart, 1.0
    while True:
        d = travel.arc_duration(s, i, j)
        if d <= 0.0:
            return t - depart
        boundary = float(starts[s + 1]) if s + 1 < len(starts) else math.inf
        if t + remaining * d <= boundary:
            return t + remaining * d - depart
        remaining -= (boundary - t) / d
        t, s = boundary, s + 1


@dataclass(frozen=True)
class Leg:
    """What happened on one leg: its breaks, the visit it ends at, its violations."""

    breaks: tuple[BreakVisit, ...]
    visit: tuple[float, float, float, float, float] | None  # arrival, start, wait, slack,
    #   lateness; None on the way back to the depot
    violations: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class Label:
    """A partial schedule up to some node: ``taken`` breaks, free again at ``time``."""

    taken: int
    time: float
    driven: float  # driving since the last qualifying break
    bad: int  # violations so far
    late_cost: float
    parent: Label | None = None
    leg: Leg | None = None


def best_schedule(vtype: VehicleType, route_stops: list[Stop], node: dict[str, int],
                   travel: Travel, shift_start: float, shift_end: float,
                   origin: int) -> Label:
    """The schedule of the module docstring: a labelling over legs, where labels with the
    same breaks taken keep only the undominated (violations, time, driving, lateness
    cost) ones; without breaks there is one label per leg, the plain walk."""
    # a route may start with driving since its last break (a re-planned started vehicle)
    driven = vtype.driving.driven_at_start if vtype.driving is not None else 0.0
    labels = [Label(0, shift_start, driven, 0, 0.0)]
    prev = origin
    n_breaks = len(vtype.breaks)
    for k in range(len(route_stops) + 1):
        stop = route_stops[k] if k < len(route_stops) else None
        cur = node[stop.id] if stop is not None else node[vtype.end]
        grown = []
        for lab in labels:
            left = n_breaks - lab.taken
            for m in ([left] if stop is None else range(left + 1)):
                grown.append(_leg(vtype, lab, m, stop, travel_time(travel, prev, cur,
                                                                   lab.time)))
        labels = _undominated(grown)
        prev = cur

    def total(lab: Label) -> tuple[int, float, float]:
        overtime = max(lab.time - shift_end, 0.0)
        return (lab.bad, lab.late_cost + vtype.overtime_cost * overtime
                + vtype.cost_per_time * lab.time, lab.time)

    return min(labels, key=total)


def _leg(vtype: VehicleType, lab: Label, m: int, stop: Stop | None, drive: float) -> Label:
    """Extend ``lab`` by one leg of ``drive`` seconds taking its next ``m`` breaks."""
    rule = vtype.driving
    max_driving = rule.max_driving if rule is not None else math.inf
    resets = rule.break_duration if rule is not None else math.inf
    t, left, driven, bad = lab.time, drive, lab.driven, lab.bad
    taken: list[BreakVisit] = []
    violations: list[tuple[str, str, float]] = []
    arrived = None
    on_leg = vtype.breaks[lab.taken: lab.taken + m]
    # the latest each break may start so that the ones after it on this leg still can
    latest = [b.latest_start for b in on_leg]
    for q in range(len(on_leg) - 2, -1, -1):
        latest[q] = min(latest[q], latest[q + 1] - on_leg[q].duration)
    for b, cap in zip(on_leg, latest, strict=True):
        room = max_driving - driven  # driving before any break counts until a qualifying one
        before = max(min(left, cap - t, room), 0.0)
        t, left, driven = t + before, left - before, driven + before
        if left <= 0.0 and arrived is None:
            arrived = t
        begin = max(t, b.earliest_start)
        if begin > b.latest_start + EPS:
            bad += 1
            violations.append(("break", f"break {b.id!r} starts at {begin:g}, after its "
                               f"latest start {b.latest_start:g}", begin - b.latest_start))
        t = begin + b.duration
        taken.append(BreakVisit(b.id, begin, t))
        if b.duration + EPS >= resets:
            driven = 0.0
    if arrived is None:
        t, driven = t + left, driven + left
        arrived = t
    if driven > max_driving + EPS:
        bad += 1
        violations.append(("driving", f"{driven:g} s of driving without a break of "
                           f"{resets:g} s (max {max_driving:g})", driven - max_driving))
    visit = None
    late_cost = lab.late_cost
    if stop is not None:
        window = next((w for w in stop.time_windows if w.end + EPS >= t), None)
        lateness, slack = 0.0, 0.0
        if window is None:
            lateness = t - stop.time_windows[-1].end
            late_cost += stop.late_cost * lateness
            begin = t
            if lateness > stop.lateness_limit + EPS:
                bad += 1
                limit = (f" (max lateness {stop.lateness_limit:g})"
                         if stop.lateness_limit > 0 else "")
                violations.append(("time_window", f"stop {stop.id!r} reached at {t:g}, "
                                   f"{lateness:g} after its last window closed{limit}",
                                   lateness - stop.lateness_limit))
        else:
            begin = max(t, window.start)
            slack = max(window.end - begin, 0.0)
        visit = (arrived, begin, begin - t, slack, lateness)
        t = begin + stop.service_time
    return Label(lab.taken + m, t, driven, bad, late_cost, lab,
                  Leg(tuple(taken), visit, tuple(violations)))


def _undominated(labels: list[Label]) -> list[Label]:
    """Labels no other label with the same breaks taken beats on every count (first kept)."""
    kept: list[Label] = []
    for lab in labels:
        if not any(o.taken == lab.taken and o.bad <= lab.bad and o.time <= lab.time
                   and o.driven <= lab.driven and o.late_cost <= lab.late_cost
                   for o in kept):
            kept = [o for o in kept if not (
                o.taken == lab.taken and lab.bad <= o.bad and lab.time <= o.time
                and lab.driven <= o.driven and lab.late_cost <= o.late_cost)]
            kept.append(lab)
    return kept


def path(label: Label) -> list[Leg]:
    """The legs from the route's start to ``label``."""
    legs = []
    while label.parent is not None:
        legs.append(label.leg)
        label = label.parent
    return legs[::-1]
