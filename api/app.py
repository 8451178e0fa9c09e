"""create_app(settings): the FastAPI application (store, executor, routers, error handlers)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import http_errors, web
from api.auth import KeyRing
from api.client_address import parse_networks
from api.executor import JobExecutor, make_executor
from api.limits import BodySizeLimit
from api.metrics import Metrics, RequestMetrics
from api.ratelimit import make_rate_limiter
from api.routers import evaluate, health, jobs, plans, replans, scenarios, solve, webhooks
from api.schemas import (
    EvaluateRequest,
    JobCreate,
    ReplanCreate,
    ScenarioBatchCreate,
    VroomJobCreate,
)
from api.settings import Settings, get_settings
from api.store import jobs as store_jobs
from api.store.db import init_db, make_engine, session_factory
from api.store.enums import JobKind, JobStatus
from api.webhooks.delivery import DeliveryLoop
from api.worker import load_plugins

logger = logging.getLogger(__name__)

DESCRIPTION = """Vehicle routing as a service: submit a problem, poll or stream progress,
fetch the solution. Errors are RFC 9457 `application/problem+json`. Authenticate with
`Authorization: Bearer <key>` or `X-API-Key: <key>` when keys are configured."""


class RequestId:
    """ASGI middleware: take or make an ``X-Request-ID`` and echo it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = given if 0 < len(given) <= 100 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(settings: Settings | None = None,
               executor: JobExecutor | None = None) -> FastAPI:
    """Build the app. The store and the executor start in the lifespan."""
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        load_plugins(settings.plugins)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrating = make_engine(settings.db_url)  # DDL may wait for locks as workers do
        init_db(migrating)
        migrating.dispose()
        engine = make_engine(settings.db_url, busy_timeout=settings.store_busy_timeout)
        sessions = session_factory(engine)
        app.state.sessions = sessions
        app.state.rate_limiter = make_rate_limiter(settings, sessions)
        ring = KeyRing(settings.all_keys())
        app.state.keyring = ring
        if not ring.enabled:
            logger.warning("no API keys configured: authentication is off; serve on "
                           "localhost only")
        ex = executor or make_executor(settings)
        app.state.executor = ex
        metrics.watch_store(lambda: _counts(sessions), ex.load)
        ex.start()
        _watch(ex, sessions, metrics)
        deliveries = DeliveryLoop(settings, sessions)
        deliveries.start()
        if settings.demo_model and not ring.enabled:
            _train_demo_model(settings, sessions, ex)
        logger.info("routecast service ready: store %s, %s executor, %d workers",
                    engine.url.render_as_string(hide_password=True), settings.executor,
                    settings.workers)
        try:
            yield
        finally:
            deliveries.stop()
            ex.shutdown(wait=True)
            engine.dispose()

    app = FastAPI(title="routecast", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    app.state.metrics = metrics
    http_errors.install(app)
    for router in (jobs.router, replans.router, scenarios.router, solve.router,
                   evaluate.router, plans.router, health.router, webhooks.router):
        app.include_router(router)
    _include_optional_routers(app)
    web.mount(app)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _include_optional_routers(app: FastAPI) -> None:
    """Routers whose dependencies are optional (travel models need ``surrogate``)."""
    try:
        from api.routers import actuals, retrain, travel_drift, travel_models
    except ImportError as exc:  # pragma: no cover
        logger.warning("travel-model endpoints disabled: %s", exc)
        return
    app.include_router(retrain.router)  # before travel_models' /{model_id} paths
    app.include_router(travel_models.router)
    app.include_router(travel_drift.router)
    app.include_router(actuals.router)


def _train_demo_model(settings: Settings, sessions: Any, ex: JobExecutor) -> None:
    """Queue a synthetic-city model for the local principal unless one exists or is coming."""
    from api.auth import ANONYMOUS
    from api.kinds import train
    from api.kinds.train import TrainingParams, TrainingSpec, registry_root

    if (registry_root(settings, ANONYMOUS) / "active.json").is_file():
        return
    with sessions() as session:
        pending = [j for j in store_jobs.list_jobs(session, owner=ANONYMOUS,
                                                    kind=JobKind.TRAIN, limit=50)
                   if j.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
        if pending:
            return
        job, _ = train.create(session, owner=ANONYMOUS, spec=TrainingSpec(source="synthetic"),
                              params=TrainingParams(activate=True), problem_name="train-demo",
                              max_attempts=settings.max_attempts)
    logger.info("training the demo travel model (job %s) in the background", job.id)
    ex.submit(job.id)


def _counts(sessions: Any) -> dict[str, int]:
    with sessions() as session:
        return store_jobs.counts_by_status(session)


def _watch(ex: Any, sessions: Any, metrics: Metrics) -> None:
    """Observe solve durations when submitted futures resolve."""
    original = ex.submit

    def submit(job_id: str) -> Future[str]:
        future = original(job_id)

        def done(f: Future[str]) -> None:
            if f.cancelled() or f.exception() is not None:
                return
            try:
                with sessions() as session:
                    job = store_jobs.get_job(session, job_id=job_id)
                seconds = (job.finished_at - job.started_at
                           if job.finished_at and job.started_at else None)
                metrics.job_finished(f.result(), seconds)
            except Exception:  # noqa: BLE001  (metrics never break a job)
                logger.debug("metrics for job %s skipped", job_id, exc_info=True)

        future.add_done_callback(done)
        return future

    ex.submit = submit


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus the bodies validated off the event loop (jobs, plan
    evaluation, scenario batches, replans)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    bodies = (JobCreate, VroomJobCreate, EvaluateRequest, ScenarioBatchCreate, ReplanCreate)
    _, defs = models_json_schema([(body, "validation") for body in bodies],
                                 ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, value in defs.get("$defs", {}).items():
        components.setdefault(name, _finite_defaults(value))
    problem_ref = {"$ref": "#/components/schemas/ProblemDetail"}
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            for code, response in op.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:  # every error is problem+json
                    response["content"] = {"application/problem+json": {"schema": problem_ref}}
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def _finite_defaults(schema: Any) -> Any:
    """``schema`` without the defaults JSON cannot carry (``inf``: an absent limit), as
    FastAPI leaves them out of the schemas it generates itself."""
    if isinstance(schema, dict):
        return {k: _finite_defaults(v) for k, v in schema.items()
                if not (k == "default" and not _json_compliant(v))}
    if isinstance(schema, list):
        return [_finite_defaults(v) for v in schema]
    return schema


def _json_compliant(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True
