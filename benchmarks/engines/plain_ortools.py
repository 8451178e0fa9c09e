"""Plain OR-Tools, as its documentation's VRPTW example builds it: the peer to beat.

One static integer matrix (distances x 10, rounded), a capacity dimension per demand
dimension, a time dimension with windows and service times, PATH_CHEAPEST_ARC then
guided local search. No scaling analysis, no conservative rounding, no warm start.
Its routes are re-evaluated by routecast's evaluator, like every engine's.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.compile import compile_problem
from solver.problem import Problem
from solver.solution import Route, Solution, Unassigned

SCALE = 10


def solve_plain(problem: Problem, time_limit: float, solution_limit: int | None = None,
                ) -> Solution:
    """Routes found by a textbook OR-Tools model of ``problem`` within ``time_limit``."""
    c = compile_problem(problem)
    n = c.n_nodes
    vehicles = np.repeat(np.arange(c.n_types), c.type_count)
    starts = [int(c.start_depot[k]) for k in vehicles]
    ends = [int(c.end_depot[k]) for k in vehicles]
    manager = pywrapcp.RoutingIndexManager(n, len(vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    dist = np.rint(c.travel.distance * SCALE).astype(np.int64)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(dist.tolist()))
    for k, v in enumerate(vehicles):
        routing.SetFixedCostOfVehicle(int(round(c.fixed_cost[v] * SCALE)), k)
    for d in range(c.demand.shape[1]):
        dem = np.rint(c.demand[:, d]).astype(np.int64)
        caps = [int(min(c.capacity[v, d], dem.sum())) for v in vehicles]
        cb = routing.RegisterUnaryTransitVector(dem.tolist())
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
    horizon_s = float(np.nanmax(np.where(np.isfinite(c.tw), c.tw, 0)))
    if horizon_s > 0:
        transit = np.rint((c.travel.duration[0] + c.service[:, None]) * SCALE).astype(np.int64)
        horizon = int(horizon_s * SCALE) + int(transit.max() * 2)
        cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(cb, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for i in range(c.n_depots, n):
            a, b = c.tw[i, 0]
            time_dim.CumulVar(manager.NodeToIndex(i)).SetRange(
                int(a * SCALE), int(b * SCALE) if math.isfinite(b) else horizon)
        for k, v in enumerate(vehicles):
            lo, hi = c.shift[v]
            hi = int(hi * SCALE) if math.isfinite(hi) else horizon
            time_dim.CumulVar(routing.Start(k)).SetRange(int(lo * SCALE), hi)
            time_dim.CumulVar(routing.End(k)).SetRange(int(lo * SCALE), hi)
    for i in range(c.n_depots, n):
        if not c.required[i]:
            routing.AddDisjunction([manager.NodeToIndex(i)], int(c.penalty[i] * SCALE))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    assignment = routing.SolveWithParameters(params)
    routes, served = [], set()
    if assignment is not None:
        for k, v in enumerate(vehicles):
            index = assignment.Value(routing.NextVar(routing.Start(k)))
            stops = []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                stops.append(c.node_id(node))
                served.add(node)
                index = assignment.Value(routing.NextVar(index))
            if stops:
                routes.append(Route(vehicle_type=c.type_ids[v], stops=stops))
    unassigned = [Unassigned(stop=c.node_id(i), reason="NO_VEHICLE")
                  for i in range(c.n_depots, n) if i not in served and c.required[i]]
    return Solution(problem=problem.name, routes=routes, unassigned=unassigned)
