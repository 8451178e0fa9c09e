"""Learned travel is built within the solve's limit (issue 15): the pipeline hands the
build its deadline, a build by pieces gives the same tensors, and one that passed or
cannot reach its deadline stops saying so. The clock is injected: nothing is timed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from solver.errors import NoSolutionError
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem
from solver.travel import learned as learned_mod
from solver.travel.build import node_coords
from solver.travel.learned import learned_travel
from tests.api.test_security_defects import _geo_problem
from tests.surrogate.test_predictor import loaded_after


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with one tiny model fitted on simulated trips (seconds to fit)."""
    pytest.importorskip("lightgbm")
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    root = tmp_path_factory.mktemp("models")
    trips = SyntheticCity().simulate_trips(800, seed=0)
    ModelRegistry(root).register(TravelTimeModel(n_estimators=5, n_zones=5, n_threads=1)
                                 .fit(trips))
    return root


def _problem(horizon_hours: int = 6) -> Problem:
    return Problem.model_validate(_geo_problem(5, horizon_hours=horizon_hours))


class Clock:
    """A clock that moves ``step`` at every reading."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _build(problem: Problem, models: Path, deadline: float | None, clock: Any = None):
    kwargs = {"clock": clock} if clock is not None else {}
    return learned_travel(problem, problem.travel, node_coords(problem), models, deadline,
                          **kwargs)


def test_a_build_by_pieces_equals_one_build(models: Path) -> None:
    """Six slices in pieces (1, then 2, 2, 1) against one piece: the same numbers, the
    planned duration the median, every quantile there."""
    problem = _problem()
    whole = _build(problem, models, None)
    pieces = _build(problem, models, 1e18)
    assert learned_mod._pieces(6, True) == [(0, 1), (1, 3), (3, 5), (5, 6)]
    assert whole.duration.shape == (6, 6, 6) and whole.model_id == pieces.model_id
    assert np.array_equal(whole.duration, pieces.duration)
    assert np.array_equal(whole.distance, pieces.distance)
    assert set(whole.quantiles) == set(pieces.quantiles) == {0.1, 0.5, 0.9}
    for q in whole.quantiles:
        assert np.array_equal(whole.quantiles[q], pieces.quantiles[q])
    assert np.array_equal(whole.duration, whole.quantiles[0.5])


@pytest.mark.parametrize("deadline, built", [(0.5, 0), (1.5, 1), (2.5, 3)])
def test_a_build_past_its_deadline_stops(models: Path, monkeypatch, deadline: float,
                                         built: int) -> None:
    """Pieces of 1, 2, 2 and 1 slices on a clock moving 1 s a reading (one per piece):
    the build stops at the first piece that would start past the deadline."""
    import surrogate.matrix

    monkeypatch.setattr(surrogate.matrix, "predictor_loaded", lambda: True)
    with pytest.raises(NoSolutionError, match=rf"not predicted within the time limit "
                                              rf"\({built} built\)"):
        _build(_problem(), models, deadline=deadline, clock=Clock(step=1.0))


@pytest.mark.parametrize("loaded", [False, True])
def test_a_cold_predictor_is_not_loaded_past_the_deadline(models: Path, monkeypatch,
                                                          loaded: bool) -> None:
    """0.5 s left on a clock that stands still: a process that has not loaded the
    predictor (about 1 s) stops at once, saying so; one that has builds the tensor."""
    import surrogate.matrix

    monkeypatch.setattr(surrogate.matrix, "predictor_loaded", lambda: loaded)
    if loaded:
        assert _build(_problem(), models, 0.5, Clock(step=0.0)).duration.shape[0] == 6
    else:
        with pytest.raises(NoSolutionError, match="needs about 1 s to load the travel "
                                                  "predictor and 0.50 s"):
            _build(_problem(), models, 0.5, Clock(step=0.0))


@pytest.mark.parametrize("options, bounded", [({"time_limit": 2.0}, True),
                                              ({"time_limit": 2.0, "iteration_limit": 5},
                                               False)])
def test_the_pipeline_hands_the_build_its_deadline(models: Path, monkeypatch, options,
                                                   bounded) -> None:
    """The limit starts when ``solve`` is called, so the build's deadline is that plus
    the limit; under an iteration limit there is none (the plan must not depend on the
    machine's speed)."""
    seen: list[float | None] = []

    def spy(problem, spec, coords, models_dir, deadline=None):
        seen.append(deadline)
        return learned_travel(problem, spec, coords, models_dir)

    monkeypatch.setattr(learned_mod, "learned_travel", spy)
    before = time.perf_counter()
    solve(_problem(), SolveOptions(engine="ortools", **options), models_dir=models)
    after = time.perf_counter()
    assert len(seen) == 1
    if bounded:
        assert before + 2.0 <= seen[0] <= after + 2.0
    else:
        assert seen[0] is None


@pytest.mark.parametrize("travel, engine, unloaded", [
    ("learned", "ortools", ("pandas", "lightgbm")),
    ("haversine", "hgs", ("pandas", "lightgbm", "surrogate"))])
def test_the_cli_solve_path_imports_neither_lightgbm_nor_pandas(
        models: Path, tmp_path: Path, travel: str, engine: str,
        unloaded: tuple[str, ...]) -> None:
    """A fresh process runs ``routecast solve`` (options, the registry setting, the solve,
    the plan written): pandas and LightGBM are never loaded (they cost seconds of a short
    limit in a cold process), and on haversine travel not even ``surrogate``."""
    doc = _geo_problem(5, horizon_hours=4)
    if travel == "haversine":
        doc["travel"] = {"kind": "haversine"}
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(doc))
    assert loaded_after(
        "from api.cli import app\n"
        f"app(['solve', {str(path)!r}, '--engine', {engine!r}, '--iterations', '20', "
        f"'--models', {str(models)!r}, '--out', {str(tmp_path / 'plan.json')!r}], "
        "standalone_mode=False)", unloaded) == []
    assert json.loads((tmp_path / "plan.json").read_text())["routes"]
