"""`routecast whatif BASE.json VARIANTS.yaml --out DIR`: files, table, clear errors."""

from __future__ import annotations

import csv

import typer
from typer.testing import CliRunner

from api.cli_whatif import whatif
from tests import fakes

app = typer.Typer()
app.command()(whatif)


@app.callback()
def _root() -> None:
    """Keeps ``whatif`` a sub-command, as in the real app."""


VARIANTS = """
variants:
  - name: demand +20%
    edits: [{op: scale_demand, factor: 1.2}]
  - name: one van less
    edits: [{op: remove_vehicles, count: 1, type: van}]
"""


def test_whatif_writes_the_three_files(problem, tmp_path):
    """The command solves base + variants and writes comparison.csv/.json and report.html."""
    base, variants, out = tmp_path / "base.json", tmp_path / "v.yaml", tmp_path / "out"
    base.write_text(problem.to_json())
    variants.write_text(VARIANTS)
    result = CliRunner().invoke(app, [
        "whatif", str(base), str(variants), "--out", str(out), "--time-limit", "5",
        "--seed", "2", "--executor", "threads", "--engine", fakes.GREEDY,
        "--iterations", "10"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert [r["variant"] for r in rows] == ["base", "demand +20%", "one van less"]
    assert (out / "comparison.json").is_file() and (out / "report.html").is_file()


def test_whatif_bad_edit_is_one_line_and_exit_2(problem, tmp_path):
    """An edit naming an unknown vehicle type fails before solving, with its path."""
    base, variants = tmp_path / "base.json", tmp_path / "v.yaml"
    base.write_text(problem.to_json())
    variants.write_text("variants: [{name: x, edits: [{op: add_vehicles, count: 1, "
                        "type: bus}]}]\n")
    result = CliRunner().invoke(app, ["whatif", str(base), str(variants), "--out",
                                      str(tmp_path / "o"), "--executor", "threads"])
    assert result.exit_code == 2
    assert "variants[0].edits[0].type" in result.output and "Traceback" not in result.output
