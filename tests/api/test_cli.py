"""The routecast CLI: solve, check, info, convert, schema, demo and its error handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "instances" / "tiny" / "tiny4.json"
BAD = REPO / "tests" / "data" / "bad"
runner = CliRunner()


def test_info_and_schema():
    """info summarises an instance; schema prints the JSON Schema."""
    result = runner.invoke(app, ["info", str(TINY)])
    assert result.exit_code == 0 and "tiny4" in result.stdout
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and "vehicle_types" in json.loads(result.stdout)["properties"]


def test_convert_vrplib_to_json_keeps_sol_numbering(shared_instances, tmp_path):
    """convert writes routecast JSON whose stop ids are the .sol client numbers."""
    out = tmp_path / "x.json"
    result = runner.invoke(app, ["convert", str(shared_instances / "CVRP" / "X-n101-k25.vrp"),
                                 "--to", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["stops"][0]["id"] == "1" and len(data["stops"]) == 100
    # check the converted problem against the original BKS file
    result = runner.invoke(app, ["check", str(out),
                                 str(shared_instances / "CVRP" / "X-n101-k25.sol")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("bad", sorted(p.name for p in BAD.iterdir()))
def test_bad_input_is_one_line_and_exit_2(bad):
    """Every malformed file: exit code 2, one line naming the file, no traceback."""
    result = runner.invoke(app, ["solve", str(BAD / bad), "--time-limit", "1"])
    assert result.exit_code == 2
    assert bad in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_exits_1_on_infeasible(tmp_path):
    """check returns 1 and lists the violation when a plan breaks a window."""
    sol = tmp_path / "s.json"
    sol.write_text(json.dumps({"routes": [{"vehicle_type": "van", "stops": ["C", "B", "A"]}]}))
    result = runner.invoke(app, ["check", str(TINY), str(sol)])
    assert result.exit_code == 1
    assert "time_window" in result.stderr


def test_solve_then_check_round_trip(tmp_path):
    """A solved plan written as JSON is accepted by check and has the evaluator's cost."""
    out = tmp_path / "sol.json"
    result = runner.invoke(app, ["solve", str(TINY), "--time-limit", "1", "--iterations", "200",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    sol = json.loads(out.read_text())
    assert sol["feasible"] is True
    assert {s for r in sol["routes"] for s in r["stops"]} >= {"A", "B", "C"}
    result = runner.invoke(app, ["check", str(TINY), str(out)])
    assert result.exit_code == 0, result.output


def test_solve_vrplib_format(shared_instances, tmp_path):
    """--format vrplib prints Route lines and the evaluator's Cost."""
    out = tmp_path / "x.sol"
    vrp = shared_instances / "CVRP" / "X-n101-k25.vrp"
    result = runner.invoke(app, ["solve", str(vrp), "--time-limit", "1", "--iterations", "50",
                                 "--format", "vrplib", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("Route #1:") and text.splitlines()[-1].startswith("Cost ")
    assert runner.invoke(app, ["check", str(vrp), str(out)]).exit_code == 0


def test_demo_writes_plot(tmp_path):
    """demo solves the embedded city and writes routes.png, timeline.png and solution.json."""
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "routes.png").stat().st_size > 1000
    assert (tmp_path / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "timeline.png").stat().st_size > 1000
    assert json.loads((tmp_path / "solution.json").read_text())["feasible"] is True


def test_db_upgrade_migrates_the_configured_store(tmp_path, monkeypatch):
    """``routecast db upgrade`` brings the store under ROUTECAST_DATA_DIR to the newest
    revision (reported on stderr), ``db current`` prints it, and a second upgrade is a
    no-op."""
    from api.settings import get_settings
    from api.store.migrate import head

    monkeypatch.setenv("ROUTECAST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROUTECAST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["db", "current"])
        assert result.exit_code == 0 and result.stdout.strip() == ""
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"unversioned -> {head()}" in result.output
        assert (tmp_path / "routecast.db").is_file()
        result = runner.invoke(app, ["db", "current"])
        assert result.stdout.strip() == head()
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0 and f"{head()} -> {head()}" in result.output
    finally:
        get_settings.cache_clear()


def test_solve_stops_when_the_search_stalls(tmp_path):
    """--max-no-improvement-s ends a long-limit solve of a tiny problem early, and says so;
    --max-no-improvement 0 with an iteration limit runs to that limit."""
    out = tmp_path / "s.json"
    result = runner.invoke(app, ["solve", str(TINY), "--engine", "ils", "--time-limit", "60",
                                 "--max-no-improvement", "0", "--max-no-improvement-s", "0.3",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["stats"]["stopped_by"] == "max_no_improvement"
    result = runner.invoke(app, ["solve", str(TINY), "--engine", "ils", "--time-limit", "60",
                                 "--max-no-improvement", "0", "--iterations", "3000",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["stats"]["stopped_by"] == "iteration_limit"
