"""Hypothesis strategies for problems: sizes first, so failures shrink to few stops."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from solver.problem import (
    Depot,
    EuclideanTravel,
    Location,
    Problem,
    Shipment,
    Stop,
    TimeWindow,
    VehicleType,
)

coord = st.integers(min_value=0, max_value=100).map(float)


@st.composite
def problems(
    draw: st.DrawFn,
    max_stops: int = 8,
    time_windows: bool = True,
    optional: bool = True,
    fleet_mix: bool = True,
    multi_depot: bool = True,
) -> Problem:
    """Random valid problems: every stop fits some vehicle, windows open before they close."""
    n_stops = draw(st.integers(1, max_stops))
    n_depots = draw(st.integers(1, 2)) if multi_depot else 1
    n_types = draw(st.integers(1, 3)) if fleet_mix else 1
    horizon = 1000.0
    depots = [
        Depot(id=f"D{k}", location=Location(x=draw(coord), y=draw(coord)),
              time_window=TimeWindow(start=0, end=horizon))
        for k in range(n_depots)
    ]
    types = []
    for k in range(n_types):
        types.append(VehicleType(
            id=f"T{k}",
            count=draw(st.integers(1, 3)),
            capacity=[float(draw(st.integers(10, 30)))],
            start_depot=f"D{draw(st.integers(0, n_depots - 1))}",
            fixed_cost=float(draw(st.sampled_from([0, 0, 50]))),
            cost_per_distance=float(draw(st.sampled_from([1, 1, 2]))),
            cost_per_time=float(draw(st.sampled_from([0, 0, 0.5]))),
        ))
    max_cap = max(v.capacity[0] for v in types)
    stops = []
    for k in range(n_stops):
        windows = [TimeWindow(start=0, end=horizon)]
        if time_windows and draw(st.booleans()):
            start = float(draw(st.integers(0, 600)))
            windows = [TimeWindow(start=start, end=start + float(draw(st.integers(50, 400))))]
        is_optional = optional and draw(st.integers(0, 4)) == 0
        stops.append(Stop(
            id=f"S{k}",
            location=Location(x=draw(coord), y=draw(coord)),
            demand=[float(draw(st.integers(0, int(max_cap))))],
            time_windows=windows,
            service_time=float(draw(st.integers(0, 20))),
            required=not is_optional,
            penalty=float(draw(st.integers(0, 300))) if is_optional else 0.0,
        ))
    return Problem(name="random", depots=depots, stops=stops, vehicle_types=types,
                   travel=EuclideanTravel(rounding=draw(st.sampled_from(["exact", "round"]))))


@st.composite
def problems_with_shipments(
    draw: st.DrawFn, max_stops: int = 6, **kwargs: bool
) -> Problem:
    """Random valid problems where the first stops pair up into shipments (pickup, then
    delivery): each pair shares ``required`` and penalty, its amount fits a vehicle."""
    base = draw(problems(max_stops=max_stops, **kwargs))
    n_pairs = draw(st.integers(0 if len(base.stops) < 2 else 1, len(base.stops) // 2))
    max_cap = max(v.capacity[0] for v in base.vehicle_types)
    stops = list(base.stops)
    shipments = []
    for k in range(n_pairs):
        pickup, delivery = stops[2 * k], stops[2 * k + 1]
        stops[2 * k + 1] = delivery.model_copy(update={
            "required": pickup.required, "penalty": pickup.penalty})
        amount = float(draw(st.integers(0, int(max_cap))))
        shipments.append(Shipment(id=f"P{k}", pickup=pickup.id, delivery=delivery.id,
                                  amount=[amount]))
    return Problem(name="random-pd", depots=base.depots, stops=stops,
                   vehicle_types=base.vehicle_types, shipments=shipments, travel=base.travel)


def invalid_problem_dicts() -> st.SearchStrategy[dict]:
    """Problem-shaped dicts with one defect each (negative demand, reversed window, ...)."""
    base = {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "A", "location": {"x": 1, "y": 1}, "demand": [1]}],
        "vehicle_types": [{"id": "V", "capacity": [5], "start_depot": "D"}],
    }

    def with_defect(defect: tuple[str, object]) -> dict:
        import copy

        d = copy.deepcopy(base)
        where, value = defect
        if where == "demand":
            d["stops"][0]["demand"] = [value]
        elif where == "window":
            d["stops"][0]["time_windows"] = [{"start": 10, "end": value}]
        elif where == "depot":
            d["vehicle_types"][0]["start_depot"] = value
        elif where == "dup":
            d["stops"].append(dict(d["stops"][0]))
        elif where == "capacity":
            d["vehicle_types"][0]["capacity"] = [value]
        elif where == "location":
            d["stops"][0]["location"] = value
        return d

    defects = st.one_of(
        st.tuples(st.just("demand"), st.floats(max_value=-1e-3, allow_nan=False)),
        st.tuples(st.just("window"), st.floats(min_value=0, max_value=9.99)),
        st.tuples(st.just("depot"), st.text(min_size=1).filter(lambda s: s != "D")),
        st.tuples(st.just("dup"), st.none()),
        st.tuples(st.just("capacity"), st.floats(max_value=-1e-3, allow_nan=False)),
        st.tuples(st.just("location"), st.sampled_from([{}, {"x": 1}, {"lat": 95, "lon": 0},
                                                        {"x": 1, "y": 2, "lat": 3, "lon": 4}])),
    )
    return defects.map(with_defect)




@st.composite
def day_problems(draw: st.DrawFn, max_stops: int = 4) -> Problem:
    """Tiny one-type problems (1-2 vehicles) on a metric integer matrix using every
    operating-day feature: breaks (maybe a driving rule), soft windows, overtime and route
    limits."""
    from solver.problem import Break, DrivingRule, MatrixTravel

    n = draw(st.integers(1, max_stops))
    ids = ["D"] + [f"S{k}" for k in range(n)]
    # Manhattan distances between integer points: integer and metric (a stop unreachable
    # alone is unreachable in any route, as the diagnosis assumes)
    points = [(0, 0)] + [(draw(st.integers(0, 10)), draw(st.integers(0, 10)))
                         for _ in range(n)]
    matrix = [[float(abs(a[0] - b[0]) + abs(a[1] - b[1])) for b in points] for a in points]
    stops = []
    for k in range(n):
        start = float(draw(st.integers(0, 60)))
        soft = draw(st.booleans())
        stops.append(Stop(
            id=f"S{k}", location=Location(x=float(k), y=0.0),
            time_windows=[TimeWindow(start=start, end=start + float(draw(st.integers(0, 40))))],
            service_time=float(draw(st.integers(0, 10))),
            late_cost=float(draw(st.integers(1, 5))) if soft else 0.0,
            max_lateness=(float(draw(st.sampled_from([5, 30]))) if soft and draw(st.booleans())
                          else None),
        ))
    breaks = []
    es = ls = 0.0
    for b in range(draw(st.integers(0, 2))):
        es = es + float(draw(st.integers(0, 40)))
        ls = max(ls, es + float(draw(st.integers(0, 30))))
        breaks.append(Break(id=f"B{b}", earliest_start=es, latest_start=ls,
                            duration=float(draw(st.integers(1, 15)))))
    driving = (DrivingRule(max_driving=float(draw(st.integers(10, 60))), break_duration=5.0)
               if breaks and draw(st.booleans()) else None)
    vtype = VehicleType(
        id="T", count=draw(st.integers(1, 2)), start_depot="D",
        shift=TimeWindow(start=0.0, end=float(draw(st.integers(100, 300)))),
        max_overtime=float(draw(st.sampled_from([0, 0, 30]))),
        overtime_cost=float(draw(st.integers(0, 3))),
        cost_per_time=float(draw(st.sampled_from([0, 1]))) if breaks else 0.0,
        max_stops=draw(st.sampled_from([None, None, 3])),
        max_distance=float(draw(st.sampled_from([math.inf, math.inf, 80.0]))),
        breaks=breaks, driving=driving,
    )
    return Problem(name="random-day", depots=[Depot(id="D", location=Location(x=0, y=0))],
                   stops=stops, vehicle_types=[vtype],
                   travel=MatrixTravel(locations=ids, distance=matrix, duration=matrix))
