"""Replans and plan diffs keep heavy work out of the service process (issue 14's rule,
for issue 17's endpoints): when the parent's travel is learned, or dense over
``evaluate_inline_max_cells``, ``POST /v1/jobs/{id}/replan`` checks the changes at
submit (422 naming the item) but times the parent's plan in the job's run on a worker,
and ``GET /v1/jobs/{id}/diff`` times both plans with the worker timing jobs that
``GET /v1/jobs/{id}/plan`` uses. The day problem and plans are the ones the light path
makes, checked here by the independent evaluator."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.kinds.replan as replan_kind
from api.kinds.train import registry_root
from api.settings import Settings
from solver.evaluate import evaluate
from solver.problem import Problem
from solver.replan.changes import apply_changes, read_changes
from solver.solution import Solution
from solver.travel.build import build_travel
from tests.api.conftest import KEY_A, job_body, wait_for
from tests.api.replan_day import ENGINE, check_plan, day_problem, expected_day, first_changes
from tests.api.routers.test_evaluate import _client, _evaluation_jobs, _register
from tests.api.routers.test_replans import _bad
from tests.api.test_security_defects import _geo_problem, _principal
from tests.api.test_security_defects import tiny_model as tiny_model  # a fixture

# A worker that has not predicted yet needs about a second to load the travel predictor
# before the engine starts, inside the limit (issue 15: the whole solve counts), and these
# workers skip the warm-up: a limit of 1 s would be refused with "allow more time".
LEARNED_ENGINE = {**ENGINE, "time_limit": 3}


def _solve(c: TestClient, problem: dict[str, Any]) -> tuple[str, Problem, Solution]:
    job = c.post("/v1/jobs", json=job_body(problem, **LEARNED_ENGINE)).json()
    done = wait_for(c, job["id"], timeout=120)
    assert done["status"] == "succeeded", repr(done)[:3000]
    return (job["id"], Problem.model_validate(problem),
            Solution.model_validate(done["result"]["solution"]))


def _replan(c: TestClient, root: str, changes: dict[str, Any]) -> dict[str, Any]:
    r = c.post(f"/v1/jobs/{root}/replan", json={"changes": changes})
    assert r.status_code == 202, r.json()
    return wait_for(c, r.json()["id"], timeout=120)


def _check_diff(c: TestClient, child: dict[str, Any], root: str, plan: Solution) -> None:
    """The diff's disruption is the one the replan's own KPIs report."""
    r = c.get(f"/v1/jobs/{child['id']}/diff", params={"against": root})
    assert r.status_code == 200, r.text
    diff, kpis = r.json(), child["result"]["kpis"]
    assert (diff["version"], diff["against_version"]) == (2, 1)
    assert len(diff["disruption"]["stops_moved"]) == kpis["stops_moved"]
    assert diff["disruption"]["max_eta_shift"] == pytest.approx(kpis["max_eta_shift"])
    assert diff["disruption"]["cost"] == pytest.approx(kpis["disruption_cost"])
    new = Solution.model_validate(child["result"]["solution"])
    assert diff["kpi_deltas"]["cost"] == pytest.approx(new.cost - plan.cost)
    assert diff["plan"]["added_stops"] == ["n1"]


@pytest.mark.parametrize("inline_cells", [None, 10])
def test_dense_travel_over_the_inline_bound_is_timed_by_the_job(
        client_factory: Any, monkeypatch: pytest.MonkeyPatch, inline_cells: int | None) -> None:
    """Euclidean travel of 12 locations (144 cells): timed at submit by default, in the
    job's run with ``evaluate_inline_max_cells`` 10. Either way bad changes are a 422
    naming the item, the stored day problem is the one apply_changes makes, its plan
    passes the evaluator, and the diff agrees with the KPIs (timing jobs when heavy)."""
    timed: list[bool] = []
    real = replan_kind.apply_changes

    def spy(*args: Any, **kwargs: Any) -> Problem:
        timed.append(kwargs["timed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(replan_kind, "apply_changes", spy)
    c = _client(client_factory, **({} if inline_cells is None else
                                   {"evaluate_inline_max_cells": inline_cells}))
    root, problem, plan = _solve(c, day_problem())
    for changes, path in _bad(problem, plan):
        r = c.post(f"/v1/jobs/{root}/replan", json={"changes": changes})
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == path, r.json()
    changes = first_changes(problem, plan)
    child = _replan(c, root, changes)
    assert child["status"] == "succeeded", child
    assert timed[-1] is (inline_cells is None)
    day = Problem.model_validate(c.get(f"/v1/jobs/{child['id']}/plan").json()["problem"])
    assert day == expected_day(problem, plan, changes)
    check_plan(day, Solution.model_validate(child["result"]["solution"]), changes)
    _check_diff(c, child, root, plan)
    assert bool(_evaluation_jobs(c)) is (inline_cells is not None)


def _changes(c: TestClient, root: str) -> dict[str, Any]:
    """The longest route's vehicle served its first stop (at the start the worker's
    timing gives) and keeps its sequence; its last stop is cancelled; one stop is new."""
    schedule = c.get(f"/v1/jobs/{root}/plan").json()["schedule"]
    route = max(schedule["routes"], key=lambda r: len(r["visits"]))
    first, last = route["visits"][0], route["visits"][-1]
    assert first["stop"] != last["stop"], route
    return {"now": first["start"] + 1.0,
            "vehicles": [{"vehicle": route["vehicle"], "served": [
                {"stop": first["stop"], "arrival": first["start"],
                 "departure": first["start"]}]}],
            "new_stops": [{"id": "n1", "location": {"lat": 40.71, "lon": -73.995}}],
            "cancelled": [last["stop"]],
            "locks": [{"kind": "sequence", "vehicle": route["vehicle"]}],
            "disruption": {"move_cost": 1000}}


def test_learned_replan_and_diff_are_built_by_worker_processes(
        client_factory: Any, tiny_model: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With worker processes and learned travel that the service process cannot build
    (patched to fail, and to record any call): bad changes are still a 422 at submit,
    the replan succeeds with the day problem apply_changes makes (the parent's plan
    timed by a worker), its plan passes the evaluator, and the diff answers 200 from
    worker timing jobs."""
    import solver.travel.learned as learned

    calls: list[Any] = []

    def refuse(*args: Any, **__: Any) -> Any:
        calls.append(args)
        raise AssertionError("learned travel built in the service process")

    monkeypatch.setattr(learned, "learned_travel", refuse)
    c = _client(client_factory, executor="local", workers=1, warm_up=False,
                plugins=["tests.fakes"])
    problem = _geo_problem(6, model=_register(tmp_path, tiny_model))
    root, parent, plan = _solve(c, problem)
    changes = _changes(c, root)
    bad = c.post(f"/v1/jobs/{root}/replan", json={"changes": {**changes, "cancelled": ["zz"]}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "changes.cancelled[0]"
    child = _replan(c, root, changes)
    assert child["status"] == "succeeded", child
    _check_diff(c, child, root, plan)
    day = Problem.model_validate(c.get(f"/v1/jobs/{child['id']}/plan").json()["problem"])
    timings = _evaluation_jobs(c)
    assert calls == []
    assert len(timings) == 2 and all(j.status == "succeeded" and j.worker for j in timings)
    monkeypatch.undo()  # the independent checks below build the travel here
    models = registry_root(Settings(data_dir=tmp_path), _principal(KEY_A))
    expected = apply_changes(parent, plan, read_changes(parent, changes),
                             build_travel(parent, models))
    assert day == expected
    new = Solution.model_validate(child["result"]["solution"])
    report = evaluate(day, new, build_travel(day, models))
    assert report.feasible and report.complete, report.violations
    assert report.cost == pytest.approx(new.cost)
    vehicle = changes["vehicles"][0]["vehicle"]
    assert next(r.stops for r in new.routes if r.vehicle == vehicle)[0] == \
        changes["vehicles"][0]["served"][0]["stop"]


def test_a_travel_model_gone_fails_the_replan_job_naming_it(
        client: TestClient, tiny_model: Any, tmp_path: Path) -> None:
    """The parent's plan is timed in the job's run: a model removed since the parent
    solved fails the job there, its error naming ``travel.model``."""
    from surrogate import ModelRegistry

    model = _register(tmp_path, tiny_model)
    root, _, _ = _solve(client, _geo_problem(4, model=model))
    registry = ModelRegistry(registry_root(Settings(data_dir=tmp_path), _principal(KEY_A)))
    shutil.rmtree(registry.path(model))  # the active model cannot be removed: delete it
    out = _replan(client, root, {"now": 0})
    assert out["status"] == "failed", out
    assert out["error"]["status"] in (404, 422) and "travel.model" in out["error"]["detail"]
