"""Plan diffs, KPI deltas and the three exports (CSV base first, JSON, self-contained HTML)."""

from __future__ import annotations

import csv
import json
import math
from concurrent.futures import ThreadPoolExecutor

from solver.options import SolveOptions
from solver.scenarios import BASE, ScenarioSet, compare, plan_diff, run_scenarios, write_report
from solver.solution import Route, Solution
from tests import fakes


def test_plan_diff_by_hand():
    """Routes are matched by overlap; a stop in an unmatched route has changed vehicle."""
    base = Solution(routes=[Route(vehicle_type="v", stops=["a", "b", "c"]),
                            Route(vehicle_type="v", stops=["d", "e"])])
    variant = Solution(routes=[Route(vehicle_type="v", stops=["a", "b", "d"]),
                               Route(vehicle_type="v", stops=["e", "x", "n"])])
    diff = plan_diff(base, variant, base_stops={"a", "b", "c", "d", "e", "x"})
    assert diff.stops_moved == ["d"]
    assert diff.newly_unserved == ["c"] and diff.newly_served == ["x"]
    assert diff.added_stops == ["n"] and diff.routes_changed == 2


def _comparison(problem, **extra):
    doc = {"variants": [{"name": "more vans", "edits": [
        {"op": "add_vehicles", "count": 2, "type": "van"}]}],
        "grid": {"axes": [
            {"name": "vans", "op": "set_vehicles", "param": "count", "type": "van",
             "values": [1, 2, 3]},
            {"name": "demand", "op": "scale_demand", "param": "factor", "values": [1.0, 1.5]}]},
        **extra}
    options = SolveOptions(engine=fakes.GREEDY, iteration_limit=10, seed=0)
    with ThreadPoolExecutor(2) as pool:
        return compare(run_scenarios(problem, ScenarioSet.from_dict(doc), options, pool))


def test_deltas_are_against_the_base_of_the_same_seed(problem):
    """delta_total_cost = total_cost - base total_cost (same seed); the base's is 0."""
    comp = _comparison(problem, replications=2)
    base = {r["seed"]: r for r in comp.rows if r["variant"] == BASE}
    for r in comp.rows:
        ref = base[r["seed"]]
        assert math.isclose(r["delta_total_cost"], r["total_cost"] - ref["total_cost"])
        assert math.isclose(r["delta_total_cost_pct"],
                            100 * r["delta_total_cost"] / ref["total_cost"])
    assert all(r["delta_total_cost"] == 0 for r in base.values())


def test_exports(problem, tmp_path):
    """comparison.csv (base first, issue columns, one row per grid cell), comparison.json
    and a report.html with embedded images and no external references."""
    paths = write_report(_comparison(problem), tmp_path)
    rows = list(csv.DictReader(paths["csv"].open()))
    assert rows[0]["variant"] == BASE
    assert {"variant", "total_cost", "distance", "vehicles_used", "unassigned",
            "on_time_rate"} <= set(rows[0])
    assert len([r for r in rows if r["vans"]]) == 6
    data = json.loads(paths["json"].read_text())
    assert len(data["rows"]) == 8 and "more vans#0" in data["plan_diffs"]
    page = paths["html"].read_text()
    assert page.count("data:image/png;base64,") == 4  # heat maps + three charts
    assert "http://" not in page and "https://" not in page and "<script" not in page
