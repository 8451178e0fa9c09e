"""Liveness, readiness and Prometheus metrics (no auth: for orchestrators and scrapers)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from api.deps import ExecutorDep, MetricsDep, StoreDep
from api.store.tables import JobRow

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness",
            responses={503: {"description": "not ready", "content": {"application/json": {}}}})
def readyz(sessions: StoreDep, executor: ExecutorDep) -> JSONResponse:
    """The store can be read (a row of the jobs table, not a bare ``SELECT 1``) and
    workers exist."""
    checks: dict[str, str] = {}
    try:
        with sessions() as session:
            session.execute(select(JobRow.id).limit(1)).all()
        checks["store"] = "ok"
    except Exception as exc:  # noqa: BLE001  (reported, not raised: this is the check)
        checks["store"] = f"error: {type(exc).__name__}"
    busy, total = executor.load()
    checks["workers"] = f"{busy}/{total} busy" if total else "none"
    ok = checks["store"] == "ok" and total > 0
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                        status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "exposition"}})
def metrics_endpoint(metrics: MetricsDep) -> Response:
    """Jobs by status, queue depth, workers, solve durations, request latencies."""
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
