"""The exact schedule of a route with driver breaks or a driving-time rule (``Day.legs``).

The evaluator's semantics (``solver/evaluate.py``, re-implemented on the kernels' arrays,
sharing no code with it): a used route takes each break of its type once, in order, on a
leg (after one service, before the next; while waiting, or splitting the driving); on a
leg each break comes as late as its latest start (less what the leg's later breaks
need) and the driving rule allow; a leg's driving time is that of leaving when the
vehicle is free. Of all placements the one with the fewest violations, then the lowest
cost, then the earliest return is taken. As the evaluator, a labelling over legs finds
it: labels with the same number of breaks taken keep only the undominated ones on
(violations, time, driving since the last qualifying break, lateness cost). Routes with
breaks leave at their shift start; a type without breaks (a driving rule alone) keeps
the delayed departure of the plain walk.

Labels live in ``Legs.labels`` (kernels allocate nothing), at most ``L`` per leg; a label
that finds the list full is dropped, so past that bound the schedule is a valid placement
but may not be the evaluator's best (``instance.LABELS_PER_BREAK`` sizes it generously).
The labels after each stop are kept, per slot, for the last rows priced (``Legs.trail``):
a row that starts with the stops of one of them resumes after that prefix, whose labels
depend on nothing else. The search prices a route without one client again and again
beside each place the client may go, and places along one route share its head; the
labelling was two thirds of a break day's search (``benchmarks/results/
2026-12-06e_kernel-kinds-and-break-days.md``). A resumed labelling is the full one, label
for label.
Violations are returned as amounts, in seconds: a break's start past its latest start,
driving past the rule, lateness past ``max_late``.

``with_legs`` and ``leg_schedule`` are resolved at compile time from the type of
``inst.day`` and ``inst.day.legs``: problems without breaks and driving rule compile
``_schedule.route_schedule``'s plain walk only.
"""

import numpy as np
from numba import types
from numba.extending import overload

from solver.engines.heuristic._arcs import arc_dist, arc_time
from solver.engines.heuristic._day import limit_violation, shift_terms
from solver.engines.heuristic._jit import kernel
from solver.engines.heuristic._locks import disruption_terms
from solver.engines.heuristic._segments import row_excess

EPS = 1e-6  # the evaluator's tolerance
_OPTIONS = {"_nrt": False}  # as every kernel (see _jit)
# label fields
TAKEN, TIME, DRIVEN, BAD, LATE_COST, BREAK_OVER, LATE_OVER, WAIT, DELAY = range(9)
LABEL_FIELDS = 9


def _legged(inst) -> bool:
    day = inst.types[inst.fields.index("day")]
    if isinstance(day, types.NoneType):
        return False
    return not isinstance(day.types[day.fields.index("legs")], types.NoneType)


def with_legs(inst):
    """Whether ``inst`` has breaks or a driving rule (a compile-time constant)."""
    raise NotImplementedError("with_legs is a kernel helper")


def leg_schedule(inst, k, row, length):
    """``_schedule.route_schedule``'s tuple by the labelling (zeros where ``with_legs``
    is False: never called there)."""
    raise NotImplementedError("leg_schedule is a kernel helper")


def bound_by_segments(inst, k):
    """Whether the segment data, priced with a time-warp weight of minus ``k``'s cost per
    second and no load penalty, bound from below the exact cost of a route of type ``k``
    (``_moves.exact_apply``'s screen). They do where ``k`` has breaks and travel is
    static: its routes then leave at the shift start, so by the segments' semantics they
    end no earlier than ``duration - time_warp`` after it (each warp only puts the
    segments' clock back), on the same durations, with breaks that only add time; every
    other exact term (lateness and overtime costs, violations, disruption) is >= 0, and
    distance and fixed costs are the same. False without breaks."""
    raise NotImplementedError("bound_by_segments is a kernel helper")


@overload(bound_by_segments, jit_options=_OPTIONS)
def _bound_by_segments(inst, k):
    if _legged(inst):
        return lambda inst, k: (inst.day.legs.break_count[k] > 0
                                and inst.slice_starts.shape[0] == 1)
    return lambda inst, k: False


@overload(with_legs, jit_options=_OPTIONS)
def _with_legs(inst):
    if _legged(inst):
        return lambda inst: True
    return lambda inst: False


@overload(leg_schedule, jit_options=_OPTIONS)
def _leg_schedule(inst, k, row, length):
    if _legged(inst):
        return lambda inst, k, row, length: labelled(inst, k, row, length)
    return lambda inst, k, row, length: (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@kernel
def labelled(inst, k, row, length):
    """``(cost, distance, duration, load_excess, late, shift_over, duration_over,
    limit_over, break_over)`` of ``row[:length]`` on type ``k``: the module docstring."""
    legs = inst.day.legs
    s, start = resume(legs.trail, k, row, length)
    # lab[p]: the labels before stop p (its row ``width`` grows a label, the next one
    # holds their count and the distance so far); those before ``start`` are the slot's
    lab = legs.labels[s]
    width = lab.shape[1] - 2
    n_breaks = legs.break_count[k]
    excess = row_excess(inst, k, row, length)
    if start == 0:
        for f in range(LABEL_FIELDS):
            lab[0, 0, f] = 0.0
        lab[0, 0, TIME] = inst.shift_early[k]
        lab[0, 0, DRIVEN] = legs.driving[k, 2]  # a started vehicle's, else 0
        lab[0, 0, DELAY] = np.inf
        lab[0, width + 1, 0] = 1.0
        lab[0, width + 1, 1] = 0.0
    count = np.int64(lab[start, width + 1, 0])
    distance = lab[start, width + 1, 1]
    prev = inst.start_depot[k] if start == 0 else row[start - 1]
    for p in range(start, length + 1):
        stop = row[p] if p < length else -1
        node = stop if p < length else inst.end_depot[k]
        distance += arc_dist(inst, prev, node)
        src, dst = lab[p], lab[p + 1]
        grown = 0
        for a in range(count):
            left = n_breaks - np.int64(src[a, TAKEN])
            drive = arc_time(inst, prev, node, src[a, TIME])
            for m in range(left if stop < 0 else 0, left + 1):
                slot = min(grown, width)
                leg(inst, k, src[a], m, drive, stop, dst[slot])
                grown = keep(dst, grown, width)
        count = grown
        dst[width + 1, 0] = count
        dst[width + 1, 1] = distance
        prev = node
    end = lab[length + 1]
    best = 0
    for a in range(1, count):
        if better(inst, k, end[a], end[best]):
            best = a
    chosen = end[best]
    end_time = chosen[TIME]
    over, overtime_cost, shift_over = shift_terms(inst, k, end_time)
    depart = inst.shift_early[k]
    if n_breaks == 0 and inst.slice_starts.shape[0] == 1:
        delay = min(chosen[DELAY], chosen[WAIT] + max(-over, 0.0))
        depart += max(min(delay, chosen[WAIT]), 0.0)
    duration = end_time - depart
    dur_over = duration - inst.max_dur[k]
    dur_over = dur_over if dur_over > EPS else 0.0
    cost = inst.fixed[k] + inst.cost_dist[k] * distance + inst.cost_time[k] * duration
    cost += chosen[LATE_COST] + overtime_cost
    limit_over = limit_violation(inst, k, length, distance)
    return (cost, distance, duration, excess, chosen[LATE_OVER], shift_over, dur_over,
            limit_over, chosen[BREAK_OVER])


@kernel
def resume(trail, k, row, length):
    """``(slot, steps)``: the slot whose last row on type ``k`` shares the longest head
    with ``row[:length]``, and that head's length (the labels before it are the slot's);
    with none, the least recently used slot and 0. The slot then holds ``row``.
    ``trail[s]``: type, length, last use, then the row; ``trail[-1, 0]``: the clock."""
    slots = trail.shape[0] - 1
    best, steps = -1, 0
    for s in range(slots):
        if trail[s, 0] != k:
            continue
        same, stored = 0, trail[s, 1]
        while same < min(length, stored) and trail[s, 3 + same] == row[same]:
            same += 1
        if same > steps:
            best, steps = s, same
    if best < 0:
        best = 0
        for s in range(1, slots):
            if trail[s, 2] < trail[best, 2]:
                best = s
    trail[-1, 0] += 1
    trail[best, 0], trail[best, 1], trail[best, 2] = k, length, trail[-1, 0]
    for p in range(steps, length):
        trail[best, 3 + p] = row[p]
    return best, steps


@kernel
def better(inst, k, a, b):
    """Label ``a`` is the evaluator's choice over ``b`` at the route's end: fewer
    violations, then lower cost, then earlier return."""
    if a[BAD] != b[BAD]:
        return a[BAD] < b[BAD]
    end = inst.day.shift_end[k]
    rate, over_rate = inst.cost_time[k], inst.day.overtime_cost[k]
    cost_a = a[LATE_COST] + over_rate * max(a[TIME] - end, 0.0) + rate * a[TIME]
    cost_b = b[LATE_COST] + over_rate * max(b[TIME] - end, 0.0) + rate * b[TIME]
    if cost_a != cost_b:
        return cost_a < cost_b
    return a[TIME] < b[TIME]


@kernel
def dominates(a, b):
    return (a[TAKEN] == b[TAKEN] and a[BAD] <= b[BAD] and a[TIME] <= b[TIME]
            and a[DRIVEN] <= b[DRIVEN] and a[LATE_COST] <= b[LATE_COST])


@kernel
def keep(labels, n, width):
    """Add the label in row ``min(n, width)`` to ``labels[:n]`` unless one of them
    dominates it, dropping those it dominates (order kept, as the evaluator's list);
    returns the new count. When no row is left the newcomer is dropped."""
    new = labels[min(n, width)]
    for a in range(n):
        if dominates(labels[a], new):
            return n
    kept = 0
    for a in range(n):
        if not dominates(new, labels[a]):
            if kept != a:
                copy_row(labels, a, kept)
            kept += 1
    if kept == width:
        return kept
    if kept != n:
        copy_row(labels, min(n, width), kept)
    return kept + 1


@kernel
def copy_row(labels, src, dst):
    for f in range(labels.shape[1]):
        labels[dst, f] = labels[src, f]


@kernel
def leg(inst, k, src, m, drive, stop, dst):
    """``dst`` = label ``src`` after a leg of ``drive`` seconds that takes the next ``m``
    breaks, then the service at ``stop`` (-1: the return to the depot)."""
    legs = inst.day.legs
    limit, resets = legs.driving[k, 0], legs.driving[k, 1]
    first = np.int64(src[TAKEN])
    t, left, driven = src[TIME], drive, src[DRIVEN]
    bad, break_over = src[BAD], src[BREAK_OVER]
    for q in range(first, first + m):
        earliest, latest, length = legs.breaks[k, q, 0], legs.breaks[k, q, 1], legs.breaks[k, q, 2]
        cap = legs.breaks[k, first + m - 1, 1]  # the latest start leaving room for the
        for j in range(first + m - 2, q - 1, -1):  # leg's later breaks
            cap = min(legs.breaks[k, j, 1], cap - legs.breaks[k, j, 2])
        qualifies = length + EPS >= resets
        room = limit - driven  # driving before any break counts until a qualifying one
        before = max(min(left, cap - t, room), 0.0)
        t, left, driven = t + before, left - before, driven + before
        begin = max(t, earliest)
        if begin > latest + EPS:
            bad += 1.0
            break_over += begin - latest
        t = begin + length
        if qualifies:
            driven = 0.0
    t, driven = t + left, driven + left
    if driven > limit + EPS:
        bad += 1.0
        break_over += driven - limit
    late_cost, late_over = src[LATE_COST], src[LATE_OVER]
    wait, delay = src[WAIT], src[DELAY]
    if stop >= 0:
        begin, slack, found = t, 0.0, False
        for w in range(inst.tw_count[stop]):
            if inst.tw[stop, w, 1] + EPS >= t:
                begin = max(t, inst.tw[stop, w, 0])
                slack = max(inst.tw[stop, w, 1] - begin, 0.0)
                found = True
                break
        if not found:
            lateness = t - inst.tw[stop, inst.tw_count[stop] - 1, 1]
            late_cost += inst.day.late_cost[stop] * lateness
            if lateness > inst.day.max_late[stop] + EPS:
                bad += 1.0
                late_over += lateness - inst.day.max_late[stop]
        late_cost += disruption_terms(inst, k, stop, begin)  # a replan's, else 0
        wait += begin - t
        delay = min(delay, wait + slack)
        t = begin + inst.service[stop]
    dst[TAKEN] = first + m
    dst[TIME] = t
    dst[DRIVEN] = driven
    dst[BAD] = bad
    dst[LATE_COST] = late_cost
    dst[BREAK_OVER] = break_over
    dst[LATE_OVER] = late_over
    dst[WAIT] = wait
    dst[DELAY] = delay
