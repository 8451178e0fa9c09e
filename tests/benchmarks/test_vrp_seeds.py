"""The multi-seed table: means over seeds, infeasible plans never averaged, wins counted
against the reference solver."""

from __future__ import annotations

import csv

from benchmarks.vrp.seeds import main

FIELDS = ["instance", "solver", "budget_s", "seed", "gap_pct", "feasible"]


def _write(path, rows):
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(dict(zip(FIELDS, r, strict=True)) for r in rows)
    return path


def test_means_over_seeds_wins_and_infeasible_cells(tmp_path):
    one = _write(tmp_path / "s1.csv", [("A", "rc", 10, 1, 1.0, True), ("A", "py", 10, 1, 2.0, True),
                                       ("B", "rc", 10, 1, 3.0, True), ("B", "py", 10, 1, 1.0, True)])
    two = _write(tmp_path / "s2.csv", [("A", "rc", 10, 2, 3.0, True), ("A", "py", 10, 2, 2.0, True),
                                       ("B", "rc", 10, 2, 9.0, False), ("B", "py", 10, 2, 1.0, True)])
    out = tmp_path / "t.md"
    main([str(one), str(two), "--reference", "py", "--out", str(out)])
    text = out.read_text()
    assert "| A | 2.00% | 2.00% |" in text  # rc (1 + 3) / 2, a tie with py
    assert "| B | infeasible | 1.00% |" in text
    assert "| rc | 2.00% | infeasible | infeasible | 1 of 2 |" in text
    assert "| py | 1.50% | 1.50% | 1.50% | 2 of 2 |" in text
