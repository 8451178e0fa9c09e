"""Accuracy of the travel-time model on a time-based hold-out of each shared city.

Usage: python benchmarks/surrogate/accuracy.py [--data ../shared/data/trips] [--out DIR]

For each city: load + clean with the default rules, sort by departure, hold out the last
20 % of trips (time-based), fit on the rest, and score model and baselines on the
hold-out. Writes accuracy.csv (one row per city x config x predictor). For the model,
p10-p90 coverage is reported with the conformal quantile offsets (the default) and
without them (same boosters, offsets set to 0), plus the shares below p10 / above p90.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from surrogate import TravelTimeModel, evaluate_model, load_trips

CONFIGS = {
    "lean (default)": {},
    "large": {"num_leaves": 63, "learning_rate": 0.05, "n_estimators": 1500,
              "quantile_estimators": 300, "quantile_num_leaves": 31},
}


def _band_shares(model: TravelTimeModel, test: pd.DataFrame) -> dict[str, float]:
    """Coverage and tail shares with and without the conformal offsets (same boosters)."""
    y = test["duration_s"].to_numpy()
    cal = model.predict_quantiles(test)
    offsets = dict(model.quantile_offsets_)
    model.quantile_offsets_ = {k: 0.0 for k in offsets}
    raw = model.predict_quantiles(test)
    model.quantile_offsets_ = offsets
    return {"p10_p90_coverage_uncalibrated": float(np.mean((y >= raw[:, 0]) & (y <= raw[:, -1]))),
            "below_p10": float(np.mean(y < cal[:, 0])), "above_p90": float(np.mean(y > cal[:, -1])),
            "below_p10_uncalibrated": float(np.mean(y < raw[:, 0])),
            "above_p90_uncalibrated": float(np.mean(y > raw[:, -1])),
            "offset_p10_log": offsets.get("0.1", 0.0), "offset_p90_log": offsets.get("0.9", 0.0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/trips"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--cities", default="nyc,nyc_zones,chicago")
    args = ap.parse_args()
    rows = []
    for city in args.cities.split(","):
        df, report = load_trips(Path(args.data) / city / "trips.csv.gz")
        df = df.sort_values("departure", kind="stable").reset_index(drop=True)
        cut = int(len(df) * 0.8)
        train, test = df.iloc[:cut], df.iloc[cut:]
        for name, kw in CONFIGS.items():
            t0 = time.perf_counter()
            model = TravelTimeModel(seed=0, n_threads=2, **kw).fit(train)
            fit_s = time.perf_counter() - t0
            res = evaluate_model(model, test, train)
            trees = model.boosters_["median"].num_trees()
            band = _band_shares(model, test)
            for pred in ("model", "haversine_global_speed", "haversine_hourly_speed"):
                if pred != "model" and name != "lean (default)":
                    continue
                m = res[pred]
                rows.append({"city": city, "config": name if pred == "model" else "-",
                             "predictor": pred, "n_train": len(train), "n_test": len(test),
                             "test_from": str(test["departure"].iloc[0]),
                             "rmsle": m["rmsle"], "mae_s": m["mae_s"], "mape_pct": m["mape_pct"],
                             "p10_p90_coverage": m["coverage"],
                             **(band if pred == "model" else {}),
                             "median_trees": trees if pred == "model" else "",
                             "fit_s": round(fit_s, 1) if pred == "model" else "",
                             "rows_dropped_by_cleaning": report.rows_in - report.rows_out})
            print(city, name, res["model"], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "accuracy.csv", index=False, float_format="%.4f")


if __name__ == "__main__":
    main()
