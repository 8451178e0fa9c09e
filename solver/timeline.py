"""Route schedules for outputs: visits and breaks in time order, with clock times.

Every output (solution JSON, CSV, GeoJSON, the KPI table) takes its schedule from the
evaluator's report through here, so breaks show as entries of their own (kind ``break``)
and, when the problem has a ``time_origin``, each time has an ISO 8601 twin.
"""

from __future__ import annotations

from solver.clock import Clock
from solver.evaluate import EvaluationReport, RouteReport
from solver.problem import Problem
from solver.solution import ScheduleEntry, Solution


def route_schedule(route: RouteReport, clock: Clock | None) -> list[ScheduleEntry]:
    """``route``'s visits and breaks ordered by start (a break before a visit it precedes)."""
    entries = [ScheduleEntry(kind="stop", id=v.stop, arrival=v.arrival, start=v.start,
                             end=v.departure, lateness=v.lateness) for v in route.visits]
    entries += [ScheduleEntry(kind="break", id=b.id, start=b.start, end=b.end)
                for b in route.breaks]
    entries.sort(key=lambda e: (e.start, e.kind == "stop"))
    if clock is None:
        return entries
    return [e.model_copy(update={
        "arrival_at": None if e.arrival is None else clock.iso(e.arrival),
        "start_at": clock.iso(e.start), "end_at": clock.iso(e.end)}) for e in entries]


def shows_schedule(problem: Problem) -> bool:
    """Solutions carry schedules for problems with a clock or breaks (others as before)."""
    return problem.time_origin is not None or any(v.breaks for v in problem.vehicle_types)


def with_schedules(problem: Problem, solution: Solution, report: EvaluationReport) -> Solution:
    """``solution`` with each route's evaluator schedule (see ``shows_schedule``)."""
    if not shows_schedule(problem) or len(report.routes) != len(solution.routes):
        return solution
    clock = problem.clock
    routes = [r.model_copy(update={"schedule": route_schedule(rr, clock)})
              for r, rr in zip(solution.routes, report.routes, strict=True)]
    return solution.model_copy(update={"routes": routes})
