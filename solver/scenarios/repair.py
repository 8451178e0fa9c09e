"""Carry a base plan over to a variant: the warm start a variant's solve begins from.

Routes keep their order. Stops the variant no longer has are dropped; routes of vehicle
types it no longer has, or beyond a type's new count, are dissolved (the smallest
first); stops at the end of an overloaded route are taken off until it fits. Every stop
left without a route (new stops, dissolved ones, those the base left out) is then put
where it adds the least distance, in a route with room and the skills, or in a new route
while a vehicle type has vehicles to spare. Time windows are not checked: the result is
a starting point for the search, which the evaluator judges like any other plan.
"""

from __future__ import annotations

import numpy as np

from solver.problem import Problem
from solver.solution import ReasonCode, Route, Solution, Unassigned
from solver.travel.base import TravelTensor
from solver.travel.build import node_ids


def repair(base: Solution, problem: Problem, travel: TravelTensor) -> Solution:
    """``base``'s routes adapted to ``problem`` (see the module docstring)."""
    stops = {s.id: s for s in problem.stops}
    types = {v.id: v for v in problem.vehicle_types}
    node = {i: k for k, i in enumerate(node_ids(problem))}
    dims = problem.n_dims

    routes: list[tuple[str, list[str]]] = []
    for r in base.routes:
        kept = [s for s in r.stops if s in stops]
        if r.vehicle_type in types and kept:
            routes.append((r.vehicle_type, kept))
    for tid, vtype in types.items():  # too many routes of a type: dissolve the smallest
        mine = sorted((k for k, (t, _) in enumerate(routes) if t == tid),
                      key=lambda k: (len(routes[k][1]), k))
        for k in mine[: max(len(mine) - vtype.count, 0)]:
            routes[k] = (tid, [])
    routes = [(t, seq) for t, seq in routes if seq]

    def load(seq: list[str]) -> np.ndarray:
        return np.array([sum(stops[s].demand[d] for s in seq) for d in range(dims)])

    for k, (tid, seq) in enumerate(routes):  # overloaded: take stops off the end
        cap = np.array(types[tid].capacity)
        while seq and np.any(load(seq) > cap + 1e-9):
            seq = seq[:-1]
        routes[k] = (tid, seq)
    routes = [(t, seq) for t, seq in routes if seq]

    routed = {s for _, seq in routes for s in seq}
    dist = travel.distance
    loads = [load(seq) for _, seq in routes]
    left: list[str] = []
    for sid in (s.id for s in problem.stops if s.id not in routed):
        stop, i = stops[sid], node[sid]
        demand = np.array(stop.demand)
        best: tuple[float, int, int] | None = None
        for k, (tid, seq) in enumerate(routes):
            vtype = types[tid]
            if not set(stop.skills) <= set(vtype.skills):
                continue
            if np.any(loads[k] + demand > np.array(vtype.capacity) + 1e-9):
                continue
            path = [node[vtype.start_depot], *(node[s] for s in seq), node[vtype.end]]
            a, b = np.array(path[:-1]), np.array(path[1:])
            delta = dist[a, i] + dist[i, b] - dist[a, b]
            p = int(np.argmin(delta))
            if best is None or delta[p] < best[0]:
                best = (float(delta[p]), k, p)
        if best is None:
            best = _open_route(stop, types, routes, node, dist)
            if best is None:
                left.append(sid)
                continue
            routes.append((best[1], []))
            loads.append(np.zeros(dims))
            best = (0.0, len(routes) - 1, 0)
        _, k, p = best
        routes[k][1].insert(p, sid)
        loads[k] = loads[k] + demand

    unassigned = [Unassigned(stop=s, reason=ReasonCode.NO_VEHICLE) for s in left]
    return Solution(problem=problem.name,
                    routes=[Route(vehicle_type=t, stops=seq) for t, seq in routes],
                    unassigned=unassigned)


def _open_route(stop, types, routes, node, dist) -> tuple[float, str] | None:
    """The vehicle type with a spare vehicle whose round trip to ``stop`` is shortest."""
    used: dict[str, int] = {}
    for tid, _ in routes:
        used[tid] = used.get(tid, 0) + 1
    options = []
    i = node[stop.id]
    for tid, v in types.items():
        fits = all(d <= c + 1e-9 for d, c in zip(stop.demand, v.capacity, strict=True))
        if used.get(tid, 0) < v.count and fits and set(stop.skills) <= set(v.skills):
            trip = float(dist[node[v.start_depot], i] + dist[i, node[v.end]])
            options.append((trip + v.fixed_cost, tid))
    return min(options) if options else None
