"""Travel-time models: train from trips (as a job), list, show, activate, predict a matrix.

Each API key has its own registry (``<data_dir>/registry/<principal>``): models of one
key are invisible (404) to another. Jobs with ``travel.kind == "learned"`` use the
registry of the key that submitted them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ExecutorDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.kinds import train
from api.kinds.train import TrainingParams, TrainingSpec, new_model, registry_root
from api.routers.jobs import IdempotencyKey
from api.schemas import TrainingJob, problem_responses
from api.settings import Settings
from api.sse import ResumeDep, job_event_stream, sse_responses
from api.store import jobs as store_jobs
from api.store.enums import JobKind
from api.uploads import check_trip_upload, remove_upload, upload_suffix
from solver.io.json_safe import json_safe
from solver.problem import MODEL_ID_PATTERN

router = APIRouter(prefix="/v1/travel-models", tags=["travel-models"])

ModelId = Annotated[str, Path(pattern=MODEL_ID_PATTERN)]
MAX_MATRIX_POINTS = 200
MAX_SLICES = 48


class ModelSummary(BaseModel):
    model_id: str
    created_at: str
    n_trips: int
    training_period: list[str]
    metrics: dict[str, Any]
    active: bool
    preset: str | None = Field(description="settings it was trained with "
                               "(surrogate.model.PRESETS); null: not recorded")


class MatrixRequest(BaseModel):
    """Points as ``[lat, lon]`` and one departure per time slice (ISO datetime or UNIX s)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "points": [[40.75, -73.99], [40.76, -73.97]],
        "departures": ["2024-03-04T08:00:00-05:00"], "quantiles": [0.1, 0.9]}]})

    points: list[tuple[float, float]] = Field(min_length=1, max_length=MAX_MATRIX_POINTS)
    departures: list[datetime | float] = Field(min_length=1, max_length=MAX_SLICES)
    quantiles: list[float] | None = Field(default=None, max_length=5)


class MatrixResponse(BaseModel):
    model_id: str
    departures: list[float] = Field(description="UNIX seconds of each slice")
    durations: list[list[list[float]]] = Field(description="seconds, [slice][from][to]")
    quantiles: dict[str, list[list[list[float]]]] = Field(default_factory=dict)




def _check_csv_header(raw: bytes) -> None:
    """Refuse a CSV whose columns are in no known trip format now, not in a failed job."""
    import csv

    from surrogate.trips.load import detect_format

    first = raw[:65536].split(b"\n", 1)[0].decode("utf-8", "replace").strip("\r\ufeff")
    columns = next(csv.reader([first]), [])
    detect_format([c.strip() for c in columns])  # TripDataError -> 422


@router.post(
    "", status_code=202, response_model=TrainingJob,
    responses=problem_responses(401, 409, 413, 422, 429),
    openapi_extra={"requestBody": {"required": False, "description":
                   "a trip file (CSV, CSV.gz or Parquet; generic schema, NYC or Chicago "
                   "columns) when `source=upload`", "content": {
                       "text/csv": {"schema": {"type": "string"}},
                       "application/octet-stream": {"schema": {"type": "string",
                                                               "format": "binary"}}}}},
    summary="Train a travel-time model (as a job)",
)
async def create_model(
    request: Request, who: PrincipalDep, sessions: StoreDep, settings: SettingsDep,
    executor: ExecutorDep,
    source: Literal["upload", "synthetic"] = "upload",
    tz: Annotated[str | None, Query(max_length=64)] = None,
    synthetic_trips: Annotated[int, Query(ge=500, le=500_000)] = 20_000,
    seed: Annotated[int, Query(ge=0, lt=2**31)] = 0,
    preset: Annotated[str, Query(max_length=32, description="model settings: default, "
                                 "accurate, fast or fastest")] = "default",
    n_estimators: Annotated[int | None, Query(ge=10, le=2000, description="default: the "
                                              "preset's")] = None,
    n_zones: Annotated[int, Query(ge=1, le=500)] = 40,
    activate: bool = False, idempotency_key: IdempotencyKey = None,
) -> TrainingJob:
    """Queue a training job on uploaded trips (the request body) or on trips simulated in
    the synthetic city; poll ``links.self``. The first model of a key becomes active.

    An upload is bounded by ``training_max_upload_bytes`` (decompressed) and
    ``training_max_upload_rows``, and deleted once its training ended. Re-sending the
    same body and parameters with the same ``Idempotency-Key`` returns the same job."""
    raw = await request.body()
    if source == "upload" and not raw:
        raise ApiProblem(422, "validation-error", "Validation error",
                         "body: upload a trip file, or use source=synthetic",
                         errors=[{"loc": ["body"], "path": "", "msg": "empty trip file",
                                  "type": "missing"}])
    if source == "synthetic" and raw:
        raise ApiProblem(422, "validation-error", "Validation error",
                         "body: a trip file is only read with source=upload",
                         errors=[{"loc": ["body"], "path": "", "msg": "unexpected body",
                                  "type": "extra_forbidden"}])
    params = TrainingParams(seed=seed, preset=preset, n_estimators=n_estimators,
                            n_zones=n_zones, activate=activate)
    try:
        model = await run_in_threadpool(new_model, params)  # imports LightGBM once
    except ValueError as err:  # unknown preset: the message lists the presets
        raise ApiProblem(422, "validation-error", "Validation error", f"preset: {err}",
                         errors=[{"loc": ["query", "preset"], "path": "preset",
                                  "msg": str(err), "type": "enum"}]) from None
    for value, maximum, name, path in (
            (synthetic_trips if source == "synthetic" else 0, settings.training_max_trips,
             "training_max_trips", "synthetic_trips"),
            (model.n_estimators, settings.training_max_estimators, "training_max_estimators",
             "n_estimators")):
        if value > maximum:
            raise ApiProblem(422, "limit-exceeded", "Limit exceeded",
                             f"{path}: {value} exceeds the limit {name}={maximum}",
                             limit=name, maximum=maximum, value=value,
                             errors=[{"loc": ["query", path], "path": path,
                                      "msg": f"exceeds the limit {name}={maximum}",
                                      "type": "limit_exceeded"}])

    def create() -> tuple[TrainingJob, bool]:
        upload = None
        if source == "upload":
            if upload_suffix(raw[:4]) == ".csv":
                _check_csv_header(raw)
            check_trip_upload(raw, settings)
            folder = settings.data_dir / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            upload = folder / f"{uuid.uuid4().hex}{upload_suffix(raw[:4])}"
            upload.write_bytes(raw)
        spec = TrainingSpec(source=source, path=str(upload) if upload else None, tz=tz,
                            synthetic_trips=synthetic_trips, synthetic_seed=seed)
        try:
            with sessions() as session:
                job, created = train.create(
                    session, owner=who.id, spec=spec, params=params, content=raw,
                    max_attempts=settings.max_attempts, idempotency_key=idempotency_key)
                view = train.view(session, job)
        except BaseException:
            remove_upload(spec.path)
            raise
        if not created:  # an idempotent repeat: the first upload is the job's
            remove_upload(spec.path)
        return view, created

    job, created = await run_in_threadpool(create)
    if created:
        executor.submit(job.id)
    return job


@router.get("/jobs/{job_id}", response_model=TrainingJob,
            responses=problem_responses(401, 404, 429), summary="Get a training job")
def get_training_job(job_id: str, who: PrincipalDep, sessions: StoreDep) -> TrainingJob:
    """Status of a training job, and the model id and metrics when it succeeded."""
    with sessions() as session:
        job = store_jobs.get_job(session, job_id=job_id, owner=who.id, kind=JobKind.TRAIN)
        return train.view(session, job)


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse,
            responses=sse_responses("server-sent events: `status`, then `end`"),
            summary="Stream training job events (SSE)")
async def training_events(request: Request, job_id: str, who: PrincipalDep,
                          sessions: StoreDep, settings: SettingsDep,
                          start: ResumeDep) -> StreamingResponse:
    """Status changes of a training job as server-sent events, until it ends."""
    return await job_event_stream(request, sessions, settings, job_id=job_id, owner=who.id,
                                  kind=JobKind.TRAIN, start=start)


def _registry(settings: Settings, owner: str) -> Any:
    from surrogate import ModelRegistry

    return ModelRegistry(registry_root(settings, owner))


@router.get("", response_model=list[ModelSummary], responses=problem_responses(401, 429),
            summary="List travel-time models")
def list_models(who: PrincipalDep, settings: SettingsDep) -> list[ModelSummary]:
    """This key's models, newest first, with their validation metrics."""
    return [_summary(m) for m in _registry(settings, who.id).list()]


def _summary(info: Any) -> ModelSummary:
    """A registry ``ModelInfo`` as clients see it."""
    return ModelSummary(model_id=info.model_id, created_at=info.created_at,
                        n_trips=info.n_trips, training_period=list(info.training_period),
                        metrics=json_safe(info.metrics), active=info.active,
                        preset=info.preset)


@router.get("/{model_id}", response_model=dict[str, Any],
            responses=problem_responses(401, 404, 422, 429), summary="Show a travel-time model")
def show_model(model_id: ModelId, who: PrincipalDep, settings: SettingsDep) -> dict[str, Any]:
    """Full metadata: features, slices, training period, data fingerprint, metrics,
    library versions."""
    return json_safe(_registry(settings, who.id).show(model_id))


@router.post("/{model_id}/activate", response_model=ModelSummary,
             responses=problem_responses(401, 404, 422, 429), summary="Activate a model")
def activate_model(model_id: ModelId, who: PrincipalDep, settings: SettingsDep) -> ModelSummary:
    """Make this the model that ``travel.model: "active"`` uses."""
    registry = _registry(settings, who.id)
    registry.activate(model_id)
    return _summary(next(m for m in registry.list() if m.model_id == model_id))


@router.post("/{model_id}/matrix", response_model=MatrixResponse,
             responses=problem_responses(401, 404, 413, 422, 429),
             summary="Predict a travel-time matrix")
def model_matrix(model_id: ModelId, body: MatrixRequest, who: PrincipalDep,
                 settings: SettingsDep) -> MatrixResponse:
    """Every pair's travel time (median and the requested quantiles) for each departure
    slice. Runs in a thread (LightGBM releases the GIL), bounded to
    200 points x 48 slices."""
    import numpy as np

    from surrogate import predict_matrix

    model = _registry(settings, who.id).load(model_id)
    points = np.asarray(body.points, dtype=np.float64)
    try:
        result = predict_matrix(model, points, list(body.departures), quantiles=body.quantiles)
    except ValueError as err:  # unknown quantile level, bad times
        raise ApiProblem(422, "validation-error", "Validation error", str(err)) from None
    return MatrixResponse(
        model_id=result.model_id,
        departures=[float(x) for x in result.slice_starts],
        durations=np.asarray(result.median, dtype=np.float64).round(3).tolist(),
        quantiles={f"{q:g}": np.asarray(m, dtype=np.float64).round(3).tolist()
                   for q, m in result.quantiles.items()},
    )

