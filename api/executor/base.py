"""The JobExecutor interface, in the style of ``concurrent.futures``.

``submit(job_id)`` returns a ``Future`` that resolves to the job's final status. The
store is the source of truth: cancellation is a flag in the store that the worker's
``is_cancelled()`` reads, and a worker that dies loses its lease (reaped by
:func:`api.store.leases.reap_expired`). An executor only decides where
:mod:`api.worker` runs.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Protocol

from api.settings import Settings


class JobExecutor(Protocol):
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


def runs_inline(settings: Settings) -> bool:
    """Whether jobs run on threads of the service process (the inline executor)."""
    spec = settings.executor_spec
    return spec.kind == "threads" or (spec.kind == "local" and settings.workers == 0)
