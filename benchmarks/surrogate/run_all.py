"""One command for issue 18's surrogate figures: accuracy (3 cities x every accuracy.CONFIGS entry) and speed.

Usage: python -m benchmarks.surrogate.run_all [--data ../shared/data/trips] [--out DIR]

Runs ``accuracy.run`` and ``speed.run`` (LightGBM's own predict timed in the same run)
and writes ``accuracy.csv``, ``speed.csv`` and ``summary.md`` (the tables of
benchmarks/surrogate/README.md) under ``--out``. ``--summary-only`` rebuilds the
markdown from CSVs already there.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd

from benchmarks.surrogate import accuracy, speed


def summary(acc: pd.DataFrame, spd: pd.DataFrame) -> str:
    """Markdown tables: RMSLE and p10-p90 coverage per city and config; matrix timings."""
    lines = ["# Surrogate benchmark summary", "",
             f"Load average when written: {os.getloadavg()[0]:.1f} (2 cores, shared).", "",
             "## Accuracy: time-based hold-out (last 20 % of cleaned trips)", "",
             "| city | predictor | config | RMSLE | MAE (s) | p10-p90 coverage | below p10 "
             "| above p90 | median trees |", "|---|---|---|---|---|---|---|---|---|"]
    for r in acc.itertuples():
        lines.append(f"| {r.city} | {r.predictor} | {r.config} | {r.rmsle:.4f} | "
                     f"{r.mae_s:.0f} | {r.p10_p90_coverage:.3f} | {_fmt(r.below_p10)} | "
                     f"{_fmt(r.above_p90)} | {_fmt(r.median_trees, '.0f')} |")
    lines += ["", "## Matrix speed (NYC model on all trips, 1 slice unless stated)", "",
              "| config | case | points | exact wall / CPU (s) | LightGBM wall / CPU (s) "
              "| exact / LightGBM (CPU) | median trees | model size (MB) | load |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in spd.itertuples():
        lg = (f"{r.lgbm_wall_s:.3g} / {r.lgbm_cpu_s:.3g}" if pd.notna(r.lgbm_wall_s)
              and r.lgbm_wall_s != "" else "")
        ratio = _fmt(r.cpu_ratio_vs_lgbm, ".3f")
        lines.append(f"| {r.config} | {r.case} | {r.points} | {r.wall_s:.3g} / {r.cpu_s:.3g} "
                     f"| {lg} | {ratio} | {r.median_trees} | {r.model_bytes / 1e6:.2f} | "
                     f"{r.load_avg_1min:.1f} |")
    return "\n".join(lines) + "\n"


def _fmt(v: object, spec: str = ".3f") -> str:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if x != x else format(x, spec)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/trips"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--summary-only", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.summary_only:
        configs = list(accuracy.CONFIGS)
        accuracy.run(Path(args.data), ["nyc", "nyc_zones", "chicago"], configs, out)
        spd = speed.run(Path(args.data), configs, use_tl2cgen=False)
        pd.DataFrame(spd).to_csv(out / "speed.csv", index=False, float_format="%.4g")
    text = summary(pd.read_csv(out / "accuracy.csv"), pd.read_csv(out / "speed.csv"))
    (out / "summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
