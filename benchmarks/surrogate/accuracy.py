"""Accuracy of the travel-time model on a time-based hold-out of each shared city.

Usage: python benchmarks/surrogate/accuracy.py [--data ../shared/data/trips] [--out DIR]
           [--cities nyc,nyc_zones,chicago] [--configs "old default,new default"]

For each city: load + clean with the default rules, sort by departure, hold out the last
20 % of trips (time-based), fit on the rest, and score model and baselines on the
hold-out. Writes accuracy.csv (one row per city x config x predictor). For the model,
p10-p90 coverage is reported with the conformal quantile offsets (the default) and
without them (same boosters, offsets set to 0), plus the shares below p10 / above p90.

Configurations: "old default" is format 1's default (15 features, offsets from the
validation window, no monotone constraint); "previous default" format 2's before the refit
(300 trees x 63 leaves); "new default" is ``TravelTimeModel()``; the others are the
presets of ``surrogate.model.PRESETS``.
Settings were chosen on a time split inside the training part (train on the first 64 %,
score on 64-80 %), never on the hold-out scored here.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from surrogate import TravelTimeModel, evaluate_model, load_trips
from surrogate.model import PRESETS

CONFIGS = {
    "old default": {"feature_set": "v1", "calibration_fraction": 0.0,
                    "monotone_distance": False, "learning_rate": 0.12, "num_leaves": 31,
                    "n_estimators": 300, "quantile_estimators": 150, "refit": False},
    # format 2's default until 2026-12-04: v2 features, 241-300 trees x 63 leaves, no refit
    "previous default": {"learning_rate": 0.08, "num_leaves": 63, "n_estimators": 300,
                         "quantile_estimators": 150, "refit": False},
    # the presets (surrogate.model.PRESETS), chosen on the NYC inner split; all refit the
    # median on every training trip after early stopping
    **{("new default" if k == "default" else k): v for k, v in PRESETS.items()},
}


def parse_config(spec: str) -> dict[str, object]:
    """``"key=value;key=value"`` -> TravelTimeModel keywords (values read as JSON)."""
    import json

    pairs = [p.split("=", 1) for p in spec.split(";") if p]
    return {k: json.loads(v) for k, v in pairs}


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
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--threads", type=int, default=2, help="LightGBM threads per fit")
    ap.add_argument("--inner", action="store_true",
                    help="tuning split: drop the hold-out, score 64-80 %% trained on 0-64 %%")
    ap.add_argument("--stride", type=int, default=1,
                    help="keep every k-th cleaned trip (in departure order) of each city")
    args = ap.parse_args()
    run(Path(args.data), args.cities.split(","), args.configs.split(","), Path(args.out),
        args.stride, args.threads, args.inner)


def run(data: Path, cities: list[str], configs: list[str], out: Path | None = None,
        stride: int = 1, threads: int = 2, inner: bool = False) -> list[dict[str, object]]:
    """One row per city x config x predictor (baselines once per city).

    With ``out``, ``out/accuracy.csv`` is rewritten after every model, so a long run
    keeps what it has measured.
    """
    rows: list[dict[str, object]] = []
    for city in cities:
        df, report = load_trips(data / city / "trips.csv.gz")
        df = df.sort_values("departure", kind="stable").iloc[::stride].reset_index(drop=True)
        if inner:  # never look at the hold-out while choosing settings
            df = df.iloc[:int(len(df) * 0.8)]
        cut = int(len(df) * 0.8)
        train, test = df.iloc[:cut], df.iloc[cut:]
        for name in configs:
            kw = CONFIGS[name] if name in CONFIGS else parse_config(name)
            t0 = time.perf_counter()
            model = TravelTimeModel(seed=0, n_threads=threads, **kw).fit(train)
            fit_s = time.perf_counter() - t0
            res = evaluate_model(model, test, train)
            trees = model.boosters_["median"].num_trees()
            band = _band_shares(model, test)
            for pred in ("model", "haversine_global_speed", "haversine_hourly_speed"):
                if pred != "model" and name != configs[0]:
                    continue
                m = res[pred]
                rows.append({"city": city if stride == 1 else f"{city} (every {stride}th trip)",
                             "config": name if pred == "model" else "-",
                             "predictor": pred, "n_train": len(train), "n_test": len(test),
                             "test_from": str(test["departure"].iloc[0]),
                             "rmsle": m["rmsle"], "mae_s": m["mae_s"], "mape_pct": m["mape_pct"],
                             "p10_p90_coverage": m["coverage"],
                             **(band if pred == "model" else {}),
                             "median_trees": trees if pred == "model" else "",
                             "fit_s": round(fit_s, 1) if pred == "model" else "",
                             "rows_dropped_by_cleaning": report.rows_in - report.rows_out})
            print(city, name, res["model"], flush=True)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                pd.DataFrame(rows).to_csv(out / "accuracy.csv", index=False,
                                          float_format="%.4f")
    return rows


if __name__ == "__main__":
    main()
