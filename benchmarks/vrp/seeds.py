"""Several seeds of one ``benchmarks.vrp`` run in one table: the mean gap per instance
and solver over the seeds, the mean per solver per seed and over all, and on how many
instances each solver is no worse than a reference solver (by mean gap).

Usage::

    python -m benchmarks.vrp.seeds benchmarks/results/2026-12-05_cvrp-x_10s*.csv \
        --reference pyvrp --out benchmarks/results/2026-12-05_cvrp-x_10s_seeds.md

Every row of the input CSVs was already scored by routecast's evaluator; an infeasible
plan makes its cell (and the solver's overall mean) ``infeasible``, never a number.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean


def read_rows(paths: list[Path]) -> list[dict]:
    """Every row of ``paths``, with gap, seed and feasibility parsed."""
    rows = []
    for path in paths:
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                row["gap_pct"] = float(row["gap_pct"])
                row["seed"] = int(row["seed"])
                row["feasible"] = row["feasible"] == "True"
                rows.append(row)
    return rows


def _fmt(values: list[float] | None) -> str:
    return "infeasible" if values is None else f"{mean(values):.2f}%"


def summarise(rows: list[dict], reference: str) -> list[str]:
    """The markdown lines of the module docstring's tables."""
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})
    gaps: dict[tuple[str, str], list[float] | None] = defaultdict(list)
    for r in rows:
        key = (r["instance"], r["solver"])
        if not r["feasible"] or gaps[key] is None:
            gaps[key] = None
        else:
            gaps[key].append(r["gap_pct"])
    lines = [f"seeds: {', '.join(map(str, seeds))}; each cell the mean gap over the seeds", "",
             "| instance | " + " | ".join(solvers) + " |", "|---|" + "---:|" * len(solvers)]
    for name in instances:
        lines.append(f"| {name} | " + " | ".join(_fmt(gaps.get((name, s))) for s in solvers)
                     + " |")
    lines += ["", "| solver | " + " | ".join(f"seed {s}" for s in seeds)
              + f" | mean | instances no worse than {reference} |",
              "|---|" + "---:|" * (len(seeds) + 2)]
    for s in solvers:
        per_seed = []
        for seed in seeds:
            mine = [r for r in rows if r["solver"] == s and r["seed"] == seed]
            per_seed.append(_fmt(None if any(not r["feasible"] for r in mine)
                                 else [r["gap_pct"] for r in mine]) if mine else "-")
        cells = [gaps.get((name, s)) for name in instances]
        overall = (None if any(c is None for c in cells)
                   else [mean(c) for c in cells if c])
        wins = sum(1 for name in instances
                   if gaps.get((name, s)) is not None
                   and gaps.get((name, reference)) is not None
                   and mean(gaps[(name, s)]) <= mean(gaps[(name, reference)]) + 1e-9)
        lines.append(f"| {s} | " + " | ".join(per_seed) + f" | {_fmt(overall)} | "
                     f"{wins} of {len(instances)} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.vrp.seeds",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("csvs", nargs="+", type=Path)
    ap.add_argument("--reference", default="pyvrp")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--title", default="")
    args = ap.parse_args(argv)
    rows = read_rows(args.csvs)
    if not any(r["solver"] == args.reference for r in rows):
        ap.error(f"--reference {args.reference!r} is not a solver of these files")
    budgets = sorted({float(r["budget_s"]) for r in rows})
    if len(budgets) != 1:
        ap.error(f"the files mix budgets {budgets}: one budget per table")
    command = shlex.join(sys.argv[1:] if argv is None else argv)
    header = [f"# {args.title or args.out.stem}", "",
              f"- command: `python -m benchmarks.vrp.seeds {command}`",
              f"- inputs: {', '.join(p.name for p in args.csvs)} (their .md files give each "
              "run's command, commit, machine and load)", ""]
    args.out.write_text("\n".join(header + summarise(rows, args.reference)) + "\n")


if __name__ == "__main__":
    main()
