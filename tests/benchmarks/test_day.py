"""The operating-day benchmark: its generated days and how runs are recorded."""

from __future__ import annotations

from benchmarks.day.generate import SIZES, real_day
from benchmarks.day.run import run_one
from benchmarks.day.summary import no_worse_count, write_summary
from solver.compile import compile_problem


def test_ten_days_of_100_to_1000_stops_use_every_day_feature():
    """Ten days, 100 to 1,000 stops, on a clock with a zone, named vans, and each uses
    breaks, the driving rule, soft windows, overtime and both route limits; the same
    index gives the same day."""
    assert len(SIZES) == 10 and min(SIZES) == 100 and max(SIZES) == 1000
    for index in (0, 3):
        day = real_day(index)
        assert len(day.stops) == SIZES[index]
        assert day.time_origin and day.time_zone
        assert all(v.vehicle_ids and len(v.vehicle_ids) == v.count and v.breaks
                   for v in day.vehicle_types)
        assert len(compile_problem(day).day_features) == 6
        assert day == real_day(index)
    berlin = real_day(0)  # 2026-03-29: 06:30 local is 5.5 h after midnight (DST)
    assert berlin.vehicle_types[0].shift.start == 5.5 * 3600


def test_a_refusal_is_a_row_and_the_summary_counts_it(tmp_path):
    """An engine that declines a problem is recorded as ``refused`` with its message; the
    summary shows it and counts only complete, feasible plans as no costlier."""
    row = run_one(real_day(0), "no-such-engine", 1.0, 0)
    assert row["status"] == "refused" and "no-such-engine" in row["message"]
    rows = [
        {**row, "instance": "a", "engine": "x", "time_limit": 10.0},
        {"instance": "a", "engine": "y", "time_limit": 10.0, "status": "solved",
         "cost": 5.0, "feasible": True, "unassigned_required": 0, "wall_s": 1.0},
        {"instance": "b", "engine": "y", "time_limit": 10.0, "status": "solved",
         "cost": 4.0, "feasible": True, "unassigned_required": 2, "wall_s": 1.0},
        {"instance": "b", "engine": "x", "time_limit": 10.0, "status": "solved",
         "cost": 9.0, "feasible": True, "unassigned_required": 0, "wall_s": 1.0},
    ]
    assert no_worse_count(rows, "y", "x", 10.0) == (1, 2)  # b leaves stops out
    assert no_worse_count(rows, "x", "y", 10.0) == (1, 2)
    out = tmp_path / "s.md"
    write_summary(out, rows, ["x", "y"], [10.0], {
        "command": "c", "commit": "h", "cpu": "cpu", "python": "3", "uptime_before": "u",
        "uptime_after": "u"})
    text = out.read_text()
    assert "| a | refused | 5.00 |" in text and "| b | 9.00 | 4.00 (2 out) |" in text
