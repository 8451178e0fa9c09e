"""Checks of ``in_progress`` against its problem; every error names the item."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solver.problem import Problem


def check_in_progress(problem: Problem) -> None:
    """Raise ValueError naming the first unknown, contradictory or unsupported item."""
    ip = problem.in_progress
    assert ip is not None
    stops = {s.id: s for s in problem.stops}
    types = {v.vehicle_name(k): v for v in problem.vehicle_types for k in range(v.count)}
    if problem.shipments:
        raise ValueError("in_progress: re-planning problems with shipments is not supported")
    on: dict[str, str] = {}
    started: set[str] = set()
    for j, v in enumerate(ip.vehicles):
        where = f"in_progress.vehicles[{j}]"
        if v.vehicle not in types:
            raise ValueError(f"{where}.vehicle: unknown vehicle {v.vehicle!r}")
        if v.vehicle in started:
            raise ValueError(f"{where}.vehicle: vehicle {v.vehicle!r} listed twice")
        started.add(v.vehicle)
        vtype = types[v.vehicle]
        _check_driving(where, v, vtype)
        _check_breaks(where, v, vtype, ip.now)
        if not v.frozen:
            raise ValueError(f"{where}: vehicle {v.vehicle!r} has served nothing and drives "
                             "to no stop; leave it out (it has not started)")
        if (v.next is None) != (v.eta is None):
            raise ValueError(f"{where}.eta: give next and eta together")
        if v.eta is not None and v.eta < ip.now:
            raise ValueError(f"{where}.eta: {v.eta:g} is before now ({ip.now:g})")
        last = v.departed if v.departed is not None else 0.0
        for q, s in enumerate(v.served):
            if s.stop not in stops:
                raise ValueError(f"{where}.served[{q}]: unknown stop {s.stop!r}")
            for field in ("arrival", "departure"):
                t = getattr(s, field)
                if t is None:
                    continue
                if t > ip.now:
                    raise ValueError(f"{where}.served[{q}].{field}: stop {s.stop!r} at "
                                     f"{t:g}, after now ({ip.now:g})")
                if t < last:
                    raise ValueError(f"{where}.served[{q}].{field}: stop {s.stop!r} at "
                                     f"{t:g}, before the vehicle's previous time {last:g}")
                last = t
        if v.next is not None and v.next not in stops:
            raise ValueError(f"{where}.next: unknown stop {v.next!r}")
        for sid in v.frozen:
            if sid in on:
                raise ValueError(f"{where}: stop {sid!r} is frozen on {on[sid]!r} and on "
                                 f"{v.vehicle!r}")
            on[sid] = v.vehicle
        if v.load is not None:
            if len(v.load) != len(vtype.capacity):
                raise ValueError(f"{where}.load: {len(v.load)} dimensions, the capacity has "
                                 f"{len(vtype.capacity)}")
            if any(a > c for a, c in zip(v.load, vtype.capacity, strict=True)):
                raise ValueError(f"{where}.load: {v.load} exceeds the capacity "
                                 f"{vtype.capacity}")
    for j, name in enumerate(ip.unavailable):
        if name not in types:
            raise ValueError(f"in_progress.unavailable[{j}]: unknown vehicle {name!r}")
    _check_reference(problem, stops.keys(), types.keys())
    _check_locks(problem, on)


def _check_driving(where: str, v, vtype) -> None:
    """``driving_since_break`` only for a type with a driving rule, within its limit."""
    given = v.driving_since_break
    if given is None:
        return
    if vtype.driving is None:
        raise ValueError(f"{where}.driving_since_break: vehicle {v.vehicle!r} has no "
                         "driving rule (its type's driving)")
    if given > vtype.driving.max_driving:
        raise ValueError(f"{where}.driving_since_break: {given:g} is above the max_driving "
                         f"({vtype.driving.max_driving:g}) of vehicle {v.vehicle!r}")


def _check_breaks(where: str, v, vtype, now: float) -> None:
    """Taken breaks are the type's first ones, in order, begun by ``now``; every break
    not taken can still begin after ``now``."""
    for q, taken in enumerate(v.breaks_taken):
        expected = vtype.breaks[q].id if q < len(vtype.breaks) else None
        if taken.id != expected:
            raise ValueError(f"{where}.breaks_taken[{q}]: break {taken.id!r} is not "
                             f"{'the next break of' if expected else 'a break left to'} "
                             f"vehicle {v.vehicle!r} ({expected!r}; breaks are taken in "
                             "order)")
        if taken.start > now:
            raise ValueError(f"{where}.breaks_taken[{q}].start: {taken.start:g} is after "
                             f"now ({now:g})")
    for b in vtype.breaks[len(v.breaks_taken):]:
        if b.latest_start < now:
            raise ValueError(f"{where}.breaks_taken: vehicle {v.vehicle!r} has not taken "
                             f"break {b.id!r}, whose latest start {b.latest_start:g} is "
                             f"before now ({now:g}); report it as taken")


def _check_reference(problem: Problem, stops, vehicles) -> None:
    ip = problem.in_progress
    seen: dict[str, str] = {}
    for j, r in enumerate(ip.reference):
        where = f"in_progress.reference[{j}]"
        if r.vehicle not in vehicles:
            raise ValueError(f"{where}.vehicle: unknown vehicle {r.vehicle!r}")
        if r.etas is not None and len(r.etas) != len(r.stops):
            raise ValueError(f"{where}.etas: {len(r.etas)} times for {len(r.stops)} stops")
        for sid in r.stops:
            if sid not in stops:
                raise ValueError(f"{where}.stops: unknown stop {sid!r}")
            if sid in seen:
                raise ValueError(f"{where}.stops: stop {sid!r} is also on {seen[sid]!r}")
            seen[sid] = r.vehicle
        if r.vehicle in {x.vehicle for x in ip.reference[:j]}:
            raise ValueError(f"{where}.vehicle: vehicle {r.vehicle!r} has two routes")


def _check_locks(problem: Problem, frozen_on: dict[str, str]) -> None:
    """Locks name reference stops of their vehicle, each stop at most once, and never ask
    an unavailable vehicle for new stops or a frozen stop for another vehicle."""
    ip = problem.in_progress
    ref = ip.promised()
    locked: dict[str, int] = {}
    frozen = ip.frozen()
    for k, lock in enumerate(ip.locks):
        where = f"in_progress.locks[{k}] ({lock.kind} on {lock.vehicle!r})"
        if lock.vehicle not in {r.vehicle for r in ip.reference}:
            raise ValueError(f"{where}: vehicle {lock.vehicle!r} has no reference route")
        stops = ip.locked_stops(k)
        for sid in stops:
            if sid not in ref:
                raise ValueError(f"{where}: stop {sid!r} is not in the reference plan")
            if ref[sid][0] != lock.vehicle:
                raise ValueError(f"{where}: stop {sid!r} is on {ref[sid][0]!r} in the "
                                 "reference plan")
            if sid in locked:
                raise ValueError(f"{where}: stop {sid!r} is already in lock {locked[sid]}")
            locked[sid] = k
            if sid in frozen_on and frozen_on[sid] != lock.vehicle:
                raise ValueError(f"{where}: stop {sid!r} is frozen on {frozen_on[sid]!r}")
            if (lock.vehicle in ip.unavailable
                    and sid not in frozen.get(lock.vehicle, [])):
                raise ValueError(f"{where}: vehicle {lock.vehicle!r} is unavailable, so it "
                                 f"cannot keep stop {sid!r} (infeasible lock)")
        if lock.kind != "assignment":
            _check_frozen_order(where, stops, frozen.get(lock.vehicle, []))


def _check_frozen_order(where: str, stops: list[str], frozen: list[str]) -> None:
    """An ordered lock must list its frozen stops first, in their frozen order."""
    done = [s for s in stops if s in frozen]
    if done != stops[:len(done)] or done != [s for s in frozen if s in done]:
        raise ValueError(f"{where}: its order contradicts the frozen stops {frozen}")
