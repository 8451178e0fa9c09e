"""The CLI on operating-day input: bad fields exit 2 with their names."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from solver.demo_day import DEFAULT_PATH

runner = CliRunner()


@pytest.mark.parametrize(("edit", "field"), [
    (lambda d: d.update(time_zone="Europe/Nowhere"), "time_zone"),
    (lambda d: d["vehicle_types"][0]["breaks"][0].update(duration=10**6),
     "breaks[0].duration"),
    (lambda d: d["stops"][0].update(late_cost=-1), "late_cost"),
])
def test_bad_day_fields_exit_2_naming_them(tmp_path, edit, field):
    """The example day with one bad field: exit 2, the field named on stderr."""
    data = json.loads(DEFAULT_PATH.read_text())
    edit(data)
    path = tmp_path / "day.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 2
    assert field in result.output
