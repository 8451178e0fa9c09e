"""What-if scenarios: edits of a base problem, variant sets, parallel runs, comparison.

Re-exports only; see the modules.
"""

from solver.scenarios.compare import Comparison, PlanDiff, compare, plan_diff
from solver.scenarios.edits import (
    EDITS,
    Edit,
    StopFilter,
    apply_edits,
    apply_travel_edits,
    parse_edit,
    parse_edits,
)
from solver.scenarios.errors import ScenarioError
from solver.scenarios.executors import local_executor, open_executor
from solver.scenarios.repair import repair
from solver.scenarios.report import render_html, write_csv, write_json, write_report
from solver.scenarios.run import (
    RunProgress,
    RunResult,
    ScenarioResult,
    run_one,
    run_scenarios,
)
from solver.scenarios.sets import BASE, Grid, GridAxis, ScenarioSet, Variant, VariantSpec, expand

__all__ = [
    "BASE",
    "EDITS",
    "Comparison",
    "Edit",
    "Grid",
    "GridAxis",
    "PlanDiff",
    "RunProgress",
    "RunResult",
    "ScenarioError",
    "ScenarioResult",
    "ScenarioSet",
    "StopFilter",
    "Variant",
    "VariantSpec",
    "apply_edits",
    "apply_travel_edits",
    "compare",
    "expand",
    "local_executor",
    "open_executor",
    "parse_edit",
    "parse_edits",
    "plan_diff",
    "render_html",
    "repair",
    "run_one",
    "run_scenarios",
    "write_csv",
    "write_json",
    "write_report",
]
