"""Replans in process: ``POST /v1/jobs/{id}/replan`` makes a child job (kind, parent,
version), its plan keeps the frozen prefixes (checked by the evaluator), bad changes
answer 422 naming the item before anything is queued, a parent that is not the caller's
or has no plan answers 404 / 409, and ``GET /v1/jobs/{id}/diff`` reports the plan diff
and the disruption."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from solver.evaluate import evaluate
from solver.problem import Problem
from solver.solution import Solution
from tests.api.conftest import KEY_B, job_body, wait_for
from tests.api.replan_day import (
    ENGINE,
    check_plan,
    day_problem,
    expected_day,
    first_changes,
    routes,
    second_changes,
)


def _solved(client: TestClient) -> tuple[str, Problem, Solution]:
    body = job_body(day_problem(), **ENGINE)
    job = client.post("/v1/jobs", json=body).json()
    done = wait_for(client, job["id"], timeout=60)
    assert done["status"] == "succeeded", done
    return (job["id"], Problem.model_validate(body["problem"]),
            Solution.model_validate(done["result"]["solution"]))


def _replan(client: TestClient, parent: str, changes: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/v1/jobs/{parent}/replan", json={"changes": changes})
    assert r.status_code == 202, r.json()
    assert r.headers["location"] == f"/v1/jobs/{r.json()['id']}"
    done = wait_for(client, r.json()["id"], timeout=60)
    assert done["status"] == "succeeded", done
    return done


@pytest.fixture
def solved(client: TestClient) -> tuple[str, Problem, Solution]:
    return _solved(client)


def test_a_replan_is_a_child_job_whose_plan_keeps_what_happened(client, solved) -> None:
    """Version 2 of the parent, listed among its children; the stored day problem is the
    one apply_changes makes of the parent's plan; the plan passes the evaluator with the
    frozen stops first, the cancelled stop gone, the new stop served, the broken-down
    vehicle idle, and its KPIs report the disruption the evaluator computes."""
    root, problem, plan = solved
    changes = first_changes(problem, plan)
    child = _replan(client, root, changes)
    assert (child["kind"], child["parent_id"], child["version"]) == ("replan", root, 2)
    assert child["options"]["engine"] == "ortools"  # the parent's options by default
    parent = client.get(f"/v1/jobs/{root}").json()
    assert (parent["kind"], parent["parent_id"], parent["version"]) == ("solve", None, 1)
    assert parent["children"] == [child["id"]]
    assert child["id"] in [j["id"] for j in client.get("/v1/jobs").json()["items"]]
    stored = client.get(f"/v1/jobs/{child['id']}/plan").json()
    day = Problem.model_validate(stored["problem"])
    assert day == expected_day(problem, plan, changes)
    new = Solution.model_validate(child["result"]["solution"])
    check_plan(day, new, changes)
    kpis = child["result"]["kpis"]
    diff = client.get(f"/v1/jobs/{child['id']}/diff", params={"against": root}).json()
    assert (diff["version"], diff["against_version"]) == (2, 1)
    assert len(diff["disruption"]["stops_moved"]) == kpis["stops_moved"]
    assert diff["disruption"]["max_eta_shift"] == pytest.approx(kpis["max_eta_shift"])
    assert diff["disruption"]["cost"] == pytest.approx(kpis["disruption_cost"])
    assert sum(diff["disruption"]["histogram"].values()) == len(diff["disruption"]["eta_shifts"])
    frozen = {changes["vehicles"][0]["served"][0]["stop"], changes["vehicles"][1]["next"]}
    kept = {s for r in plan.routes for s in r.stops} - frozen - set(changes["cancelled"])
    assert set(diff["disruption"]["eta_shifts"]) == kept  # what happened is no shift
    assert diff["plan"]["added_stops"] == ["n1"]
    assert changes["cancelled"][0] in diff["plan"]["newly_unserved"]
    assert diff["kpi_deltas"]["cost"] == pytest.approx(new.cost - plan.cost)


def test_a_plan_diffed_against_itself_shows_no_change(client, solved) -> None:
    root, _, _ = solved
    diff = client.get(f"/v1/jobs/{root}/diff", params={"against": root}).json()
    assert diff["disruption"]["stops_moved"] == [] and diff["disruption"]["max_eta_shift"] == 0
    assert diff["plan"]["stops_moved"] == [] and diff["plan"]["routes_changed"] == 0
    assert all(v == 0 for v in diff["kpi_deltas"].values())


def test_a_replan_of_a_replan_keeps_the_parents_frozen_visits(client, solved) -> None:
    """Version 3 from version 2; leaving out a stop version 2 froze, or going back in
    time, is a 422 naming the item."""
    root, problem, plan = solved
    first = first_changes(problem, plan)
    v2 = _replan(client, root, first)
    day2 = Problem.model_validate(client.get(f"/v1/jobs/{v2['id']}/plan").json()["problem"])
    plan2 = Solution.model_validate(v2["result"]["solution"])
    second = second_changes(day2, plan2, first)
    dropped = copy.deepcopy(second)  # B no longer lists the stop it drove to
    dropped["vehicles"][1] = {"vehicle": first["vehicles"][1]["vehicle"], "next": "n1",
                              "eta": second["now"]}
    early = {**second, "now": first["now"] - 1, "vehicles": []}
    for bad, path in ((dropped, "changes.vehicles[1]"), (early, "changes.now")):
        r = client.post(f"/v1/jobs/{v2['id']}/replan", json={"changes": bad})
        assert r.status_code == 422, r.json()
        assert r.json()["errors"][0]["path"] == path, r.json()
    v3 = _replan(client, v2["id"], second)
    assert (v3["parent_id"], v3["version"]) == (v2["id"], 3)
    day3 = Problem.model_validate(client.get(f"/v1/jobs/{v3['id']}/plan").json()["problem"])
    assert day3 == expected_day(day2, plan2, second)
    check_plan(day3, Solution.model_validate(v3["result"]["solution"]), second)
    assert client.get(f"/v1/jobs/{v2['id']}").json()["children"] == [v3["id"]]
    diff = client.get(f"/v1/jobs/{v3['id']}/diff", params={"against": root}).json()
    assert diff["plan"]["added_stops"] == ["n1", "n2"]


def _bad(problem: Problem, plan: Solution) -> list[tuple[dict[str, Any], str]]:
    """(changes, the path its 422 names) for each kind of bad change."""
    good = first_changes(problem, plan)
    a = good["vehicles"][0]["vehicle"]
    served = good["vehicles"][0]["served"][0]["stop"]
    late = copy.deepcopy(good)
    late["vehicles"][0]["served"][0]["arrival"] = good["now"] + 5
    return [
        ({**good, "cancelled": ["nope"]}, "changes.cancelled[0]"),
        ({**good, "cancelled": [served]}, "changes.cancelled[0]"),
        ({**good, "unavailable": ["zz"]}, "changes.unavailable[0]"),
        ({**good, "vehicles": [{"vehicle": "zz", "served": [{"stop": served}]}]},
         "changes.vehicles[0].vehicle"),
        ({**good, "vehicles": [{"vehicle": a, "served": [{"stop": "nope"}]}]},
         "changes.vehicles[0].served[0]"),
        (late, "changes.vehicles[0].served[0].arrival"),
        ({**good, "locks": [{"kind": "fixed", "vehicle": good["unavailable"][0]}]},
         "changes.locks[0]"),
        ({**good, "new_stops": [{"id": served, "location": {"x": 1, "y": 1}, "demand": [1]}]},
         "changes.new_stops[0].id"),
        ({k: v for k, v in good.items() if k != "now"}, "changes.now"),
        ({**good, "disruption": {"move_cost": -1}}, "changes.disruption.move_cost"),
    ]


def test_bad_changes_answer_422_naming_the_item_and_queue_nothing(client, solved) -> None:
    root, problem, plan = solved
    before = len(client.get("/v1/jobs").json()["items"])
    for changes, path in _bad(problem, plan):
        r = client.post(f"/v1/jobs/{root}/replan", json={"changes": changes})
        assert r.status_code == 422, (path, r.json())
        assert r.json()["errors"][0]["path"] == path, r.json()
        assert r.json()["detail"].startswith(path)
    assert len(client.get("/v1/jobs").json()["items"]) == before


def test_a_lock_beyond_the_vehicles_capacity_is_refused(client, solved) -> None:
    """Vehicle A locked to its whole route while carrying more than what is left of its
    capacity 4 leaves room for: an infeasible lock, refused by name before any work."""
    root, problem, plan = solved
    good = first_changes(problem, plan)
    left = len(routes(problem, plan)[good["vehicles"][0]["vehicle"]]) - 1  # unit demands
    changes = copy.deepcopy(good)
    changes["vehicles"][0]["load"] = [4 - left + 1]
    changes["locks"] = [{"kind": "assignment", "vehicle": good["vehicles"][0]["vehicle"]}]
    r = client.post(f"/v1/jobs/{root}/replan", json={"changes": changes})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "changes.locks[0]", \
        r.json()
    assert "capacity" in r.json()["detail"] and "infeasible lock" in r.json()["detail"]
    fits = copy.deepcopy(good)
    fits["vehicles"][0]["load"] = [4 - left]
    assert client.post(f"/v1/jobs/{root}/replan", json={"changes": fits}).status_code == 202


def test_the_parent_must_be_the_callers_and_have_a_plan(client, solved) -> None:
    root, problem, plan = solved
    changes = first_changes(problem, plan)
    other = client.post(f"/v1/jobs/{root}/replan", json={"changes": changes},
                        headers={"Authorization": f"Bearer {KEY_B}"})
    assert other.status_code == 404 and root in other.json()["detail"]
    assert client.post("/v1/jobs/nope/replan", json={"changes": changes}).status_code == 404
    busy = client.post("/v1/jobs", json=job_body(day_problem(), engine="fake-nn",
                                                 iteration_limit=None, time_limit=30)).json()
    r = client.post(f"/v1/jobs/{busy['id']}/replan", json={"changes": changes})
    assert r.status_code == 409 and busy["id"] in r.json()["detail"], r.json()
    client.post(f"/v1/jobs/{busy['id']}/cancel")
    theirs = client.get(f"/v1/jobs/{root}/diff", params={"against": root},
                        headers={"Authorization": f"Bearer {KEY_B}"})
    assert theirs.status_code == 404
    assert client.get(f"/v1/jobs/{root}/diff", params={"against": "nope"}).status_code == 404


def test_the_same_key_and_changes_give_the_same_replan(client, solved) -> None:
    """``Idempotency-Key``: the same changes return the same child; others are a 409."""
    root, problem, plan = solved
    changes = first_changes(problem, plan)
    key = {"Idempotency-Key": "replan-1"}
    one = client.post(f"/v1/jobs/{root}/replan", json={"changes": changes}, headers=key)
    two = client.post(f"/v1/jobs/{root}/replan", json={"changes": changes}, headers=key)
    assert one.status_code == two.status_code == 202 and one.json()["id"] == two.json()["id"]
    cheaper = {**changes, "disruption": {"move_cost": 1}}
    other = client.post(f"/v1/jobs/{root}/replan", json={"changes": cheaper}, headers=key)
    assert other.status_code == 409, other.json()
    assert client.get(f"/v1/jobs/{root}").json()["children"] == [one.json()["id"]]
    wait_for(client, one.json()["id"], timeout=60)


def test_a_lock_the_engine_breaks_fails_the_job_naming_it(client) -> None:
    """``fake-greedy`` knows no locks: each replan with a ``fixed`` lock either keeps it
    (the evaluator finds no lock violation in the plan) or fails with a 422 problem
    naming the lock; the seeds below make it break the lock at least once."""
    body = job_body(day_problem(), engine="fake-greedy", iteration_limit=None, time_limit=1)
    root = client.post("/v1/jobs", json=body).json()["id"]
    done = wait_for(client, root)
    plan = Solution.model_validate(done["result"]["solution"])
    r = routes(Problem.model_validate(body["problem"]), plan)
    longest = max(sorted(r), key=lambda v: len(r[v]))
    changes = {"now": 0, "locks": [{"kind": "fixed", "vehicle": longest}]}
    failed = 0
    for seed in range(4):
        options = {"engine": "fake-greedy", "time_limit": 1, "seed": seed}
        job = client.post(f"/v1/jobs/{root}/replan",
                          json={"changes": changes, "options": options}).json()
        out = wait_for(client, job["id"])
        if out["status"] == "failed":
            failed += 1
            assert out["error"]["status"] == 422
            assert f"lock 0 (fixed on {longest!r})" in out["error"]["detail"]
        else:
            day = Problem.model_validate(client.get(f"/v1/jobs/{job['id']}/plan").json()["problem"])
            new = Solution.model_validate(out["result"]["solution"])
            assert not [v for v in evaluate(day, new).violations if v.kind == "lock"]
    assert failed > 0
