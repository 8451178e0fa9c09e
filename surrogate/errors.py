"""Typed surrogate errors; the CLI maps them to exit code 2, the API to HTTP problems."""

from __future__ import annotations


class SurrogateError(Exception):
    """Base class of every error the surrogate raises on purpose."""


class NotFittedError(SurrogateError, AttributeError):
    """A model was used (predict, save) before ``fit`` or ``load``."""


class TripDataError(SurrogateError, ValueError):
    """Trip data cannot be read or understood; the message names the file and column."""


class ModelNotFoundError(SurrogateError, LookupError):
    """No stored model has the requested id (or no model is active)."""


class IncompatibleModelError(SurrogateError):
    """A stored model does not match this code (format, features, library version)."""


class ExtrapolationWarning(UserWarning):
    """Inputs lie outside the range the model was trained on; predictions are guesses."""
