"""apply_changes: a published plan plus what happened since, as a problem to re-plan.

The changes (``Changes``, the body the CLI reads and ``POST /v1/jobs/{id}/replan``
takes): ``now``, the started vehicles (stops served, positions, loads), new stops,
cancelled stops, unavailable vehicles, locks and disruption weights. The reference of the
result is the plan without its cancelled stops, each stop promised at the service start
the evaluator computes for the plan. The problem may itself be a replan (a plan version
re-planned again): its plan is then timed under its own ``in_progress``, which the
changes replace.

Timing the plan is the only step that needs travel. ``apply_changes(..., timed=False)``
runs every check and leaves the promises out; :func:`promise` adds them later (the
service does so on a worker when the travel is costly to build).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from solver.clock import parsing_clock
from solver.evaluate import evaluate
from solver.fields import Id
from solver.problem import ExplicitTravel, Problem, Stop
from solver.replan.state import ReferenceRoute, Situation
from solver.solution import Solution, with_vehicles
from solver.travel.build import Travel


class Changes(Situation):
    """What happened since the plan was published."""

    new_stops: list[Stop] = Field(default_factory=list)
    cancelled: list[Id] = Field(default_factory=list)


def read_changes(problem: Problem, data: dict[str, Any]) -> Changes:
    """``data`` as Changes, with clock times read on ``problem``'s clock."""
    with parsing_clock(problem.clock):
        return Changes.model_validate(data)


def apply_changes(problem: Problem, plan: Solution, changes: Changes,
                  travel: Travel | None = None, *, timed: bool = True) -> Problem:
    """The problem to re-plan; ValueError naming the item when the changes do not fit.
    ``travel``: ``problem``'s (learned travel needs its registry), built when not given;
    ``timed=False``: no travel at all, and the reference has no ETAs yet (:func:`promise`)."""
    known = {s.id for s in problem.stops}
    for j, sid in enumerate(changes.cancelled):
        if sid not in known:
            raise ValueError(f"changes.cancelled[{j}]: unknown stop {sid!r}")
    for j, s in enumerate(changes.new_stops):
        if s.id in known or any(d.id == s.id for d in problem.depots):
            raise ValueError(f"changes.new_stops[{j}].id: {s.id!r} is already used")
    if changes.new_stops and isinstance(problem.travel, ExplicitTravel):
        raise ValueError("changes.new_stops: matrix travel has no rows for new stops")
    plan = with_vehicles(problem, plan)
    for r in plan.routes:
        for sid in r.stops:
            if sid not in known:
                raise ValueError(f"plan: route of {r.vehicle!r} has unknown stop {sid!r}")
    cancelled = set(changes.cancelled)
    reference = []
    for r in plan.routes:
        stops = [s for s in r.stops if s not in cancelled]
        if stops:
            reference.append(ReferenceRoute(vehicle=r.vehicle, stops=stops))
    data = problem.model_dump()
    data["stops"] = [s.model_dump() for s in problem.stops if s.id not in cancelled] + [
        s.model_dump() for s in changes.new_stops]
    data["in_progress"] = {
        "now": changes.now, "vehicles": [v.model_dump() for v in changes.vehicles],
        "unavailable": list(changes.unavailable),
        "reference": [r.model_dump() for r in reference],
        "locks": [lock.model_dump() for lock in changes.locks],
        "disruption": changes.disruption.model_dump()}
    try:
        day = Problem.model_validate(data)
    except ValidationError as exc:
        raise ValueError("; ".join(e["msg"].removeprefix("Value error, ")
                                   for e in exc.errors())) from None
    return promise(day, problem, plan, travel) if timed else day


def promise(day: Problem, problem: Problem, plan: Solution,
            travel: Travel | None = None) -> Problem:
    """``day`` (``apply_changes`` of ``problem`` and ``plan``) with each reference stop
    promised at the service start the evaluator computes for ``plan`` under ``problem``
    (``travel``: its travel, built when not given)."""
    report = evaluate(problem, with_vehicles(problem, plan), travel)
    start = {v.stop: v.start for r in report.routes for v in r.visits}
    ip = day.in_progress
    assert ip is not None
    reference = [r.model_copy(update={"etas": [start[s] for s in r.stops]})
                 for r in ip.reference]
    return day.model_copy(update={"in_progress": ip.model_copy(update={"reference": reference})})
