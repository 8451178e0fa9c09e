"""Hypothesis strategies for replans: a day in progress drawn against a published plan.

The plan is solved once per problem (ortools, a few iterations); what has happened by
``now`` is then drawn from its evaluated schedule (a started vehicle has served a prefix
of its route at the planned times and may be driving to the next stop), with locks on
other routes, sometimes one unstarted vehicle down, and disruption weights.
"""

from __future__ import annotations

from hypothesis import strategies as st

from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem
from solver.replan.state import (
    Disruption,
    InProgress,
    Lock,
    ReferenceRoute,
    ServedStop,
    VehicleState,
)
from solver.solution import Solution
from tests.strategies import problems


def published(problem: Problem) -> tuple[Solution, InProgress]:
    """The plan of ``problem`` and its reference (promised at the evaluator's starts)."""
    plan = solve(problem, SolveOptions(engine="ortools", time_limit=2,
                                       iteration_limit=50)).solution
    report = evaluate(problem, plan)
    reference = [ReferenceRoute(vehicle=r.vehicle, stops=r.stops,
                                etas=[v.start for v in rr.visits])
                 for r, rr in zip(plan.routes, report.routes, strict=True)]
    return plan, InProgress(now=0.0, reference=reference)


@st.composite
def replans(draw: st.DrawFn, locks: bool = True, disruption: bool = True,
            max_stops: int = 6) -> tuple[Problem, Solution]:
    """A problem with ``in_progress`` and its published plan (with at least one route)."""
    problem = draw(problems(max_stops=max_stops, time_windows=False))
    plan, ip = published(problem)
    if not plan.routes:
        return problem.model_copy(update={"in_progress": ip}), plan
    schedule = {rr.vehicle: rr for rr in evaluate(problem, plan).routes}
    r0 = draw(st.sampled_from(plan.routes))
    visits = schedule[r0.vehicle].visits
    k = draw(st.integers(1, len(visits)))
    en_route = k >= 2 and draw(st.booleans())
    served = visits[:k - 1] if en_route else visits[:k]
    now = served[-1].departure if served else 0.0
    state = VehicleState(
        vehicle=r0.vehicle,
        served=[ServedStop(stop=v.stop, arrival=v.arrival, departure=v.departure)
                for v in served],
        next=visits[k - 1].stop if en_route else None,
        eta=max(visits[k - 1].arrival, now) if en_route else None)
    others = [r for r in plan.routes if r.vehicle != r0.vehicle]
    kinds = ["assignment", "sequence", "fixed", None] if locks else [None]
    chosen = [Lock(kind=kind, vehicle=r.vehicle) for r in others
              if (kind := draw(st.sampled_from(kinds))) is not None]
    if locks and draw(st.booleans()):
        kind = draw(st.sampled_from(["assignment", "sequence", "fixed"]))
        chosen.append(Lock(kind=kind, vehicle=r0.vehicle))
    locked = {lock.vehicle for lock in chosen}
    down = [r.vehicle for r in others if r.vehicle not in locked and draw(st.booleans())][:1]
    weights = Disruption(move_cost=draw(st.sampled_from([0.0, 50.0])),
                         eta_cost=draw(st.sampled_from([0.0, 0.5])),
                         eta_tolerance=draw(st.sampled_from([0.0, 30.0]))) if disruption \
        else Disruption()
    ip = ip.model_copy(update={"now": now, "vehicles": [state], "unavailable": down,
                               "locks": chosen, "disruption": weights})
    return Problem.model_validate({**problem.model_dump(),
                                   "in_progress": ip.model_dump()}), plan
