"""What-if scenarios: edits of a base problem, variant sets, parallel runs, comparison.

Re-exports only; see the modules.
"""

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

__all__ = [
    "EDITS",
    "Edit",
    "ScenarioError",
    "StopFilter",
    "apply_edits",
    "apply_travel_edits",
    "parse_edit",
    "parse_edits",
]
