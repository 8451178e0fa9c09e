"""A scenario set (VARIANTS.yaml): named variants, an optional grid sweep, replications.

.. code-block:: yaml

    name: peak season
    variants:
      - name: demand +20%
        edits: [{op: scale_demand, factor: 1.2}]
      - name: 3 more vans
        edits: [{op: add_vehicles, count: 3, type: van}]
    grid:                       # one variant per cell of the product of the axes
      name: fleet x demand
      edits: []                 # applied to every cell before the axis edits
      axes:
        - {name: vans, op: set_vehicles, param: count, type: van, range: [30, 45, 5]}
        - {name: demand, op: scale_demand, param: factor, values: [1.0, 1.1, 1.2, 1.3]}
    replications: 3             # or seeds: [0, 7, 42]; every run, base included, per seed

Keys of an axis other than ``name``, ``op``, ``param``, ``values`` and ``range`` are
fixed parameters of the axis edit. ``range: [start, stop, step]`` includes ``stop``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from solver.scenarios.base import Edit
from solver.scenarios.edits import parse_edit, parse_edits
from solver.scenarios.errors import ScenarioError, first_error

BASE = "base"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


def _parsed(items: Any) -> Any:
    return parse_edits(items) if isinstance(items, list | tuple) else items


class Variant(_Model):
    name: str = Field(min_length=1, max_length=200)
    edits: list[Edit] = Field(default_factory=list)
    description: str | None = None

    _parse = field_validator("edits", mode="before")(_parsed)


class GridAxis(_Model):
    """One swept parameter: edit ``op``'s ``param`` takes each of ``values``."""

    op: str
    param: str
    values: list[Any] = Field(min_length=1)
    name: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fixed_params_and_range(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {"op", "param", "values", "name", "params", "range"}
        data = dict(data)
        extra = {k: data.pop(k) for k in list(data) if k not in known}
        data["params"] = {**data.get("params", {}), **extra}
        if "range" in data:
            if "values" in data:
                raise ValueError("give values or range, not both")
            data["values"] = _inclusive_range(data.pop("range"))
        return data

    @property
    def label(self) -> str:
        return self.name or f"{self.op}.{self.param}"

    def edit(self, value: Any, path: str) -> Edit:
        return parse_edit({"op": self.op, **self.params, self.param: value}, path)


def _inclusive_range(spec: Any) -> list[float | int]:
    if not (isinstance(spec, list | tuple) and len(spec) in (2, 3)):
        raise ValueError("range is [start, stop] or [start, stop, step]")
    start, stop, step = (*spec, 1) if len(spec) == 2 else spec
    if step <= 0 or stop < start:
        raise ValueError("range needs start <= stop and a positive step")
    n = int((stop - start) / step + 1e-9) + 1
    if n > 10_000:
        raise ValueError(f"range has {n} values; at most 10000")
    ints = all(isinstance(x, int) for x in (start, stop, step))
    return [start + k * step if ints else round(start + k * step, 10) for k in range(n)]


class Grid(_Model):
    name: str = "grid"
    edits: list[Edit] = Field(default_factory=list)
    axes: list[GridAxis] = Field(min_length=1, max_length=4)

    _parse = field_validator("edits", mode="before")(_parsed)


class ScenarioSet(_Model):
    """Variants of one base problem; see the module docstring for the YAML form."""

    name: str = "scenarios"
    variants: list[Variant] = Field(default_factory=list)
    grid: Grid | None = None
    seeds: list[Annotated[int, Field(ge=0, lt=2**31)]] | None = Field(default=None, min_length=1)
    replications: int | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def _check(self) -> ScenarioSet:
        if self.seeds is not None and self.replications is not None:
            raise ValueError("give seeds or replications, not both")
        if not self.variants and self.grid is None:
            raise ValueError("a scenario set needs variants or a grid")
        names = [v.name for v in self.variants]
        if BASE in names:
            raise ValueError(f"{BASE!r} is the name of the base problem; rename the variant")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"variant names must be unique; repeated: {dup}")
        return self

    @classmethod
    def from_dict(cls, data: Any, source: str = "scenario set") -> ScenarioSet:
        """Validate a parsed VARIANTS document; errors name ``source`` and the field."""
        if not isinstance(data, dict):
            raise ScenarioError("the document must be a mapping with 'variants' or 'grid'",
                                source)
        data = dict(data)
        try:
            if isinstance(data.get("variants"), list):
                data["variants"] = [_with_edits(v, f"variants[{k}]")
                                    for k, v in enumerate(data["variants"])]
            if isinstance(data.get("grid"), dict):
                data["grid"] = _with_edits(data["grid"], "grid")
            out = cls.model_validate(data)
            for k, axis in enumerate(out.grid.axes if out.grid else []):
                for value in axis.values:
                    axis.edit(value, f"grid.axes[{k}]")
            return out
        except ScenarioError as exc:
            raise ScenarioError(exc.message, f"{source}: {exc.path}") from None
        except ValidationError as exc:
            where, msg = first_error(exc)
            raise ScenarioError(msg, f"{source}: {where}" if where else source) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> ScenarioSet:
        """Read VARIANTS.yaml."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ScenarioError(f"not valid YAML: {exc}".splitlines()[0], str(path)) from None
        return cls.from_dict(data, str(path))

    def run_seeds(self, seed: int) -> list[int]:
        """The seeds every run is solved with (``seed`` is the options' seed)."""
        if self.seeds is not None:
            return list(self.seeds)
        return [seed + k for k in range(self.replications or 1)]


def _with_edits(item: Any, path: str) -> Any:
    if isinstance(item, dict) and isinstance(item.get("edits"), list):
        return {**item, "edits": parse_edits(item["edits"], f"{path}.edits")}
    return item


@dataclass(frozen=True)
class VariantSpec:
    """One run to make: a variant's edits and the seed it is solved with."""

    name: str
    edits: tuple[Edit, ...]
    seed: int
    path: str  # where the variant comes from, for error messages
    cell: dict[str, Any] = field(default_factory=dict)  # grid axis label -> value

    @property
    def key(self) -> str:
        return f"{self.name}#{self.seed}"


def expand(scenarios: ScenarioSet, seed: int = 0) -> list[VariantSpec]:
    """Every run of the set, the base first for each seed, then variants, then grid cells."""
    runs: list[VariantSpec] = []
    for s in scenarios.run_seeds(seed):
        runs.append(VariantSpec(BASE, (), s, BASE))
        for k, v in enumerate(scenarios.variants):
            runs.append(VariantSpec(v.name, tuple(v.edits), s, f"variants[{k}]"))
        if scenarios.grid is not None:
            runs.extend(_cells(scenarios.grid, s, {v.name for v in scenarios.variants}))
    return runs


def _cells(grid: Grid, seed: int, taken: set[str]) -> list[VariantSpec]:
    labels = [a.label for a in grid.axes]
    if len(set(labels)) != len(labels):
        raise ScenarioError(f"axis names must be unique, got {labels}", "grid.axes")
    out = []
    for values in itertools.product(*(a.values for a in grid.axes)):
        name = " ".join(f"{lab}={val}" for lab, val in zip(labels, values, strict=True))
        if name in taken:
            raise ScenarioError(f"grid cell {name!r} has the name of a variant", "grid")
        path = f"grid[{name}]"
        edits = [*grid.edits, *(a.edit(v, f"{path}.axes[{k}]")
                                for k, (a, v) in enumerate(zip(grid.axes, values, strict=True)))]
        out.append(VariantSpec(name, tuple(edits), seed, path,
                               dict(zip(labels, values, strict=True))))
    return out
