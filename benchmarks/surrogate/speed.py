"""Matrix build speed vs LightGBM's own predict on the same rows; factored vs exact.

Usage: python benchmarks/surrogate/speed.py [--data ../shared/data/trips] [--out DIR]

Model: the default (lean) TravelTimeModel fitted on the NYC point trips. Points: trip
origins drawn from the NYC data. Times are the best of 3 runs after a warm-up (Numba
compile and LightGBM load never land inside a timed run). Writes speed.csv.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from surrogate import TravelTimeModel, load_trips, predict_matrix
from surrogate.features import pair_features


def best_of(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/trips"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    df, _ = load_trips(Path(args.data) / "nyc" / "trips.csv.gz")
    model = TravelTimeModel(seed=0, n_threads=2).fit(df)
    booster = model.boosters_["median"]
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2016-03-14 08:00", tz="America/New_York")
    rows = []
    predict_matrix(model, df[["origin_lat", "origin_lon"]].to_numpy()[:20], [start])  # warm-up
    for n in (100, 300, 1000, 3000):
        pick = rng.choice(len(df), n, replace=False)
        pts = df[["origin_lat", "origin_lon"]].to_numpy()[pick]
        k = 3 if n <= 1000 else 1
        t_med = best_of(lambda: predict_matrix(model, pts, [start], quantiles=None,
                                               method="exact"), k)
        t_q = best_of(lambda: predict_matrix(model, pts, [start], method="exact"), k)
        lat, lon = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
        zone = model.feature_space_.zones(lat, lon)
        rows_n = min(n * n, 1_000_000)
        r1 = max(1, rows_n // n)
        x = pair_features(model.feature_space_, lat, lon, zone, start.timestamp(), (0, r1))
        t_feat = best_of(lambda: pair_features(model.feature_space_, lat, lon, zone,
                                               start.timestamp(), (0, r1)), k) * (n / r1)
        t_lgb = best_of(lambda: booster.predict(x, num_threads=2), k) * (n / r1)
        rows.append({"case": "1 slice, median", "points": n, "pairs": n * n, "slices": 1,
                     "method": "exact", "seconds": t_med, "pairs_per_s": n * n / t_med,
                     "lgbm_predict_s": t_lgb, "lgbm_rows_per_s": n * n / t_lgb,
                     "features_s": t_feat, "ratio_vs_lgbm": t_med / t_lgb, "log_rmse_vs_exact": 0.0})
        rows.append({"case": "1 slice, median+p10+p90", "points": n, "pairs": n * n, "slices": 1,
                     "method": "exact", "seconds": t_q, "pairs_per_s": n * n / t_q,
                     "lgbm_predict_s": "", "lgbm_rows_per_s": "", "features_s": "",
                     "ratio_vs_lgbm": "", "log_rmse_vs_exact": 0.0})
        print(rows[-2], flush=True)
    pts = df[["origin_lat", "origin_lon"]].to_numpy()[rng.choice(len(df), 300, replace=False)]
    day = [start.normalize() + pd.Timedelta(minutes=15 * k) for k in range(96)]
    off = ~np.eye(300, dtype=bool)
    exact = {}
    for q in (None, (0.1, 0.9)):
        for method in ("exact", "factored"):
            t0 = time.perf_counter()
            r = predict_matrix(model, pts, day, quantiles=q, method=method)
            sec = time.perf_counter() - t0
            if method == "exact":
                exact[q] = r
            err = float(np.sqrt(np.mean((np.log(r.median[:, off]) -
                                         np.log(exact[q].median[:, off])) ** 2)))
            rows.append({"case": "day of 15-min slices" + (", median+p10+p90" if q else ", median"),
                         "points": 300, "pairs": 300 * 300, "slices": 96, "method": method,
                         "seconds": sec, "pairs_per_s": 96 * 90000 / sec, "lgbm_predict_s": "",
                         "lgbm_rows_per_s": "", "features_s": "", "ratio_vs_lgbm": "",
                         "log_rmse_vs_exact": err})
            print(rows[-1], flush=True)
    # accuracy cost of the factored method on real trips: hold-out-free proxy, same model
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "speed.csv", index=False, float_format="%.4g")


if __name__ == "__main__":
    main()
