"""What every edit shares: the base class, stop filters, and re-validation of results.

An edit is a small frozen Pydantic model (its ``op`` names it) with a pure
``apply(problem) -> Problem``. Edits that change travel rather than the problem
(``traffic``) override ``apply_travel(travel) -> TravelTensor`` instead.
"""

from __future__ import annotations

import fnmatch
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from solver.problem import Problem, VehicleType
from solver.scenarios.errors import ScenarioError, first_error
from solver.travel.base import TravelTensor


class Edit(BaseModel):
    """One what-if change; subclasses declare ``op: Literal[...]`` and their parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    op: str

    def apply(self, problem: Problem) -> Problem:
        """The edited problem (``problem`` itself is never changed)."""
        return problem

    def apply_travel(self, travel: TravelTensor) -> TravelTensor:
        """The edited travel tensor; most edits leave travel alone."""
        return travel

    def stops_added(self) -> int:
        """At most how many stops ``apply`` adds: limits are checked before applying."""
        return 0

    @property
    def changes_travel(self) -> bool:
        return type(self).apply_travel is not Edit.apply_travel

    def fail(self, field: str | None, message: str) -> NoReturn:
        """Raise a ScenarioError naming this edit and the field at fault."""
        raise ScenarioError(f"{self.op}: {message}", field)

    # -- helpers shared by the edits -------------------------------------------------

    def vehicle_types(self, problem: Problem, type_id: str | None,
                      field: str = "type") -> list[VehicleType]:
        """The types an edit acts on: the named one, or all when ``type_id`` is None."""
        if type_id is None:
            return list(problem.vehicle_types)
        found = [v for v in problem.vehicle_types if v.id == type_id]
        if not found:
            known = ", ".join(v.id for v in problem.vehicle_types)
            self.fail(field, f"unknown vehicle type {type_id!r} (known: {known})")
        return found

    def one_type(self, problem: Problem, type_id: str | None) -> VehicleType:
        """The named type, or the only one; several types and no name is an error."""
        if type_id is None and len(problem.vehicle_types) > 1:
            known = ", ".join(v.id for v in problem.vehicle_types)
            self.fail("type", f"the problem has several vehicle types ({known}); name one")
        return self.vehicle_types(problem, type_id)[0]

    def revalidate(self, problem: Problem, **update: Any) -> Problem:
        """``problem`` with ``update`` applied and every model validator run again."""
        data = problem.model_copy(update=update).model_dump()  # nested models to dicts
        try:
            return Problem.model_validate(data)
        except ValidationError as exc:
            where, msg = first_error(exc)
            self.fail(None, f"the edited problem is invalid at {where}: {msg}")


class StopFilter(BaseModel):
    """Which stops an edit touches: ids, a glob on ids, a skill, required or optional.

    All given conditions must hold. In YAML a plain list of ids is accepted too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ids: list[str] | None = None
    match: str | None = None
    skill: str | None = None
    required: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return {"ids": list(data)}
        if isinstance(data, str):
            return {"match": data}
        return data

    def select(self, problem: Problem, edit: Edit, field: str = "stops") -> set[str]:
        """Ids of the matching stops; unknown ids or an empty match are errors."""
        known = {s.id for s in problem.stops}
        if self.ids is not None:
            missing = [i for i in self.ids if i not in known]
            if missing:
                edit.fail(f"{field}.ids", f"unknown stop ids {missing[:5]}")
        chosen = {
            s.id for s in problem.stops
            if (self.ids is None or s.id in self.ids)
            and (self.match is None or fnmatch.fnmatchcase(s.id, self.match))
            and (self.skill is None or self.skill in s.skills)
            and (self.required is None or s.required == self.required)
        }
        if not chosen:
            edit.fail(field, "the stop filter matches no stop")
        return chosen


def selected(problem: Problem, stops: StopFilter | None, edit: Edit) -> set[str]:
    """Ids an edit with an optional ``stops`` filter touches (all stops when None)."""
    if stops is None:
        return {s.id for s in problem.stops}
    return stops.select(problem, edit)
