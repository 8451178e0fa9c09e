"""The ``in_progress`` part of a problem: what has happened by ``now`` and what to keep.

A started vehicle has served some stops (frozen, with their actual times when known) and
is either at its last served stop or driving to ``next`` (committed: it will serve it,
arriving at ``eta``). ``load`` is the capacity its route already uses (by default the
demand of its frozen stops). Unavailable vehicles keep their frozen stops and get nothing
new. A started vehicle's type's breaks are taken in order: those in ``breaks_taken``
are frozen, the others come after ``now`` (after the stop it drives to). ``reference`` is
the published plan that ``locks`` and ``disruption`` refer to;
``etas`` are the promised service starts of its stops.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from solver.fields import ClockTime, Id, NonNegFloat, _Frozen


class ServedStop(_Frozen):
    """A stop a vehicle has already served."""

    stop: Id
    arrival: ClockTime | None = Field(default=None, description="actual arrival, if known")
    departure: ClockTime | None = Field(default=None, description="actual departure, if known")


class TakenBreak(_Frozen):
    """A break a started vehicle has taken (or is taking: it ends after ``now``)."""

    id: Id = Field(description="the id of one of its type's breaks")
    start: ClockTime = Field(description="when it began")


class VehicleState(_Frozen):
    """Where one started vehicle stands at ``now``."""

    vehicle: Id = Field(description="a vehicle name (vehicle_ids or TYPE#k)")
    served: list[ServedStop] = Field(default_factory=list)
    next: Id | None = Field(default=None, description="the stop it is driving to (committed)")
    eta: ClockTime | None = Field(default=None, description="its arrival at next")
    load: list[NonNegFloat] | None = Field(
        default=None, description="capacity the route already uses; default: the demand of "
        "its served stops and next")
    departed: ClockTime | None = Field(
        default=None, description="when it left its start depot; default: its shift start")
    breaks_taken: list[TakenBreak] = Field(
        default_factory=list, description="its type's first breaks, in order, as taken "
        "(frozen); the others are placed after now")
    driving_since_break: NonNegFloat | None = Field(
        default=None, description="seconds driven since its last qualifying break, when "
        "it reaches its position (at most its type's driving.max_driving; only for a type "
        "with a driving rule); default: the worst value its reported times allow, all "
        "the time since it left or ended its last qualifying break, less known service "
        "and shorter breaks, at most max_driving", examples=[5400])

    @property
    def frozen(self) -> list[str]:
        """Its stops no plan may change: served, then the one it is driving to."""
        return [s.stop for s in self.served] + ([self.next] if self.next is not None else [])

    def driven(self, vtype, stops: dict, now: float) -> float:
        """Its driving since the last qualifying break when it reaches its position (the
        stop it drives to, else its last served stop), for ``vtype``'s driving rule (0
        without one); ``stops``: stop id -> Stop.

        Without ``driving_since_break``, the worst value its reported times allow: every
        second from the later of its departure and the end of its last qualifying break
        taken, to its arrival at its position (``eta``; at its last served stop: the
        arrival, else departure minus service, else ``now``), counts as driving, except
        the time known to be spent serving stops (a served stop's [arrival, departure],
        one time and the service time giving the other; a stop with no time only when no
        qualifying break was taken, so it surely came after) and on shorter breaks. Plus
        the rule's ``driven_at_start`` when no qualifying break was taken; at most
        ``max_driving`` (a vehicle that kept the rule drove no more)."""
        rule = vtype.driving
        if rule is None:
            return 0.0
        if self.driving_since_break is not None:
            return self.driving_since_break
        length = {b.id: b.duration for b in vtype.breaks}
        resets = [b for b in self.breaks_taken if length[b.id] + 1e-6 >= rule.break_duration]
        since = max([self.departed if self.departed is not None else vtype.shift.start]
                    + [b.start + length[b.id] for b in resets])
        arrive = self.eta if self.next is not None else self._arrival(
            self.served[-1], stops, now)
        idle = [(b.start, b.start + length[b.id]) for b in self.breaks_taken
                if length[b.id] + 1e-6 < rule.break_duration]
        after = not resets  # whether the stops met so far surely come after ``since``
        for s in self.served:
            service = stops[s.stop].service_time
            if s.arrival is None and s.departure is None:
                idle.append((since, since + service) if after else (0.0, 0.0))
                continue
            begin = s.arrival if s.arrival is not None else s.departure - service
            idle.append((begin, s.departure if s.departure is not None else begin + service))
            after = after or begin >= since
        busy = math.fsum(max(min(b, arrive) - max(a, since), 0.0) for a, b in idle)
        carried = rule.driven_at_start if not resets else 0.0
        return min(carried + max(arrive - since - busy, 0.0), rule.max_driving)

    @staticmethod
    def _arrival(last: ServedStop, stops: dict, now: float) -> float:
        if last.arrival is not None:
            return last.arrival
        if last.departure is not None:
            return last.departure - stops[last.stop].service_time
        return now

    def break_end(self, vtype) -> float:
        """When its last taken break ends (-inf when it took none); ``vtype``: its type."""
        lengths = {b.id: b.duration for b in vtype.breaks}
        return max((b.start + lengths[b.id] for b in self.breaks_taken), default=-math.inf)


class ReferenceRoute(_Frozen):
    """One route of the published plan, with the promised service starts."""

    vehicle: Id
    stops: list[Id]
    etas: list[ClockTime] | None = None


class Lock(_Frozen):
    """Keep part of the reference plan: ``assignment`` (these stops stay on ``vehicle``,
    any order), ``sequence`` (they keep this relative order on it, others may come in
    between) or ``fixed`` (they stay on it consecutively in this order; with no
    ``stops``, the whole route stays as it is)."""

    kind: Literal["assignment", "sequence", "fixed"]
    vehicle: Id
    stops: list[Id] | None = Field(default=None, description="default: the vehicle's whole "
                                   "reference route")


class Disruption(_Frozen):
    """What changing the published plan costs."""

    move_cost: NonNegFloat = Field(default=0.0, description="per stop served by another "
                                   "vehicle than in the reference")
    eta_cost: NonNegFloat = Field(default=0.0, description="per second a stop's service "
                                  "starts later than promised, beyond the tolerance")
    eta_tolerance: NonNegFloat = 0.0


class Situation(_Frozen):
    """What the day looks like at ``now`` and what to keep (shared by ``InProgress`` and
    the changes a replan request sends)."""

    now: ClockTime
    vehicles: list[VehicleState] = Field(default_factory=list)
    unavailable: list[Id] = Field(default_factory=list)
    locks: list[Lock] = Field(default_factory=list)
    disruption: Disruption = Disruption()


class InProgress(Situation):
    """A day under way (see the module docstring)."""

    reference: list[ReferenceRoute] = Field(default_factory=list)

    def frozen(self) -> dict[str, list[str]]:
        """Vehicle name -> its frozen stops."""
        return {v.vehicle: v.frozen for v in self.vehicles}

    def locked_stops(self, k: int) -> list[str]:
        """The stops of lock ``k`` (its vehicle's reference route when it names none)."""
        lock = self.locks[k]
        if lock.stops is not None:
            return list(lock.stops)
        return next((list(r.stops) for r in self.reference if r.vehicle == lock.vehicle), [])

    def promised(self) -> dict[str, tuple[str, float | None]]:
        """Stop -> (reference vehicle, promised start or None)."""
        out: dict[str, tuple[str, float | None]] = {}
        for r in self.reference:
            for j, sid in enumerate(r.stops):
                out[sid] = (r.vehicle, r.etas[j] if r.etas is not None else None)
        return out
