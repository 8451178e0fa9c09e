"""The Executor interface, in the style of ``concurrent.futures``.

``submit(job_id)`` returns a ``Future`` that resolves to the job's final status. The
store is the source of truth: cancellation is a flag in the store that the worker's
``is_cancelled()`` reads, and a worker that dies loses its lease. An executor only
decides where ``api.worker`` runs, so a Dask implementation (``client.submit(run_job,
job_id, settings)``) fits the same interface.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Protocol

from api.settings import Settings

logger = logging.getLogger(__name__)


class Executor(Protocol):
    def start(self) -> None:
        """Start workers; jobs left queued by a previous run are picked up."""

    def submit(self, job_id: str) -> Future[str]:
        """Schedule a queued job; the future resolves to its final status."""

    def cancel(self, job_id: str) -> None:
        """Nudge a job whose cancel flag was set in the store (may be a no-op)."""

    def load(self) -> tuple[int, int]:
        """``(busy, total)`` workers."""

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers; running jobs go back to the queue."""


def reap_expired(sessions: Any) -> list[tuple[str, str]]:
    """Release every running job whose lease expired (its worker died or hung): retried
    while attempts remain, else failed with the reason. Returns ``(job_id, new status)``."""
    from api.store import repository as repo

    released = []
    try:
        with sessions() as session:
            for job_id in repo.expired_leases(session):
                status = repo.release_lost(session, job_id=job_id,
                                           reason="lease expired (no heartbeat)")
                logger.warning("job %s lease expired: now %s", job_id, status)
                released.append((job_id, status))
    except Exception:  # noqa: BLE001  (the next round retries)
        logger.warning("lease reaper failed", exc_info=True)
    return released


def runs_inline(settings: Settings) -> bool:
    """Whether jobs run on threads of the service process (the inline executor)."""
    return settings.executor == "inline" or settings.workers == 0


def make_executor(settings: Settings) -> Executor:
    """The executor ``settings.executor`` names: ``local`` (processes), ``inline``
    (threads) or ``dask://host:port`` (a Dask distributed cluster)."""
    if settings.executor.startswith(("dask://", "tcp://", "tls://")):
        from api.executor.dask import DaskExecutor

        return DaskExecutor(settings)
    if runs_inline(settings):
        from api.executor.inline import InlineExecutor

        return InlineExecutor(settings)
    if settings.executor == "local":
        from api.executor.local import LocalExecutor

        return LocalExecutor(settings)
    raise ValueError(f"unknown executor {settings.executor!r}; use 'local', 'inline' or "
                     "'dask://host:port'")
