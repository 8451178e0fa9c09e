"""Training jobs: trips (an uploaded file or the synthetic city) -> a registered model.

A training job is a row of kind ``train`` in the job store, so it is queued, leased,
retried and cancelled like a solve. Its input (``problem_json``) names the trips, its
options are the model's hyperparameters; its result is ``{"model_id", "metrics", ...}``.
Models are registered in the owner's own registry (per-key isolation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.settings import Settings
from api.uploads import remove_upload


class TrainingSpec(BaseModel):
    """Where the trips come from."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["upload", "synthetic"]
    path: str | None = None
    tz: str | None = None
    synthetic_trips: int = Field(default=20_000, ge=500, le=500_000)
    synthetic_seed: int = Field(default=0, ge=0)


class TrainingParams(BaseModel):
    """Model hyperparameters a client may set (the rest keep TravelTimeModel's defaults)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, ge=0, lt=2**31)
    n_estimators: int = Field(default=300, ge=10, le=2000)
    n_zones: int = Field(default=40, ge=1, le=500)
    activate: bool = False


def registry_root(settings: Settings, owner: str) -> Path:
    """The model registry of one principal."""
    return settings.data_dir / "registry" / owner


def train(spec: TrainingSpec, params: TrainingParams, settings: Settings,
          owner: str) -> dict[str, Any]:
    """Fit and register a model; returns the result document of the job.

    An upload is deleted once its training ended, succeeded or failed; a worker that
    died mid-way leaves it for the job's retry."""
    try:
        return _fit_and_register(spec, params, settings, owner)
    finally:
        remove_upload(spec.path)


def _fit_and_register(spec: TrainingSpec, params: TrainingParams, settings: Settings,
                      owner: str) -> dict[str, Any]:
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    cleaning: dict[str, Any] | None = None
    if spec.source == "synthetic":
        trips = SyntheticCity().simulate_trips(spec.synthetic_trips, seed=spec.synthetic_seed)
    else:
        trips, cleaning = _read_upload(spec)
    model = TravelTimeModel(seed=params.seed, n_estimators=params.n_estimators,
                            n_zones=params.n_zones, n_threads=1)
    model.fit(trips, cleaning_report=cleaning)
    registry = ModelRegistry(registry_root(settings, owner))
    model_id = registry.register(model, activate=params.activate)
    info = registry.show(model_id)
    return {"model_id": model_id, "metrics": info.get("metrics", {}),
            "n_trips": info.get("n_trips"), "cleaning": cleaning,
            "active": registry.active_id() == model_id}


def _read_upload(spec: TrainingSpec) -> tuple[Any, dict[str, Any]]:
    """The uploaded trips, cleaned; errors name "the uploaded file", never its path."""
    from surrogate import SurrogateError, load_trips

    path = spec.path or ""
    try:
        trips, report = load_trips(path, tz=spec.tz)
    except SurrogateError as exc:
        raise type(exc)(str(exc).replace(path, "the uploaded file")) from None
    return trips, report.to_dict()


def result_row(document: dict[str, Any]) -> dict[str, str]:
    """A training result in the results table (the document in ``solution_json``)."""
    return {"solution_json": json.dumps(document, default=str), "kpis_json": "{}",
            "violations_json": "[]", "csv": "", "geojson": ""}
