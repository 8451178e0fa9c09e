"""Learned travel times: trips -> model -> time-dependent matrices with uncertainty.

Re-exports only, resolved on first use (PEP 562): ``import surrogate`` loads nothing
heavy, so predicting a matrix (``solver.travel.learned``) never imports pandas or
LightGBM, which only fitting, cleaning and evaluation need (issue 15: in a cold process
under load they cost seconds of a short time limit). See the modules for the details.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ExtrapolationWarning": "surrogate.errors",
    "IncompatibleModelError": "surrogate.errors",
    "ModelNotFoundError": "surrogate.errors",
    "NotFittedError": "surrogate.errors",
    "SurrogateError": "surrogate.errors",
    "TripDataError": "surrogate.errors",
    "SpeedBaseline": "surrogate.evaluate",
    "evaluate_model": "surrogate.evaluate",
    "MatrixResult": "surrogate.matrix",
    "cache_key": "surrogate.matrix",
    "predict_matrix": "surrogate.matrix",
    "TravelTimeModel": "surrogate.model",
    "ModelInfo": "surrogate.registry",
    "ModelRegistry": "surrogate.registry",
    "load_model": "surrogate.registry",
    "SyntheticCity": "surrogate.synthetic",
    "CleaningParams": "surrogate.trips",
    "CleaningReport": "surrogate.trips",
    "clean_trips": "surrogate.trips",
    "load_trips": "surrogate.trips",
    "read_trips": "surrogate.trips",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """The re-exported ``name``, importing its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'surrogate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))

