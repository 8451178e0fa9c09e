"""Days planned in the synthetic city, for the actuals, drift and retrain tests.

``synthetic_day`` makes a problem (one central depot, stops sampled where the city's
trips are, vehicles from 08:00) and a plan that sweeps the stops by angle around the
depot into one route per vehicle: a legal plan without running an engine.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

from solver.problem import Problem
from solver.solution import Route, Solution
from surrogate import SyntheticCity


def synthetic_day(city: SyntheticCity, *, n_stops: int = 12, n_vehicles: int = 2,
                  day: str = "2024-03-04", seed: int = 0, service_s: float = 300.0
                  ) -> tuple[Problem, Solution]:
    """A day in ``city`` (local date ``day``, shifts from 08:00) and its sweep plan."""
    rng = np.random.default_rng(seed)
    pts = city.sample_locations(n_stops, rng)
    depot = (city.center_lat, city.center_lon)
    problem = Problem.model_validate({
        "name": f"synthetic-{day}-{seed}", "time_origin": day, "time_zone": city.tz,
        "depots": [{"id": "D", "location": {"lat": depot[0], "lon": depot[1]}}],
        "stops": [{"id": f"S{k}", "location": {"lat": float(lat), "lon": float(lon)},
                   "service_time": service_s} for k, (lat, lon) in enumerate(pts)],
        "vehicle_types": [{"id": "van", "count": n_vehicles, "start_depot": "D",
                           "shift": {"start": "08:00"}}],
        "travel": {"kind": "haversine"},
    })
    angle = [math.atan2(lat - depot[0], lon - depot[1]) for lat, lon in pts]
    order = [f"S{k}" for k in np.argsort(angle)]
    chunks = np.array_split(np.arange(n_stops), n_vehicles)
    routes = [Route(vehicle=f"van#{v + 1}", vehicle_type="van",
                    stops=[order[i] for i in chunk]) for v, chunk in enumerate(chunks)]
    return problem, Solution(problem=problem.name, routes=routes)


def actuals_csv(records: list[dict[str, Any]]) -> str:
    """Visit records (as :func:`solver.actuals.simulate.simulate_actuals` makes them) as
    the CSV a planner would upload."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["vehicle", "stop", "arrival", "departure"])
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()
