"""VROOM (pyvroom) at its highest exploration level with a timeout."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from solver.compile import compile_problem
from solver.problem import Problem
from solver.solution import Route, Solution

SCALE = 10  # VROOM takes integer costs: DIMACS one-decimal distances x 10 stay exact


def available() -> bool:
    try:
        import vroom  # noqa: F401
    except ImportError:
        return False
    return True


def solve(path: Path, problem: Problem, budget: float, seed: int) -> Solution:
    """One vehicle type, one depot (the benchmark sets); windows and service included."""
    import vroom

    compiled = compile_problem(problem)
    matrix = np.rint(compiled.travel.distance * SCALE).astype(np.uint32)
    vt = problem.vehicle_types[0]
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=matrix)
    cap = [int(c) for c in vt.capacity]
    shift = compiled.shift[0]
    tw = vroom.TimeWindow(int(shift[0] * SCALE), int(min(shift[1], 2**31 / SCALE) * SCALE))
    for k in range(min(vt.count, compiled.n_clients)):
        inp.add_vehicle(vroom.Vehicle(id=k, start=0, end=0, capacity=vroom.Amount(cap), time_window=tw))
    for k, stop in enumerate(problem.stops, start=compiled.n_depots):
        windows = [vroom.TimeWindow(int(w.start * SCALE), int(min(w.end, 2**31 / SCALE) * SCALE))
                   for w in stop.time_windows]
        inp.add_job(vroom.Job(id=k, location=k, delivery=vroom.Amount([int(d) for d in stop.demand]),
                              default_service=int(stop.service_time * SCALE),
                              time_windows=windows))
    sol = inp.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=budget))
    routes = []
    frame = sol.routes
    for vid in sorted(set(frame["vehicle_id"])):
        jobs = frame[(frame["vehicle_id"] == vid) & (frame["type"] == "job")]["id"]
        stops = [compiled.node_id(int(j)) for j in jobs]
        if stops:
            routes.append(Route(vehicle_type=vt.id, stops=stops))
    return Solution(problem=problem.name, routes=routes)
