"""Solution exports for maps: GeoJSON (RFC 7946).

Coordinates are ``[lon, lat]`` for geographic problems and ``[x, y]`` for planar ones
(then the file is only meaningful to a viewer that knows the plane; ``crs`` says so in
the collection's properties).
"""

from __future__ import annotations

import json
from typing import Any

from solver.evaluate import EvaluationReport
from solver.io.json_safe import json_safe
from solver.problem import Location, Problem
from solver.solution import Solution


def _point(loc: Location) -> list[float]:
    if loc.kind == "geo":
        return [float(loc.lon), float(loc.lat)]  # type: ignore[arg-type]
    return [float(loc.x), float(loc.y)]  # type: ignore[arg-type]


def solution_to_geojson(
    problem: Problem, solution: Solution, report: EvaluationReport | None = None
) -> dict[str, Any]:
    """A FeatureCollection: one LineString per route (depot to depot), one Point per
    depot and per stop (with its route, sequence and, given ``report``, its schedule)."""
    depots = {d.id: d for d in problem.depots}
    stops = {s.id: s for s in problem.stops}
    types = {v.id: v for v in problem.vehicle_types}
    features: list[dict[str, Any]] = []
    placed: dict[str, dict[str, Any]] = {}
    for r, route in enumerate(solution.routes):
        vtype = types.get(route.vehicle_type)
        known = [s for s in route.stops if s in stops]
        path = []
        if vtype is not None:
            path.append(_point(depots[vtype.start_depot].location))
        path += [_point(stops[s].location) for s in known]
        if vtype is not None:
            path.append(_point(depots[vtype.end].location))
        props: dict[str, Any] = {"kind": "route", "route": r + 1,
                                 "vehicle_type": route.vehicle_type, "stops": len(known)}
        rr = report.routes[r] if report is not None and r < len(report.routes) else None
        if rr is not None:
            props.update(distance=json_safe(rr.distance), duration=json_safe(rr.duration),
                         cost=json_safe(rr.cost), start_time=json_safe(rr.start_time),
                         end_time=json_safe(rr.end_time), load=list(rr.load))
        features.append({"type": "Feature", "geometry": {"type": "LineString",
                         "coordinates": path}, "properties": props})
        visits = {v.stop: v for v in rr.visits} if rr is not None else {}
        for seq, sid in enumerate(known, start=1):
            p: dict[str, Any] = {"route": r + 1, "vehicle_type": route.vehicle_type,
                                 "sequence": seq}
            if sid in visits:
                v = visits[sid]
                p.update(arrival=json_safe(v.arrival), start=json_safe(v.start),
                         departure=json_safe(v.departure), wait=json_safe(v.wait))
            placed[sid] = p
    unassigned = {u.stop: u.reason.value for u in solution.unassigned}
    for d in problem.depots:
        features.append({"type": "Feature", "geometry": {"type": "Point",
                         "coordinates": _point(d.location)},
                         "properties": {"kind": "depot", "id": d.id}})
    for s in problem.stops:
        props = {"kind": "stop", "id": s.id, "demand": list(s.demand)}
        props.update(placed.get(s.id, {}))
        if s.id in unassigned:
            props["unassigned_reason"] = unassigned[s.id]
        features.append({"type": "Feature", "geometry": {"type": "Point",
                         "coordinates": _point(s.location)}, "properties": props})
    kind = problem.depots[0].location.kind
    return {"type": "FeatureCollection", "features": features,
            "properties": {"problem": problem.name, "cost": solution.cost,
                           "crs": "EPSG:4326" if kind == "geo" else "planar"}}


def solution_to_geojson_text(
    problem: Problem, solution: Solution, report: EvaluationReport | None = None
) -> str:
    return json.dumps(solution_to_geojson(problem, solution, report))
