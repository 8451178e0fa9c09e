"""Drift of a travel-time model against the caller's actual legs (issue 18).

``GET /v1/travel-models/{model_id}/drift`` (``active`` names the active model) predicts
the caller's most recent actual legs (stored by ``POST /v1/jobs/{id}/actuals``) with the
model and reports predicted vs actual overall, by hour of week, by origin zone and by
destination zone: RMSLE,
bias, p10-p90 coverage, and the flag (:mod:`surrogate.drift`; margin and minimum legs
from the settings). The same figures go to ``/metrics`` (``routecast_travel_drift_*``,
labelled by model id), as of the last report computed: by this endpoint, or after each
``POST /v1/jobs/{id}/actuals`` for the caller's active model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from api.deps import MetricsDep, PrincipalDep, SettingsDep, StoreDep
from api.http_errors import ApiProblem
from api.kinds.train import registry_root
from api.routers.travel_models import ModelId
from api.schemas import problem_responses
from api.settings import Settings
from api.store.actuals import actual_trips
from solver.io.json_safe import json_safe

router = APIRouter(prefix="/v1/travel-models", tags=["travel-models"])


class DriftPublic(BaseModel):
    """Predicted vs actual legs; bias is predicted minus actual (< 0: too fast)."""

    model_id: str
    active: bool
    tz: str = Field(description="the model's zone: hours of week are local to it")
    window: list[str] = Field(description="first and last departure of the legs compared")
    overall: dict[str, float] = Field(description="n, rmsle, bias_log, bias_s, mae_s, "
                                      "coverage, mean_actual_s, mean_predicted_s")
    validation: dict[str, float] = Field(description="the model's own validation figures")
    margin: float
    min_legs: int
    threshold_rmsle: float | None
    flag: bool = Field(description="recent RMSLE above validation x (1 + margin), on at "
                       "least min_legs legs")
    reason: str
    by_hour_of_week: list[dict[str, float]] = Field(description="hour_of_week (0 = Monday "
                                                    "00:00) and its figures")
    by_zone: list[dict[str, float]] = Field(description="origin zone (the model's), its "
                                            "centre lat/lon and figures")
    by_destination_zone: list[dict[str, float]] = Field(
        description="destination zone (the model's), its centre lat/lon and figures")


def _timestamp(value: datetime | None, name: str) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ApiProblem(422, "validation-error", "Validation error",
                         f"{name}: give a UTC offset (e.g. 2024-03-04T00:00:00+01:00)",
                         errors=[{"loc": ["query", name], "path": name,
                                  "msg": "needs a UTC offset", "type": "value_error"}])
    return value.timestamp()


@router.get("/{model_id}/drift", response_model=DriftPublic,
            responses=problem_responses(401, 404, 422, 429),
            summary="Drift of a model against actual legs")
def model_drift(
    model_id: ModelId, who: PrincipalDep, sessions: StoreDep, settings: SettingsDep,
    metrics: MetricsDep,
    legs: Annotated[int | None, Query(ge=1, description="the most recent legs to compare "
                                      "(default: drift_recent_legs)")] = None,
    since: Annotated[datetime | None, Query(description="only legs departing from here")] = None,
    until: Annotated[datetime | None, Query(description="only legs departing before")] = None,
) -> DriftPublic:
    """Predicted vs actual on the caller's most recent actual legs (in ``[since, until)``
    when given), by hour of week, origin zone and destination zone, with bias, p10-p90 coverage and the drift
    flag. 422 when there are no legs to compare."""
    count = legs if legs is not None else settings.drift_recent_legs
    if count > settings.drift_max_legs:
        raise ApiProblem(422, "limit-exceeded", "Limit exceeded",
                         f"legs: {count} exceeds the limit drift_max_legs="
                         f"{settings.drift_max_legs}", limit="drift_max_legs",
                         maximum=settings.drift_max_legs, value=count)
    report, active = compute_drift(settings, sessions, who.id, model_id, legs=count,
                                   after=_timestamp(since, "since"),
                                   before=_timestamp(until, "until"))
    metrics.drift.record(report)
    return DriftPublic(active=active, **json_safe(report))


def compute_drift(settings: Settings, sessions: sessionmaker[Session], owner: str,
                  model_id: str, *, legs: int, after: float | None = None,
                  before: float | None = None) -> tuple[dict[str, Any], bool]:
    """The drift report of ``owner``'s model ``model_id`` (``active``: the active one)
    on its ``legs`` most recent actual legs departing in ``[after, before)``, and
    whether the model is the active one.

    Raises
    ------
    ModelNotFoundError
        No such model in ``owner``'s registry (or no active model).
    TripDataError
        No legs to compare.
    """
    from surrogate import ModelRegistry
    from surrogate.drift import DriftParams, drift_report

    registry = ModelRegistry(registry_root(settings, owner))
    active = registry.active_id()
    model = registry.load(active if model_id == "active" else model_id)
    with sessions() as session:
        trips = actual_trips(session, owner=owner, departed_after=after,
                             departed_before=before, limit=legs)
    report = drift_report(model, trips, DriftParams(margin=settings.drift_margin,
                                                    min_legs=settings.drift_min_legs))
    return report, model.model_id_ == active
