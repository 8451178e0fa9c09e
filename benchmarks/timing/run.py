"""Time-limit adherence: instance kinds x engines x limits, each in a fresh process.

``python -m benchmarks.timing.run --limits 1 5 --out benchmarks/results/DATE_timing``
writes a CSV (one row per run) and a markdown table: per engine and limit, the worst
and p95 overrun of the engine's ``runtime_s`` (cold: first solve in the process; warm:
the second) and of the one-solve process wall (interpreter start to the first solve's
return, as a CLI run). Overrun = time - limit; the target is max(0.3 s, 3 % of limit).
``--cold-only`` skips the warm solve; ``--baseline TREE`` runs every cell's processes from
another checkout too (its own ``.numba_cache``), interleaved, for old-vs-new in one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.machine import cpu_model
from benchmarks.timing.kinds import KINDS, build
from solver.engines.deadline import allowed_overrun

ENGINES = ("hgs", "ortools", "exact", "auto")
SKIP = {("hgs", "shipments")}  # unsupported pairs (exact: the tiny kind only)


def _train_model(models: Path) -> None:
    """The demo's synthetic-city travel model (as ``routecast demo`` trains it)."""
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    registry = ModelRegistry(models)
    if registry.active_id() is None:
        trips = SyntheticCity().simulate_trips(20_000, seed=0)
        registry.register(TravelTimeModel(seed=0, n_estimators=150).fit(trips), activate=True)


def _env(tree: Path | None) -> dict[str, str]:
    """This process's environment, or one that imports ``tree`` with its own cache."""
    env = os.environ.copy()
    if tree is not None:
        env.update(PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(tree / ".numba_cache"))
    return env


def _run(cmd: list[str], limit: float, tree: Path | None) -> subprocess.CompletedProcess:
    """``cmd`` in ``tree`` (or here); a process past ``limit * 2 + 180`` s (Numba
    compiling a kernel variant the cache lacks) is killed and reported, not fatal."""
    timeout = limit * 2 + 180
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=_env(tree), cwd=tree)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -9, "", f"killed after {timeout:g} s")


def _one(kind: str, engine: str, limit: float, models: Path, cold_only: bool = False,
         tree: Path | None = None) -> dict:
    tick = time.perf_counter()
    done = _run([sys.executable, "-m", "benchmarks.timing.one", kind, engine, str(limit),
                 str(models), *(["--cold-only"] if cold_only else [])], limit, tree)
    wall = time.perf_counter() - tick
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"kind": kind, "engine": engine, "limit": limit,
                "cold": {"error": done.stderr.strip().splitlines()[-1][:200]}}
    row = json.loads(lines[-1])
    row["process_s"] = wall - row["tail_s"]
    return row


def _cli(path: Path, engine: str, limit: float, models: Path, tree: Path | None = None) -> dict:
    """A cold ``routecast solve`` process (``cli_run.py``): its wall, the solve's
    ``runtime_s``, and when the solve was called and the first plan came, counted from
    the process's start."""
    plan = path.with_suffix(f".{engine}.{limit:g}.{'base' if tree else 'new'}.plan.json")
    plan.unlink(missing_ok=True)
    tick = time.perf_counter()
    done = _run([sys.executable, "-m", "benchmarks.timing.cli_run", str(time.time()), "--",
                 str(path), "--engine", engine, "--time-limit", str(limit), "--seed", "1",
                 "--models", str(models), "--out", str(plan)], limit, tree)
    out: dict = {"cli_wall_s": time.perf_counter() - tick}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    stamps = json.loads(lines[-1]) if lines else {}
    out.update({f"cli_{k}": v for k, v in stamps.items() if k != "started"})
    if plan.exists():
        stats = json.loads(plan.read_text()).get("stats") or {}
        out.update(cli_runtime_s=stats.get("runtime_s"), cli_stopped_by=stats.get("stopped_by"),
                   cli_produced_by=stats.get("produced_by"))
    else:
        out["cli_error"] = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
    return out


def _flat(row: dict) -> dict:
    out = {k: row.get(k) for k in ("kind", "engine", "limit", "start_s", "process_s")}
    for run in ("cold", "warm"):
        for key, value in (row.get(run) or {}).items():
            out[f"{run}_{key}"] = value
    return out


def _summary(rows: list[dict], limits: list[float], baseline: bool = False) -> list[str]:
    extra = (" greedy plans (cold / CLI) | baseline: cold runtime worst / p95 | baseline: "
             "CLI runtime worst / p95 | baseline: no plan (cold / CLI) |") if baseline else ""
    lines = ["| engine | limit s | runs | cold runtime worst / p95 overrun s | warm runtime "
             "worst / p95 | process wall worst / p95 | CLI process: runtime worst / p95 | "
             "CLI: first plan after process start, worst / median s | target s | "
             "no plan (cold / CLI) |" + extra,
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
             + ("---:|" * 4 if baseline else "")]
    for engine in ENGINES:
        for limit in limits:
            mine = [r for r in rows if r["engine"] == engine and r["limit"] == limit
                    and "unsupported" not in str(r.get("cold_error", ""))
                    and "cannot solve" not in str(r.get("cold_error", ""))]
            if not mine:
                continue

            def stat(key: str, mine=mine, limit=limit) -> str:
                over = np.array([r[key] - limit for r in mine if r.get(key) is not None])
                if over.size == 0:
                    return "-"
                return f"{over.max():+.2f} / {np.percentile(over, 95):+.2f}"

            failed = sum(1 for r in mine if r.get("cold_error"))
            cli_failed = sum(1 for r in mine if r.get("cli_error"))
            first = [r["cli_first_plan"] for r in mine if r.get("cli_first_plan") is not None]
            first_s = f"{max(first):.2f} / {np.median(first):.2f}" if first else "-"
            line = (f"| {engine} | {limit:g} | {len(mine)} | {stat('cold_runtime_s')} | "
                    f"{stat('warm_runtime_s')} | {stat('process_s')} | "
                    f"{stat('cli_runtime_s')} | {first_s} | "
                    f"{allowed_overrun(limit):.2f} | {failed} / {cli_failed} |")
            if baseline:
                greedy = [sum(1 for r in mine if r.get(k) == "greedy")
                          for k in ("cold_produced_by", "cli_produced_by")]
                base_failed = [sum(1 for r in mine if r.get(k))
                               for k in ("base_cold_error", "base_cli_error")]
                line += (f" {greedy[0]} / {greedy[1]} | {stat('base_cold_runtime_s')} | "
                         f"{stat('base_cli_runtime_s')} | {base_failed[0]} / {base_failed[1]} |")
            lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS))
    parser.add_argument("--engines", nargs="+", default=list(ENGINES))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cold-only", action="store_true",
                        help="skip the warm second solve in each process")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout (e.g. the previous commit in a worktree) "
                             "whose processes run beside each cell's")
    args = parser.parse_args()
    base = args.baseline.resolve() if args.baseline else None
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        _train_model(models)
        files = {kind: Path(tmp) / f"{kind}.json" for kind in args.kinds}
        for kind, path in files.items():
            path.write_text(build(kind).to_json())
        for limit in args.limits:
            for kind in args.kinds:
                for engine in args.engines:
                    if (engine, kind) in SKIP or (engine == "exact" and kind != "tiny"):
                        continue
                    row = _flat(_one(kind, engine, limit, models, args.cold_only))
                    row.update(_cli(files[kind], engine, limit, models))
                    if base is not None:
                        old = _flat(_one(kind, engine, limit, models, args.cold_only, base))
                        old.update(_cli(files[kind], engine, limit, models, base))
                        row.update({f"base_{k}": v for k, v in old.items()
                                    if k not in ("kind", "engine", "limit")})
                    row["load1"] = os.getloadavg()[0]
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    keys = sorted({k for r in rows for k in r}, key=lambda k: (k not in rows[0], k))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    loads = [r["load1"] for r in rows]
    md = [f"# Time-limit adherence ({started:%Y-%m-%d %H:%M} UTC)", "",
          f"Command: `python -m benchmarks.timing.run --limits {' '.join(map(str, args.limits))}"
          f" --kinds {' '.join(args.kinds)} --engines {' '.join(args.engines)} --out {args.out}"
          + (" --cold-only" if args.cold_only else "")
          + (f" --baseline {args.baseline}" if args.baseline else "") + "`",
          "", f"Machine: {cpu_model()}, {os.cpu_count()} cores, shared with other sessions: "
          f"load average {load_before[0]:.1f} at the start, {min(loads):.1f}-{max(loads):.1f} "
          "during the runs (so times are inflated, and overruns are upper bounds).", "",
          *_summary(rows, args.limits, base is not None), "",
          "Per run: the CSV beside this file (errors, stopped_by, costs)."]
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
