"""Accuracy metrics: the band coverage that the p10-p90 goals are stated in."""

from __future__ import annotations

import numpy as np

from surrogate.evaluate import coverage, metrics


def test_coverage_counts_closed_band() -> None:
    """Coverage is the share of durations inside [lower, upper], ends included."""
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert coverage(y, np.full(5, 2.0), np.full(5, 4.0)) == 0.6
    assert coverage(y, y, y) == 1.0
    assert coverage(y, y + 0.5, y + 1.0) == 0.0


def test_metrics_add_coverage_only_with_a_band() -> None:
    """metrics reports coverage when given a band, and an RMSLE of 0 for exact predictions."""
    y = np.array([100.0, 200.0, 300.0])
    assert "coverage" not in metrics(y, y)
    out = metrics(y, y, (y * 0.9, y * 1.1))
    assert out["rmsle"] == 0.0 and out["coverage"] == 1.0
