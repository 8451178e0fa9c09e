"""Crash-recovery benchmark: how long a job takes to finish after ``kill -9`` of the whole
service (the service process and its worker processes) mid-solve, and a restart.

Each trial starts a real ``routecast serve`` (SQLite in a temporary data dir, 2 workers,
a 60 s lease) in its own process group, submits a job on the API tests' fake engine
(``tests.fakes``) that runs for ``--job-seconds``, waits until it is running and has
reported progress, SIGKILLs the process group, and restarts the service on the same data
dir. From the restart it records the seconds to ``/readyz`` 200, to the job running
again (a new ``started_at``), and to ``succeeded``, and the job's attempt count, which
must stay 1 (the crash was not the job's fault). Before the service re-queued the jobs
of its dead incarnation, the job waited out the lease: 83-95 s to ``succeeded``.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python benchmarks/api/recovery.py \\
        --trials 5 --out benchmarks/api/results
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.api.run import free_port, report_head, tiny_problem, write_rows

REPO = Path(__file__).resolve().parents[2]
KEY = "bench-key"
TERMINAL = ("succeeded", "failed", "cancelled")
BEFORE = "83-95 s to succeeded (issue 14, measured before the incarnation re-queue)"


def launch(data_dir: Path, pid_dir: Path, lease: float, workers: int
           ) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``routecast serve`` as the leader of a new process group (its workers join
    it), without waiting for it: the caller times the start."""
    env = {**os.environ, "ROUTECAST_DATA_DIR": str(data_dir), "ROUTECAST_API_KEYS": KEY,
           "ROUTECAST_PLUGINS": "tests.fakes", "ROUTECAST_WARM_UP": "0",
           "ROUTECAST_LEASE_SECONDS": str(lease), "ROUTECAST_RATE_LIMIT_PER_MINUTE": "0",
           "ROUTECAST_TEST_PID_DIR": str(pid_dir), "PYTHONPATH": str(REPO),
           "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))}
    port = free_port()
    exe = Path(sys.executable).with_name("routecast")
    with (data_dir / "serve.log").open("ab") as log:
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers",
                                 str(workers)], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def poll(what: str, check: Any, proc: subprocess.Popen[bytes], log: Path,
         timeout: float, step: float = 0.05) -> Any:
    """Call ``check()`` every ``step`` s until it returns something truthy; fail loudly
    (with the service log's tail) on a timeout or if the service exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what}: no success within {timeout:g} s (service exit code "
                               f"{proc.poll()}):\n" + log.read_text()[-3000:])
        time.sleep(step)


def wait_gone(pid: int, timeout: float = 10) -> None:
    """Wait until process ``pid`` no longer runs (absent, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state == "Z":
            return
        time.sleep(0.05)
    raise RuntimeError(f"worker {pid} still runs {timeout:g} s after kill -9 of its group")


def trial(root: Path, k: int, lease: float, workers: int, job_seconds: float,
          timeout: float) -> dict[str, Any]:
    """One kill -9 and restart; seconds from the restart to each milestone."""
    data_dir, pid_dir = root / f"trial-{k}" / "data", root / f"trial-{k}" / "pids"
    data_dir.mkdir(parents=True)
    pid_dir.mkdir()
    log = data_dir / "serve.log"
    problem = {**tiny_problem(8, seed=k), "name": f"recovery-{k}"}
    body = {"problem": problem, "options": {"engine": "fake-nn", "time_limit": job_seconds,
                                            "iteration_limit": None, "seed": 0}}
    proc, url = launch(data_dir, pid_dir, lease, workers)
    client = httpx.Client(headers={"X-API-Key": KEY}, timeout=10)
    try:
        poll("first start", lambda: client.get(url + "/readyz").status_code == 200,
             proc, log, 120)
        job_id = client.post(url + "/v1/jobs", json=body).json()["id"]

        def job() -> dict[str, Any]:
            return client.get(f"{url}/v1/jobs/{job_id}").json()

        first = poll("job running", lambda: (j := job())["status"] == "running"
                     and j["progress"]["iterations"] and j, proc, log, 60)
        time.sleep(min(1.0, job_seconds / 4))  # well into the solve
        worker_pid = int((pid_dir / f"{problem['name']}.pid").read_text())
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)  # reaped, so the restarted service sees its incarnation is gone
        wait_gone(worker_pid)

        proc, url = launch(data_dir, pid_dir, lease, workers)
        restart = time.monotonic()
        poll("restart", lambda: client.get(url + "/readyz").status_code == 200, proc, log,
             timeout)
        ready = time.monotonic() - restart
        poll("job running again", lambda: (j := job())["status"] in TERMINAL or (
             j["status"] == "running" and j["started_at"] != first["started_at"]),
             proc, log, timeout)
        rerun = time.monotonic() - restart
        done = poll("job finished", lambda: (j := job())["status"] in TERMINAL and j,
                    proc, log, timeout)
        finished = time.monotonic() - restart
    finally:
        client.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
    if done["status"] != "succeeded":
        raise RuntimeError(f"trial {k}: job ended {done['status']}: {done.get('error')}")
    return {"scenario": "kill -9 service + workers, restart", "trial": k,
            "lease_s": lease, "job_s": job_seconds, "ready_s": ready, "running_again_s": rerun,
            "succeeded_s": finished, "attempts": done["attempts"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--lease", type=float, default=60.0, help="ROUTECAST_LEASE_SECONDS")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--job-seconds", type=float, default=6.0, help="the job's time limit")
    ap.add_argument("--timeout", type=float, default=180.0, help="per milestone, seconds")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "api" / "results")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.trials):
            rows.append(trial(Path(tmp), k, args.lease, args.workers, args.job_seconds,
                              args.timeout))
            print(rows[-1], flush=True)
    stamp, head = report_head("routecast crash-recovery benchmark",
                              "benchmarks/api/recovery.py")
    write_rows(rows, args.out / f"{stamp}_recovery.csv")
    cols = ("ready_s", "running_again_s", "succeeded_s")
    lines = [
        *head, f"- load average (1 min) at the end: {os.getloadavg()[0]:.2f}",
        f"- service: `routecast serve --workers {args.workers}`, SQLite in a temp dir, lease "
        f"{args.lease:g} s (`ROUTECAST_LEASE_SECONDS`); job: engine `fake-nn` (tests.fakes), "
        f"8 stops, time limit {args.job_seconds:g} s",
        "- each trial: wait until the job runs, `kill -9` the service's process group "
        "(service and workers), restart on the same data dir; times from the restart",
        f"- before: {BEFORE}", "",
        "| trial | /readyz 200 s | running again s | succeeded s | attempts |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['trial']} | {r['ready_s']:.2f} | {r['running_again_s']:.2f} | "
              f"{r['succeeded_s']:.2f} | {r['attempts']} |" for r in rows]
    lines.append("| median | " + " | ".join(f"{statistics.median(r[c] for r in rows):.2f}"
                                            for c in cols)
                 + f" | {max(r['attempts'] for r in rows)} (max) |")
    (args.out / f"{stamp}_recovery.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
