"""Learned travel times: trips -> model -> time-dependent matrices with uncertainty.

Re-exports only; see the modules for the details.
"""

from surrogate.errors import (
    ExtrapolationWarning,
    IncompatibleModelError,
    ModelNotFoundError,
    NotFittedError,
    SurrogateError,
    TripDataError,
)
from surrogate.evaluate import SpeedBaseline, evaluate_model
from surrogate.matrix import MatrixResult, cache_key, predict_matrix
from surrogate.model import TravelTimeModel
from surrogate.registry import ModelInfo, ModelRegistry, load_model
from surrogate.synthetic import SyntheticCity
from surrogate.trips import CleaningParams, CleaningReport, clean_trips, load_trips, read_trips

__all__ = [
    "CleaningParams",
    "CleaningReport",
    "ExtrapolationWarning",
    "IncompatibleModelError",
    "MatrixResult",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelRegistry",
    "NotFittedError",
    "SpeedBaseline",
    "SurrogateError",
    "SyntheticCity",
    "TravelTimeModel",
    "TripDataError",
    "cache_key",
    "clean_trips",
    "evaluate_model",
    "load_model",
    "load_trips",
    "predict_matrix",
    "read_trips",
]
