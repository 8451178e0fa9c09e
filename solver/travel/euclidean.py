"""Planar distances with the rounding conventions of the benchmark sets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _round_nearest(d: np.ndarray) -> np.ndarray:
    # CVRPLIB X: nint(sqrt(dx^2 + dy^2)); floor(d + 0.5) matches TSPLIB's nint.
    return np.floor(d + 0.5)


def _dimacs(d: np.ndarray) -> np.ndarray:
    # DIMACS 2021 VRPTW: truncate to one decimal. The 1e-9 guards sqrt results
    # such as 2.9999999999 that are exactly 3.0 in real arithmetic.
    return np.floor(d * 10.0 + 1e-9) / 10.0


ROUNDING: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "round": _round_nearest,
    "dimacs": _dimacs,
    "ceil": lambda d: np.ceil(d - 1e-9),
    "exact": lambda d: d,
}


def check_rounding(rounding: str) -> None:
    if rounding not in ROUNDING:
        raise ValueError(f"unknown rounding {rounding!r}; choose from {sorted(ROUNDING)}")


def euclidean(a: np.ndarray, b: np.ndarray, rounding: str) -> np.ndarray:
    """Rounded distances between points ``a[..., 2]`` and ``b[..., 2]`` (broadcast).

    The one formula of the dense matrix and of coordinate-only travel, so both give
    bit-identical distances.
    """
    diff = a - b
    return ROUNDING[rounding](np.sqrt((diff**2).sum(axis=-1)))


def euclidean_matrix(xy: np.ndarray, rounding: str = "exact") -> np.ndarray:
    """All-pairs Euclidean distances of ``xy[L, 2]``, rounded by convention name."""
    check_rounding(rounding)
    return np.ascontiguousarray(euclidean(xy[:, None, :], xy[None, :, :], rounding))
