"""End to end: a real `routecast serve` process with worker processes, over HTTP.

Submit, stream events, fetch and evaluate the solution, cancel a running job, SIGKILL a
worker mid-solve (retried, then failed with a reason), restart and read jobs back.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from solver.evaluate import evaluate
from solver.problem import Problem
from solver.solution import Solution
from tests.api.conftest import job_body, tiny_problem

REPO = Path(__file__).resolve().parents[2]
KEY = "e2e-key"
TERMINAL = ("succeeded", "failed", "cancelled")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `routecast serve` subprocess on a free port, restartable on the same data dir."""

    def __init__(self, data_dir: Path, pid_dir: Path,
                 extra_env: dict[str, str] | None = None, workers: int = 2) -> None:
        self.data_dir, self.pid_dir = data_dir, pid_dir
        self.extra_env, self.workers = extra_env or {}, workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = data_dir / "serve.log"

    def start(self, **env_overrides: str) -> None:
        self.port = _free_port()
        env = {**os.environ, "ROUTECAST_DATA_DIR": str(self.data_dir),
               "ROUTECAST_API_KEYS": KEY, "ROUTECAST_PLUGINS": "tests.fakes",
               "ROUTECAST_HEARTBEAT_SECONDS": "0.5", "ROUTECAST_LEASE_SECONDS": "5",
               "ROUTECAST_CANCEL_POLL_SECONDS": "0.1", "ROUTECAST_SSE_POLL_SECONDS": "0.1",
               "ROUTECAST_TEST_PID_DIR": str(self.pid_dir), "PYTHONPATH": str(REPO),
               "ROUTECAST_WARM_UP": "0",  # the fake engine needs none; keeps starts fast
               "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".numba_cache")),
               **self.extra_env, **env_overrides}
        exe = Path(sys.executable).with_name("routecast")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(exe), "serve", "--port", str(self.port), "--workers", str(self.workers)],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("server did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": KEY}, timeout=30)


@contextmanager
def serving(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Server]:
    """A started service on a fresh data dir, stopped afterwards."""
    root = tmp_path_factory.mktemp(name)
    (root / "pids").mkdir()
    srv = Server(root / "data", root / "pids")
    srv.data_dir.mkdir()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One service for the module (tests may restart it)."""
    with serving(tmp_path_factory, "e2e") as srv:
        yield srv


def _wait(c: httpx.Client, job_id: str, statuses: tuple[str, ...] = TERMINAL,
          timeout: float = 30, where: Any = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = c.get(f"/v1/jobs/{job_id}").json()
        if (body["status"] in statuses and (where is None or where(body))) \
                or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_submit_stream_fetch_and_evaluate(server: Server) -> None:
    """A job submitted over HTTP streams its events and its solution passes the evaluator."""
    body = job_body(tiny_problem(8, name="e2e-basic"), iteration_limit=30)
    with server.client() as c:
        job = c.post("/v1/jobs", json=body)
        assert job.status_code == 202
        job_id = job.json()["id"]
        kinds, statuses = [], []
        with c.stream("GET", f"/v1/jobs/{job_id}/events") as r:
            event = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                    kinds.append(event)
                elif line.startswith("data: ") and event == "status":
                    statuses.append(json.loads(line[6:])["status"])
        assert kinds[-1] == "end" and "progress" in kinds
        assert statuses[0] == "queued" and statuses[-1] == "succeeded"
        solution = Solution.model_validate(c.get(f"/v1/jobs/{job_id}/solution").json())
        problem = Problem.model_validate(body["problem"])
        report = evaluate(problem, solution)
        assert report.feasible and abs(report.cost - solution.cost) < 1e-9
        served = c.post("/v1/evaluate", json={"problem": body["problem"],
                                              "solution": solution.model_dump(mode="json")})
        assert served.json()["cost"] == pytest.approx(report.cost)


def test_cancel_running_job(server: Server) -> None:
    """A running solve in a worker process stops within about a second after cancel; the
    service keeps answering while every worker is busy."""
    with server.client() as c:
        busy = c.post("/v1/jobs", json=job_body(tiny_problem(5, name="e2e-busy"),
                                                 iteration_limit=None, time_limit=60)).json()
        _wait(c, busy["id"], ("running",))
        job_id = c.post("/v1/jobs", json=job_body(tiny_problem(8, name="e2e-cancel"),
                                                   iteration_limit=None, time_limit=60)
                        ).json()["id"]
        running = _wait(c, job_id, ("running",), where=lambda b: b["progress"]["iterations"]
                        is not None)
        assert running["status"] == "running"
        t0 = time.monotonic()
        assert c.get("/healthz").status_code == 200
        assert c.get("/v1/jobs", params={"status": "running"}).json()["items"]
        assert time.monotonic() - t0 < 1.0  # both workers solving, the API still answers
        c.post(f"/v1/jobs/{busy['id']}/cancel")
        asked = time.monotonic()
        assert c.post(f"/v1/jobs/{job_id}/cancel").status_code == 202
        done = _wait(c, job_id)
        assert done["status"] == "cancelled"
        assert time.monotonic() - asked < 2.0
        assert done["result"]["solution"]["routes"]


def _kill_solver(server: Server, name: str, previous: int | None = None) -> int:
    pid_file = server.pid_dir / f"{name}.pid"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pid_file.exists():
            text = pid_file.read_text().strip()
            if text and int(text) != previous:
                pid = int(text)
                time.sleep(0.3)  # mid-solve
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.05)
    raise AssertionError(f"no worker started solving {name}")


def test_killed_worker_is_retried_then_failed_with_reason(server: Server) -> None:
    """SIGKILL a worker mid-solve: the job is retried once; killed again, it fails with the
    reason; it is never left running."""
    with server.client() as c:
        retried = c.post("/v1/jobs", json=job_body(tiny_problem(6, name="e2e-kill-once"),
                                                     iteration_limit=None, time_limit=1.5)
                         ).json()["id"]
        _kill_solver(server, "e2e-kill-once")
        done = _wait(c, retried)
        assert done["status"] == "succeeded" and done["attempts"] == 2

        failed = c.post("/v1/jobs", json=job_body(tiny_problem(6, name="e2e-kill-twice"),
                                                    iteration_limit=None, time_limit=30)
                        ).json()["id"]
        first = _kill_solver(server, "e2e-kill-twice")
        _kill_solver(server, "e2e-kill-twice", previous=first)
        done = _wait(c, failed)
        assert done["status"] == "failed"
        assert "died" in done["error"]["detail"] and "2 attempts" in done["error"]["detail"]
        assert done["error"]["type"].endswith("/worker-lost")
        # the pool replaced its dead workers and still solves
        ok = c.post("/v1/solve", json=job_body(tiny_problem(4, name="e2e-after-kill")))
        assert ok.status_code == 200 and ok.json()["status"] == "succeeded"


def test_restart_reads_finished_jobs_back(server: Server) -> None:
    """After a restart on the same data dir, finished jobs, results and events are there."""
    with server.client() as c:
        job_id = c.post("/v1/jobs", json=job_body(tiny_problem(5, name="e2e-restart"))
                        ).json()["id"]
        before = _wait(c, job_id)
        assert before["status"] == "succeeded"
    server.stop()
    server.start()
    with server.client() as c:
        after = c.get(f"/v1/jobs/{job_id}").json()
        assert after["status"] == "succeeded"
        assert after["result"] == before["result"]
        text = c.get(f"/v1/jobs/{job_id}/events").text
        assert "event: end" in text and '"succeeded"' in text
        assert c.get(f"/v1/jobs/{job_id}/solution", params={"format": "vrplib"}).status_code == 200


def test_a_killed_service_resumes_its_jobs_at_restart(server: Server) -> None:
    """SIGKILL the whole service mid-solve (its workers exit with it), restart it with a
    60 s lease: the job runs again at once, not after the lease, and the crash does not
    use up one of its attempts."""
    with server.client() as c:
        job_id = c.post("/v1/jobs", json=job_body(tiny_problem(8, name="e2e-service-kill"),
                                                  time_limit=60, iteration_limit=150)
                        ).json()["id"]
        assert _wait(c, job_id, ("running",), where=lambda b: b["progress"]["iterations"]
                     )["status"] == "running"
    assert server.proc is not None
    server.proc.kill()
    server.proc.wait(10)
    server.start(ROUTECAST_LEASE_SECONDS="60")
    restarted = time.monotonic()
    try:
        with server.client() as c:
            done = _wait(c, job_id, timeout=45)
            assert done["status"] == "succeeded", done
            assert time.monotonic() - restarted < 45 < 60
            assert done["attempts"] == 1
            assert "requeued (the attempt does not count)" in c.get(
                f"/v1/jobs/{job_id}/events").text
    finally:
        server.stop()
        server.start()
