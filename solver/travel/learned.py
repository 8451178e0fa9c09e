"""Learned travel: time-dependent matrices from a registered surrogate model.

The only solver module that imports ``surrogate``. Distances (for distance costs) are
great-circle meters x the spec's detour factor; durations come from the model, one
matrix per slice of the planning horizon, plus the p10/p90 quantiles.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np

from solver.errors import InvalidProblemError
from solver.problem import LearnedTravel, Problem
from solver.travel.base import TravelTensor
from solver.travel.haversine import haversine_matrix

QUANTILES = (0.1, 0.9)
# Slices x locations^2 of the largest learned tensor built (about 48 bytes a cell while
# predicting: features, median, two quantiles): 25 M cells is about 1.2 GB, e.g. 1,000
# locations over a day of hourly slices.
MAX_LEARNED_CELLS = 25_000_000


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
    problem: Problem, spec: LearnedTravel, coords: np.ndarray, models_dir: Path | None
) -> TravelTensor:
    """Predict the horizon's slices with the model ``spec.model`` ("active" = the active one)."""
    from surrogate import ModelRegistry, SurrogateError, predict_matrix

    if models_dir is None:
        raise InvalidProblemError(
            "learned travel needs a model registry (set ROUTECAST_DATA_DIR or --models)",
            "travel.model",
        )
    check_learned_size(problem)
    try:
        registry = ModelRegistry(models_dir)
        model_id = registry.active_id() if spec.model == "active" else spec.model
        model = registry.load(model_id)
    except SurrogateError as err:
        raise InvalidProblemError(str(err), "travel.model") from None
    slice_s = spec.slice_minutes * 60.0
    slices = n_slices(spec)
    departures = [spec.departure + timedelta(seconds=k * slice_s) for k in range(slices)]
    result = predict_matrix(model, coords, departures, quantiles=QUANTILES)
    plan = result.median if spec.plan_quantile is None else result.quantiles[spec.plan_quantile]
    return TravelTensor(
        distance=haversine_matrix(coords) * spec.detour_factor,
        duration=np.ascontiguousarray(plan, dtype=np.float64),
        slice_starts=np.arange(slices, dtype=np.float64) * slice_s,
        quantiles={q: np.asarray(m, dtype=np.float64) for q, m in result.quantiles.items()}
        | {0.5: np.asarray(result.median, dtype=np.float64)},
        model_id=result.model_id,
    )
