"""`routecast solve` plans learned-travel problems (issue 14, defect 14): it reads the
registry under ROUTECAST_DATA_DIR, or the one ``--models`` names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from tests.api.test_security_defects import _geo_problem

runner = CliRunner()


@pytest.fixture
def problem_file(tmp_path: Path) -> Path:
    """A learned-travel problem of 4 stops and a tiny registered model under DATA/models."""
    pytest.importorskip("lightgbm")
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    trips = SyntheticCity().simulate_trips(800, seed=0)
    model = TravelTimeModel(n_estimators=5, n_zones=5, n_threads=1).fit(trips)
    ModelRegistry(tmp_path / "data" / "models").register(model)
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(_geo_problem(4, horizon_hours=4)))
    return path


def _solve(path: Path, *extra: str, env: dict[str, Any] | None = None) -> Any:
    get_settings.cache_clear()
    try:
        return runner.invoke(app, ["solve", str(path), "--engine", "fake-nn", "--iterations",
                                   "3", "--time-limit", "5", *extra], env=env)
    finally:
        get_settings.cache_clear()


def test_solve_uses_the_data_dirs_registry(problem_file: Path, tmp_path: Path) -> None:
    """With ROUTECAST_DATA_DIR set, the active model of DATA/models plans every stop."""
    result = _solve(problem_file, env={"ROUTECAST_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout[result.stdout.index("{"):])
    assert sorted(s for r in plan["routes"] for s in r["stops"]) == [f"s{k}" for k in range(4)]


def test_models_option_names_the_registry(problem_file: Path, tmp_path: Path) -> None:
    """--models points at a registry; an empty one fails with exit 2 naming travel.model."""
    ok = _solve(problem_file, "--models", str(tmp_path / "data" / "models"),
                env={"ROUTECAST_DATA_DIR": str(tmp_path / "elsewhere")})
    assert ok.exit_code == 0, ok.output
    empty = _solve(problem_file, "--models", str(tmp_path / "empty"))
    assert empty.exit_code == 2 and "travel.model" in empty.output
