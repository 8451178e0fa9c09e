"""Typed dependency aliases: what a route needs, taken from the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Principal, authenticate
from api.executor import JobExecutor
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
    """Authenticate the caller, then charge one request to its rate limit."""
    who = authenticate(request, request.app.state.keyring)
    request.app.state.rate_limiter.check(who.id)
    return who


SettingsDep = Annotated[Settings, Depends(app_settings)]
StoreDep = Annotated[sessionmaker[Session], Depends(store)]
ExecutorDep = Annotated[JobExecutor, Depends(executor)]
MetricsDep = Annotated[Metrics, Depends(metrics)]
PrincipalDep = Annotated[Principal, Depends(principal)]
