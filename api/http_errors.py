"""RFC 9457 problem details: one table maps every exception to HTTP, at the edge.

Every error the service returns is ``application/problem+json``. Validation errors list
each field's ``loc`` and dotted ``path``. A 5xx carries a ``request_id`` that is also
logged with the traceback; no traceback ever reaches a client.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.store.transitions import (
    IdempotencyConflictError,
    IllegalTransitionError,
    JobNotFoundError,
)
from solver.errors import (
    InstanceFormatError,
    InvalidActualsError,
    InvalidProblemError,
    NoSolutionError,
    RoutecastError,
    SolveCancelled,
    UnsupportedFeatureError,
)

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://routecast.dev/problems/"
STORE_RETRY_AFTER_S = 5  # a stalled store (a lock, a restart) is usually back by then


class ApiProblem(Exception):
    """An error raised by the API layer itself (limits, auth, content negotiation)."""

    def __init__(self, status: int, slug: str, title: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extra = extra


# exception class -> (status, slug, title); the first matching entry (in order) wins
TABLE: list[tuple[type[BaseException], int, str, str]] = [
    (JobNotFoundError, 404, "not-found", "Not found"),
    (IllegalTransitionError, 409, "illegal-transition", "Illegal status transition"),
    (IdempotencyConflictError, 409, "idempotency-conflict", "Idempotency-Key reused"),
    (InvalidProblemError, 422, "invalid-problem", "Invalid problem"),
    (InvalidActualsError, 422, "invalid-actuals", "Invalid actuals"),
    (InstanceFormatError, 422, "invalid-format", "Unreadable input"),
    (UnsupportedFeatureError, 422, "unsupported-feature", "Unsupported feature"),
    (SolveCancelled, 409, "cancelled", "Solve cancelled"),
    (NoSolutionError, 422, "no-solution", "No solution found"),
    (RoutecastError, 422, "routecast-error", "Request cannot be processed"),
]


def lookup(exc: BaseException) -> tuple[int, str, str] | None:
    """``(status, type URI, title)`` for a known exception, else None."""
    try:
        from surrogate.errors import ModelNotFoundError, SurrogateError
    except ImportError:  # pragma: no cover
        extra: list[tuple[type[BaseException], int, str, str]] = []
    else:
        extra = [(ModelNotFoundError, 404, "not-found", "Not found"),
                 (SurrogateError, 422, "travel-model-error", "Travel model error")]
    for cls, status, slug, title in TABLE[:3] + extra + TABLE[3:]:
        if isinstance(exc, cls):
            return status, TYPE_BASE + slug, title
    return None


def problem_body(status: int, type_: str, title: str, detail: str, instance: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def error_for_job(exc: BaseException, reference: str) -> dict[str, Any]:
    """The problem detail stored on a failed job (no traceback; a reference for the log)."""
    known = lookup(exc)
    if known is not None:
        status, type_, title = known
        return problem_body(status, type_, title, str(exc))
    return problem_body(500, TYPE_BASE + "internal-error", "Internal error",
                        f"the solve failed unexpectedly (reference {reference})",
                        request_id=reference)


def problem_response(status: int, body: dict[str, Any],
                     headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``('body', 'problem', 'stops', 3, 'demand')`` -> ``problem.stops[3].demand``."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def path_loc(path: str) -> list[str | int]:
    """``scenarios.variants[1].edits[0].factor`` -> ``[scenarios, variants, 1, edits, 0,
    factor]`` (the inverse of ``field_path``; bracketed non-numbers, such as grid cell
    names, stay strings)."""
    out: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[([^\]]*)\]", path):
        if name:
            out.append(name)
        else:
            out.append(int(index) if index.isdigit() else index)
    return out


def validation_errors(errors: list[dict[str, Any]], prefix: tuple[Any, ...] = ()) -> list[dict]:
    out = []
    for e in errors:
        loc = tuple(prefix) + tuple(e.get("loc", ()))
        out.append({"loc": list(loc), "path": field_path(loc),
                    "msg": str(e.get("msg", "")).removeprefix("Value error, "),
                    "type": e.get("type", "value_error")})
    return out


class BodyValidationError(Exception):
    """A body validated by hand (e.g. ``?format=vroom``) failed: carries pydantic errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid request body")
        self.errors = errors


def _known_bases() -> list[type[Exception]]:
    from api.store.transitions import StoreError

    bases: list[type[Exception]] = [RoutecastError, StoreError]
    try:
        from surrogate.errors import SurrogateError
    except ImportError:  # pragma: no cover
        return bases
    return [*bases, SurrogateError]


def request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into problem+json."""

    def _validation(request: Request, errors: list[dict[str, Any]]) -> JSONResponse:
        listed = validation_errors(errors)
        first = listed[0] if listed else {"path": "", "msg": "invalid request"}
        detail = f"{first['path']}: {first['msg']}" if first["path"] else first["msg"]
        return problem_response(422, problem_body(
            422, TYPE_BASE + "validation-error", "Validation error", detail,
            instance=request.url.path, errors=listed))

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(request, list(exc.errors()))

    @app.exception_handler(BodyValidationError)
    async def _body_validation(request: Request, exc: BodyValidationError) -> JSONResponse:
        return _validation(request, exc.errors)

    @app.exception_handler(ValidationError)
    async def _pydantic(request: Request, exc: ValidationError) -> JSONResponse:
        return _validation(request, [dict(e) for e in exc.errors()])

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, problem_body(
            exc.status, TYPE_BASE + exc.slug, exc.title, exc.detail, instance=request.url.path,
            **exc.extra), headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        from http import HTTPStatus

        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return _validation(request, [{"loc": ("body",), "msg": "body is not valid JSON",
                                          "type": "json_invalid"}])
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem_response(exc.status_code, problem_body(
            exc.status_code, "about:blank", title, detail, instance=request.url.path),
            headers=getattr(exc, "headers", None))

    async def _known(request: Request, exc: Exception) -> JSONResponse:
        known = lookup(exc)
        if known is None:
            return await _any(request, exc)
        status, type_, title = known
        return problem_response(status, problem_body(
            status, type_, title, str(exc), instance=request.url.path,
            row=getattr(exc, "row", None) if isinstance(exc, InvalidActualsError) else None))

    for cls in _known_bases():
        app.add_exception_handler(cls, _known)

    async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("store unavailable on %s %s: %s", request.method, request.url.path,
                       type(exc).__name__)
        return problem_response(503, problem_body(
            503, TYPE_BASE + "store-unavailable", "Service unavailable",
            f"the job store is busy or unreachable; retry in {STORE_RETRY_AFTER_S} s",
            instance=request.url.path, retry_after=STORE_RETRY_AFTER_S),
            headers={"Retry-After": str(STORE_RETRY_AFTER_S)})

    for cls in (OperationalError, SQLAlchemyTimeoutError):  # locked, down, pool exhausted
        app.add_exception_handler(cls, _store_unavailable)

    @app.exception_handler(Exception)
    async def _any(request: Request, exc: Exception) -> JSONResponse:
        if lookup(exc) is not None:
            return await _known(request, exc)
        rid = request_id(request)
        logger.error("unhandled error (request %s) on %s %s", rid, request.method,
                     request.url.path, exc_info=exc)
        return problem_response(500, problem_body(
            500, TYPE_BASE + "internal-error", "Internal server error",
            f"an unexpected error occurred; quote request id {rid}",
            instance=request.url.path, request_id=rid), headers={"X-Request-ID": rid})
