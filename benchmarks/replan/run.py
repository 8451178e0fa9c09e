"""Re-planning benchmark (issue 17): a replan at midday against a from-scratch solve.

For each day size and seed (``day.py``): the day is solved (the published plan, by
``--ref-engine`` in ``--ref-limit`` seconds), then at 12:00 it changes (25 new stops, 5
cancelled, one van down, two running late) and each engine plans the rest at each time
limit three ways:

- ``replan``: warm from the reference, with disruption costs (``day.DISRUPTION``);
- ``replan-nodisr``: warm from the reference, no disruption costs;
- ``scratch``: no warm start, no disruption costs (the remaining problem from scratch).

Frozen prefixes, unavailable vans and started vans' positions hold in all three (they
are the problem). Every plan is judged by the independent evaluator against the day
*with* the disruption weights, so all three report the same numbers: operating cost
(routes and penalties), stops moved, ETA shifts (max, p90 of |shift|) and the
disruption cost. ``first_feasible_s`` is the time from the call to the first progress
event of a feasible plan; a separate ``--probe`` call per engine with that time limit
(default 1 s) says whether a complete, evaluator-feasible plan comes back within it.
An engine that refuses a variant gets a row saying so.

    PYTHONPATH=$PWD NUMBA_CACHE_DIR=$PWD/.numba_cache \\
      python -m benchmarks.replan.run --out benchmarks/results/DATE_replan
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import multiprocessing
import os
import platform
import time
from pathlib import Path

import numpy as np

from benchmarks.machine import cpu_model
from benchmarks.replan.day import DISRUPTION, midday, plain_day
from solver.errors import RoutecastError
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem
from solver.replan.changes import apply_changes
from solver.replan.solve import solve_replan
from solver.replan.state import Disruption

VARIANTS = ("replan", "replan-nodisr", "scratch")
FIELDS = ["size", "seed", "engine", "variant", "limit_s", "wall_s", "first_feasible_s",
          "feasible", "complete", "unassigned", "cost_operating", "disruption_cost",
          "cost_total", "claimed_equals_evaluator", "moved", "moved_pct", "max_shift_s",
          "p90_shift_s", "stops_left", "load_1min", "error"]


class ClaimWatch(logging.Handler):
    """Counts the pipeline's "engine claimed cost ... but the evaluator computes" errors
    (the residual's claim against the evaluator; a replan's plan cost is the evaluator's
    anyway)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "claimed cost" in record.getMessage():
            self.count += 1


CLAIMS = ClaimWatch()
logging.getLogger("solver.pipeline").addHandler(CLAIMS)


def run_one(day: Problem, judge: Problem, engine: str, limit: float, seed: int,
            warm: bool) -> dict:
    """One replan call of ``day``, timed from the call; its plan judged by the evaluator
    on ``judge`` (the same day with the disruption weights on)."""
    first = [math.nan]
    claims = CLAIMS.count
    started = time.perf_counter()

    def progress(event) -> None:
        if event.feasible and math.isnan(first[0]):
            first[0] = time.perf_counter() - started

    try:
        outcome = solve_replan(day, SolveOptions(engine=engine, time_limit=limit, seed=seed),
                               progress=progress, warm=warm)
    except RoutecastError as exc:
        return {"wall_s": round(time.perf_counter() - started, 3),
                "error": f"{type(exc).__name__}: {exc}"[:240]}
    wall = time.perf_counter() - started
    report = evaluate(judge, outcome.solution)
    own = evaluate(day, outcome.solution)
    d = report.disruption
    shifts = np.abs(np.array(list(d.shifts.values()))) if d.shifts else np.zeros(1)
    return {
        "wall_s": round(wall, 3), "first_feasible_s": round(first[0], 3),
        "feasible": report.feasible, "complete": report.complete,
        "unassigned": len(report.unassigned_required),
        "cost_operating": round(report.cost - d.cost, 2),
        "disruption_cost": round(d.cost, 2), "cost_total": round(report.cost, 2),
        "claimed_equals_evaluator": (CLAIMS.count == claims and math.isclose(
            outcome.solution.cost, own.cost, rel_tol=1e-9, abs_tol=1e-6)),
        "moved": len(d.moved), "max_shift_s": round(d.max_shift, 1),
        "p90_shift_s": round(float(np.percentile(shifts, 90)), 1),
        "error": "" if report.feasible else "; ".join(v.message for v in
                                                      report.violations[:3]),
    }


def warm_up(engines: list[str]) -> None:
    """Solve and replan a small day once per engine, unrecorded: the engines' first call
    in a process loads (or, with a fresh cache, compiles) Numba kernels, which a service
    worker does once; the table measures warm calls (see the README for cold ones)."""
    problem = plain_day(120, 99)
    ref = solve(problem, SolveOptions(engine="ortools", time_limit=2, seed=0))
    changes = midday(problem, ref.solution, 99).model_copy(update={"disruption": Disruption()})
    day = apply_changes(problem, ref.solution, changes)
    for engine in engines:
        try:
            solve_replan(day, SolveOptions(engine=engine, time_limit=1, seed=0))
        except RoutecastError as exc:
            print(f"warm-up {engine}: {exc}", flush=True)


def load() -> float:
    return os.getloadavg()[0]


def cell(args: argparse.Namespace, size: int, seed: int) -> list[dict]:
    """Every run of one day (size, seed): its reference solve, then each engine's probe
    and variants; rows printed as they come."""
    rows: list[dict] = []

    def put(row: dict) -> None:
        row = {k: row.get(k, "") for k in FIELDS} | {"load_1min": round(load(), 2)}
        if row["moved"] != "":
            row["moved_pct"] = round(100 * row["moved"] / row["stops_left"], 2)
        rows.append(row)
        print(" ".join(f"{k}={row[k]}" for k in FIELDS if row[k] != ""), flush=True)

    warm_up(args.engines)
    problem = plain_day(size, seed)
    t = time.perf_counter()
    ref = solve(problem, SolveOptions(engine=args.ref_engine, time_limit=args.ref_limit,
                                      seed=seed))
    put({"size": size, "seed": seed, "engine": args.ref_engine, "variant": "reference",
         "limit_s": args.ref_limit, "wall_s": round(time.perf_counter() - t, 3),
         "feasible": ref.report.feasible, "complete": ref.report.complete,
         "cost_operating": round(ref.report.cost, 2), "stops_left": len(problem.stops),
         "error": f"{len(ref.solution.routes)} routes"})
    changes = midday(problem, ref.solution, seed)
    judge = apply_changes(problem, ref.solution, changes)
    plain = apply_changes(problem, ref.solution, changes.model_copy(
        update={"disruption": Disruption()}))
    frozen = {x for v in judge.in_progress.vehicles for x in v.frozen}
    left = len([s for s in judge.stops if s.id not in frozen])
    days = {"replan": (judge, True), "replan-nodisr": (plain, True),
            "scratch": (plain, False)}
    for engine in args.engines:
        base = {"size": size, "seed": seed, "engine": engine, "stops_left": left}
        probe = run_one(judge, judge, engine, args.probe, seed, True)
        put(base | {"variant": "replan-probe", "limit_s": args.probe} | probe)
        for limit in args.auto_limits if engine == "auto" else args.limits:
            for variant in VARIANTS:
                day, warm = days[variant]
                put(base | {"variant": variant, "limit_s": limit}
                    | run_one(day, judge, engine, limit, seed, warm))
    return rows


def bench(args: argparse.Namespace) -> int:
    """Every cell (``--jobs`` at a time, each in its own process), then the CSV and the
    summary; ``--summarize`` only rewrites the summary from the CSV."""
    csv_path = args.out.with_suffix(".csv")
    began, load_start = time.time(), load()
    if args.summarize:
        with csv_path.open() as f:
            rows = [_typed(r) for r in csv.DictReader(f)]
    else:
        cells = [(args, size, seed) for size in args.sizes for seed in args.seeds]
        if args.jobs > 1:
            with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
                rows = [r for part in pool.starmap(cell, cells) for r in part]
        else:
            rows = [r for c in cells for r in cell(*c)]
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with csv_path.open("w", newline="") as f:
            out = csv.DictWriter(f, fieldnames=FIELDS)
            out.writeheader()
            out.writerows(rows)
    minutes = (time.time() - began) / 60
    args.out.with_suffix(".md").write_text(summary(args, rows, minutes, load_start))
    return 0


def _typed(row: dict) -> dict:
    """A CSV row with its numbers and booleans back."""
    out: dict = {}
    for k, v in row.items():
        if v in ("True", "False"):
            out[k] = v == "True"
        elif k in ("size", "seed", "moved", "unassigned", "stops_left") and v != "":
            out[k] = int(v)
        else:
            try:
                out[k] = float(v) if k not in ("engine", "variant", "error") else v
            except ValueError:
                out[k] = v
    return out


def summary(args, rows: list[dict], minutes: float, load_start: float) -> str:
    """The markdown: the goals per size and limit, then per size, engine, limit and
    variant the means over seeds."""
    refs = [r for r in rows if r["variant"] == "reference"]
    runs = [r for r in rows if r["variant"] != "reference"]
    command = " ".join(f"--{k.replace('_', '-')} "
                       f"{' '.join(map(str, v)) if isinstance(v, list) else v}"
                       for k, v in vars(args).items() if k not in ("summarize", "jobs")
                       and v not in (None, False))
    lines = [f"# Re-planning benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"Command: `python -m benchmarks.replan.run {command} --jobs {args.jobs}`", "",
             f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; load average (1 min) {load_start:.1f} at the "
             f"start, {min(r['load_1min'] for r in rows):.1f}-"
             f"{max(r['load_1min'] for r in rows):.1f} during the runs; {args.jobs} "
             f"day(s) at a time; total {minutes:.1f} min.", "",
             f"Reference plans ({args.ref_engine} at {args.ref_limit:g} s): " + "; ".join(
                 f"{r['stops_left']} stops seed {r['seed']}: {r['cost_operating']:,.0f} "
                 f"({r['error']}{'' if r['complete'] is True else ', INCOMPLETE'})"
                 for r in refs) + ".", "",
             "Disruption weights (the replan variant; every plan is judged with them): "
             f"move {DISRUPTION.move_cost:g} per stop, ETA {DISRUPTION.eta_cost:g} per s "
             f"beyond {DISRUPTION.eta_tolerance:g} s. Operating cost = the evaluator's "
             "cost less the disruption cost.", ""]
    lines += goals(runs)
    lines += ["", "Means over seeds; `ok` = evaluator-feasible and complete runs / runs; "
              "first feasible = first progress event of a feasible plan, from the call; "
              "vs scratch = operating cost against the same engine's scratch run.", "",
              "| stops | engine | limit s | variant | ok | wall s | first feasible s (max) "
              "| operating cost | vs scratch | moved (% of left) | max shift min "
              "| p90 shift min | disruption cost |",
              "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault((r["size"], r["engine"], r["limit_s"], r["variant"]), []).append(r)
    for (size, engine, limit, variant), rs in sorted(groups.items(), key=_order):
        good = _good(rs)
        if not good:
            lines.append(f"| {size} | {engine} | {limit:g} | {variant} | 0/{len(rs)} | "
                         f"| | | | | | | {rs[0]['error'][:90]} |")
            continue
        base = {r["seed"]: r["cost_operating"]
                for r in _good(groups.get((size, engine, limit, "scratch"), []))}
        ratio = [r["cost_operating"] / base[r["seed"]] - 1 for r in good if r["seed"] in base]
        lines.append(
            f"| {size} | {engine} | {limit:g} | {variant} | {len(good)}/{len(rs)} | "
            f"{_mean(good, 'wall_s'):.2f} | {_mean(good, 'first_feasible_s'):.2f} "
            f"({max(float(r['first_feasible_s']) for r in good):.2f}) | "
            f"{_mean(good, 'cost_operating'):,.0f} | "
            f"{'' if not ratio else f'{100 * np.mean(ratio):+.1f} %'} | "
            f"{_mean(good, 'moved'):.1f} ({_mean(good, 'moved_pct'):.1f} %) | "
            f"{_mean(good, 'max_shift_s') / 60:.0f} | {_mean(good, 'p90_shift_s') / 60:.1f} | "
            f"{_mean(good, 'disruption_cost'):,.0f} |")
    failed = [r for r in runs if r not in _good(runs)
              and not r["error"].startswith("UnsupportedFeatureError")]
    lines += ["", f"Runs without a complete feasible plan (refusals aside): {len(failed)}"
              + "".join(f"\n- {r['size']} stops seed {r['seed']}, {r['engine']} "
                        f"{r['variant']} at {r['limit_s']:g} s (wall {r['wall_s']} s, load "
                        f"{r['load_1min']}): {r['error']}" for r in failed),
              "", "Claimed cost = evaluator's cost in "
              f"{sum(r['claimed_equals_evaluator'] is True for r in runs)} of "
              f"{sum(r['claimed_equals_evaluator'] in (True, False) for r in runs)} plans.",
              "", "Per run: the CSV beside this file."]
    return "\n".join(lines) + "\n"


def goals(runs: list[dict]) -> list[str]:
    """Issue 17's goals per size, limit and engine: its replan against the best
    from-scratch plan of any engine at the same limit (operating cost, within 1 %), and
    its moves against its own scratch moves (at most a fifth)."""
    out = ["| stops | limit s | engine | replan operating cost | best scratch (engine) "
           "| replan vs scratch | moved: replan / scratch | first plan of replan calls < 1 s "
           "|", "|---:|---:|---|---:|---:|---:|---:|---:|"]
    keys = sorted({(r["size"], r["limit_s"], r["engine"]) for r in runs
                   if r["variant"] == "replan"}, key=lambda k: (k[0], k[1], _rank(k[2])))
    for size, limit, main in keys:
        mine = _good([r for r in runs if (r["size"], r["limit_s"], r["engine"],
                                          r["variant"]) == (size, limit, main, "replan")])
        if not mine:
            continue
        best, who = None, ""
        for engine in sorted({r["engine"] for r in runs}):
            them = _good([r for r in runs if (r["size"], r["limit_s"], r["engine"],
                                              r["variant"]) == (size, limit, engine, "scratch")])
            if them and (best is None or _mean(them, "cost_operating") < best):
                best, who = _mean(them, "cost_operating"), engine
        scratch = _good([r for r in runs if (r["size"], r["limit_s"], r["engine"],
                                             r["variant"]) == (size, limit, main, "scratch")])
        calls = [r for r in runs if r["size"] == size and r["engine"] == main
                 and r["variant"].startswith("replan") and r["variant"] != "replan-nodisr"]
        fast = sum(float(r["first_feasible_s"] or "nan") < 1.0 for r in calls)
        cost = _mean(mine, "cost_operating")
        out.append(f"| {size} | {limit:g} | {main} | {cost:,.0f} | "
                   f"{'' if best is None else f'{best:,.0f} ({who})'} | "
                   f"{'' if best is None else f'{100 * (cost / best - 1):+.1f} %'} | "
                   f"{_mean(mine, 'moved'):.1f} / "
                   f"{_mean(scratch, 'moved') if scratch else float('nan'):.1f} | "
                   f"{fast}/{len(calls)} |")
    return out


def _good(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["error"] == "" and r["complete"] is True]


def _mean(rows: list[dict], key: str) -> float:
    return float(np.nanmean([float(r[key]) for r in rows]))


def _rank(engine: str) -> int:
    return ["ortools", "ils", "auto"].index(engine) if engine in ("ortools", "ils",
                                                                  "auto") else 9


def _order(item) -> tuple:
    (size, engine, limit, variant), _ = item
    return (size, _rank(engine), limit, variant)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--engines", nargs="+", default=["ortools", "ils", "auto"])
    ap.add_argument("--limits", type=float, nargs="+", default=[5.0, 30.0])
    ap.add_argument("--auto-limits", type=float, nargs="+", default=[5.0],
                    help="auto's limits (it runs ortools for disruption costs)")
    ap.add_argument("--probe", type=float, default=1.0, help="time limit of the probe call")
    ap.add_argument("--ref-engine", default="ortools")
    ap.add_argument("--ref-limit", type=float, default=20.0)
    ap.add_argument("--out", type=Path, required=True, help="PATH.csv and PATH.md")
    ap.add_argument("--jobs", type=int, default=1, help="days solved at a time (processes)")
    ap.add_argument("--summarize", action="store_true", help="only rewrite PATH.md from "
                    "PATH.csv")
    raise SystemExit(bench(ap.parse_args()))


if __name__ == "__main__":
    main()
