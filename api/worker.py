"""run_job(job_id): one job through the pipeline, with lease, heartbeat, progress and cancel.

Runs in a worker process (local pool or a Dask worker) or in a thread (inline executor).
The domain never sees an HTTP object: the problem is rebuilt from the stored JSON.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.problems import error_for_job
from api.settings import Settings
from api.store import repository as repo
from api.store.db import make_engine, session_factory
from api.store.tables import JobRow
from api.training import TrainingParams, TrainingSpec, registry_root, result_row, train
from solver.engines import ProgressEvent
from solver.errors import SolveCancelled
from solver.io.export import solution_to_geojson_text
from solver.io.solution import solution_to_csv
from solver.kpis import compute_kpis
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem

logger = logging.getLogger(__name__)

_ENGINES: dict[str, Engine] = {}
_PLUGINS_LOADED: set[str] = set()


def load_plugins(modules: list[str]) -> None:
    """Import the configured plugin modules once per process (they register engines)."""
    for name in modules:
        if name not in _PLUGINS_LOADED:
            importlib.import_module(name)
            _PLUGINS_LOADED.add(name)


def sessions_for(url: str) -> sessionmaker[Session]:
    """One engine per database URL per process."""
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return session_factory(_ENGINES[url])


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def run_job(job_id: str, settings: Settings, *, worker: str | None = None) -> str:
    """Claim ``job_id`` if it is still queued and run it; returns its status afterwards."""
    load_plugins(settings.plugins)
    sessions = sessions_for(settings.db_url)
    worker = worker or worker_name()
    with sessions() as session:
        job = repo.claim_job(session, worker=worker, lease_seconds=settings.lease_seconds,
                             job_id=job_id)
        if job is None:
            return repo.get_job(session, job_id=job_id).status
    return execute(job, settings, sessions, worker)


def run_next(settings: Settings, *, worker: str) -> tuple[str, str] | None:
    """Claim the next queued job (fair between keys) and run it: ``(job_id, status)``."""
    sessions = sessions_for(settings.db_url)
    with sessions() as session:
        job = repo.claim_job(session, worker=worker, lease_seconds=settings.lease_seconds)
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
                    repo.heartbeat(session, job_id=self.job_id, worker=self.worker,
                                   lease_seconds=self.settings.lease_seconds)
            except Exception:  # noqa: BLE001  (a missed beat is retried; the lease has slack)
                logger.warning("heartbeat for job %s failed", self.job_id, exc_info=True)


class _Reporter:
    """The progress callback (throttled writes) and the cancel check (throttled reads)."""

    def __init__(self, job_id: str, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.job_id, self.settings, self.sessions = job_id, settings, sessions
        self.last_write = -math.inf
        self.last_best = math.inf
        self.last_check = -math.inf
        self.cancelled = False
        self.pending: ProgressEvent | None = None

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
        with self.sessions() as session:
            repo.record_progress(session, job_id=self.job_id, elapsed_s=event.elapsed_s,
                                 iteration=event.iteration, best_cost=event.best_cost,
                                 feasible=event.feasible)

    def flush(self) -> None:
        if self.pending is not None and self.pending.best_cost < self.last_best:
            self._write(self.pending)

    def is_cancelled(self) -> bool:
        if self.cancelled:
            return True
        now = time.monotonic()
        if now - self.last_check >= self.settings.cancel_poll_seconds:
            self.last_check = now
            with self.sessions() as session:
                self.cancelled = repo.is_cancel_requested(session, job_id=self.job_id)
        return self.cancelled


def json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def execute(job: JobRow, settings: Settings, sessions: sessionmaker[Session],
            worker: str) -> str:
    """Run a claimed job to its end and store the outcome; returns the final status."""
    load_plugins(settings.plugins)
    log = logging.LoggerAdapter(logger, {"job_id": job.id})
    beat = _Heartbeat(job.id, worker, settings, sessions)
    beat.start()
    reporter = _Reporter(job.id, settings, sessions)
    try:
        if job.kind == "train":
            return _train(job, settings, sessions, worker, reporter)
        if job.kind == repo.SCENARIOS:
            from api.scenario_worker import run_batch

            log.info("scenario batch %s started on %s (attempt %d)", job.id, worker,
                     job.attempts)
            status, stopped_by = run_batch(job, settings, sessions, reporter,
                                           registry_root(settings, job.owner))
            log.info("scenario batch %s %s", job.id, status)
            return _finish(sessions, job.id, worker, status, stopped_by=stopped_by)
        problem = Problem.model_validate_json(job.problem_json)
        options = SolveOptions.model_validate_json(job.options_json)
        log.info("job %s started on %s (engine %s, attempt %d)", job.id, worker,
                 options.engine, job.attempts)
        try:
            outcome = solve(problem, options, progress=reporter.progress,
                            is_cancelled=reporter.is_cancelled,
                            models_dir=registry_root(settings, job.owner))
        except SolveCancelled as exc:
            return _finish(sessions, job.id, worker, repo.CANCELLED, stopped_by="cancelled",
                           reason=str(exc))
        reporter.flush()
        solution, report = outcome.solution, outcome.report
        result = {
            "solution_json": solution.model_dump_json(),
            "kpis_json": json.dumps(json_safe(compute_kpis(problem, report).as_dict())),
            "violations_json": json.dumps(json_safe([asdict(v) for v in report.violations])),
            "csv": solution_to_csv(report),
            "geojson": solution_to_geojson_text(problem, solution, report),
        }
        stopped_by = solution.stats.stopped_by if solution.stats else None
        status = repo.CANCELLED if stopped_by == "cancelled" else repo.SUCCEEDED
        log.info("job %s %s: cost %.3f, feasible %s, stopped by %s", job.id, status,
                 report.cost, report.feasible, stopped_by)
        return _finish(sessions, job.id, worker, status, result=result, stopped_by=stopped_by)
    except Exception as exc:  # noqa: BLE001  (every failure is recorded on the job)
        reference = uuid.uuid4().hex
        error = error_for_job(exc, reference)
        if error["status"] >= 500:
            log.error("job %s failed (reference %s)", job.id, reference, exc_info=exc)
        else:
            log.info("job %s failed: %s", job.id, exc)
        return _finish(sessions, job.id, worker, repo.FAILED, error=error, reason=error["detail"])
    finally:
        beat.stopped.set()


def _train(job: JobRow, settings: Settings, sessions: sessionmaker[Session], worker: str,
           reporter: _Reporter) -> str:
    spec = TrainingSpec.model_validate_json(job.problem_json)
    params = TrainingParams.model_validate_json(job.options_json)
    logger.info("job %s: training a travel model (%s trips)", job.id, spec.source)
    document = train(spec, params, settings, job.owner)
    if reporter.is_cancelled():
        return _finish(sessions, job.id, worker, repo.CANCELLED, stopped_by="cancelled",
                       result=result_row(document))
    logger.info("job %s: registered travel model %s", job.id, document["model_id"])
    return _finish(sessions, job.id, worker, repo.SUCCEEDED, result=result_row(document))


def _finish(sessions: sessionmaker[Session], job_id: str, worker: str, status: str,
            **kwargs: Any) -> str:
    with sessions() as session:
        try:
            repo.finish_job(session, job_id=job_id, worker=worker, status=status, **kwargs)
        except repo.IllegalTransitionError as exc:  # the lease was lost and the job moved on
            logger.warning("job %s: result dropped: %s", job_id, exc)
            return exc.current
    return status
