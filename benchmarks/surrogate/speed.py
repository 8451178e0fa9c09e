"""Matrix build speed: compiled ensembles vs LightGBM's own predict (and tl2cgen), same run.

Usage: python -m benchmarks.surrogate.speed [--data ../shared/data/trips] [--out DIR]
       [--no-tl2cgen] [--configs "old default,new default"] [--median-only] [--no-day]

Models: each configuration of ``accuracy.CONFIGS`` (or a ``"key=value;key=value"`` set of
``TravelTimeModel`` keywords, as in ``accuracy``) fitted on all cleaned NYC point trips
(the saved model's size on disk is reported with its rows). Points:
trip origins drawn from the NYC data. Every timing is the best of k runs after a warm-up
(Numba compile, LightGBM load and tl2cgen's C compile never land inside a timed run),
both as wall seconds and as process CPU seconds: the 2 cores are shared with other
engineers, and CPU seconds move far less with their load than wall seconds. Pairs per
second are given for the matrix and for LightGBM's predict of the same rows.

"LightGBM" is ``Booster.predict`` (median booster, 2 threads) on prebuilt feature rows of
the same pairs; "tl2cgen" is the same booster compiled to C by tl2cgen (quantize=1, gcc
-O3 via its defaults) on the same rows. Writes speed.csv.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# ruff: noqa: B023  (lambdas are timed at once, inside the loop that defines them)
import numpy as np
import pandas as pd

from benchmarks.surrogate.accuracy import CONFIGS, parse_config
from surrogate import TravelTimeModel, load_trips, predict_matrix
from surrogate.features import pair_features


def best_of(fn: Callable[[], object], k: int = 3) -> tuple[float, float]:
    """(min wall s, min CPU s) over k runs."""
    wall, cpu = [], []
    for _ in range(k):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def tl2cgen_predictor(booster, workdir: Path):  # pragma: no cover - optional dependency
    """A tl2cgen predictor for the booster (compiled once), or None if not installed."""
    try:
        import tl2cgen
        import treelite
    except ImportError:
        return None, 0.0
    t0 = time.perf_counter()
    lib = workdir / "median_tl2cgen.so"
    tl2cgen.export_lib(treelite.frontend.from_lightgbm(booster), toolchain="gcc",
                       libpath=str(lib), params={"parallel_comp": 4, "quantize": 1}, nthread=2)
    pred = tl2cgen.Predictor(str(lib), nthread=2)
    return (lambda x: pred.predict(tl2cgen.DMatrix(x, dtype="float64")).reshape(-1),
            time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/trips"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--no-tl2cgen", action="store_true")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--median-only", action="store_true",
                    help="only the median, one slice (no p10/p90 rows, no day of slices)")
    ap.add_argument("--no-day", action="store_true", help="skip the day of 96 slices")
    ap.add_argument("--fit-threads", type=int, default=2,
                    help="LightGBM threads while fitting (timings always use 2)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = run(Path(args.data), args.configs.split(","), not args.no_tl2cgen, args.fit_threads,
               args.median_only, args.no_day)
    pd.DataFrame(rows).to_csv(out / "speed.csv", index=False, float_format="%.4g")


def _model_bytes(model: TravelTimeModel) -> int:
    """Bytes of the saved model directory (boosters + JSON sidecar)."""
    with tempfile.TemporaryDirectory() as tmp:
        model.save(tmp)
        return sum(p.stat().st_size for p in Path(tmp).iterdir())


def run(data: Path, configs: list[str], use_tl2cgen: bool, fit_threads: int = 2,
        median_only: bool = False, no_day: bool = False) -> list[dict[str, object]]:
    """Timing rows for every configuration (1,000 and 3,000 points; a day for the last)."""
    df, _ = load_trips(data / "nyc" / "trips.csv.gz")
    rows: list[dict[str, object]] = []
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for name in configs:
        kw = CONFIGS[name] if name in CONFIGS else parse_config(name)
        model = TravelTimeModel(seed=0, n_threads=fit_threads, **kw).fit(df)
        model.n_threads = 2  # every timing on 2 threads
        day = name == configs[-1] and not (median_only or no_day)
        _time_model(name, model, df, rows, use_tl2cgen, day=day, bands=not median_only)
    print(f"python {platform.python_version()}, load average at end: {os.getloadavg()}")
    return rows


def _time_model(name: str, model: TravelTimeModel, df: pd.DataFrame,
                rows: list[dict[str, object]], use_tl2cgen: bool, day: bool,
                bands: bool = True) -> None:
    """Append the timing rows of one fitted model (see the module docstring)."""
    booster = model.boosters_["median"]
    n_feat = model.n_features_in_
    tl_predict, tl_compile_s = (tl2cgen_predictor(booster, Path("/tmp")) if use_tl2cgen
                                else (None, 0.0))
    size = _model_bytes(model)
    trees = {k: b.num_trees() for k, b in model.boosters_.items()}
    print(f"{name}: trees {trees}; {size / 1e6:.2f} MB saved; tl2cgen compile "
          f"{tl_compile_s:.1f} s", flush=True)
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2016-03-14 08:00", tz="America/New_York")
    all_pts = df[["origin_lat", "origin_lon"]].to_numpy()
    predict_matrix(model, all_pts[:20], [start])  # warm-up: compile / load the kernels

    def add(case: str, n: int, slices: int, method: str, wall: float, cpu: float,
            ref: tuple[float, float] | None, tl: tuple[float, float] | None,
            err: float | str = "") -> None:
        rows.append({
            "config": name, "case": case, "points": n, "slices": slices, "method": method,
            "wall_s": wall, "cpu_s": cpu, "pairs_per_s": n * n * slices / wall,
            "lgbm_wall_s": ref[0] if ref else "", "lgbm_cpu_s": ref[1] if ref else "",
            "lgbm_pairs_per_s": n * n * slices / ref[0] if ref else "",
            "tl2cgen_wall_s": tl[0] if tl else "", "tl2cgen_cpu_s": tl[1] if tl else "",
            "wall_ratio_vs_lgbm": wall / ref[0] if ref else "",
            "cpu_ratio_vs_lgbm": cpu / ref[1] if ref else "", "log_rmse_vs_exact": err,
            "median_trees": trees["median"], "model_bytes": size,
            "load_avg_1min": os.getloadavg()[0]})
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()},
              flush=True)

    for n in (1000, 3000):
        pts = all_pts[rng.choice(len(df), n, replace=False)]
        k = 3 if n <= 1000 else 1
        lat, lon = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
        zone = model.feature_space_.zones(lat, lon)
        r1 = max(1, min(n * n, 1_000_000) // n)  # predict at most 1M rows, scale up
        x = pair_features(model.feature_space_, lat, lon, zone, start.timestamp(),
                          (0, r1))[:, :n_feat]
        scale = n / r1
        ref = tuple(v * scale for v in best_of(lambda: booster.predict(x, num_threads=2), k))
        tl = (tuple(v * scale for v in best_of(lambda: tl_predict(x), k))
              if tl_predict is not None else None)
        w, c = best_of(lambda: predict_matrix(model, pts, [start], quantiles=None), k)
        add("1 slice, median", n, 1, "exact", w, c, ref, tl)
        if not bands:
            continue
        w, c = best_of(lambda: predict_matrix(model, pts, [start]), k)
        add("1 slice, median+p10+p90", n, 1, "exact", w, c, None, None)
    if not day:
        return
    pts = all_pts[rng.choice(len(df), 300, replace=False)]
    lat, lon = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    zone = model.feature_space_.zones(lat, lon)
    x = pair_features(model.feature_space_, lat, lon, zone, start.timestamp(),
                      (0, 300))[:, :n_feat]
    one = best_of(lambda: booster.predict(x, num_threads=2), 3)
    ref_day = (one[0] * 96, one[1] * 96)  # LightGBM on the day's 8.64 M rows, from 1 slice
    day_starts = [start.normalize() + pd.Timedelta(minutes=15 * k) for k in range(96)]
    for q in (None, (0.1, 0.9)):
        label = "day of 15-min slices" + (", median+p10+p90" if q else ", median")
        w, c = best_of(lambda: predict_matrix(model, pts, day_starts, quantiles=q), 3)
        add(label, 300, 96, "exact", w, c, ref_day if q is None else None, None)


if __name__ == "__main__":
    main()
