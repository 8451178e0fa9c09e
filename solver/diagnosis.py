"""Why a stop stays unassigned: reason codes checked per stop, never guessed.

Each vehicle type is tried on the stop alone (a route depot -> stop -> depot), through
the stages a route must pass in order: skills, capacity, reaching a window within the
shift, coming back within the shift and the max duration. A stop's reason is the stage
at which its *best* type fails; a stop that passes every stage on some type could be
served alone, so if it is left out the fleet had no room (``NO_VEHICLE``) or, for an
optional stop, serving it cost more than its penalty (``UNPROFITABLE``). A shipment's
stop is tried with its partner (pickup, then delivery), and both get the same reason.
"""

from __future__ import annotations

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.schedule import EPS, check_route, travel_time
from solver.solution import ReasonCode

_STAGES = (ReasonCode.SKILL, ReasonCode.CAPACITY, ReasonCode.TIME_WINDOW, ReasonCode.SHIFT)


def stop_alone_reason(compiled: CompiledProblem, node: int) -> ReasonCode | None:
    """The reason no vehicle type can serve stop ``node`` even alone, or None if one can."""
    best = -1
    for k in range(compiled.n_types):
        passed = _stages_passed(compiled, node, k)
        if passed == len(_STAGES):
            return None
        best = max(best, passed)
    return _STAGES[best]


def _alone(c: CompiledProblem, i: int) -> list[int]:
    """The smallest route holding stop ``i``: itself, or its shipment, pickup first."""
    j = int(c.pair[i])
    if j < 0:
        return [i]
    return [i, j] if c.pickup[i] else [j, i]


def _stages_passed(c: CompiledProblem, i: int, k: int) -> int:
    """How many of the stages in ``_STAGES`` stop ``i`` passes on type ``k``."""
    route = _alone(c, i)
    if any(int(c.stop_skills[j]) & ~int(c.type_skills[k]) for j in route):
        return 0
    if len(route) == 1 and np.any(c.demand[i] > c.capacity[k] + EPS):
        return 1
    check = check_route(c, k, route)
    if check.violation == "capacity":
        return 1
    start = float(c.shift[k, 0])
    for j in route:
        arrival = start + travel_time(c, int(c.start_depot[k]), j, start)
        if arrival > float(c.tw[j, c.tw_count[j] - 1, 1]) + EPS:
            return 2
    if check.violation == "time_window":
        return 2
    if not check.feasible:
        return 3
    return 4


def diagnose(
    compiled: CompiledProblem, unassigned: list[int] | np.ndarray
) -> dict[int, ReasonCode]:
    """Reason codes for every unassigned stop node.

    Individually impossible stops get the failing stage; the others get ``NO_VEHICLE``
    when required and ``UNPROFITABLE`` when optional.
    """
    out: dict[int, ReasonCode] = {}
    for node in unassigned:
        node = int(node)
        reason = stop_alone_reason(compiled, node)
        if reason is None:
            reason = ReasonCode.NO_VEHICLE if compiled.required[node] else ReasonCode.UNPROFITABLE
        out[node] = reason
    return out


def impossible_stops(compiled: CompiledProblem) -> dict[int, ReasonCode]:
    """Stops that no vehicle type can serve even alone, with their reasons."""
    out: dict[int, ReasonCode] = {}
    for node in range(compiled.n_depots, compiled.n_nodes):
        reason = stop_alone_reason(compiled, node)
        if reason is not None:
            out[node] = reason
    return out


def idle_vehicle_could_serve(
    compiled: CompiledProblem, routes: list[tuple[int, np.ndarray]], unassigned: list[int],
) -> list[int]:
    """Required stops among ``unassigned`` that a vehicle left idle could serve alone.

    ``NO_VEHICLE`` claims the fleet had no room; for these stops the claim is false (the
    engine ran out of time before it placed them), so the plan is no answer.
    """
    idle = compiled.type_count.astype(np.int64).copy()
    for k, _ in routes:
        idle[int(k)] -= 1
    free = [k for k in range(compiled.n_types) if idle[k] > 0]
    return [int(i) for i in unassigned if compiled.required[int(i)]
            and any(_stages_passed(compiled, int(i), k) == len(_STAGES) for k in free)]
