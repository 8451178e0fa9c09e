"""Segment concatenation for O(1) move evaluation (Vidal et al. 2013, sec. 3.3; Vidal 2022).

A segment is the tuple ``(first, last, distance, duration, time_warp, earliest, latest)``:
duration includes service and waiting, ``earliest``/``latest`` bound the start of service
at ``first`` for a schedule without extra waiting or time warp. Multi-window stops use the
hull of their windows here; the exact schedule (``_schedule``) settles them.
"""

from solver.engines.heuristic._arcs import arc_dist, arc_dur
from solver.engines.heuristic._jit import kernel

EPS = 1e-6  # the evaluator's tolerance


@kernel
def node_seg(inst, i):
    return (i, i, 0.0, inst.service[i], 0.0, inst.tw_early[i], inst.tw_late[i])


@kernel
def depot_seg(inst, k, start):
    """The start (``start=True``) or end depot of type ``k``, open during its shift."""
    d = inst.start_depot[k] if start else inst.end_depot[k]
    return (d, d, 0.0, 0.0, 0.0, inst.shift_early[k], inst.shift_late[k])


@kernel
def merge(inst, a, b):
    """Concatenate segments ``a`` then ``b`` (PyVRP's DurationSegment::merge)."""
    edge = arc_dur(inst, a[1], b[0])
    diff = a[3] - a[4] + edge
    wait = max(b[5] - diff - a[6], 0.0)
    warp = max(a[5] + diff - b[6], 0.0)
    return (
        a[0],
        b[1],
        a[2] + b[2] + arc_dist(inst, a[1], b[0]),
        a[3] + b[3] + edge + wait,
        a[4] + b[4] + warp,
        max(b[5] - diff, a[5]) - wait,
        min(b[6] - diff, a[6]) + warp,
    )


@kernel
def route_cost(inst, pen, k, seg, excess):
    """Penalised cost and raw violation of a depot-to-depot segment on type ``k``."""
    warp = seg[4] + max(seg[3] - inst.max_dur[k], 0.0)
    cost = inst.fixed[k] + inst.cost_dist[k] * seg[2] + inst.cost_time[k] * seg[3]
    return cost + pen[0] * excess + pen[1] * warp, excess + warp


@kernel
def excess_load(inst, k, load):
    total = 0.0
    for d in range(load.shape[0]):
        total += max(load[d] - inst.capacity[k, d], 0.0)
    return total


@kernel
def row_excess(inst, k, row, length):
    """Load of ``row[:length]`` beyond type ``k``'s capacity, summed over dimensions
    (counted past the evaluator's tolerance only): the exact schedules' load term."""
    excess = 0.0
    for d in range(inst.capacity.shape[1]):
        total = 0.0
        for p in range(length):
            total += inst.demand[row[p], d]
        if total > inst.capacity[k, d] + EPS:
            excess += total - inst.capacity[k, d]
    return excess
