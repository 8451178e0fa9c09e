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
    try:
        registry = ModelRegistry(models_dir)
        model_id = registry.active_id() if spec.model == "active" else spec.model
        model = registry.load(model_id)
    except SurrogateError as err:
        raise InvalidProblemError(str(err), "travel.model") from None
    slice_s = spec.slice_minutes * 60.0
    n_slices = max(1, math.ceil(spec.horizon_hours * 3600.0 / slice_s))
    departures = [spec.departure + timedelta(seconds=k * slice_s) for k in range(n_slices)]
    result = predict_matrix(model, coords, departures, quantiles=QUANTILES)
    plan = result.median if spec.plan_quantile is None else result.quantiles[spec.plan_quantile]
    return TravelTensor(
        distance=haversine_matrix(coords) * spec.detour_factor,
        duration=np.ascontiguousarray(plan, dtype=np.float64),
        slice_starts=np.arange(n_slices, dtype=np.float64) * slice_s,
        quantiles={q: np.asarray(m, dtype=np.float64) for q, m in result.quantiles.items()}
        | {0.5: np.asarray(result.median, dtype=np.float64)},
        model_id=result.model_id,
    )
