"""Service end-to-end latency (issue 15): submit -> ``succeeded`` within ``time_limit + 1 s``
with warm workers, through a real ``routecast serve`` (SQLite, local worker processes).

``python -m benchmarks.timing.service --limits 1 5 --kinds multi-window cvrp-x --jobs 3
--out benchmarks/results/DATE_service``

Each kind first runs one job per worker at the shortest limit (the worker's imports and
kernels load there: a warm worker is one that has solved before), then ``--jobs`` jobs per
kind and limit, one at a time. Per job: the client's latency from the POST to the first
GET that shows the job terminal (polled every ``--poll`` seconds, so the figure is at
most that much late), and the store's own times: pick-up (``started_at - created_at``)
and ``finished_at - created_at``, with the solve's ``runtime_s``. The problems are those
of the adherence table (``kinds.py``), sent as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import numpy as np

from benchmarks.api.integrations import KEY, serve
from benchmarks.api.run import write_rows
from benchmarks.machine import cpu_model
from benchmarks.timing.kinds import build

TERMINAL = {"succeeded", "failed", "cancelled"}
TARGET_S = 1.0  # the service's promise: time_limit + 1 s


def run_job(client: httpx.Client, problem: dict[str, Any], engine: str, limit: float,
            poll: float) -> dict[str, Any]:
    """One job, submit to terminal: latencies in seconds, status, the solve's stats."""
    body = {"problem": problem, "options": {"engine": engine, "time_limit": limit,
                                            "seed": 1}}
    t0 = time.perf_counter()
    posted = client.post("/v1/jobs", json=body)
    posted.raise_for_status()
    job_id = posted.json()["id"]
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in TERMINAL:
            break
        time.sleep(poll)
    seen = time.perf_counter() - t0
    created, started, finished = (datetime.fromisoformat(job[k]) if job.get(k) else None
                                  for k in ("created_at", "started_at", "finished_at"))
    stats = ((job.get("result") or {}).get("solution") or {}).get("stats") or {}
    return {"status": job["status"], "client_s": seen,
            "pickup_s": (started - created).total_seconds() if started else None,
            "store_s": (finished - created).total_seconds() if finished else None,
            "runtime_s": stats.get("runtime_s"), "stopped_by": stats.get("stopped_by"),
            "produced_by": stats.get("produced_by"),
            "error": (job.get("error") or {}).get("detail")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits", type=float, nargs="+", default=[1.0, 5.0])
    ap.add_argument("--kinds", nargs="+", default=["multi-window", "cvrp-x"])
    ap.add_argument("--engines", nargs="+", default=["auto"])
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--poll", type=float, default=0.02)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    load_before, started = os.getloadavg()[0], datetime.now(UTC)
    problems = {k: json.loads(build(k).to_json()) for k in args.kinds}
    rows: list[dict[str, Any]] = []
    env = {"ROUTECAST_RATE_LIMIT_PER_MINUTE": "0", "ROUTECAST_WARM_UP": "1"}
    with TemporaryDirectory() as tmp, serve(Path(tmp) / "svc", env, args.workers) as url, \
            httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=60) as client:
        for problem in problems.values():
            for engine in args.engines:
                for _ in range(args.workers):  # warm every worker on this kind
                    run_job(client, problem, engine, min(args.limits), args.poll)
        for limit in args.limits:
            for kind, problem in problems.items():
                for engine in args.engines:
                    for _ in range(args.jobs):
                        row = {"kind": kind, "engine": engine, "limit": limit,
                               **run_job(client, problem, engine, limit, args.poll),
                               "load1": os.getloadavg()[0]}
                        rows.append(row)
                        print(json.dumps(row), flush=True)
    write_rows(rows, args.out.with_suffix(".csv"))
    loads = [r["load1"] for r in rows]
    lines = [f"# Service submit -> succeeded ({started:%Y-%m-%d %H:%M} UTC)", "",
             f"Command: `python -m benchmarks.timing.service --limits "
             f"{' '.join(f'{x:g}' for x in args.limits)} --kinds {' '.join(args.kinds)} "
             f"--engines {' '.join(args.engines)} --jobs {args.jobs} --workers "
             f"{args.workers} --poll {args.poll:g} --out {args.out}`", "",
             f"Machine: {cpu_model()}, {os.cpu_count()} cores, shared with other sessions: "
             f"load average {load_before:.1f} at the start, {min(loads):.1f}-{max(loads):.1f} "
             "during the jobs. Warm workers (one job per kind first). Target: limit + "
             f"{TARGET_S:g} s.", "",
             "| kind | engine | limit s | jobs | client latency - limit, worst / median s | "
             "store (finished - created) - limit, worst | pick-up worst s | runtime_s worst "
             "| not succeeded |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind in args.kinds:
        for engine in args.engines:
            for limit in args.limits:
                mine = [r for r in rows if (r["kind"], r["engine"], r["limit"])
                        == (kind, engine, limit)]
                over = np.array([r["client_s"] - limit for r in mine])
                store = [r["store_s"] - limit for r in mine if r["store_s"] is not None]
                pick = [r["pickup_s"] for r in mine if r["pickup_s"] is not None]
                run = [r["runtime_s"] for r in mine if r["runtime_s"] is not None]
                lines.append(
                    f"| {kind} | {engine} | {limit:g} | {len(mine)} | {over.max():+.2f} / "
                    f"{np.median(over):+.2f} | {max(store, default=float('nan')):+.2f} | "
                    f"{max(pick, default=float('nan')):.3f} | "
                    f"{max(run, default=float('nan')):.2f} | "
                    f"{sum(r['status'] != 'succeeded' for r in mine)} |")
    lines += ["", "Per job: the CSV beside this file."]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
