"""Typed dependency aliases: what a route needs, taken from the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Principal, authenticate
from api.client_address import client_address
from api.executor import JobExecutor
from api.http_errors import ApiProblem
from api.metrics import Metrics
from api.settings import Settings


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def store(request: Request) -> sessionmaker[Session]:
    return request.app.state.sessions


def executor(request: Request) -> JobExecutor:
    return request.app.state.executor


def metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def principal(request: Request) -> Principal:
    """Authenticate the caller, then charge one request to its rate limit. An address
    that failed authentication too often gets 429 before its key is even looked at
    (the address behind a trusted proxy: :mod:`api.client_address`)."""
    limiter, ring = request.app.state.rate_limiter, request.app.state.keyring
    address = client_address(request, request.app.state.trusted_proxies)
    if ring.enabled:
        limiter.check_address(address)
    try:
        who = authenticate(request, ring)
    except ApiProblem:
        limiter.auth_failed(address)
        raise
    limiter.check(who.id)
    return who


async def json_bytes(request: Request) -> bytes:
    """The raw body of a JSON route, to be parsed off the event loop; a body declared as
    anything but JSON (``text/plain``, a form) is refused with 415."""
    declared = request.headers.get("content-type")
    if declared is not None:
        media = declared.split(";", 1)[0].strip().lower()
        if media != "application/json" and not (media.startswith("application/")
                                                 and media.endswith("+json")):
            raise ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                             f"the body must be application/json, not {media or 'empty'!r}",
                             headers={"Accept-Post": "application/json"})
    return await request.body()


SettingsDep = Annotated[Settings, Depends(app_settings)]
StoreDep = Annotated[sessionmaker[Session], Depends(store)]
ExecutorDep = Annotated[JobExecutor, Depends(executor)]
MetricsDep = Annotated[Metrics, Depends(metrics)]
PrincipalDep = Annotated[Principal, Depends(principal)]
JsonBytesDep = Annotated[bytes, Depends(json_bytes)]
