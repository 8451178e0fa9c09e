"""Actuals simulated in the synthetic city: what drivers would report for a plan.

Tests, benchmarks and the drift / retrain studies need executed routes whose true travel
times are known. Each route leaves its start depot at its shift start; every leg takes
the city's true time (:meth:`surrogate.SyntheticCity.true_travel_time`) times its
log-normal noise; service starts at the opening of the first window not yet closed
(the evaluator's rule) and lasts the stop's service time. A traffic change is another
city: ``dataclasses.replace(city, free_speed_mps=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from solver.actuals.check import plan_clock
from solver.problem import Problem
from solver.solution import Solution, with_vehicles

if TYPE_CHECKING:
    from surrogate import SyntheticCity


def simulate_actuals(problem: Problem, solution: Solution, city: SyntheticCity, *,
                     seed: int = 0, arrivals_only: bool = False) -> list[dict[str, Any]]:
    """Visit records (``vehicle``, ``stop``, ``arrival``, ``departure`` as ISO 8601) of
    every route of ``solution`` driven in ``city``, depot departures and returns included.

    ``arrivals_only`` reports stops as "arrived at" events (no departure).
    """
    clock = plan_clock(problem)
    origin = clock.origin.timestamp()
    rng = np.random.default_rng(seed)
    stops = {s.id: s for s in problem.stops}
    depots = {d.id: d for d in problem.depots}
    types = {v.id: v for v in problem.vehicle_types}
    out: list[dict[str, Any]] = []
    for route in with_vehicles(problem, solution).routes:
        vtype = types[route.vehicle_type or ""]
        t = vtype.shift.start
        here = depots[vtype.start_depot].location
        out.append({"vehicle": route.vehicle, "stop": vtype.start_depot,
                    "departure": clock.iso(t)})
        for sid in [*route.stops, None]:
            loc = depots[vtype.end].location if sid is None else stops[sid].location
            leg = city.true_travel_time(np.array([[here.lat, here.lon]]),
                                        np.array([[loc.lat, loc.lon]]),
                                        np.array([origin + t]))[0]
            arrival = t + round(float(leg * np.exp(rng.normal(0.0, city.noise_sigma))))
            if sid is None:
                out.append({"vehicle": route.vehicle, "stop": vtype.end,
                            "arrival": clock.iso(arrival)})
                break
            stop = stops[sid]
            opens = next((a for a, b in ((w.start, w.end) for w in stop.time_windows)
                          if b >= arrival), arrival)
            t = max(arrival, opens) + stop.service_time
            row = {"vehicle": route.vehicle, "stop": sid, "arrival": clock.iso(arrival)}
            if not arrivals_only:
                row["departure"] = clock.iso(t)
            out.append(row)
            here = loc
    return out
