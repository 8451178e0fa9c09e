"""Learned travel: time-dependent matrices from a registered surrogate model.

The only solver module that imports ``surrogate``. Distances (for distance costs) are
great-circle meters x the spec's detour factor; durations come from the model, one
matrix per slice of the planning horizon, plus the p10/p90 quantiles.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np

from solver.errors import InvalidProblemError, NoSolutionError
from solver.problem import LearnedTravel, Problem
from solver.travel.base import TravelTensor
from solver.travel.haversine import haversine_matrix

QUANTILES = (0.1, 0.9)
# Slices x locations^2 of the largest learned tensor built (about 48 bytes a cell while
# predicting: features, median, two quantiles): 25 M cells is about 1.2 GB, e.g. 1,000
# locations over a day of hourly slices.
MAX_LEARNED_CELLS = 25_000_000
# With a deadline, the slices are predicted in this many pieces, the clock read between
# them: a build past the deadline stops there (issue 15), so it overruns by one piece at
# most. The first is one slice: its call loads the kernel in a cold process. Each piece
# walks the trees that ignore the time of day again (a fixed cost per call: at load 7,
# one slice 0.1 s, ten 0.15 s, so the rate of a small piece says little of the rest);
# a build without a deadline is one piece.
DEADLINE_PIECES = 4
# Seconds a process that has not predicted yet needs to load the matrix kernel (and, if
# no kernel ran before, to initialise Numba) before the first slice: measured 1.4-1.8 s
# at load 7 on 2 cores (numba's first dispatch 1.2 s of it); a floor, not scaled by load.
PREDICTOR_COLD_S = 1.0


def n_slices(spec: LearnedTravel) -> int:
    """Time slices of the planning horizon."""
    return max(1, math.ceil(spec.horizon_hours * 3600.0 / (spec.slice_minutes * 60.0)))


def learned_cells(problem: Problem) -> int:
    """Slices x locations^2 the problem's learned travel needs (0 for other travel)."""
    if not isinstance(problem.travel, LearnedTravel):
        return 0
    n = len(problem.depots) + len(problem.stops)
    return n_slices(problem.travel) * n * n


def check_learned_size(problem: Problem, max_cells: int = MAX_LEARNED_CELLS) -> None:
    """Refuse, before anything is built, a learned tensor over ``max_cells`` cells."""
    cells = learned_cells(problem)
    if cells > max_cells:
        n = len(problem.depots) + len(problem.stops)
        raise InvalidProblemError(
            f"{cells // (n * n)} slices x {n} locations^2 = {cells:,} travel times "
            f"exceeds the limit of {max_cells:,}; use fewer stops, a shorter horizon or "
            "longer slices", "travel.horizon_hours")


def learned_travel(
    problem: Problem, spec: LearnedTravel, coords: np.ndarray, models_dir: Path | None,
    deadline: float | None = None, clock: Callable[[], float] = time.perf_counter,
) -> TravelTensor:
    """Predict the horizon's slices with the model ``spec.model`` ("active" = the active one).

    ``deadline`` (on ``clock``; None: none) is when the solve's time limit ends: a
    process that has not loaded the predictor does not start when less than
    ``PREDICTOR_COLD_S`` is left, the slices are predicted piece by piece
    (``DEADLINE_PIECES``), and a build past the deadline stops; each time with
    ``NoSolutionError`` saying so.
    """
    # the compiled trees only: no LightGBM, no pandas (surrogate.predictor)
    from surrogate.errors import SurrogateError
    from surrogate.matrix import predict_matrix, predictor_loaded
    from surrogate.registry import ModelRegistry

    if models_dir is None:
        raise InvalidProblemError(
            "learned travel needs a model registry (set ROUTECAST_DATA_DIR or --models)",
            "travel.model",
        )
    check_learned_size(problem)
    try:
        registry = ModelRegistry(models_dir)
        model_id = registry.active_id() if spec.model == "active" else spec.model
        model = registry.load_compiled(model_id)
    except SurrogateError as err:
        raise InvalidProblemError(str(err), "travel.model") from None
    slice_s = spec.slice_minutes * 60.0
    slices = n_slices(spec)
    departures = [spec.departure + timedelta(seconds=k * slice_s) for k in range(slices)]
    n = len(coords)
    plan_q = spec.plan_quantile
    if deadline is not None and not predictor_loaded() and clock() + PREDICTOR_COLD_S > deadline:
        raise NoSolutionError(
            f"learned travel: this process needs about {PREDICTOR_COLD_S:g} s to load the "
            f"travel predictor and {max(deadline - clock(), 0.0):.2f} s of the time limit "
            "are left; allow more time (a process that has predicted before needs none of it)")
    tensors = {q: np.empty((slices, n, n)) for q in (0.5, *QUANTILES)}
    model_id = None
    for a, b in _pieces(slices, deadline is not None):
        if deadline is not None and clock() > deadline:
            raise NoSolutionError(
                f"learned travel: {slices} slice(s) x {n}^2 locations were not predicted "
                f"within the time limit ({a} built); allow more time, or use longer slices "
                "(travel.slice_minutes) or a shorter horizon (travel.horizon_hours)")
        result = predict_matrix(model, coords, departures[a:b], quantiles=QUANTILES)
        tensors[0.5][a:b] = result.median
        for q, m in result.quantiles.items():
            tensors[q][a:b] = m
        model_id = result.model_id
    return TravelTensor(
        distance=haversine_matrix(coords) * spec.detour_factor,
        duration=tensors[0.5 if plan_q is None else plan_q],
        slice_starts=np.arange(slices, dtype=np.float64) * slice_s,
        quantiles=tensors,
        model_id=model_id,
    )


def _pieces(slices: int, budgeted: bool) -> list[tuple[int, int]]:
    """Slice ranges predicted at once: all of them, or (``budgeted``) one, then the rest
    in ``DEADLINE_PIECES - 1`` pieces."""
    if not budgeted or slices == 1:
        return [(0, slices)]
    step = math.ceil((slices - 1) / (DEADLINE_PIECES - 1))
    return [(0, 1)] + [(a, min(a + step, slices)) for a in range(1, slices, step)]
