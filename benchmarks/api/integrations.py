"""Integration benchmark: webhook delivery latency, and one rate-limit budget enforced by
two replicas.

Webhooks: a real ``routecast serve`` (SQLite, one worker) with a webhook to a receiver
on localhost; each job's ``job.succeeded`` delivery latency is the receiver's arrival
time minus the event's own timestamp (written in the transaction that finished the job).

Rate limits: two ``routecast serve`` processes on one PostgreSQL database (buckets in the
database, then in Redis); concurrent clients hammer both for a while with one key; the
requests let through are compared with the budget (burst + rate x time).

The jobs use the API tests' fake engine (``tests.fakes``), and the receiver is
the webhook tests' own: what is measured here is the service around the solve.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python benchmarks/api/integrations.py \\
        --jobs 40 --seconds 20 --out benchmarks/api/results
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.api.run import free_port, report_head, tiny_problem, write_rows
from tests.api.webhooks.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
KEY = "bench-key"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/14"


@contextmanager
def serve(data_dir: Path, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """A ``routecast serve`` process (fake engine plugin) until the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full = {**os.environ, "ROUTECAST_DATA_DIR": str(data_dir), "ROUTECAST_API_KEYS": KEY,
            "ROUTECAST_PLUGINS": "tests.fakes", "ROUTECAST_WARM_UP": "0",
            "PYTHONPATH": str(REPO), **env}
    exe = Path(sys.executable).with_name("routecast")
    with (data_dir / "serve.log").open("wb") as log:
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers",
                                 str(workers)], cwd=REPO, env=full, stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start: "
                                   + (data_dir / "serve.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def webhook_latency(tmp: Path, jobs: int, poll: float) -> dict[str, Any]:
    """Latency (ms) from each job's terminal event to its arrival at the receiver."""
    receiver = Receiver().start()
    env = {"ROUTECAST_WEBHOOK_ALLOW_PRIVATE": "1", "ROUTECAST_WEBHOOK_POLL_SECONDS": str(poll),
           "ROUTECAST_RATE_LIMIT_PER_MINUTE": "0"}
    body = {"problem": tiny_problem(10), "options": {"engine": "fake-nn", "time_limit": 1,
                                                     "iteration_limit": 3, "seed": 0}}
    with serve(tmp / f"webhooks-{poll}", env) as url, httpx.Client(
            base_url=url, headers={"X-API-Key": KEY}, timeout=30) as c:
        hook = c.post("/v1/webhooks", json={"url": receiver.url, "events": ["job.succeeded"]})
        hook.raise_for_status()
        for _ in range(jobs):  # one at a time: each delivery is measured on a quiet outbox
            job_id = c.post("/v1/jobs", json=body).json()["id"]
            deadline = time.monotonic() + 60
            while not any(json.loads(r.body)["data"]["id"] == job_id
                          for r in receiver.requests):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no webhook for job {job_id}")
                time.sleep(0.005)
    receiver.stop()
    sent = [(r.at, json.loads(r.body)["timestamp"]) for r in receiver.requests]
    lat = sorted(1000 * (at - datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())
                 for at, ts in sent)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"scenario": f"webhook poll {poll:g} s", "n": len(lat), "p50_ms": q[49],
            "p99_ms": q[98], "max_ms": lat[-1], "mean_ms": statistics.fmean(lat)}


async def _hammer(urls: list[str], clients: int, seconds: float) -> dict[str, Any]:
    codes: dict[int, int] = {}
    times: list[float] = []
    async with httpx.AsyncClient(headers={"X-API-Key": KEY}, timeout=30) as client:
        stop_at = time.perf_counter() + seconds

        async def loop(k: int) -> None:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                r = await client.get(urls[k % len(urls)] + "/v1/jobs?limit=1")
                times.append(time.perf_counter() - t0)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(loop(k) for k in range(clients)))
        wall = time.perf_counter() - started
    times.sort()
    return {"codes": codes, "wall": wall, "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * statistics.quantiles(times, n=100, method="inclusive")[98]}


def two_replicas(tmp: Path, backend: str, per_minute: int, burst: int, clients: int,
                 seconds: float) -> dict[str, Any]:
    """Requests let through by two replicas sharing one budget, against that budget."""
    import redis
    from sqlalchemy import create_engine, text

    schema = f"rc_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    env = {"ROUTECAST_DATABASE_URL": f"{PG_URL}?options=-csearch_path%3D{schema}",
           "ROUTECAST_RATE_LIMIT_PER_MINUTE": str(per_minute),
           "ROUTECAST_RATE_LIMIT_BURST": str(burst)}
    if backend == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        env["ROUTECAST_REDIS_URL"] = REDIS_URL
    try:
        with serve(tmp / f"{backend}-r1", env, workers=0) as u1, \
                serve(tmp / f"{backend}-r2", env, workers=0) as u2:
            res = asyncio.run(_hammer([u1, u2], clients, seconds))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    granted = res["codes"].get(200, 0)
    budget = burst + per_minute / 60.0 * res["wall"]
    return {"scenario": f"two replicas, {backend} buckets", "n": sum(res["codes"].values()),
            "granted": granted, "refused_429": res["codes"].get(429, 0),
            "other": sum(v for k, v in res["codes"].items() if k not in (200, 429)),
            "budget": budget, "granted_over_budget": granted / budget,
            "p50_ms": res["p50_ms"], "p99_ms": res["p99_ms"], "wall_s": res["wall"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=40)
    ap.add_argument("--polls", default="0.5,0.05", help="webhook_poll_seconds to measure")
    ap.add_argument("--seconds", type=float, default=20.0, help="rate-limit hammering")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--per-minute", type=int, default=600)
    ap.add_argument("--burst", type=int, default=50)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "api" / "results")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for poll in (float(p) for p in args.polls.split(",")):
            rows.append(webhook_latency(Path(tmp), args.jobs, poll))
            print(rows[-1], flush=True)
        for backend in ("database", "redis"):
            rows.append(two_replicas(Path(tmp), backend, args.per_minute, args.burst,
                                     args.clients, args.seconds))
            print(rows[-1], flush=True)
    stamp, head = report_head("routecast integrations benchmark",
                              "benchmarks/api/integrations.py")
    write_rows(rows, args.out / f"{stamp}_integrations.csv")
    lines = [
        *head, f"- load average (1 min) at the end: {os.getloadavg()[0]:.2f}",
        "", f"## Webhook delivery latency ({args.jobs} jobs, one at a time; SQLite; from "
        "the event's timestamp to the receiver)", "",
        "| outbox poll | deliveries | p50 ms | p99 ms | max ms | mean ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['scenario'].split('poll ')[1]} | {r['n']} | {r['p50_ms']:.0f} | "
              f"{r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['mean_ms']:.0f} |"
              for r in rows if r["scenario"].startswith("webhook")]
    lines += [
        "", f"## Two replicas, one budget ({args.per_minute}/min, burst {args.burst}; "
        f"{args.clients} clients over both replicas for {args.seconds:g} s; PostgreSQL)", "",
        "| buckets | requests | let through | 429 | other | budget | through / budget "
        "| p50 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['scenario'].split(', ')[1]} | {r['n']} | {r['granted']} | "
              f"{r['refused_429']} | {r['other']} | {r['budget']:.0f} | "
              f"{r['granted_over_budget']:.3f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
              for r in rows if r["scenario"].startswith("two")]
    (args.out / f"{stamp}_integrations.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
