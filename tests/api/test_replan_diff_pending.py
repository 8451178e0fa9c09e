"""``GET /v1/jobs/{id}/diff`` while a plan's timing runs on a worker: dense travel over
``evaluate_inline_max_cells`` is timed by a job, and with ``evaluate_wait_seconds`` 0
the first answer is 202 with that job (its Location); asking again finds the same
timing jobs, and once they end the diff is the one the replan's KPIs agree with."""

from __future__ import annotations

import time
from typing import Any

from tests.api.replan_day import day_problem, first_changes
from tests.api.routers.test_evaluate import _client, _evaluation_jobs
from tests.api.routers.test_replan_workers import _check_diff, _replan, _solve


def test_the_diff_answers_202_while_a_plan_is_timed_then_the_diff(
        client_factory: Any) -> None:
    c = _client(client_factory, evaluate_inline_max_cells=10, evaluate_wait_seconds=0)
    root, problem, plan = _solve(c, day_problem())
    child = _replan(c, root, first_changes(problem, plan))
    assert child["status"] == "succeeded", child
    first = c.get(f"/v1/jobs/{child['id']}/diff", params={"against": root})
    assert first.status_code == 202, first.text
    pending = first.json()
    assert first.headers["Location"] == pending["links"]["self"] == \
        f"/v1/evaluations/{pending['id']}"
    assert pending["status"] in ("queued", "running", "succeeded")
    assert pending["result"] is None
    timings = {j.id for j in _evaluation_jobs(c)}
    assert pending["id"] in timings and len(timings) == 2  # one per plan
    deadline = time.monotonic() + 60
    while (r := c.get(f"/v1/jobs/{child['id']}/diff",
                      params={"against": root})).status_code == 202:
        assert r.json()["id"] in timings and time.monotonic() < deadline, r.json()
        time.sleep(0.05)
    assert r.status_code == 200, r.text
    assert {j.id for j in _evaluation_jobs(c)} == timings  # asking again made no more
    _check_diff(c, child, root, plan)
