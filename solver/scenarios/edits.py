"""What-if edits: typed, validated, pure functions Problem -> Problem, named by ``op``.

>>> edits = parse_edits([{"op": "scale_demand", "factor": 1.2},
...                      {"op": "add_vehicles", "count": 3, "type": "van"}])
>>> variant = apply_edits(base, edits)              # base is never changed
>>> travel = apply_travel_edits(build_travel(variant), edits)

An edit that makes no sense for its problem (unknown vehicle type, factor <= 0, a
result that is no valid problem) raises :class:`ScenarioError` naming the edit and the
field, e.g. ``edits[1].type: add_vehicles: unknown vehicle type 'vans' (known: van)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from solver.problem import Problem
from solver.scenarios.base import Edit, StopFilter
from solver.scenarios.errors import ScenarioError, first_error
from solver.scenarios.ops_fleet import (
    AddVehicles,
    ChangeCapacity,
    ChangeCosts,
    CloseDepot,
    ExtendShifts,
    OpenDepot,
    RemoveVehicles,
    SetVehicles,
    ShiftShifts,
)
from solver.scenarios.ops_stops import (
    AddStops,
    DropStops,
    NarrowTimeWindows,
    ScaleDemand,
    ScaleServiceTime,
    ShiftTimeWindows,
    WidenTimeWindows,
)
from solver.scenarios.ops_travel import Traffic, TravelModel
from solver.travel.base import TravelTensor

AnyEdit = Annotated[
    ScaleDemand | ScaleServiceTime | ShiftTimeWindows | WidenTimeWindows | NarrowTimeWindows
    | AddStops | DropStops | AddVehicles | RemoveVehicles | SetVehicles | ChangeCapacity
    | ShiftShifts | ExtendShifts | ChangeCosts | OpenDepot | CloseDepot | Traffic
    | TravelModel,
    Field(discriminator="op"),
]

EDITS: dict[str, type[Edit]] = {
    cls.model_fields["op"].default: cls
    for cls in (ScaleDemand, ScaleServiceTime, ShiftTimeWindows, WidenTimeWindows,
                NarrowTimeWindows, AddStops, DropStops, AddVehicles, RemoveVehicles,
                SetVehicles, ChangeCapacity, ShiftShifts, ExtendShifts, ChangeCosts,
                OpenDepot, CloseDepot, Traffic, TravelModel)
}

_ADAPTER: TypeAdapter[Edit] = TypeAdapter(AnyEdit)


def parse_edit(data: Mapping[str, Any] | Edit, path: str = "edit") -> Edit:
    """Validate one edit given as a mapping (``{"op": ..., params}``)."""
    if isinstance(data, Edit):
        return data
    if not isinstance(data, Mapping) or "op" not in data:
        raise ScenarioError("an edit is a mapping with an 'op' key", path)
    if data["op"] not in EDITS:
        raise ScenarioError(f"unknown edit {data['op']!r}; known: {', '.join(sorted(EDITS))}",
                            f"{path}.op")
    try:
        return _ADAPTER.validate_python(dict(data))
    except ValidationError as exc:
        # drop the union tag pydantic puts first (e.g. "scale_demand.factor" -> "factor")
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"][1:]]
        where = ".".join([path, *loc]) if loc else path
        msg = err["msg"].removeprefix("Value error, ")
        if not msg.startswith(data["op"]):
            msg = f"{data['op']}: {msg}"
        raise ScenarioError(msg, where) from None


def parse_edits(items: Iterable[Mapping[str, Any] | Edit], path: str = "edits") -> list[Edit]:
    """Validate a list of edits; errors name ``path[k]`` and the field."""
    return [parse_edit(item, f"{path}[{k}]") for k, item in enumerate(items)]


def apply_edits(problem: Problem, edits: Sequence[Edit], path: str = "edits") -> Problem:
    """Apply ``edits`` in order; ``problem`` is left untouched (Problem is frozen)."""
    for k, edit in enumerate(edits):
        try:
            problem = edit.apply(problem)
        except ScenarioError as exc:
            raise exc.within(f"{path}[{k}]") from None
    return problem


def apply_travel_edits(travel: TravelTensor, edits: Sequence[Edit]) -> TravelTensor:
    """Apply the edits that change the travel tensor (``traffic``), in order."""
    for edit in edits:
        travel = edit.apply_travel(travel)
    return travel


def changes_travel(edits: Sequence[Edit]) -> bool:
    return any(e.changes_travel for e in edits)


__all__ = [
    "EDITS",
    "AnyEdit",
    "Edit",
    "ScenarioError",
    "StopFilter",
    "apply_edits",
    "apply_travel_edits",
    "changes_travel",
    "first_error",
    "parse_edit",
    "parse_edits",
]
