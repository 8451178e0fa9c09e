"""A replan whose parent has learned travel builds it once on the worker: the parent's
stops (timed for their ETAs), the day and its residual all read one build over every
location (``solver.replan.travel``); it used to build three."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import solver.travel.learned as learned
from api.kinds.train import registry_root
from api.settings import Settings
from solver.evaluate import evaluate
from solver.problem import Problem
from solver.replan.changes import apply_changes, read_changes
from solver.solution import Solution
from solver.travel.build import build_travel
from tests.api.conftest import KEY_A
from tests.api.routers.test_evaluate import _client, _register
from tests.api.routers.test_replan_workers import _changes, _replan, _solve
from tests.api.test_security_defects import _geo_problem, _principal
from tests.api.test_security_defects import tiny_model as tiny_model  # a fixture


def test_the_worker_builds_learned_travel_once(client_factory: Any, tiny_model: Any,
                                               tmp_path: Path, monkeypatch: Any) -> None:
    """A counting wrapper around the learned build (the real one runs): after the solve,
    the replan's run builds once, over the parent's locations and the new stop; its day
    problem is the one apply_changes makes with travel built on its own."""
    real = learned.learned_travel
    built: list[int] = []

    def counting(problem: Problem, *args: Any, **kwargs: Any) -> Any:
        built.append(len(problem.depots) + len(problem.stops))
        return real(problem, *args, **kwargs)

    monkeypatch.setattr(learned, "learned_travel", counting)
    c = _client(client_factory)  # in-process workers: the wrapper sees their builds
    problem = _geo_problem(6, model=_register(tmp_path, tiny_model))
    root, parent, plan = _solve(c, problem)
    changes = _changes(c, root)
    built.clear()
    child = _replan(c, root, changes)
    assert child["status"] == "succeeded", child
    n = len(parent.depots) + len(parent.stops)
    assert built == [n + 1], built  # the parent's locations and the new stop, once
    day = Problem.model_validate(c.get(f"/v1/jobs/{child['id']}/plan").json()["problem"])
    models = registry_root(Settings(data_dir=tmp_path), _principal(KEY_A))
    expected = apply_changes(parent, plan, read_changes(parent, changes),
                             build_travel(parent, models))
    assert day == expected
    new = Solution.model_validate(child["result"]["solution"])
    report = evaluate(day, new, build_travel(day, models))  # travel built on its own
    assert report.feasible and report.complete, report.violations
    assert report.cost == pytest.approx(new.cost)
