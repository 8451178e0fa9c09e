"""Job kinds: one module per kind, one table from kind to (create, run, view).

A kind is a :class:`api.store.enums.JobKind` member and the module ``api.kinds.<value>``
that defines ``SPEC``, a :class:`JobKindSpec`:

- ``create`` validates a request and inserts the queued job (and the kind's own rows);
- ``run`` does the work inside a worker and returns an :class:`Outcome` that the worker
  stores, with the job's end, in one transaction;
- ``view`` is the job as clients see it.

Jobs of every kind are queued, leased, retried and cancelled alike (:mod:`api.store`),
so adding a kind (replan, actuals, retrain) is a member of ``JobKind`` and one module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings
from api.store.enums import JobKind, JobStatus
from api.store.tables import JobRow
from solver.engines.progress import ProgressEvent


class Reporter(Protocol):
    """What a running job reports to, and asks, its worker."""

    def progress(self, event: ProgressEvent) -> None: ...

    def flush(self) -> None: ...

    def is_cancelled(self) -> bool: ...


@dataclass(frozen=True)
class RunContext:
    """Where a claimed job runs: settings, the store, the worker's name, its reporter, and
    the owner's model registry."""

    settings: Settings
    sessions: sessionmaker[Session]
    worker: str
    reporter: Reporter
    models_dir: Path


@dataclass(frozen=True)
class Outcome:
    """How a run ended: the job's terminal status, and what to store with it (``result``:
    a ``results`` row; ``save``: the kind's own rows, written in the same transaction)."""

    status: JobStatus
    stopped_by: str | None = None
    reason: str | None = None
    result: dict[str, str] | None = None
    save: Callable[[Session], None] | None = None


@dataclass(frozen=True)
class JobKindSpec:
    """The three things that differ between kinds (see the module docstring)."""

    kind: JobKind
    create: Callable[..., tuple[JobRow, bool]]
    run: Callable[[JobRow, RunContext], Outcome]
    view: Callable[[Session, JobRow], BaseModel]


def kind_spec(kind: str) -> JobKindSpec:
    """The spec of ``kind`` (a ``JobKind`` value); ValueError for an unknown kind."""
    module: Any = importlib.import_module(f"api.kinds.{JobKind(kind).value}")
    spec: JobKindSpec = module.SPEC
    return spec
