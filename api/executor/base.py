"""The JobExecutor interface, in the style of ``concurrent.futures``.

``submit(job_id)`` returns a ``Future`` that resolves to the job's final status. The
store is the source of truth: cancellation is a flag in the store that the worker's
``is_cancelled()`` reads, and a worker that dies loses its lease (reaped by
:func:`api.store.leases.reap_expired`). An executor only decides where
:mod:`api.worker` runs.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings
from api.store import jobs
from api.store.enums import JOB_TERMINAL


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


class JobFutures:
    """The future of each submitted job, resolved by whichever worker runs the job.

    A submit does not say which job a worker takes (workers take the next job fair
    between keys, :func:`api.worker.run_next`), so the futures are kept by job id."""

    def __init__(self) -> None:
        self._futures: dict[str, Future[str]] = {}
        self._lock = threading.Lock()

    def expect(self, job_id: str) -> Future[str]:
        """The pending future of ``job_id`` (a new one if none is pending)."""
        with self._lock:
            future = self._futures.get(job_id)
            if future is None or future.done():
                future = self._futures[job_id] = Future()
            return future

    def resolve(self, job_id: str, status: str) -> None:
        with self._lock:
            future = self._futures.pop(job_id, None)
        if future is not None and not future.done():
            future.set_result(status)

    def pending(self) -> int:
        with self._lock:
            return sum(1 for f in self._futures.values() if not f.done())


STORE_POLL_S = 0.5  # how often a waiting request also looks at the store


async def wait_for_job(future: Future[str], sessions: sessionmaker[Session], job_id: str,
                       timeout: float) -> None:
    """Wait until ``future`` resolves or the store says job ``job_id`` has ended (read
    every ``STORE_POLL_S``, off the event loop); TimeoutError after ``timeout`` seconds.

    The store is read too because a job may be run by a worker this executor does not
    hear from (another replica's, on a shared database or Dask cluster): workers take the
    next fair job, not the job their submit named."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    done = asyncio.wrap_future(future)
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError
        try:
            await asyncio.wait_for(asyncio.shield(done), min(left, STORE_POLL_S))
            return
        except TimeoutError:
            if await asyncio.to_thread(_ended, sessions, job_id):
                return


def _ended(sessions: sessionmaker[Session], job_id: str) -> bool:
    with sessions() as session:
        return jobs.get_job(session, job_id=job_id).status in JOB_TERMINAL
