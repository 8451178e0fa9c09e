"""run_next(): the next job of any kind (fair between keys), with lease, heartbeat,
progress and cancel.

Runs in a worker process (local pool or a Dask worker) or in a thread (inline executor).
What the job does is its kind's ``run`` (:mod:`api.kinds`); this module claims it, keeps
its lease, reports progress, and stores the outcome. The domain never sees an HTTP
object: the input is rebuilt from the stored JSON.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.http_errors import error_for_job
from api.kinds import Outcome, RunContext, kind_spec
from api.kinds.train import registry_root
from api.progress_writer import LatestWriter
from api.settings import Settings
from api.store import jobs, leases
from api.store.db import sessions_for
from api.store.enums import JobStatus
from api.store.tables import JobRow
from api.store.transitions import IllegalTransitionError
from solver.engines.catalog import load_plugin
from solver.engines.progress import ProgressEvent

logger = logging.getLogger(__name__)

_PLUGINS_LOADED: set[str] = set()
FINISH_PATIENCE_S = 120.0  # how long a finished job's result waits for a stalled store


def load_plugins(modules: list[str]) -> None:
    """Add the engines of the configured plugin modules to the catalog, once per process."""
    for name in modules:
        if name not in _PLUGINS_LOADED:
            load_plugin(name)
            _PLUGINS_LOADED.add(name)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def run_next(settings: Settings, *, worker: str | None = None,
             incarnation: str | None = None) -> tuple[str, str] | None:
    """Claim the next queued job, fair between keys (:mod:`api.store.fairness`), and run
    it; returns ``(job id, status afterwards)``, or None when the queue was empty.

    Every executor's worker takes jobs this way, never a job named by ``submit``: a
    submit only says "one more job is queued". ``incarnation``: the service that owns
    this worker (:mod:`api.incarnation`)."""
    load_plugins(settings.plugins)
    sessions = sessions_for(settings.db_url)
    worker = worker or worker_name()
    with sessions() as session:
        job = leases.claim_job(session, worker=worker, lease_seconds=settings.lease_seconds,
                               incarnation=incarnation)
    if job is None:
        return None
    return job.id, execute(job, settings, sessions, worker)


class _Heartbeat(threading.Thread):
    """Extends the job's lease every ``heartbeat_seconds`` until stopped."""

    def __init__(self, job_id: str, worker: str, settings: Settings,
                 sessions: sessionmaker[Session]) -> None:
        super().__init__(name=f"heartbeat-{job_id[:8]}", daemon=True)
        self.job_id, self.worker, self.settings, self.sessions = job_id, worker, settings, sessions
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.settings.heartbeat_seconds):
            try:
                with self.sessions() as session:
                    leases.heartbeat(session, job_id=self.job_id, worker=self.worker,
                                   lease_seconds=self.settings.lease_seconds)
            except Exception:  # noqa: BLE001  (a missed beat is retried; the lease has slack)
                logger.warning("heartbeat for job %s failed", self.job_id, exc_info=True)


class _Reporter:
    """The progress callback (throttled writes) and the cancel check (throttled reads).

    Both are best-effort: progress is written by a thread of its own, and a failed cancel
    check keeps the last answer, so a stalled database never stops the solver."""

    def __init__(self, job_id: str, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.job_id, self.settings, self.sessions = job_id, settings, sessions
        self.last_write = -math.inf
        self.last_best = math.inf
        self.last_check = -math.inf
        self.cancelled = False
        self.pending: ProgressEvent | None = None
        self.writer: LatestWriter[ProgressEvent] = LatestWriter(
            self._store, name=f"progress-{job_id[:8]}")
        self.writer.start()

    def progress(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        improved = event.best_cost < self.last_best
        if not improved and now - self.last_write < 1.0:
            self.pending = event
            return
        if now - self.last_write < self.settings.progress_interval:
            self.pending = event
            return
        self._write(event)

    def _write(self, event: ProgressEvent) -> None:
        self.last_write = time.monotonic()
        self.last_best = min(self.last_best, event.best_cost)
        self.pending = None
        self.writer.offer(event)

    def _store(self, event: ProgressEvent) -> None:
        with self.sessions() as session:
            jobs.record_progress(session, job_id=self.job_id, elapsed_s=event.elapsed_s,
                                 iteration=event.iteration, best_cost=event.best_cost,
                                 feasible=event.feasible)

    def flush(self) -> None:
        """Write the last improvement, then stop the writer (so progress precedes the end)."""
        if self.pending is not None and self.pending.best_cost < self.last_best:
            self._write(self.pending)
        self.close()

    def close(self) -> None:
        self.writer.close(timeout=self.settings.heartbeat_seconds)

    def is_cancelled(self) -> bool:
        if self.cancelled:
            return True
        now = time.monotonic()
        if now - self.last_check >= self.settings.cancel_poll_seconds:
            self.last_check = now
            try:
                with self.sessions() as session:
                    self.cancelled = jobs.is_cancel_requested(session, job_id=self.job_id)
            except SQLAlchemyError:
                logger.warning("job %s: cancel check skipped (store unavailable)", self.job_id)
        return self.cancelled


def execute(job: JobRow, settings: Settings, sessions: sessionmaker[Session],
            worker: str) -> str:
    """Run a claimed job to its end and store the outcome; returns the final status."""
    load_plugins(settings.plugins)
    log = logging.LoggerAdapter(logger, {"job_id": job.id})
    beat = _Heartbeat(job.id, worker, settings, sessions)
    beat.start()
    reporter = _Reporter(job.id, settings, sessions)
    context = RunContext(settings, sessions, worker, reporter, registry_root(settings, job.owner))
    try:
        outcome = kind_spec(job.kind).run(job, context)
    except Exception as exc:  # noqa: BLE001  (every failure is recorded on the job)
        reference = uuid.uuid4().hex
        error = error_for_job(exc, reference)
        if error["status"] >= 500:
            log.error("job %s failed (reference %s)", job.id, reference, exc_info=exc)
        else:
            log.info("job %s failed: %s", job.id, exc)
        reporter.close()
        return _finish(sessions, job.id, worker, Outcome(JobStatus.FAILED,
                                                         reason=error["detail"]), error)
    finally:
        reporter.close()
        beat.stopped.set()
    return _finish(sessions, job.id, worker, outcome)


def _finish(sessions: sessionmaker[Session], job_id: str, worker: str, outcome: Outcome,
            error: dict[str, object] | None = None) -> str:
    """Store the outcome; a stalled store is retried (backing off) for ``FINISH_PATIENCE_S``
    so that a run that ended is not lost to a lock."""
    deadline = time.monotonic() + FINISH_PATIENCE_S
    delay = 0.2
    while True:
        try:
            with sessions() as session:
                jobs.finish_job(session, job_id=job_id, worker=worker, status=outcome.status,
                                result=outcome.result, error=error,
                                stopped_by=outcome.stopped_by, reason=outcome.reason,
                                save=outcome.save)
            return outcome.status
        except IllegalTransitionError as exc:  # the lease was lost and the job moved on
            logger.warning("job %s: result dropped: %s", job_id, exc)
            return exc.current
        except OperationalError:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning("job %s: store unavailable; storing the result again in %.1f s",
                           job_id, delay)
            time.sleep(delay)
            delay = min(2 * delay, 5.0)
