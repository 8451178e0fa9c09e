"""Jobs on a Dask distributed cluster: ``ROUTECAST_EXECUTOR=dask://host:8786`` (or
``tcp://``, ``tls://``; ``dask-local`` starts a cluster on this machine).

``submit(job_id)`` becomes ``client.submit(run_next, settings)``: a Dask worker claims
the next queued job in the store, fair between keys (:mod:`api.store.fairness`; not
necessarily ``job_id``: one key's burst must not starve another key's job) and runs it
exactly as a local worker process would, so jobs, training and scenario batches need no
other change (a batch on a Dask worker hands its runs back to the scheduler, see
:mod:`api.kinds.scenarios_run`). The task returns the job it ran, whose future resolves.

The store stays the source of truth, so **the database must be reachable from every
Dask worker** at the same URL (PostgreSQL, or a SQLite file on a path every worker
shares; the default SQLite URL is an absolute path under ``ROUTECAST_DATA_DIR``):

- progress: the worker writes it to the job row; the API reads it from there;
- cancellation: the API sets the job's cancel flag; the worker polls it;
- lost workers: a worker that dies stops heart-beating its job's lease. The reaper here
  releases expired leases (retry while attempts remain, else ``failed`` with the reason)
  and resubmits the retried job. A claim is atomic in the store, so a job never runs
  twice at once; a task that ended without running a job (error, lost) is replaced
  while jobs are queued.

Engines and plugins must be importable on the workers (``ROUTECAST_PLUGINS`` are imported
by ``run_next`` there).
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from api.executor.base import JobFutures
from api.settings import Settings
from api.store import jobs, leases
from api.store.db import sessions_for
from api.store.enums import JOB_TERMINAL, JobStatus

logger = logging.getLogger(__name__)


class DaskExecutor:
    """The service's executor on a Dask cluster; see the module docstring."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self.spec = settings.executor_spec
        self.address = self.spec.address or "a local cluster"
        self._cluster: Any = None
        # what travels to the workers: no API keys (workers never authenticate anyone)
        self._task_settings = settings.model_copy(update={"api_keys": [],
                                                          "api_keys_file": None})
        self._client = client
        self._own_client = client is None
        self._futures = JobFutures()
        self._tasks: set[Any] = set()  # Dask futures in flight (a dropped one is cancelled)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads_total = 0
        self._reaper: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Connect, release expired leases, resubmit queued jobs, start the reaper."""
        self._sessions = sessions_for(self.settings.db_url)
        if self._client is None:
            # connect from a helper thread: start() may run on the service's event loop
            with ThreadPoolExecutor(1) as helper:
                self._client = helper.submit(self._connect).result()
        self._refresh_threads()
        self._reap()
        with self._sessions() as session:
            pending = leases.queued_ids(session)
        for job_id in pending:
            self.submit(job_id)
        self._reaper = threading.Thread(target=self._reap_loop, name="routecast-dask-reaper",
                                        daemon=True)
        self._reaper.start()
        logger.info("Dask executor on %s: %d worker threads", self.address,
                    self._threads_total)

    def _connect(self) -> Any:
        from distributed import Client, LocalCluster

        if self.spec.kind == "dask-local":
            self._cluster = LocalCluster(n_workers=max(self.settings.workers, 1),
                                         threads_per_worker=1, dashboard_address=None)
            return Client(self._cluster, set_as_default=False)
        try:
            return Client(self.address, timeout=self.settings.dask_timeout,
                          set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise RuntimeError(f"cannot reach the Dask scheduler at {self.address}: "
                               f"{exc}") from None

    def shutdown(self, wait: bool = True) -> None:
        """Stop the reaper and disconnect. Jobs running on the cluster finish and store
        their result; queued ones stay queued in the store for the next start."""
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(2.0)
        if self._own_client and self._client is not None:
            self._client.close(timeout=5 if wait else 1)
        if self._cluster is not None:
            self._cluster.close()

    # -- interface -------------------------------------------------------------------
    def submit(self, job_id: str) -> Future[str]:
        """One more queued job: a task takes the next job, fair between keys; the future
        resolves when ``job_id`` ends, whichever task ran it."""
        future = self._futures.expect(job_id)
        self._launch()
        return future

    def cancel(self, job_id: str) -> None:
        """A job cancelled while queued ends its future here (a task that would have run
        it takes another job, or none). A running job reads the store's cancel flag."""
        with self._sessions() as session:
            status = jobs.get_job(session, job_id=job_id).status
        if status in JOB_TERMINAL:
            self._futures.resolve(job_id, status)

    def load(self) -> tuple[int, int]:
        total = max(self._threads_total, 1)
        return min(self._futures.pending(), total), total

    # -- internals -------------------------------------------------------------------
    def _launch(self) -> None:
        from api.worker import run_next

        task = self._client.submit(run_next, self._task_settings, pure=False,
                                   key=f"routecast-job-{uuid.uuid4().hex}")
        with self._lock:
            self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: Any) -> None:
        with self._lock:
            self._tasks.discard(task)
        try:
            if task.status == "finished":
                ran = task.result()
                # a job that lost its lease meanwhile was requeued and resubmitted by the reaper
                if ran is not None and ran[1] in JOB_TERMINAL:
                    self._futures.resolve(*ran)
                return
            logger.warning("Dask task %s ended as %s", task.key, task.status)
        except Exception:  # noqa: BLE001
            logger.warning("Dask task %s failed", task.key, exc_info=True)
        # the task may have ended before it claimed a job: one more while jobs wait (a job
        # it had claimed is running, and its lease decides)
        if not self._stop.is_set() and leases.any_queued(self._sessions):
            self._launch()

    def _refresh_threads(self) -> None:
        try:
            self._threads_total = sum(self._client.nthreads().values())
        except Exception:  # noqa: BLE001  (only load() reads it)
            logger.debug("Dask nthreads unavailable", exc_info=True)

    def _reap_loop(self) -> None:
        while not self._stop.wait(min(self.settings.lease_seconds / 4, 5.0)):
            self._reap()
            self._take_orphans()
            self._refresh_threads()

    def _take_orphans(self) -> None:
        """With no task in flight while jobs are queued (queued by another replica, or
        a task's claim failed), launch one; each task that ran a job is followed by the
        next round's look, so orphans go one per round at worst."""
        with self._lock:
            idle = not self._tasks
        if idle and not self._stop.is_set() and leases.any_queued(self._sessions):
            self._launch()

    def _reap(self) -> None:
        for job_id, status in leases.reap_expired(self._sessions):
            if status in JOB_TERMINAL:
                self._futures.resolve(job_id, status)
            elif status == JobStatus.QUEUED and not self._stop.is_set():
                self.submit(job_id)
