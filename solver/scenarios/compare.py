"""Side-by-side comparison: KPIs per run, deltas against the base of the same seed, and
a plan diff (which stops changed vehicle, which routes changed).

Routes carry no vehicle identity (only a type), so a variant's routes are matched to the
base routes greedily by the number of stops they share (largest overlap first); a stop
"changed vehicle" when its matched route differs, or it is now served and was not (or
the other way round).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from solver.scenarios.run import RunResult, ScenarioResult
from solver.scenarios.sets import BASE
from solver.solution import Solution

KPI_COLUMNS = (
    "total_cost", "fixed_cost", "distance_cost", "time_cost", "penalty_cost", "distance",
    "duration", "vehicles_used", "stops_served", "unassigned", "on_time_rate",
    "on_time_expected", "utilisation", "cost_per_stop", "feasible",
)
DELTA_COLUMNS = ("total_cost", "distance", "duration", "vehicles_used", "unassigned",
                 "on_time_rate", "cost_per_stop")


@dataclass(frozen=True)
class PlanDiff:
    """How a variant's plan differs from the base plan of the same seed."""

    stops_moved: list[str] = field(default_factory=list)  # served in both, other route
    newly_served: list[str] = field(default_factory=list)
    newly_unserved: list[str] = field(default_factory=list)  # incl. stops the variant dropped
    added_stops: list[str] = field(default_factory=list)  # not in the base problem
    routes_changed: int = 0  # variant routes with a stop sequence no base route has
    routes_unchanged: int = 0

    def summary(self) -> dict[str, int]:
        return {"stops_moved": len(self.stops_moved), "newly_served": len(self.newly_served),
                "newly_unserved": len(self.newly_unserved), "routes_changed":
                self.routes_changed, "routes_unchanged": self.routes_unchanged}


def plan_diff(base: Solution, variant: Solution, base_stops: set[str]) -> PlanDiff:
    """Compare two plans by stop ids (see the module docstring)."""
    b_routes = [r.stops for r in base.routes]
    v_routes = [r.stops for r in variant.routes]
    b_of = {s: k for k, seq in enumerate(b_routes) for s in seq}
    v_of = {s: k for k, seq in enumerate(v_routes) for s in seq}
    overlap: dict[tuple[int, int], int] = {}
    for s, v in v_of.items():
        if s in b_of:
            overlap[(v, b_of[s])] = overlap.get((v, b_of[s]), 0) + 1
    match: dict[int, int] = {}
    taken: set[int] = set()
    for (v, b), _ in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if v not in match and b not in taken:
            match[v] = b
            taken.add(b)
    moved = sorted(s for s, v in v_of.items() if s in b_of and match.get(v) != b_of[s])
    base_seqs = {tuple(seq) for seq in b_routes}
    changed = sum(tuple(seq) not in base_seqs for seq in v_routes)
    return PlanDiff(
        stops_moved=moved,
        newly_served=sorted(s for s in v_of if s not in b_of and s in base_stops),
        newly_unserved=sorted(s for s in b_of if s not in v_of),
        added_stops=sorted(s for s in v_of if s not in base_stops),
        routes_changed=changed,
        routes_unchanged=len(v_routes) - changed,
    )


def kpi_row(run: RunResult) -> dict[str, Any]:
    """The KPI columns of one run (NaN where the run has no plan)."""
    if run.solution is None or not run.kpis:
        return {c: math.nan for c in KPI_COLUMNS}
    k = run.kpis
    served = k["stops_served"]
    return {
        "total_cost": k["cost"], **run.cost_parts, "distance": k["distance"],
        "duration": k["duration"], "vehicles_used": k["vehicles_used"],
        "stops_served": served, "unassigned": k["unassigned"],
        "on_time_rate": k["on_time_rate"],
        "on_time_expected": math.nan if run.on_time_expected is None else run.on_time_expected,
        "utilisation": k["utilisation"],
        "cost_per_stop": k["cost"] / served if served else math.nan,
        "feasible": k["feasible"],
    }


@dataclass
class Comparison:
    """Rows (one per run, the base of each seed first) and plan diffs by run key."""

    name: str
    rows: list[dict[str, Any]]
    diffs: dict[str, PlanDiff]
    axes: list[str]
    seeds: list[int]
    wall_s: float
    cancelled: bool

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "axes": self.axes, "seeds": self.seeds,
                "wall_s": self.wall_s, "cancelled": self.cancelled, "rows": self.rows,
                "plan_diffs": {k: asdict(d) for k, d in self.diffs.items()}}


def compare(result: ScenarioResult) -> Comparison:
    """KPIs, deltas vs the base of the same seed, and plan diffs for every run."""
    base_rows: dict[int, dict[str, Any]] = {}
    base_runs: dict[int, RunResult] = {}
    for spec in result.specs:
        if spec.name == BASE:
            base_runs[spec.seed] = result.runs[spec.key]
            base_rows[spec.seed] = kpi_row(base_runs[spec.seed])
    base_stops = {s.id for s in result.problems[BASE].stops}
    rows, diffs = [], {}
    ordered = sorted(result.specs, key=lambda s: (s.name != BASE, ))  # bases first, stable
    for spec in ordered:
        run = result.runs[spec.key]
        kpis = kpi_row(run)
        row: dict[str, Any] = {"variant": spec.name, "seed": spec.seed, "status": run.status,
                               **{a: spec.cell.get(a) for a in result.axes}, **kpis}
        ref = base_rows[spec.seed]
        for c in DELTA_COLUMNS:
            row[f"delta_{c}"] = _delta(kpis[c], ref[c])
        row["delta_total_cost_pct"] = _pct(kpis["total_cost"], ref["total_cost"])
        base_sol = base_runs[spec.seed].solution
        if spec.name != BASE and run.solution is not None and base_sol is not None:
            diffs[spec.key] = plan_diff(base_sol, run.solution, base_stops)
            row.update(diffs[spec.key].summary())
        else:
            row.update({k: (0 if spec.name == BASE else math.nan)
                        for k in PlanDiff().summary()})
        row.update({"warm_start": run.warm_start, "runtime_s": run.runtime_s,
                    "iterations": run.iterations, "stopped_by": run.stopped_by,
                    "cpu_s": run.cpu_s, "jit_compiles": run.jit_compiles, "error": run.error})
        rows.append(row)
    seeds = sorted(base_rows)
    return Comparison(result.name, rows, diffs, result.axes, seeds, result.wall_s,
                      result.cancelled)


def _delta(value: Any, ref: Any) -> float:
    try:
        return float(value) - float(ref)
    except (TypeError, ValueError):
        return math.nan


def _pct(value: Any, ref: Any) -> float:
    d = _delta(value, ref)
    return 100.0 * d / float(ref) if ref and not math.isnan(d) else math.nan
