"""Service benchmark: submit latency (p50/p99) and sustained submits/s with 1, 8 and 64
concurrent clients, and the end-to-end overhead of the service over a direct solve.

Starts a real ``routecast serve`` on a free localhost port (temporary data dir, SQLite),
so the numbers include HTTP, auth, validation, the store and the worker pool.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python benchmarks/api/run.py \\
        --seconds 8 --repeats 5 --out benchmarks/api/results
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
KEY = "bench-key"


def tiny_problem(n: int, seed: int = 1) -> dict[str, Any]:
    """A planar problem with ``n`` unit-demand stops (the benchmark's 'small job')."""
    import random

    rnd = random.Random(seed)
    return {
        "name": f"bench-{n}",
        "depots": [{"id": "0", "location": {"x": 50, "y": 50}}],
        "stops": [{"id": str(k), "location": {"x": rnd.randint(0, 100),
                                              "y": rnd.randint(0, 100)}, "demand": [1]}
                  for k in range(1, n + 1)],
        "vehicle_types": [{"id": "van", "count": max(n // 5, 1), "capacity": [8],
                           "start_depot": "0"}],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "ROUTECAST_DATA_DIR": str(data_dir), "ROUTECAST_API_KEYS": KEY,
           "ROUTECAST_RATE_LIMIT_PER_MINUTE": "0", "PYTHONPATH": str(REPO),
           "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))}
    exe = Path(sys.executable).with_name("routecast")
    log = (data_dir / "serve.log").open("wb")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def wait_done(client: httpx.Client, job_id: str, poll: float = 0.01) -> dict[str, Any]:
    while True:
        body = client.get(f"/v1/jobs/{job_id}").json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return body
        time.sleep(poll)


async def submit_load(url: str, clients: int, seconds: float, body: dict[str, Any]
                      ) -> dict[str, Any]:
    """``clients`` concurrent loops submitting jobs for ``seconds``; latency per submit."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": KEY}, limits=limits,
                                 timeout=60) as client:
        stop_at = time.perf_counter() + seconds

        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                r = await client.post("/v1/jobs", json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 202:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(clients)))
        wall = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"n": len(latencies), "errors": errors, "p50_ms": 1000 * q[49],
            "p99_ms": 1000 * q[98], "mean_ms": 1000 * statistics.fmean(latencies),
            "submits_per_s": len(latencies) / wall}


def direct_solve_times(problem: dict[str, Any], options: dict[str, Any],
                       repeats: int) -> list[float]:
    """Wall time of ``solver.pipeline.solve`` in this process (after a warm-up solve)."""
    from solver.options import SolveOptions
    from solver.pipeline import solve
    from solver.problem import Problem

    p, o = Problem.model_validate(problem), SolveOptions(**options)
    solve(p, o)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        solve(p, o)
        times.append(time.perf_counter() - t0)
    return times


def cli_solve_times(problem: dict[str, Any], options: dict[str, Any], repeats: int,
                    folder: Path) -> list[float]:
    """Wall time of ``routecast solve`` as a fresh process (interpreter + imports included)."""
    import json

    path = folder / "problem.json"
    path.write_text(json.dumps(problem))
    exe = Path(sys.executable).with_name("routecast")
    cmd = [str(exe), "solve", str(path), "--engine", options["engine"], "--time-limit",
           str(options["time_limit"]), "--seed", str(options["seed"]), "--out",
           str(folder / "sol.json")]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def service_times(url: str, problem: dict[str, Any], options: dict[str, Any],
                  repeats: int) -> tuple[list[float], list[float]]:
    """Sync POST /v1/solve, and async submit + poll until done (10 ms polls)."""
    body = {"problem": problem, "options": options}
    sync, asyn = [], []
    with httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=120) as c:
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = c.post("/v1/solve", json=body)
            assert r.status_code == 200, r.text
            sync.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            job = c.post("/v1/jobs", json=body).json()
            done = wait_done(c, job["id"])
            assert done["status"] == "succeeded", done
            asyn.append(time.perf_counter() - t0)
    return sync, asyn


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """The result rows as CSV (columns: every key seen, ``scenario`` first)."""
    fields = list(dict.fromkeys(k for r in rows for k in r))
    fields.sort(key=lambda k: k != "scenario")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def report_head(title: str, script: str) -> tuple[str, list[str]]:
    """Today's date stamp, and a report's first lines: title, command, commit, machine."""
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    cmd = " ".join(["python", script, *sys.argv[1:]])
    return stamp, [
        f"# {title} ({stamp})", "",
        f"- command: `NUMBA_CACHE_DIR=.numba_cache {cmd}`",
        f"- commit: {sha}; machine: {machine()} (shared with other work while measured)",
    ]


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="1,8,64")
    ap.add_argument("--seconds", type=float, default=8.0, help="per concurrency level")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--stops", type=int, default=10, help="stops of the small submit job")
    ap.add_argument("--overhead-stops", type=int, default=30)
    ap.add_argument("--engine", default="hgs")
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "api" / "results")
    args = ap.parse_args()

    submit_body = {"problem": tiny_problem(args.stops),
                   "options": {"engine": args.engine, "time_limit": 0.2, "seed": 0}}
    solve_problem = tiny_problem(args.overhead_stops, seed=2)
    solve_options = {"engine": args.engine, "time_limit": args.time_limit, "seed": 0}
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        proc, url = start_server(tmpdir, args.workers)
        try:
            with httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=120) as c:
                wait_done(c, c.post("/v1/jobs", json=submit_body).json()["id"])  # warm
            # overhead first, on an idle service
            sync, asyn = service_times(url, solve_problem, solve_options, args.repeats)
            for level in [int(x) for x in args.clients.split(",")]:
                res = asyncio.run(submit_load(url, level, args.seconds, submit_body))
                rows.append({"scenario": "submit", "clients": level, **res})
                print(f"submit clients={level}: {res}", flush=True)
            with httpx.Client(base_url=url, headers={"X-API-Key": KEY}) as c:
                metrics = c.get("/metrics").text
            depth = next((ln.split()[-1] for ln in metrics.splitlines()
                          if ln.startswith("routecast_queue_depth ")), "?")
        finally:
            proc.terminate()
            proc.wait(30)
        direct = direct_solve_times(solve_problem, solve_options, args.repeats)
        cli = cli_solve_times(solve_problem, solve_options, args.repeats, tmpdir)
    med = {name: statistics.median(v) for name, v in
           (("direct", direct), ("cli", cli), ("sync", sync), ("async", asyn))}
    for name in ("direct", "cli", "sync", "async"):
        rows.append({"scenario": f"solve_{name}", "clients": 1, "n": args.repeats,
                     "errors": 0, "p50_ms": 1000 * med[name],
                     "p99_ms": 1000 * max({"direct": direct, "cli": cli, "sync": sync,
                                           "async": asyn}[name]),
                     "mean_ms": 1000 * statistics.fmean({"direct": direct, "cli": cli,
                                                         "sync": sync, "async": asyn}[name]),
                     "submits_per_s": ""})
        print(f"solve {name}: median {med[name]:.3f} s", flush=True)

    stamp, head = report_head("routecast service benchmark", "benchmarks/api/run.py")
    write_rows(rows, args.out / f"{stamp}_api.csv")
    lines = [
        *head,
        f"- service: `routecast serve --workers {args.workers}`, SQLite (WAL) in a temp dir, "
        f"one API key, rate limit off; client and server on localhost",
        "", "## Submit latency (POST /v1/jobs, small job: "
        f"{args.stops} stops, engine {args.engine}, {args.seconds:g} s per level)", "",
        "| clients | submits | p50 ms | p99 ms | mean ms | submits/s | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r["scenario"] == "submit":
            lines.append(f"| {r['clients']} | {r['n']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                         f"| {r['mean_ms']:.1f} | {r['submits_per_s']:.0f} | {r['errors']} |")
    lines += [
        "", f"Queue depth after the load: {depth} jobs (the worker kept solving while the "
        "clients submitted). Load average (1 min) before / after the run: "
        f"{load_before:.2f} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores.", "",
        f"## End-to-end overhead ({args.overhead_stops} stops, engine {args.engine}, "
        f"time limit {args.time_limit:g} s, median of {args.repeats})", "",
        "| path | median s | overhead vs direct s | ratio |", "|---|---:|---:|---:|",
    ]
    for name, label in (("direct", "direct `solve()` in process"),
                        ("cli", "`routecast solve` (new process)"),
                        ("sync", "service `POST /v1/solve`"),
                        ("async", "service `POST /v1/jobs` + poll (10 ms)")):
        lines.append(f"| {label} | {med[name]:.3f} | {med[name] - med['direct']:+.3f} | "
                     f"{med[name] / med['direct']:.2f} |")
    (args.out / f"{stamp}_api.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
