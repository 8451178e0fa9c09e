"""The base plan carried over to a variant: dropped stops go, new stops come in."""

from __future__ import annotations

from solver.evaluate import evaluate
from solver.scenarios import apply_edits, parse_edits, repair
from solver.solution import Route, Solution
from solver.travel import build_travel


def test_repair_drops_missing_and_inserts_new(problem):
    """Stops the variant lacks leave their routes; new stops are all routed."""
    base = Solution(routes=[Route(vehicle_type="van", stops=["S0", "S1", "S2"]),
                            Route(vehicle_type="truck", stops=[f"S{k}" for k in range(3, 12)])])
    variant = apply_edits(problem, parse_edits([
        {"op": "drop_stops", "stops": ["S1"]}, {"op": "add_stops", "count": 3, "seed": 0}]))
    out = repair(base, variant, build_travel(variant))
    routed = [s for r in out.routes for s in r.stops]
    assert "S1" not in routed
    assert sorted(routed + [u.stop for u in out.unassigned]) == sorted(s.id for s in variant.stops)
    assert not [v for v in evaluate(variant, out).violations if v.kind in (
        "capacity", "fleet_size", "duplicate", "missing", "unknown_stop")]


def test_repair_respects_fleet_and_capacity(problem):
    """Routes of a removed type dissolve; overloaded routes shed stops that go elsewhere."""
    base = Solution(routes=[Route(vehicle_type="truck", stops=[f"S{k}" for k in range(12)])])
    variant = apply_edits(problem, parse_edits([
        {"op": "remove_vehicles", "count": 1, "type": "truck"},
        {"op": "add_vehicles", "count": 5, "type": "van"}]))
    out = repair(base, variant, build_travel(variant))
    assert {r.vehicle_type for r in out.routes} == {"van"}
    report = evaluate(variant, out)
    assert not [v for v in report.violations if v.kind in ("capacity", "fleet_size")]
    assert len(report.unassigned_required) == len(out.unassigned)
