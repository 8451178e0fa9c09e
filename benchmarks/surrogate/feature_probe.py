"""Probe candidate features and settings on the inner time split before building them in.

Usage: python -m benchmarks.surrogate.feature_probe [--data ../shared/data/trips]
           [--cities nyc,nyc_zones,chicago] [--split inner|hold|random] [--seeds 0]
           [--out results/feature_probe.csv] "SPEC;SPEC;..."

A candidate that lives in the matrix path needs kernel work (``_kernels._write_row``,
``_pairs`` task- or slice-fixed values), so it is measured here first: the default model's
recipe (same split into training part, validation and calibration windows, the same
features with out-of-fold pace, early stopping on the validation window, then the median
refit on every trip with the scaled tree count) with extra columns appended, fitted with
LightGBM directly. Only the median booster is fitted; the score is RMSLE.

A SPEC is a comma-separated list of (empty = the default model's features):
  ``ozt<B>`` / ``dzt<B>`` / ``pzt<B>``  out-of-fold pace per origin zone / destination zone /
                                       zone pair x time bucket; B = 12 (4-hour blocks x
                                       weekday/weekend), 72 (hour x day type), 168 (hour of week)
  ``fine<o|d|p...>``                   out-of-fold pace on 120 finer k-means zones
  ``holiday``                          1 on US federal holidays (local date)
  ``era``                              departure in days since 1970 (a time-trend feature)
  ``w<P>``                             recency weights, half-life P % of the training span
  ``init``                             boost from log(haversine + 200 m) fitted by least squares
  ``road<R>``                          a learned street metric: log metered distance predicted
                                       from the geometry columns by a first LightGBM stage (R
                                       rounds, 300 if omitted; out-of-fold on the training part)
  ``oracle``                           each trip's own metered distance: not a feature any
                                       prediction can have, an upper bound on what geometry adds
  ``p:<name>=<value>``                 a LightGBM parameter override

Splits: ``inner`` (train 0-64 %, score 64-80 % of each city's cleaned trips by departure;
settings are chosen here), ``hold`` (train 0-80 %, score the last 20 %), ``random`` (a
random 20 %, seed 7, as the issue's held-back NYC set is drawn; trained on the rest).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from surrogate import TravelTimeModel, load_trips
from surrogate import features as F
from surrogate.clock import day_type, hour_of_week, to_unix_seconds
from surrogate.evaluate import rmsle
from surrogate.fit_support import refit_rounds
from surrogate.geo import haversine_m

FINE_ZONES = 120


def split(df: pd.DataFrame, how: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training trips, scored trips) of one city, both in departure order."""
    df = df.sort_values("departure", kind="stable").reset_index(drop=True)
    if how == "random":
        held = np.zeros(len(df), dtype=bool)
        held[np.random.default_rng(7).choice(len(df), int(0.2 * len(df)), replace=False)] = True
        return df[~held].reset_index(drop=True), df[held].reset_index(drop=True)
    if how == "inner":
        df = df.iloc[:int(len(df) * 0.8)]
    cut = int(len(df) * 0.8)
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)


def _time_bucket(d: pd.DataFrame, tz: str, n: int) -> np.ndarray:
    how = hour_of_week(to_unix_seconds(d["departure"], tz), tz)
    if n == 168:
        return np.floor(how).astype(int)
    hod = np.floor(np.mod(how, 24.0)).astype(int)
    if n == 72:
        return hod * 3 + day_type(how).astype(int)
    return hod // 4 * 2 + (day_type(how) > 0).astype(int)  # 12


def _holiday(departure: pd.Series, tz: str) -> np.ndarray:
    """1.0 on US federal holidays (local date), else 0.0."""
    from pandas.tseries.holiday import USFederalHolidayCalendar

    day = departure.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    days = USFederalHolidayCalendar().holidays(day.min(), day.max())
    return day.isin(days).to_numpy(np.float64)


GEOMETRY = [F.FEATURE_NAMES.index(f) for f in F.FEATURE_NAMES
            if f not in F.TIME_FEATURES and f not in F.PACE_FEATURES]


def _log_metered(trips: pd.DataFrame) -> np.ndarray:
    """log(metered distance + 200 m), NaN where the meter gave none."""
    return np.log(trips["distance_m"].to_numpy(np.float64) + F.PACE_OFFSET_M)


def road_distance(features: list[np.ndarray], parts: list[pd.DataFrame], seed: int,
                  spec: str) -> list[np.ndarray]:
    """log of the metered distance predicted from geometry (out-of-fold on the training
    part); ``features`` are each part's trip features."""
    xs = [x[:, GEOMETRY] for x in features]
    tr = parts[0]
    dist = tr["distance_m"].to_numpy(np.float64)
    hav = xs[0][:, GEOMETRY.index(F.FEATURE_NAMES.index("haversine_m"))]
    ok = np.isfinite(dist) & (dist > 0.8 * hav) & (dist < 5 * hav + 2000)
    y = _log_metered(tr)
    rounds = int(spec[4:] or 300)
    params = {"objective": "regression", "learning_rate": 0.1, "num_leaves": 63,
              "min_child_samples": 20, "verbose": -1, "seed": seed, "num_threads": 1}
    cat = [i for i, j in enumerate(GEOMETRY) if F.FEATURE_NAMES[j] in F.CATEGORICAL]

    def fit(mask: np.ndarray) -> lgb.Booster:
        return lgb.train(params, lgb.Dataset(xs[0][mask], y[mask], categorical_feature=cat),
                         rounds)
    fold = np.random.default_rng(seed).integers(0, 5, len(tr))
    oof = np.empty(len(tr))
    for k in range(5):
        oof[fold == k] = fit(ok & (fold != k)).predict(xs[0][fold == k])
    full = fit(ok)
    out = [oof] + [full.predict(x) for x in xs[1:]]
    print("road model: rmse on scored part", float(np.sqrt(np.nanmean(
        (out[-1] - _log_metered(parts[-1])) ** 2))),
        "ok share", ok.mean(), flush=True)
    return out


def extra_columns(space: F.FeatureSpace, fine: F.FeatureSpace | None,
                  parts: list[pd.DataFrame], features: list[np.ndarray], specs: list[str],
                  seed: int) -> list[np.ndarray]:
    """Extra feature columns for each part (training part first: out-of-fold values);
    ``features`` are the parts' default feature rows."""
    tr = parts[0]
    resid = (np.log(tr["duration_s"].to_numpy())
             - np.log(haversine_m(tr["origin_lat"], tr["origin_lon"], tr["dest_lat"],
                                  tr["dest_lon"]) + F.PACE_OFFSET_M))
    cols: list[list[np.ndarray]] = [[] for _ in parts]

    def zone(d: pd.DataFrame, sp: F.FeatureSpace, end: str) -> np.ndarray:
        return sp.zones(d[f"{end}_lat"].to_numpy(), d[f"{end}_lon"].to_numpy()).astype(int)

    def encode(key: Callable[[pd.DataFrame], np.ndarray], n_keys: int) -> None:
        full, oof = F.out_of_fold_means((key(tr),), np.asarray(resid), n_keys, seed=seed)
        cols[0].append(oof[:, 0])
        for c, d in zip(cols[1:], parts[1:], strict=True):
            c.append(full[key(d)])

    k = space.n_zones
    for s in specs:
        if s == "era":
            for c, d in zip(cols, parts, strict=True):
                c.append(to_unix_seconds(d["departure"], space.tz) / 86400.0)
        elif s == "holiday":
            for c, d in zip(cols, parts, strict=True):
                c.append(_holiday(d["departure"], space.tz))
        elif s[:3] in ("ozt", "dzt", "pzt"):
            nb = int(s[3:])
            ends = {"o": ["origin"], "d": ["dest"], "p": ["origin", "dest"]}[s[0]]
            encode(lambda d, e=ends, b=nb: np.ravel_multi_index(
                [zone(d, space, x) for x in e] + [_time_bucket(d, space.tz, b)],
                [k] * len(e) + [b]), k ** len(ends) * nb)
        elif s.startswith("fine") and fine is not None:
            kf = fine.n_zones
            for kind in s[4:]:
                ends = {"o": ["origin"], "d": ["dest"], "p": ["origin", "dest"]}[kind]
                encode(lambda d, e=ends, kf=kf: np.ravel_multi_index(
                    [zone(d, fine, x) for x in e], [kf] * len(e)), kf ** len(ends))
        elif s == "oracle":
            for c, d in zip(cols, parts, strict=True):
                c.append(_log_metered(d))
        elif s.startswith("road"):
            for c, v in zip(cols, road_distance(features, parts, seed, s), strict=True):
                c.append(v)
        elif not (s.startswith(("w", "p:")) or s == "init"):
            raise ValueError(f"unknown spec {s!r}")
    return [np.column_stack(c) if c else np.empty((len(d), 0)) for c, d in zip(cols, parts,
                                                                                strict=True)]


def probe(train: pd.DataFrame, test: pd.DataFrame, specs: list[str], seed: int) -> float:
    """Hold-out RMSLE of the default model's median recipe with ``specs`` applied."""
    m = TravelTimeModel(seed=seed, n_threads=1)
    n = len(train)
    n_win = int(round(m.validation_fraction * n))
    parts = [train.iloc[:n - 2 * n_win], train.iloc[n - 2 * n_win:n - n_win],
             train.iloc[n - n_win:], test]
    space = F.fit_feature_space(parts[0], n_zones=m.n_zones, seed=seed, grid_angle_deg=None,
                                tz=str(train["departure"].dt.tz))
    space, oof = F.fit_pace(space, parts[0], seed=seed)
    fine = (F.fit_feature_space(parts[0], n_zones=FINE_ZONES, seed=seed, grid_angle_deg=None,
                                tz=space.tz) if any(s.startswith("fine") for s in specs) else None)
    xs = [F.trip_features(space, d) for d in parts]
    xs[0][:, [F.FEATURE_NAMES.index(f) for f in F.PACE_FEATURES]] = oof
    xs = [np.hstack([x, e]) for x, e in zip(xs, extra_columns(space, fine, parts, xs, specs, seed),
                                            strict=True)]
    names = list(F.FEATURE_NAMES) + [f"extra_{i}" for i in range(xs[0].shape[1] - len(F.FEATURE_NAMES))]
    ys = [np.log(d["duration_s"].to_numpy()) for d in parts]
    base: list[np.ndarray] | None = None  # None: boost from the average, as the model does
    if "init" in specs:
        logd = [np.log(x[:, 0] + F.PACE_OFFSET_M) for x in xs]
        coef = np.polyfit(logd[0], ys[0], 1)
        base = [np.polyval(coef, v) for v in logd]
    t = [to_unix_seconds(d["departure"], space.tz) for d in parts[:3]]
    half = [float(s[1:]) / 100.0 * (t[2][-1] - t[0][0]) for s in specs if s.startswith("w")]
    weight = [np.exp2((v - t[2][-1]) / half[0]) if half else None for v in t]
    params = m._lgb_params("regression", None, m.num_leaves)
    params["monotone_constraints"] = [int(f == "haversine_m") for f in names]
    for s in specs:
        if s.startswith("p:"):
            key, value = s[2:].split("=")
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:  # a word, such as an objective's name
                params[key] = value

    def data(i: slice) -> lgb.Dataset:
        w = None if weight[0] is None else np.concatenate(weight[i])
        return lgb.Dataset(np.vstack(xs[i]), np.concatenate(ys[i]), weight=w,
                           init_score=None if base is None else np.concatenate(base[i]),
                           feature_name=names,
                           categorical_feature=list(F.CATEGORICAL), free_raw_data=False)

    d_tr = data(slice(0, 1))
    d_va = lgb.Dataset(xs[1], ys[1], init_score=None if base is None else base[1],
                       reference=d_tr)
    early = lgb.train(params, d_tr, m.n_estimators, valid_sets=[d_va],
                      callbacks=[lgb.early_stopping(m.early_stopping_rounds, verbose=False)])
    rounds = min(m.n_estimators, refit_rounds(early.best_iteration or early.num_trees(),
                                              len(parts[0]), n))
    final = lgb.train(params, data(slice(0, 3)), rounds)
    return rmsle(test["duration_s"].to_numpy(), np.exp(final.predict(xs[3]) + (0.0 if base is None else base[3])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", help='";"-separated specs (module docstring); "" = the default')
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/trips"))
    ap.add_argument("--cities", default="nyc,nyc_zones,chicago")
    ap.add_argument("--split", default="inner", choices=("inner", "hold", "random"))
    ap.add_argument("--seeds", default="0", help="comma-separated model seeds")
    ap.add_argument("--out", default=None, help="CSV to write (one row per city x spec x seed)")
    args = ap.parse_args()
    rows = []
    for city in args.cities.split(","):
        train, test = split(load_trips(Path(args.data) / city / "trips.csv.gz")[0], args.split)
        for spec in args.specs.split(";"):
            for seed in (int(s) for s in args.seeds.split(",")):
                t0 = time.perf_counter()
                score = probe(train, test, [s for s in spec.split(",") if s], seed)
                rows.append({"city": city, "split": args.split, "spec": spec or "default",
                             "seed": seed, "rmsle": score,
                             "fit_s": round(time.perf_counter() - t0, 1)})
                print(rows[-1], flush=True)
    if args.out:
        pd.DataFrame(rows).to_csv(args.out, index=False, float_format="%.4f")


if __name__ == "__main__":
    main()
