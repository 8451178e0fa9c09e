"""Jobs on a Dask distributed cluster: ``ROUTECAST_EXECUTOR=dask://host:8786`` (or
``tcp://``, ``tls://``; ``dask-local`` starts a cluster on this machine).

``submit(job_id)`` becomes ``client.submit(run_job, job_id, settings)``: a Dask worker
claims the job in the store and runs it exactly as a local worker process would, so
jobs, training and scenario batches need no other change (a batch on a Dask worker hands
its runs back to the scheduler, see :mod:`api.kinds.scenarios_run`).

The store stays the source of truth, so **the database must be reachable from every
Dask worker** at the same URL (PostgreSQL, or a SQLite file on a path every worker
shares; the default SQLite URL is an absolute path under ``ROUTECAST_DATA_DIR``):

- progress: the worker writes it to the job row; the API reads it from there;
- cancellation: the API sets the job's cancel flag; the worker polls it;
- lost workers: a worker that dies stops heart-beating its job's lease. The reaper here
  releases expired leases (retry while attempts remain, else ``failed`` with the reason)
  and resubmits the retried job. Dask may also re-run the task of a dead worker by
  itself; that re-run finds the job still held by the dead worker and leaves it to the
  lease, so a job never runs twice at once.

Engines and plugins must be importable on the workers (``ROUTECAST_PLUGINS`` are imported
by ``run_job`` there).
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

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
        self._futures: dict[str, Future[str]] = {}
        self._tasks: dict[str, Any] = {}  # job id -> its latest Dask future
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
        with self._lock:
            future = self._futures.get(job_id)
            if future is None or future.done():
                future = self._futures[job_id] = Future()
        self._launch(job_id)
        return future

    def cancel(self, job_id: str) -> None:
        """A job cancelled while queued: drop its task if no worker has started it.
        A running job reads the store's cancel flag."""
        with self._sessions() as session:
            status = jobs.get_job(session, job_id=job_id).status
        if status == JobStatus.CANCELLED:
            task = self._tasks.get(job_id)
            if task is not None:
                task.cancel()
            self._resolve(job_id, status)

    def load(self) -> tuple[int, int]:
        with self._lock:
            pending = sum(1 for f in self._futures.values() if not f.done())
        total = max(self._threads_total, 1)
        return min(pending, total), total

    # -- internals -------------------------------------------------------------------
    def _launch(self, job_id: str) -> None:
        from api.worker import run_job

        task = self._client.submit(run_job, job_id, self._task_settings, pure=False,
                                   key=f"routecast-job-{job_id}-{uuid.uuid4().hex[:8]}")
        with self._lock:
            self._tasks[job_id] = task
        task.add_done_callback(lambda t: self._task_done(job_id, t))

    def _task_done(self, job_id: str, task: Any) -> None:
        status: str | None = None
        try:
            if task.status == "finished":
                status = task.result()
            else:  # error, cancelled or lost: the store says where the job stands
                logger.warning("Dask task of job %s ended as %s", job_id, task.status)
        except Exception:  # noqa: BLE001
            logger.warning("Dask task of job %s failed", job_id, exc_info=True)
        if status not in JOB_TERMINAL:
            try:
                with self._sessions() as session:
                    status = jobs.get_job(session, job_id=job_id).status
            except Exception:  # noqa: BLE001
                logger.warning("job %s: status unreadable", job_id, exc_info=True)
                return
        if status in JOB_TERMINAL:
            self._resolve(job_id, status)
        elif status == JobStatus.QUEUED and not self._stop.is_set() \
                and self._tasks.get(job_id) is task:
            self._launch(job_id)  # the task never claimed it (cancelled or lost early)
        # running: held by a worker (maybe a dead one) -> its lease decides

    def _resolve(self, job_id: str, status: str) -> None:
        with self._lock:
            future = self._futures.pop(job_id, None)
            self._tasks.pop(job_id, None)
        if future is not None and not future.done():
            future.set_result(status)

    def _refresh_threads(self) -> None:
        try:
            self._threads_total = sum(self._client.nthreads().values())
        except Exception:  # noqa: BLE001  (only load() reads it)
            logger.debug("Dask nthreads unavailable", exc_info=True)

    def _reap_loop(self) -> None:
        while not self._stop.wait(min(self.settings.lease_seconds / 4, 5.0)):
            self._reap()
            self._refresh_threads()

    def _reap(self) -> None:
        for job_id, status in leases.reap_expired(self._sessions):
            if status in JOB_TERMINAL:
                self._resolve(job_id, status)
            elif status == JobStatus.QUEUED and not self._stop.is_set():
                self.submit(job_id)
