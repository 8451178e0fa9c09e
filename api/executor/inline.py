"""Runs jobs on threads of the service process: for tests and tiny deployments.

Each submit adds one task to the thread pool; a task takes the next queued job fair
between keys (:func:`api.worker.run_next`), not necessarily the job submitted, so one
key's burst does not starve another key's job here either.

Engines registered in this process (e.g. a test fixture's fake engine) are visible here,
which is what in-process API tests need. Solves still never run on the event loop.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from api.executor.base import JobFutures
from api.incarnation import new_incarnation, recover
from api.settings import Settings
from api.store import jobs, leases
from api.store.db import sessions_for
from api.store.enums import JOB_TERMINAL, JobStatus
from api.worker import run_next

logger = logging.getLogger(__name__)


class InlineExecutor:
    """``max(workers, 1)`` threads of the service process; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = max(settings.workers, 1)
        self._pool: ThreadPoolExecutor | None = None
        self._busy = 0
        self._tasks = 0  # submitted tasks not yet ended (each takes one job, or none)
        self._lock = threading.Lock()
        self._futures = JobFutures()
        self.incarnation = new_incarnation()

    def start(self) -> None:
        """Start the threads; recover jobs a previous process left behind."""
        self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="routecast-job")
        self._sessions = sessions_for(self.settings.db_url)
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="routecast-reaper",
                                        daemon=True)
        recover(self._sessions, self.incarnation)
        self._reap()
        with self._sessions() as session:
            pending = leases.queued_ids(session)
        for job_id in pending:
            self.submit(job_id)
        self._reaper.start()

    def _reap_loop(self) -> None:
        while not self._stop.wait(min(self.settings.lease_seconds / 4, 5.0)):
            self._reap()
            self._take_orphans()

    def _take_orphans(self) -> None:
        """With no task left while jobs are queued (queued by another replica, or a
        task's claim failed), add one: it takes the next job, and its end the next."""
        with self._lock:
            idle = self._tasks == 0
        if idle and self._pool is not None and leases.any_queued(self._sessions):
            self._add_task(chain=True)

    def _add_task(self, chain: bool = False) -> None:
        with self._lock:
            self._tasks += 1
        try:
            self._pool.submit(self._run_next, chain)  # type: ignore[union-attr]
        except RuntimeError:  # shut down meanwhile: the job stays queued for the next start
            with self._lock:
                self._tasks -= 1
            logger.info("executor shut down; queued jobs wait for the next start")

    def _reap(self) -> None:
        for job_id, status in leases.reap_expired(self._sessions):
            if status == JobStatus.QUEUED and self._pool is not None:
                self.submit(job_id)

    def _run_next(self, chain: bool) -> None:
        """Run the next job; ``chain`` (orphans): then one more task, until the queue
        is empty."""
        with self._lock:
            self._busy += 1
        ran = None
        try:
            ran = run_next(self.settings, incarnation=self.incarnation)
        except Exception:  # noqa: BLE001  (the store failed before a claim: the job stays
            # queued for the reaper's round, see _take_orphans)
            logger.exception("an inline worker could not take a job")
        finally:
            with self._lock:
                self._busy -= 1
                self._tasks -= 1
        if ran is not None:
            self._futures.resolve(*ran)
            if chain and not self._stop.is_set():
                self._add_task(chain=True)

    def submit(self, job_id: str) -> Future[str]:
        """One more queued job: a pool task takes the next job, fair between keys; the
        future resolves when ``job_id`` ends, whichever task ran it."""
        if self._pool is None:
            raise RuntimeError("executor not started")
        future = self._futures.expect(job_id)
        self._add_task()
        return future

    def cancel(self, job_id: str) -> None:
        """A job cancelled while queued ends its future here (no task will run it); a
        running solve reads the store flag."""
        with self._sessions() as session:
            status = jobs.get_job(session, job_id=job_id).status
        if status in JOB_TERMINAL:
            self._futures.resolve(job_id, status)

    def load(self) -> tuple[int, int]:
        return self._busy, self.size

    def shutdown(self, wait: bool = True) -> None:
        if hasattr(self, "_stop"):
            self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
