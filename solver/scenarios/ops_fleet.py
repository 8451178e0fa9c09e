"""Edits of the fleet and the depots: vehicles, capacities, shifts, costs, depots."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from solver.problem import Depot, ExplicitTravel, Location, Problem, TimeWindow, VehicleType
from solver.scenarios.base import Edit

Factor = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Seconds = Annotated[float, Field(allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _with_counts(edit: Edit, problem: Problem, counts: dict[str, int]) -> Problem:
    """Set type counts; a count of 0 removes the type, but never the whole fleet."""
    types = [v.model_copy(update={"count": counts.get(v.id, v.count)})
             for v in problem.vehicle_types if counts.get(v.id, v.count) > 0]
    if not types:
        edit.fail("count", "no vehicle would be left in the fleet")
    return edit.revalidate(problem, vehicle_types=types)


class AddVehicles(Edit):
    """Add ``count`` vehicles of ``type`` (optional when the fleet has one type)."""

    op: Literal["add_vehicles"] = "add_vehicles"
    count: int = Field(ge=0, le=100_000)
    type: str | None = None

    def apply(self, problem: Problem) -> Problem:
        v = self.one_type(problem, self.type)
        return _with_counts(self, problem, {v.id: v.count + self.count})


class RemoveVehicles(Edit):
    """Remove ``count`` vehicles of ``type``; removing all of a type drops the type."""

    op: Literal["remove_vehicles"] = "remove_vehicles"
    count: int = Field(ge=0, le=100_000)
    type: str | None = None

    def apply(self, problem: Problem) -> Problem:
        v = self.one_type(problem, self.type)
        if self.count > v.count:
            self.fail("count", f"vehicle type {v.id!r} has only {v.count} vehicle(s)")
        return _with_counts(self, problem, {v.id: v.count - self.count})


class SetVehicles(Edit):
    """Set the number of vehicles of ``type`` to ``count`` (0 drops the type)."""

    op: Literal["set_vehicles"] = "set_vehicles"
    count: int = Field(ge=0, le=100_000)
    type: str | None = None

    def apply(self, problem: Problem) -> Problem:
        v = self.one_type(problem, self.type)
        return _with_counts(self, problem, {v.id: self.count})


class ChangeCapacity(Edit):
    """Scale the capacity of ``type`` (all types by default) by ``factor``, or set it to
    ``value`` (one number per demand dimension)."""

    op: Literal["change_capacity"] = "change_capacity"
    factor: Factor | None = None
    value: list[Annotated[float, Field(ge=0)]] | None = None
    type: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ChangeCapacity:
        if (self.factor is None) == (self.value is None):
            raise ValueError("change_capacity: give exactly one of factor and value")
        return self

    def apply(self, problem: Problem) -> Problem:
        chosen = {v.id for v in self.vehicle_types(problem, self.type)}
        if self.value is not None and len(self.value) != problem.n_dims:
            self.fail("value", f"needs {problem.n_dims} number(s), one per demand dimension")

        def cap(v: VehicleType) -> list[float]:
            return list(self.value) if self.value is not None else [
                c * self.factor for c in v.capacity]  # type: ignore[operator]

        return self.revalidate(problem, vehicle_types=[
            v.model_copy(update={"capacity": cap(v)}) if v.id in chosen else v
            for v in problem.vehicle_types
        ])


def _new_shift(edit: Edit, v: VehicleType, start: float, end: float) -> TimeWindow:
    if start < 0:
        edit.fail("by", f"the shift of {v.id!r} would start before time 0 ({start:g})")
    if end < start:
        edit.fail("by", f"the shift of {v.id!r} would end ({end:g}) before it starts "
                        f"({start:g})")
    return TimeWindow(start=start, end=end)


class ShiftShifts(Edit):
    """Move the shifts of ``type`` (all by default) by ``by`` seconds (negative: earlier)."""

    op: Literal["shift_shifts"] = "shift_shifts"
    by: Seconds
    type: str | None = None

    def apply(self, problem: Problem) -> Problem:
        chosen = {v.id for v in self.vehicle_types(problem, self.type)}
        return self.revalidate(problem, vehicle_types=[
            v.model_copy(update={"shift": _new_shift(
                self, v, v.shift.start + self.by, v.shift.end + self.by)})
            if v.id in chosen else v for v in problem.vehicle_types
        ])


class ExtendShifts(Edit):
    """End the shifts of ``type`` (all by default) ``by`` seconds later (negative: earlier);
    ``max_duration`` grows (or shrinks) with them when it is set."""

    op: Literal["extend_shifts"] = "extend_shifts"
    by: Seconds
    type: str | None = None

    def apply(self, problem: Problem) -> Problem:
        chosen = {v.id for v in self.vehicle_types(problem, self.type)}

        def edited(v: VehicleType) -> VehicleType:
            shift = _new_shift(self, v, v.shift.start, v.shift.end + self.by)
            longest = v.max_duration + self.by if math.isfinite(v.max_duration) else math.inf
            if longest <= 0:
                self.fail("by", f"the max duration of {v.id!r} would drop to {longest:g}")
            return v.model_copy(update={"shift": shift, "max_duration": longest})

        return self.revalidate(problem, vehicle_types=[
            edited(v) if v.id in chosen else v for v in problem.vehicle_types])


class ChangeCosts(Edit):
    """Set ``fixed_cost``, ``cost_per_distance`` and/or ``cost_per_time`` of ``type`` (all
    by default), or scale all three by ``factor``."""

    op: Literal["change_costs"] = "change_costs"
    type: str | None = None
    fixed_cost: Money | None = None
    cost_per_distance: Money | None = None
    cost_per_time: Money | None = None
    factor: Factor | None = None

    @model_validator(mode="after")
    def _something(self) -> ChangeCosts:
        given = [self.fixed_cost, self.cost_per_distance, self.cost_per_time, self.factor]
        if all(x is None for x in given):
            raise ValueError("change_costs: give a cost to set or a factor")
        return self

    def apply(self, problem: Problem) -> Problem:
        chosen = {v.id for v in self.vehicle_types(problem, self.type)}
        names = ("fixed_cost", "cost_per_distance", "cost_per_time")

        def edited(v: VehicleType) -> VehicleType:
            update = {n: getattr(v, n) * (self.factor or 1.0) for n in names}
            update |= {n: getattr(self, n) for n in names if getattr(self, n) is not None}
            return v.model_copy(update=update)

        return self.revalidate(problem, vehicle_types=[
            edited(v) if v.id in chosen else v for v in problem.vehicle_types])


class OpenDepot(Edit):
    """Open a depot at ``location``; ``move_types`` re-base whole vehicle types there,
    and ``count`` vehicles copied from ``vehicle_type`` can be stationed there."""

    op: Literal["open_depot"] = "open_depot"
    id: str = Field(min_length=1, max_length=200)
    location: Location
    time_window: TimeWindow = TimeWindow()
    move_types: list[str] = Field(default_factory=list)
    vehicle_type: str | None = None
    count: int = Field(default=0, ge=0, le=100_000)

    def apply(self, problem: Problem) -> Problem:
        if self.id in {d.id for d in problem.depots} | {s.id for s in problem.stops}:
            self.fail("id", f"id {self.id!r} is already used")
        if isinstance(problem.travel, ExplicitTravel):
            self.fail(None, "explicit travel matrices have no entries for a new depot")
        for t in self.move_types:
            self.vehicle_types(problem, t, "move_types")
        if self.count and self.vehicle_type is None:
            self.fail("vehicle_type", "name the vehicle type to copy for the new vehicles")
        moved = set(self.move_types)
        types = [v.model_copy(update={"start_depot": self.id, "end_depot": None})
                 if v.id in moved else v for v in problem.vehicle_types]
        if self.count:
            like = self.vehicle_types(problem, self.vehicle_type, "vehicle_type")[0]
            new_id = f"{like.id}@{self.id}"
            if new_id in {v.id for v in types}:
                self.fail("vehicle_type", f"vehicle type id {new_id!r} is already used")
            types.append(like.model_copy(update={
                "id": new_id, "count": self.count, "start_depot": self.id, "end_depot": None}))
        depot = Depot(id=self.id, location=self.location, time_window=self.time_window)
        return self.revalidate(problem, depots=[*problem.depots, depot], vehicle_types=types)


class CloseDepot(Edit):
    """Close depot ``id``; the vehicle types based there move to ``reassign_to``."""

    op: Literal["close_depot"] = "close_depot"
    id: str
    reassign_to: str | None = None

    def apply(self, problem: Problem) -> Problem:
        ids = [d.id for d in problem.depots]
        if self.id not in ids:
            self.fail("id", f"unknown depot {self.id!r} (known: {', '.join(ids)})")
        if len(ids) == 1:
            self.fail("id", f"{self.id!r} is the only depot")
        if self.reassign_to is not None and (self.reassign_to not in ids
                                             or self.reassign_to == self.id):
            self.fail("reassign_to", f"{self.reassign_to!r} is not another depot")
        based = [v.id for v in problem.vehicle_types if self.id in (v.start_depot, v.end)]
        if based and self.reassign_to is None:
            self.fail("reassign_to", f"vehicle types {based} start or end at {self.id!r}; "
                                     "name a depot to move them to")

        def moved(v: VehicleType) -> VehicleType:
            update = {}
            if v.start_depot == self.id:
                update["start_depot"] = self.reassign_to
            if v.end_depot == self.id:
                update["end_depot"] = self.reassign_to
            return v.model_copy(update=update)

        return self.revalidate(
            problem,
            depots=[d for d in problem.depots if d.id != self.id],
            vehicle_types=[moved(v) for v in problem.vehicle_types],
        )
