"""Runs jobs on threads of the service process: for tests and tiny deployments.

Engines registered in this process (e.g. a test fixture's fake engine) are visible here,
which is what in-process API tests need. Solves still never run on the event loop.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from api.incarnation import new_incarnation, recover
from api.settings import Settings
from api.store import leases
from api.store.db import sessions_for
from api.store.enums import JobStatus
from api.worker import run_job

logger = logging.getLogger(__name__)


class InlineExecutor:
    """``max(workers, 1)`` threads of the service process; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = max(settings.workers, 1)
        self._pool: ThreadPoolExecutor | None = None
        self._busy = 0
        self._lock = threading.Lock()
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

    def _reap(self) -> None:
        for job_id, status in leases.reap_expired(self._sessions):
            if status == JobStatus.QUEUED and self._pool is not None:
                self.submit(job_id)

    def _run(self, job_id: str) -> str:
        with self._lock:
            self._busy += 1
        try:
            return run_job(job_id, self.settings, incarnation=self.incarnation)
        finally:
            with self._lock:
                self._busy -= 1

    def submit(self, job_id: str) -> Future[str]:
        if self._pool is None:
            raise RuntimeError("executor not started")
        return self._pool.submit(self._run, job_id)

    def cancel(self, job_id: str) -> None:
        """Nothing to do: the running solve reads the store flag."""

    def load(self) -> tuple[int, int]:
        return self._busy, self.size

    def shutdown(self, wait: bool = True) -> None:
        if hasattr(self, "_stop"):
            self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
