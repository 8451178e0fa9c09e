"""The exact schedule of one route, with the evaluator's semantics (solver/evaluate.py).

Departure at shift start; time-dependent travel integrated across slices (Ichoua,
Gendreau & Potvin 2003); service at the opening of the first window not yet closed, or on
arrival when late; with static travel the departure is delayed by Savelsbergh's forward
slack. Soft windows, overtime and route limits (``_day``) and a replan's disruption
(``_locks``) are priced where a problem has them; breaks and the driving-time rule
(``_legs``) replace the walk by a labelling over legs, chosen at compile time. Used to
verify moves on multi-window, time-dependent or operating-day problems
and to price the final routes. Kernels never raise: violations are returned as amounts.
"""

import numpy as np

from solver.engines.heuristic._arcs import arc_dist, arc_time
from solver.engines.heuristic._day import late_terms, limit_violation, shift_terms
from solver.engines.heuristic._jit import kernel
from solver.engines.heuristic._legs import leg_schedule, with_legs
from solver.engines.heuristic._locks import disruption_terms
from solver.engines.heuristic._segments import row_excess

EPS = 1e-6


@kernel
def route_schedule(inst, k, row, length):
    """``(cost, distance, duration, load_excess, late, shift_over, duration_over,
    limit_over, break_over)``.

    ``cost`` is fixed + per-distance + per-time cost (+ lateness and overtime costs)
    without penalties; the violation amounts count only beyond the evaluator's tolerance
    (``limit_over``: the route limits, see ``_day``; ``break_over``: breaks and the
    driving rule, see ``_legs``).
    """
    if with_legs(inst):
        return leg_schedule(inst, k, row, length)
    t = inst.shift_early[k]
    prev = inst.start_depot[k]
    distance = 0.0
    late = 0.0
    late_cost = 0.0
    cum_wait = 0.0
    best_delay = np.inf
    excess = row_excess(inst, k, row, length)
    for p in range(length):
        cur = row[p]
        distance += arc_dist(inst, prev, cur)
        arrival = t + arc_time(inst, prev, cur, t)
        begin = arrival
        slack = 0.0
        found = False
        for w in range(inst.tw_count[cur]):
            if inst.tw[cur, w, 1] + EPS >= arrival:
                begin = max(arrival, inst.tw[cur, w, 0])
                slack = max(inst.tw[cur, w, 1] - begin, 0.0)
                found = True
                break
        if not found:
            paid, beyond = late_terms(inst, cur, arrival - inst.tw[cur, inst.tw_count[cur] - 1, 1])
            late_cost += paid
            late += beyond
        late_cost += disruption_terms(inst, k, cur, begin)
        cum_wait += begin - arrival
        best_delay = min(best_delay, cum_wait + slack)
        t = begin + inst.service[cur]
        prev = cur
    end = inst.end_depot[k]
    distance += arc_dist(inst, prev, end)
    end_time = t + arc_time(inst, prev, end, t)
    over, overtime_cost, shift_over = shift_terms(inst, k, end_time)
    best_delay = min(best_delay, cum_wait + max(-over, 0.0))
    depart = inst.shift_early[k]
    if inst.slice_starts.shape[0] == 1:
        depart += max(min(best_delay, cum_wait), 0.0)
    duration = end_time - depart
    dur_over = duration - inst.max_dur[k]
    dur_over = dur_over if dur_over > EPS else 0.0
    cost = inst.fixed[k] + inst.cost_dist[k] * distance + inst.cost_time[k] * duration
    cost += late_cost + overtime_cost
    limit_over = limit_violation(inst, k, length, distance)
    return cost, distance, duration, excess, late, shift_over, dur_over, limit_over, 0.0


@kernel
def best_insertion(inst, k, row, m, u, buf):
    """``(cost increase, position)`` of the cheapest insertion of ``u`` into ``row[:m]`` on
    type ``k`` that the exact schedule finds feasible, or ``(inf, -1)``; ``buf`` holds
    ``m + 1`` nodes. An empty route (``m == 0``) costs nothing before."""
    base = route_schedule(inst, k, row, m)[0] if m > 0 else 0.0
    best, best_p = np.inf, -1
    for p in range(m + 1):
        for x in range(p):
            buf[x] = row[x]
        buf[p] = u
        for x in range(p, m):
            buf[x + 1] = row[x]
        cost, _, _, excess, late, over, dur_over, limit, brk = route_schedule(inst, k, buf, m + 1)
        if excess + late + over + dur_over + limit + brk <= 0.0 and cost - base < best:
            best, best_p = cost - base, p
    return best, best_p
