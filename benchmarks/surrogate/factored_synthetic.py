"""Accuracy cost of the factored multi-slice matrix against the synthetic city's truth.

Usage: python benchmarks/surrogate/factored_synthetic.py

Fits the default model on 20,000 simulated trips (4 weeks), then builds a day of 15-min
slices for 300 points both ways and compares each with the true median times.
"""

from __future__ import annotations

import time

import numpy as np

from surrogate import SyntheticCity, TravelTimeModel, predict_matrix


def main() -> None:
    city = SyntheticCity(seed=1)
    model = TravelTimeModel(seed=0, n_threads=2).fit(city.simulate_trips(20000, "2024-01-01", 28, 0))
    pts = city.sample_locations(300, np.random.default_rng(0))
    day = [1706486400.0 + 900 * k for k in range(96)]  # Monday 2024-01-29 00:00 UTC
    off = ~np.eye(300, dtype=bool)
    i, j = np.nonzero(off)
    truth = np.stack([city.true_travel_time(pts[i], pts[j], np.full(len(i), s)) for s in day])
    for method in ("exact", "factored"):
        t0 = time.perf_counter()
        r = predict_matrix(model, pts, day, quantiles=None, method=method)
        sec = time.perf_counter() - t0
        err = np.sqrt(np.mean((np.log(r.median[:, off]) - np.log(truth)) ** 2))
        print(f"{method}: {sec:.2f} s, log RMSE vs true median {err:.4f}")


if __name__ == "__main__":
    main()
