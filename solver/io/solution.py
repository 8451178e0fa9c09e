"""Solution files: VRPLIB ``.sol`` (read and write), JSON and CSV (write)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import vrplib

from solver.errors import InstanceFormatError
from solver.evaluate import EvaluationReport
from solver.problem import Problem
from solver.solution import Route, Solution
from solver.timeline import route_schedule


def vehicle_slots(problem: Problem) -> list[str]:
    """The type id of each vehicle, in order: route ``k`` of a ``.sol`` is vehicle ``k``."""
    return [v.id for v in problem.vehicle_types for _ in range(v.count)]


def read_vrplib_solution(path: Path, problem: Problem) -> Solution:
    """Read ``Route #k: i j ...`` lines; client numbers as ``vrplib_numbering`` writes
    them (the stop ids when these are numbers)."""
    try:
        data = vrplib.read_solution(path)
    except (OSError, ValueError, IndexError) as err:
        raise InstanceFormatError(f"{path}: not a valid VRPLIB solution ({err})") from None
    slots = vehicle_slots(problem)
    single = len(problem.vehicle_types) == 1
    stop_of = {number: stop for stop, number in vrplib_numbering(problem).items()}
    routes = []
    for k, clients in enumerate(data["routes"]):
        if not clients:
            continue
        if not single and k >= len(slots):
            raise InstanceFormatError(f"{path}: route #{k + 1} but only {len(slots)} vehicles")
        vtype = problem.vehicle_types[0].id if single else slots[k]
        routes.append(Route(vehicle_type=vtype,
                            stops=[stop_of.get(str(c), str(c)) for c in clients]))
    return Solution(problem=problem.name, routes=routes)


def solution_to_vrplib(solution: Solution, problem: Problem, cost: float) -> str:
    """VRPLIB text; with several vehicle types, route ``k`` is placed at vehicle slot ``k``.

    Clients are written by id when every stop id is a distinct decimal number
    (instances read from VRPLIB files keep the ``.sol`` numbering), else every client
    by its position in the problem (1-based): two stops never share a number.
    """
    numbering = vrplib_numbering(problem)
    lines: list[list[str]] = []
    if len(problem.vehicle_types) == 1:
        lines = [[numbering[s] for s in r.stops] for r in solution.routes]
    else:
        slots = vehicle_slots(problem)
        lines = [[] for _ in slots]
        free = {t: [k for k, s in enumerate(slots) if s == t] for t in set(slots)}
        for r in solution.routes:
            if not free.get(r.vehicle_type):
                raise InstanceFormatError(f"more routes than vehicles of type {r.vehicle_type!r}")
            lines[free[r.vehicle_type].pop(0)] = [numbering[s] for s in r.stops]
    out = [f"Route #{k + 1}: {' '.join(stops)}" for k, stops in enumerate(lines)]
    out.append(f"Cost {_format_cost(cost)}")
    return "\n".join(out) + "\n"


def vrplib_numbering(problem: Problem) -> dict[str, str]:
    """Stop id -> VRPLIB client number: the id itself when all ids are distinct ASCII
    decimal numbers ("7", not "07" beside "7", not "²"), else the 1-based position."""
    ids = [s.id for s in problem.stops]
    numeric = all(i.isascii() and i.isdigit() for i in ids)
    if numeric and len({int(i) for i in ids}) == len(ids) and all(int(i) > 0 for i in ids):
        return {i: str(int(i)) for i in ids}
    return {i: str(k + 1) for k, i in enumerate(ids)}


def _format_cost(cost: float) -> str:
    if math.isclose(cost, round(cost), abs_tol=1e-6):
        return str(int(round(cost)))
    return f"{cost:.6f}".rstrip("0").rstrip(".")


def solution_to_json(solution: Solution) -> str:
    return solution.model_dump_json(indent=2)


CSV_COLUMNS = [
    "route", "vehicle_type", "sequence", "stop", "arrival", "start", "departure", "wait", "load",
]


def solution_to_csv(report: EvaluationReport, problem: Problem | None = None) -> str:
    """One row per visit with the evaluator's schedule (arrival, start, wait, load).

    With ``problem``: when it has a ``time_origin``, ISO 8601 columns follow the seconds;
    when a route takes breaks, a ``kind`` column tells visits (``stop``) from breaks
    (``break``: the break id in ``stop``, its start and end, no load).
    """
    clock = problem.clock if problem is not None else None
    breaks = any(r.breaks for r in report.routes)
    columns = CSV_COLUMNS + (["kind"] if breaks else []) + (
        ["arrival_at", "start_at", "departure_at"] if clock is not None else [])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r, route in enumerate(report.routes):
        loads = {v.stop: v for v in route.visits}
        seq = 0
        for e in route_schedule(route, clock):
            visit = loads.get(e.id) if e.kind == "stop" else None
            if visit is not None:
                seq += 1
                row = [r + 1, route.vehicle_type, seq, e.id, f"{visit.arrival:.3f}",
                       f"{visit.start:.3f}", f"{visit.departure:.3f}", f"{visit.wait:.3f}",
                       " ".join(f"{x:g}" for x in visit.load)]
            else:
                row = [r + 1, route.vehicle_type, "", e.id, "", f"{e.start:.3f}",
                       f"{e.end:.3f}", "", ""]
            if breaks:
                row.append(e.kind)
            if clock is not None:
                row += [e.arrival_at or "", e.start_at, e.end_at]
            writer.writerow(row)
    return buf.getvalue()
