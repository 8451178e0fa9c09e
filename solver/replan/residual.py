"""A replan as an ordinary problem: what is left of the day, from where each vehicle is.

Every available vehicle becomes a vehicle type of its own (count 1, named by the vehicle,
so locks can name it): a started one starts at a depot placed on its position (its last
served stop, or the stop it drives to), free when it has served that stop, with the
capacity, stops and distance its route has left and the breaks it has not taken (no
earlier than when it is free: a break that could not begin by its latest start is an
error naming it), its driving rule starting from its driving since its last break
(``driven_at_start``: ``VehicleState.driven``); an unstarted one leaves no earlier than
``now``. Frozen stops leave the problem, and so do
required stops no vehicle has capacity left for (unassigned, CAPACITY); unavailable vehicles leave the fleet. The
residual keeps ``now``, the reference, the locks and the disruption weights for its own
stops, so engines see them (``solver.replan.compiled``). ``reattach`` puts the frozen
prefixes back in front of the residual routes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solver.errors import InvalidProblemError
from solver.problem import Depot, ExplicitTravel, Problem, Stop, TimeWindow, VehicleType
from solver.replan.state import InProgress, Lock, ReferenceRoute, VehicleState
from solver.solution import ReasonCode, Route, Solution, Unassigned
from solver.td_travel import TimeDependentMatrixTravel
from solver.travel.build import Travel


@dataclass(frozen=True)
class Residual:
    problem: Problem  # what is left to plan (its in_progress has no started vehicles)
    original: Problem
    frozen: dict[str, list[str]]  # vehicle -> its frozen stops
    type_of: dict[str, str]  # vehicle -> its type id in ``original``
    unfit: list[str]  # required stops no vehicle has capacity left for (CAPACITY)
    positions: dict[str, str]  # position depot -> the stop it sits on


def ready(stop: Stop, state: VehicleState, now: float) -> float:
    """When a started vehicle is free at its position."""
    if state.next is not None:
        eta = max(state.eta or 0.0, now)
        window = next((w for w in stop.time_windows if w.end >= eta), None)
        return (max(eta, window.start) if window is not None else eta) + stop.service_time
    last = state.served[-1]
    if last.departure is not None:
        return max(last.departure, now)
    if last.arrival is not None:
        return max(last.arrival + stop.service_time, now)
    return now


def residual_problem(problem: Problem, travel: Travel) -> Residual:
    """The residual of ``problem`` (which has ``in_progress``); ``travel`` measures the
    distance the frozen prefixes drove."""
    ip = problem.in_progress
    assert ip is not None
    stops = {s.id: s for s in problem.stops}
    node = {d.id: k for k, d in enumerate(problem.depots)}
    node.update({s.id: len(problem.depots) + k for k, s in enumerate(problem.stops)})
    states = {v.vehicle: v for v in ip.vehicles}
    frozen = ip.frozen()
    done = {s for f in frozen.values() for s in f}
    depots, types, type_of, moved = list(problem.depots), [], {}, {}
    for vt in problem.vehicle_types:
        for k in range(vt.count):
            name = vt.vehicle_name(k)
            type_of[name] = vt.id
            if name in ip.unavailable:
                continue
            state = states.get(name)
            if state is None:
                types.append(_single(vt, name, shift_start=max(vt.shift.start, ip.now)))
                continue
            at = frozen[name][-1]
            depot = f"@{name}"
            if depot in node:
                raise InvalidProblemError(f"id {depot!r} is taken; it names the position of "
                                          f"vehicle {name!r}", "in_progress.vehicles")
            depots.append(Depot(id=depot, location=stops[at].location))
            moved[depot] = at
            vtype = _started(vt, name, depot, state, [stops[s] for s in frozen[name]],
                             node, travel, max(ready(stops[at], state, ip.now),
                                               state.break_end(vt)),
                             state.driven(vt, stops, ip.now))
            if vtype is not None:
                types.append(vtype)
    if not types:
        raise InvalidProblemError("no vehicle is available", "in_progress.unavailable")
    unfit = [s.id for s in problem.stops if s.id not in done and s.required and not any(
        all(d <= c for d, c in zip(s.demand, v.capacity, strict=True)) for v in types)]
    out = done | set(unfit)
    left = [s for s in problem.stops if s.id not in out]
    residual = problem.model_copy(update={
        "depots": depots, "stops": left, "vehicle_types": types,
        "travel": _travel(problem, moved), "in_progress": _rest(ip, out)})
    return Residual(Problem.model_validate(residual.model_dump()), problem, frozen, type_of,
                    unfit, moved)


def _single(vt: VehicleType, name: str, **update) -> VehicleType:
    update = {"id": name, "count": 1, "vehicle_ids": [name], **update}
    shift = update.pop("shift_start", None)
    if shift is not None:
        update["shift"] = TimeWindow(start=shift, end=max(vt.shift.end, shift))
    return vt.model_copy(update=update)


def _started(vt: VehicleType, name: str, depot: str, state: VehicleState,
             done: list[Stop], node: dict[str, int], travel: Travel,
             free: float, since_break: float) -> VehicleType | None:
    """The vehicle type of a started vehicle (None when it can take no more stops);
    ``since_break``: its driving since its last qualifying break, at its position."""
    path = [node[vt.start_depot]] + [node[s.id] for s in done]
    driven = math.fsum(travel.arc_distance(a, b) for a, b in zip(path, path[1:],
                                                                strict=False))
    used = state.load if state.load is not None else [
        math.fsum(s.demand[d] for s in done) for d in range(len(vt.capacity))]
    departed = state.departed if state.departed is not None else vt.shift.start
    max_stops = None if vt.max_stops is None else vt.max_stops - len(done)
    if (max_stops is not None and max_stops < 1) or driven >= vt.max_distance:
        return None
    breaks = vt.breaks[len(state.breaks_taken):]  # the rest come after ``free``
    late = next((b for b in breaks if b.latest_start < free), None)
    if late is not None:
        raise InvalidProblemError(
            f"vehicle {name!r} is busy until {free:g}, after the latest start "
            f"{late.latest_start:g} of its break {late.id!r} (not taken)",
            "in_progress.vehicles")
    driving = None if vt.driving is None else vt.driving.model_copy(
        update={"driven_at_start": since_break})
    return _single(vt, name, start_depot=depot, end_depot=vt.end, shift_start=free,
                   breaks=breaks, driving=driving,
                   fixed_cost=0.0, capacity=[max(c - u, 0.0) for c, u in
                                             zip(vt.capacity, used, strict=True)],
                   max_stops=max_stops, max_distance=vt.max_distance - driven,
                   max_duration=max(vt.max_duration - (free - departed), 1e-9))


def _travel(problem: Problem, moved: dict[str, str]):
    """Explicit matrices gain a row and a column per position depot (copies of its
    stop's), in every time slice."""
    t = problem.travel
    if not isinstance(t, ExplicitTravel) or not moved:
        return t
    at = {x: k for k, x in enumerate(t.locations)}
    order = list(range(len(t.locations))) + [at[s] for s in moved.values()]

    def grow(m):
        return None if m is None else [[m[i][j] for j in order] for i in order]
    locations = list(t.locations) + list(moved)
    if isinstance(t, TimeDependentMatrixTravel):
        return t.model_copy(update={"locations": locations, "slices": [
            s.model_copy(update={"duration": grow(s.duration), "distance": grow(s.distance)})
            for s in t.slices]})
    return t.model_copy(update={"locations": locations,
                                "distance": grow(t.distance), "duration": grow(t.duration)})


def _rest(ip: InProgress, done: set[str]) -> InProgress:
    """``ip`` for what is left: no started vehicles, references and locks without the
    ``done`` stops (frozen or unfit), unavailable vehicles out of the reference."""
    reference = []
    for r in ip.reference:
        if r.vehicle in ip.unavailable:
            continue
        keep = [j for j, s in enumerate(r.stops) if s not in done]
        if keep:
            reference.append(ReferenceRoute(
                vehicle=r.vehicle, stops=[r.stops[j] for j in keep],
                etas=None if r.etas is None else [r.etas[j] for j in keep]))
    locks = []
    for k, lock in enumerate(ip.locks):
        stops = [s for s in ip.locked_stops(k) if s not in done]
        if stops:  # a whole-route lock stays one (its reference route is what is left)
            locks.append(Lock(kind=lock.kind, vehicle=lock.vehicle,
                              stops=None if lock.stops is None else stops))
    return InProgress(now=ip.now, reference=reference, locks=locks, disruption=ip.disruption)


def reattach(residual: Residual, solution: Solution) -> Solution:
    """The residual ``solution`` as a plan of the whole day: frozen prefixes first, routes
    of the original vehicle types, unavailable and idle started vehicles keeping theirs."""
    routes, placed = [], set()
    for r in solution.routes:
        name = r.vehicle or ""
        routes.append(Route(vehicle=name, vehicle_type=residual.type_of.get(name),
                            stops=residual.frozen.get(name, []) + list(r.stops)))
        placed.add(name)
    for name, stops in residual.frozen.items():
        if name not in placed:
            routes.append(Route(vehicle=name, vehicle_type=residual.type_of[name],
                                stops=list(stops)))
    unassigned = list(solution.unassigned) + [
        Unassigned(stop=sid, reason=ReasonCode.CAPACITY) for sid in residual.unfit]
    return solution.model_copy(update={"routes": routes, "unassigned": unassigned,
                                       "problem": residual.original.name})
