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
