"""Slow, obviously correct plain-Python references of the engine kernels (stumpy style)."""

from __future__ import annotations

import math


def time_warp_schedule(dist, dur, service, early, late, shift, nodes, start, end):
    """Distance and minimal time warp of a route that leaves ``start`` at ``shift[0]``,
    waits for windows and travels back in time when late (Vidal et al. 2013, sec. 3.3:
    leaving as early as possible minimises the total time warp)."""
    t, prev, distance, warp = shift[0], start, 0.0, 0.0
    for i in list(nodes) + [end]:
        distance += dist[prev][i]
        t += dur[prev][i]
        lo, hi = (early[i], late[i]) if i != end else (shift[0], shift[1])
        if t > hi:
            warp += t - hi
            t = hi
        t = max(t, lo) + (service[i] if i != end else 0.0)
        prev = i
    return distance, warp


def forward_slack_duration(dur, service, early, late, shift, nodes, start, end):
    """Duration of a feasible single-window route left as late as it stays feasible: the
    latest departure is found by bisection (feasibility is monotone in the departure)."""
    def simulate(depart):
        t, prev, ok = depart, start, True
        for i in nodes:
            t = max(t + dur[prev][i], early[i])
            ok &= t <= late[i] + 1e-9
            t += service[i]
            prev = i
        t += dur[prev][end]
        return t, ok and t <= shift[1] + 1e-9

    lo, hi = shift[0], shift[1]
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if simulate(mid)[1] else (lo, mid)
    return simulate(lo)[0] - lo


def route_load_excess(demand, capacity, nodes):
    """Sum over dimensions of the load above capacity."""
    dims = len(capacity)
    return sum(max(sum(demand[i][d] for i in nodes) - capacity[d], 0.0) for d in range(dims))


def step_travel_time(duration, starts, i, j, depart, step=1e-3):
    """Arrival minus departure by small time steps through the slices (Ichoua et al. 2003:
    speed is constant inside a slice)."""
    t, done = depart, 0.0
    while done < 1.0:
        s = max(k for k, b in enumerate(starts) if b <= t)
        d = duration[s][i][j]
        if d <= 0:
            return t - depart
        nxt = starts[s + 1] if s + 1 < len(starts) else math.inf
        dt = min(step, nxt - t, (1.0 - done) * d)
        done += dt / d
        t += dt
    return t - depart


def day_route_reference(problem, stop_ids):
    """(feasible, cost, end time) of one route of ``problem``'s only vehicle type, by
    brute force: every order-keeping placement of its breaks on legs and every integer
    amount of driving before each break (durations must be integers), keeping the
    placement with no violation and the lowest cost, then the earliest return. Routes
    without breaks must have ``cost_per_time`` 0 (their delayed departure is not modelled
    here)."""
    from itertools import combinations_with_replacement, product

    vtype = problem.vehicle_types[0]
    ids = problem.travel.locations
    mat = problem.travel.duration
    stops = {s.id: s for s in problem.stops}
    route = ["D"] + list(stop_ids) + ["D"]
    legs = len(route) - 1
    rule = vtype.driving
    shift_end = vtype.shift.end
    distance = sum(problem.travel.distance[ids.index(a)][ids.index(b)]
                   for a, b in zip(route, route[1:], strict=False))
    best = None
    for where in combinations_with_replacement(range(legs), len(vtype.breaks)):
        on_leg = [[b for b, w in zip(vtype.breaks, where, strict=True) if w == leg] for leg in range(legs)]
        drives = [int(mat[ids.index(a)][ids.index(b)]) for a, b in zip(route, route[1:], strict=False)]
        choices = [list(product(range(d + 1), repeat=len(on_leg[leg])))
                   for leg, d in enumerate(drives)]
        for split in product(*choices):
            ok, t, driven, late_cost = True, vtype.shift.start, 0.0, 0.0
            for leg in range(legs):
                left, done = drives[leg], 0
                for b, before in zip(on_leg[leg], split[leg], strict=True):
                    if before < done:  # cumulative amounts must not decrease
                        ok = False
                    step = before - done
                    t, driven, left, done = t + step, driven + step, left - step, before
                    start = max(t, b.earliest_start)
                    ok &= start <= b.latest_start + 1e-9
                    if rule is not None:
                        ok &= driven <= rule.max_driving + 1e-9
                        if b.duration >= rule.break_duration:
                            driven = 0.0
                    t = start + b.duration
                t, driven = t + left, driven + left
                if rule is not None:
                    ok &= driven <= rule.max_driving + 1e-9
                if leg < legs - 1:
                    s = stops[route[leg + 1]]
                    w = s.time_windows[0]
                    late = max(t - w.end, 0.0)
                    ok &= late <= s.lateness_limit + 1e-9
                    late_cost += s.late_cost * late
                    t = max(t, w.start) + s.service_time
            overtime = max(t - shift_end, 0.0)
            ok &= overtime <= vtype.max_overtime + 1e-9
            ok &= vtype.max_stops is None or len(stop_ids) <= vtype.max_stops
            ok &= distance <= vtype.max_distance + 1e-9
            cost = (vtype.fixed_cost + vtype.cost_per_distance * distance + late_cost
                    + vtype.overtime_cost * overtime
                    + vtype.cost_per_time * (t - vtype.shift.start))
            key = (not ok, cost, t)
            if best is None or key < best:
                best = key
    return (not best[0], best[1], best[2])
