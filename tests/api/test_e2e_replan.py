"""End to end through a real `routecast serve` (worker processes, HTTP): solve a day,
re-plan it twice, then read the lineage (versions 1, 2, 3) and the diffs back. Every
plan the service returns is checked by the independent evaluator on the day problem
computed here from the changes (frozen prefixes kept, cancellations gone, new stops
served, the broken-down vehicle idle)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from solver.problem import Problem
from solver.solution import Solution
from tests.api.conftest import job_body
from tests.api.replan_day import (
    ENGINE,
    check_plan,
    day_problem,
    expected_day,
    first_changes,
    second_changes,
)
from tests.api.test_e2e import Server, _wait, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "e2e-replan") as srv:
        yield srv


def _done(c: httpx.Client, job_id: str) -> dict[str, Any]:
    body = _wait(c, job_id, timeout=120)
    assert body["status"] == "succeeded", body
    return body


def _replan(c: httpx.Client, parent: str, changes: dict[str, Any]) -> dict[str, Any]:
    r = c.post(f"/v1/jobs/{parent}/replan", json={"changes": changes})
    assert r.status_code == 202, r.text
    return _done(c, r.json()["id"])


def _plan(c: httpx.Client, job: dict[str, Any]) -> Solution:
    """The plan as ``GET /solution`` serves it (the same as the job view's)."""
    served = Solution.model_validate(c.get(f"/v1/jobs/{job['id']}/solution").json())
    assert served == Solution.model_validate(job["result"]["solution"])
    return served


def test_solve_replan_twice_then_read_the_lineage_and_the_diffs(server: Server) -> None:
    body = job_body(day_problem(), **ENGINE)
    with server.client() as c:
        v1 = _done(c, c.post("/v1/jobs", json=body).json()["id"])
        day1 = Problem.model_validate(body["problem"])
        plan1 = _plan(c, v1)
        assert v1["result"]["solution"]["feasible"] is True

        first = first_changes(day1, plan1)
        bad = c.post(f"/v1/jobs/{v1['id']}/replan",
                     json={"changes": {**first, "unavailable": ["zz"]}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == \
            "changes.unavailable[0]" and "'zz'" in bad.json()["detail"]
        v2 = _replan(c, v1["id"], first)
        day2 = expected_day(day1, plan1, first)
        plan2 = _plan(c, v2)
        check_plan(day2, plan2, first)

        second = second_changes(day2, plan2, first)
        v3 = _replan(c, v2["id"], second)
        day3 = expected_day(day2, plan2, second)
        plan3 = _plan(c, v3)
        check_plan(day3, plan3, second)

        lineage = {j["id"]: c.get(f"/v1/jobs/{j['id']}").json() for j in (v1, v2, v3)}
        assert [(lineage[j["id"]]["version"], lineage[j["id"]]["parent_id"],
                 lineage[j["id"]]["children"]) for j in (v1, v2, v3)] == [
            (1, None, [v2["id"]]), (2, v1["id"], [v3["id"]]), (3, v2["id"], [])]
        assert [lineage[j["id"]]["kind"] for j in (v1, v2, v3)] == ["solve", "replan",
                                                                     "replan"]

        for job, parent, day, plan in ((v2, v1, day2, plan2), (v3, v2, day3, plan3)):
            diff = c.get(f"/v1/jobs/{job['id']}/diff", params={"against": parent["id"]})
            assert diff.status_code == 200, diff.text
            d, kpis = diff.json(), job["result"]["kpis"]
            assert d["disruption"]["max_eta_shift"] == pytest.approx(kpis["max_eta_shift"])
            assert len(d["disruption"]["stops_moved"]) == kpis["stops_moved"]
            assert d["kpi_deltas"]["cost"] == pytest.approx(
                plan.cost - _plan(c, parent).cost)
            assert set(d["disruption"]["eta_shifts"]) <= {s.id for s in day.stops}
        whole = c.get(f"/v1/jobs/{v3['id']}/diff", params={"against": v1["id"]}).json()
        assert (whole["version"], whole["against_version"]) == (3, 1)
        assert whole["plan"]["added_stops"] == ["n1", "n2"]
        assert set(first["cancelled"] + second["cancelled"]) <= set(
            whole["plan"]["newly_unserved"])
        moved_v1 = {s for r in plan1.routes for s in r.stops
                    if r.vehicle in first["unavailable"]}  # the broken-down van's stops
        assert moved_v1 <= set(whole["disruption"]["stops_moved"])
