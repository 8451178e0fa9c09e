"""``routecast solve --cores``: 1 .. the cores the process may use, else exit 2 naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from solver.options import usable_cores

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"
runner = CliRunner()


@pytest.mark.parametrize("cores", [0, usable_cores() + 1])
def test_cores_out_of_range_is_exit_2_naming_the_option(cores):
    result = runner.invoke(app, ["solve", str(TINY), "--cores", str(cores)])
    assert result.exit_code == 2
    assert "--cores" in result.output and "Traceback" not in result.output


def test_one_core_solves():
    result = runner.invoke(app, ["solve", str(TINY), "--cores", "1", "--engine", "ils",
                                 "--iterations", "50", "--time-limit", "600"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["routes"]
