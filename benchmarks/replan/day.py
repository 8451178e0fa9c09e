"""The benchmark's days: ``solver.demo_day`` at 500 and 1,000 stops, and what changes by
midday.

``plain_day`` keeps the day's clock, depots, hard delivery slots, open stops, shifts and
capacities, and drops what the ``ils`` engine does not model yet (breaks, the driving
rule, soft windows, overtime, route limits), so that ``ils`` and ``ortools`` race on the
same problem. ``midday`` reads the published plan at ``now``: every van whose route has
left the depot has served the stops it left by ``now`` (at their planned times) and
drives to its next one (two of them running 15 min late); then 25 new stops arrive
(afternoon slots or open), 5 stops not yet served are cancelled and one started van with
work left breaks down.
"""

from __future__ import annotations

import numpy as np

from solver.clock import parsing_clock
from solver.demo import CITY_CENTER
from solver.demo_day import operating_day
from solver.evaluate import evaluate
from solver.problem import Location, Problem, Stop, TimeWindow
from solver.replan.changes import Changes
from solver.replan.state import Disruption, ServedStop, VehicleState
from solver.solution import Solution

LATE = 900.0  # seconds two started vans run late
NEW, CANCELLED = 25, 5
DISRUPTION = Disruption(move_cost=20.0, eta_cost=0.01, eta_tolerance=900.0)
#   a moved stop costs about 48 min of a van (25/h); a promise kept within 15 min is free,
#   later costs 36/h


def plain_day(n_stops: int, seed: int) -> Problem:
    """``operating_day`` with about one van per 12 stops, hard windows only, no breaks,
    driving rule, overtime or route limits."""
    day = operating_day(n_stops, seed=seed, vans=-(-n_stops // 12))
    stops = [s.model_copy(update={"late_cost": 0.0, "max_lateness": None})
             for s in day.stops]
    types = [vt.model_copy(update={"breaks": [], "driving": None, "max_overtime": 0.0,
                                   "overtime_cost": 0.0, "max_stops": None,
                                   "max_distance": float("inf")}) for vt in day.vehicle_types]
    data = day.model_copy(update={"stops": stops, "vehicle_types": types,
                                  "name": f"day-{n_stops}-s{seed}"}).model_dump()
    return Problem.model_validate(data)


def midday(problem: Problem, plan: Solution, seed: int, now_clock: str = "12:00",
           disruption: Disruption = DISRUPTION) -> Changes:
    """The changes at ``now_clock`` (see the module docstring)."""
    rng = np.random.default_rng(seed + 1000)
    with parsing_clock(problem.clock):
        now = float(TimeWindow(start=now_clock, end=now_clock).start)
    report = evaluate(problem, plan)
    vehicles, pending = [], {}
    for route, rr in zip(plan.routes, report.routes, strict=True):
        if not rr.visits:  # every shift starts before noon: a van with work has left
            continue
        served = [v for v in rr.visits if v.departure <= now]
        rest = rr.visits[len(served):]
        nxt = rest[0] if rest else None
        vehicles.append(VehicleState(
            vehicle=route.vehicle,  # departed: its shift start, as the visits are timed
            served=[ServedStop(stop=v.stop, arrival=v.arrival, departure=v.departure)
                    for v in served],
            next=None if nxt is None else nxt.stop,
            eta=None if nxt is None else max(nxt.arrival, now)))
        pending[route.vehicle] = [v.stop for v in rest[1:]]
    late = rng.choice([k for k, v in enumerate(vehicles) if v.next is not None], 2,
                      replace=False)
    for k in late:
        vehicles[k] = vehicles[k].model_copy(update={"eta": vehicles[k].eta + LATE})
    down = str(rng.choice(sorted(v for v, rest in pending.items() if len(rest) >= 3)))
    open_stops = sorted(s for v, rest in pending.items() if v != down for s in rest)
    cancelled = [str(s) for s in rng.choice(open_stops, CANCELLED, replace=False)]
    return Changes(now=now, vehicles=vehicles, new_stops=_new_stops(problem, rng, now),
                   cancelled=cancelled, unavailable=[down], disruption=disruption)


def _new_stops(problem: Problem, rng: np.random.Generator, now: float) -> list[Stop]:
    """25 orders placed at ``now``: afternoon slots or open until 18:00."""
    lat0, lon0 = CITY_CENTER
    with parsing_clock(problem.clock):
        slots = [TimeWindow(start=a, end=b) for a, b in
                 (("13:00", "16:00"), ("14:00", "17:00"), ("12:30", "18:00"))]
    out = []
    for k, (lat, lon) in enumerate(rng.normal(size=(NEW, 2)) * [0.03, 0.04] + [lat0, lon0]):
        window = slots[int(rng.integers(len(slots)))]
        out.append(Stop(id=f"N{k + 1:03d}", location=Location(lat=float(lat), lon=float(lon)),
                        demand=[float(rng.integers(1, 12))],
                        time_windows=[TimeWindow(start=max(window.start, now),
                                                 end=window.end)],
                        service_time=float(rng.integers(3, 12) * 60)))
    return out
