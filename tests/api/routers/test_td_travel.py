"""travel.kind "time_dependent_matrix" through the API: a bad slice is a 422 naming it."""

from __future__ import annotations

import pytest

from tests.api.conftest import job_body, wait_for
from tests.travel.test_td_matrix import _m, _small


def test_non_fifo_slice_is_a_422_naming_slice_and_arc(client) -> None:
    slow, fast = _m(5), _m(5)
    slow[1][2], fast[1][2] = 100.0, 10.0
    r = client.post("/v1/jobs", json=job_body(_small(
        [{"start": 0, "duration": slow}, {"start": 60, "duration": fast}])))
    assert r.status_code == 422
    assert "travel.slices[1].duration is not FIFO" in r.json()["detail"]
    assert "'A' for 'B'" in r.json()["detail"]


def test_negative_time_is_a_422_at_its_cell(client) -> None:
    bad = _m(5)
    bad[2][1] = -1.0
    r = client.post("/v1/jobs", json=job_body(_small(
        [{"start": 0, "duration": _m(5)}, {"start": 60, "duration": bad}])))
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"].endswith("slices[1].duration[2][1]")


def test_solve_on_slices_is_timed_by_them(client) -> None:
    """A sync solve with ils: the route's times follow the slice of each departure. It
    leaves D at its shift start 0 (slice 0: 10 s, arrives at 10); the second leg runs
    half its length by 15 s, the other half at slice 1's speed (0.5 s): 15.5; the last
    leg leaves in slice 1 (1 s): 16.5 s, the route's cost at 1 per second."""
    slices = [{"start": 0, "duration": _m(10)}, {"start": 15, "duration": _m(1)}]
    problem = _small(slices)
    problem["vehicle_types"][0]["count"] = 1
    # a job, not /v1/solve: on a fresh Numba cache the worker's first time-dependent ils
    # solve compiles its kernels, which can take longer than a sync solve waits
    r = client.post("/v1/jobs", json=job_body(problem, engine="ils", time_limit=60,
                                              iteration_limit=50))
    assert r.status_code == 202, r.json()
    job = wait_for(client, r.json()["id"], timeout=600)
    assert job["status"] == "succeeded", job
    solution = client.get(f"/v1/jobs/{job['id']}/solution").json()
    assert solution["feasible"] is True and not solution["unassigned"]
    assert solution["cost"] == pytest.approx(16.5)
