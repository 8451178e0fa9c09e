"""The operating-day terms of the exact schedule: soft windows, overtime, route limits.

Each helper is resolved at compile time from the type of ``inst.day`` (as ``_arcs``
does with ``inst.xy``): with ``day`` None the plain terms (hard windows, hard shift end,
no route limits) compile to what the schedule computed before these features existed,
so plain problems pay nothing for them. ``beyond_arcs`` also asks ``inst.time_bound``
(routes paid per second), at run time.

Semantics are the evaluator's (``solver/evaluate.py``): a late stop is served on arrival,
late by arrival minus its last window's end, paying ``late_cost`` per second; lateness
past ``max_late`` is a violation. A return past the shift end is overtime, paid per
second and a violation past ``max_overtime``. Route limits are violations; the kernels
weigh them as seconds of time warp: one stop too many as the longest arc's duration, and
a unit of distance too far as the longest duration per unit of the longest distance.
"""

import numpy as np
from numba import types
from numba.extending import overload

from solver.engines.heuristic._arcs import arc_dist, arc_dur
from solver.engines.heuristic._jit import kernel
from solver.engines.heuristic._segments import excess_load

EPS = 1e-6  # the evaluator's tolerance
_OPTIONS = {"_nrt": False}  # as every kernel (see _jit)


def _plain(inst) -> bool:
    return isinstance(inst.types[inst.fields.index("day")], types.NoneType)


def late_terms(inst, i, lateness):
    """``(cost, violation)`` of serving ``i`` late by ``lateness`` (> the tolerance)."""
    raise NotImplementedError("late_terms is a kernel helper")


def shift_terms(inst, k, end_time):
    """``(return minus shift end, overtime cost, violation)`` of type ``k`` back at
    ``end_time``."""
    raise NotImplementedError("shift_terms is a kernel helper")


def limit_violation(inst, k, length, distance):
    """The route limits' violation, in seconds of time warp (module docstring)."""
    raise NotImplementedError("limit_violation is a kernel helper")


def beyond_arcs(inst, st, pen, r):
    """What of ``st.cost[r]`` a move can remove besides fixed costs and what the route's
    arcs cost (``_moves.prune_limit``): the penalties (and lateness and overtime costs);
    where time is priced (``inst.time_bound``) also the cost of the route's time beyond
    travel and service (waiting, breaks), since its duration is never less."""
    raise NotImplementedError("beyond_arcs is a kernel helper")


def segments_trusted(inst, exact_cost, exact_viol, approx_cost, approx_viol):
    """Whether a route's segment data may screen moves (see ``_moves.screen``)."""
    raise NotImplementedError("segments_trusted is a kernel helper")


@overload(late_terms, jit_options=_OPTIONS)
def _late_terms(inst, i, lateness):
    if _plain(inst):
        return lambda inst, i, lateness: (0.0, lateness)

    def soft(inst, i, lateness):
        over = lateness - inst.day.max_late[i]
        return inst.day.late_cost[i] * lateness, over if over > EPS else 0.0

    return soft


@overload(shift_terms, jit_options=_OPTIONS)
def _shift_terms(inst, k, end_time):
    if _plain(inst):
        def hard(inst, k, end_time):
            over = end_time - inst.shift_late[k]
            return over, 0.0, over if over > EPS else 0.0

        return hard

    def overtime(inst, k, end_time):
        over = end_time - inst.day.shift_end[k]
        extra = max(over, 0.0)
        beyond = extra - inst.day.max_overtime[k]
        return over, inst.day.overtime_cost[k] * extra, beyond if beyond > EPS else 0.0

    return overtime


@overload(limit_violation, jit_options=_OPTIONS)
def _limit_violation(inst, k, length, distance):
    if _plain(inst):
        return lambda inst, k, length, distance: 0.0

    def limits(inst, k, length, distance):
        out = 0.0
        if length > inst.day.max_stops[k]:
            out += (length - inst.day.max_stops[k]) * max(inst.longest_dur, 1.0)
        far = distance - inst.day.max_distance[k]
        if far > EPS:
            out += far * max(inst.longest_dur, 1.0) / max(inst.longest_dist, 1e-9)
        return out

    return limits


@overload(segments_trusted, jit_options=_OPTIONS)
def _segments_trusted(inst, exact_cost, exact_viol, approx_cost, approx_viol):
    if _plain(inst):
        # time-dependent travel or gaps between windows: the segments must not find less
        # violation than the exact schedule
        return lambda inst, exact_cost, exact_viol, approx_cost, approx_viol: (
            exact_viol <= approx_viol + 1e-6)

    def lower_bound(inst, exact_cost, exact_viol, approx_cost, approx_viol):
        # the day's segment data leave out lateness and overtime costs and the route
        # limits (and see soft windows and overtime as open), so on routes without time
        # warp they price no higher than the exact schedule: a move they reject between
        # routes they price exactly then cannot improve them
        return exact_cost <= approx_cost + 1e-6 * max(1.0, np.abs(approx_cost))

    return lower_bound


@overload(beyond_arcs, jit_options=_OPTIONS, inline="always")  # see _jit: hot in try_pair
def _beyond_arcs(inst, st, pen, r):
    if _plain(inst):
        def penalties(inst, st, pen, r):
            if inst.time_bound:
                return cost_beyond_arcs(inst, st, r)
            if st.viol[r] <= 0.0:
                return 0.0
            excess = excess_load(inst, inst.route_type[r], st.load[r])
            return pen[0] * excess + pen[1] * max(st.viol[r] - excess, 0.0)

        return penalties

    def all_but_arcs(inst, st, pen, r):
        return cost_beyond_arcs(inst, st, r)

    return all_but_arcs


@kernel
def cost_beyond_arcs(inst, st, r):
    """Route ``r``'s cost less its fixed and distance costs, and where time is priced
    (``inst.time_bound``) less its travel time and service time costs too."""
    m = st.length[r]
    if m == 0:
        return 0.0
    k = inst.route_type[r]
    start, end = inst.start_depot[k], inst.end_depot[k]
    first, last = st.nodes[r, 0], st.nodes[r, m - 1]
    distance = arc_dist(inst, start, first) + st.suf[first, 0] + arc_dist(inst, last, end)
    out = st.cost[r] - inst.fixed[k] - inst.cost_dist[k] * distance
    if inst.time_bound:
        busy, prev = arc_dur(inst, last, end), start
        for p in range(m):
            cur = st.nodes[r, p]
            busy += arc_dur(inst, prev, cur) + inst.service[cur]
            prev = cur
        out -= inst.cost_time[k] * busy
    return max(out, 0.0)
