"""A local pool of worker processes (spawn) that take queued jobs in order from the store.

Workers claim the oldest queued job (sync solves first), hold a lease that a heartbeat
thread extends, and report start/finish on a queue. A supervisor thread in the service
restarts dead workers and hands their jobs to ``release_lost`` (retry once, then fail
with the reason), and reaps expired leases (a hung worker, or one on another host).

Workers are not daemonic processes, because a scenario batch solves its runs on a
process pool of its own (:mod:`api.executor.variants`) and daemonic processes may not
have children. So the service stops them at exit (``shutdown`` is registered with
``atexit``), and a worker whose service died exits by itself.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing as mp
import queue
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from api.incarnation import new_incarnation, recover
from api.settings import Settings
from api.store import leases
from api.store.db import sessions_for
from api.store.enums import JOB_TERMINAL

logger = logging.getLogger(__name__)


def _worker_main(settings: Settings, name: str, incarnation: str, wake: Any,
                 events: Any) -> None:
    """Body of a worker process: wait for a nudge (or poll each second), run jobs under
    the lease of the service ``incarnation``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service decides when we stop
    from api.logging import configure_logging
    from api.worker import execute, load_plugins
    from solver.scenarios.executors import exit_with_parent

    exit_with_parent()

    configure_logging("server")
    load_plugins(settings.plugins)
    if settings.warm_up:
        _warm_up()
    sessions = sessions_for(settings.db_url)
    events.put(("ready", name, None, None))
    while True:
        try:
            token = wake.get(timeout=1.0)
        except queue.Empty:
            token = 1
        if token is None:
            return
        while True:
            with sessions() as session:
                job = leases.claim_job(session, worker=name, incarnation=incarnation,
                                       lease_seconds=settings.lease_seconds)
            if job is None:
                break
            events.put(("start", name, job.id, None))
            status = execute(job, settings, sessions, name)
            events.put(("done", name, job.id, status))


WARM_UP_S = 600.0  # room to compile the kernels on a fresh clone (over a minute): with the
#   default 10 s an empty cache left ILS unstarted, so no worker ever loaded its kernels


def _warm_up() -> None:
    """Import the engines and load the ILS kernels and the travel predictor's kernel
    before taking jobs, so the first job does not pay for them. Without the ILS kernels
    every short job stayed cold (issue 15, ``benchmarks/timing/service.py``): ``hgs`` at
    1 s answered with the greedy plan and ``auto`` stood OR-Tools in for ILS, job after
    job, as no job ever loaded them; without the predictor's, a learned job under about
    1.3 s was refused ("allow more time") by every fresh worker."""
    from solver.engines import get_engine
    from solver.scenarios.executors import warm_up
    from surrogate.matrix import load_predictor

    try:
        get_engine("auto")
        warm_up("ils", time_limit=WARM_UP_S)
        load_predictor()
    except Exception:  # noqa: BLE001  (a broken engine fails its jobs, not the worker)
        logger.warning("engine catalog or kernels failed to load", exc_info=True)


@dataclass
class _Slot:
    name: str
    process: BaseProcess
    job: str | None = None
    ready: bool = False
    started: float = 0.0


class LocalExecutor:
    """``settings.workers`` spawned processes; see the module docstring."""

    def __init__(self, settings: Settings, on_done: Any = None) -> None:
        self.settings = settings
        self.on_done = on_done  # callable(job_id, status), e.g. metrics
        self._ctx = mp.get_context("spawn")
        self._wake: Any = None
        self._events: Any = None
        self._slots: list[_Slot] = []
        self._futures: dict[str, Future[str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._instance = uuid.uuid4().hex[:8]
        self.incarnation = new_incarnation()
        self._generation = 0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._sessions = sessions_for(self.settings.db_url)
        recover(self._sessions, self.incarnation)  # before the workers take the queue
        self._wake = self._ctx.Queue()
        self._events = self._ctx.Queue()
        self._slots = [self._spawn() for _ in range(self.settings.workers)]
        for target in (self._read_events, self._supervise):
            t = threading.Thread(target=target, name=f"routecast-{target.__name__}",
                                 daemon=True)
            t.start()
            self._threads.append(t)
        self._reap_expired()
        atexit.register(self.shutdown, False)

    def _spawn(self) -> _Slot:
        self._generation += 1
        name = f"{socket.gethostname()}:{self._instance}:w{self._generation}"
        proc = self._ctx.Process(target=_worker_main, name=f"routecast-worker-{self._generation}",
                                 args=(self.settings, name, self.incarnation, self._wake,
                                       self._events))
        proc.start()
        return _Slot(name, proc, started=time.monotonic())

    def shutdown(self, wait: bool = True) -> None:
        atexit.unregister(self.shutdown)
        self._stop.set()
        for _ in self._slots:
            self._wake.put(None)
        deadline = time.monotonic() + (2.0 if wait else 0.0)
        for slot in self._slots:
            slot.process.join(max(deadline - time.monotonic(), 0.0))
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join(2.0)
            if slot.process.is_alive():  # pragma: no cover
                slot.process.kill()
        names = [s.name for s in self._slots]
        with self._sessions() as session:
            for job_id in leases.running_on(session, workers=names):
                leases.requeue(session, job_id=job_id, reason="service shut down")
        for t in self._threads:
            t.join(2.0)

    # -- interface -------------------------------------------------------------------
    def submit(self, job_id: str) -> Future[str]:
        future: Future[str] = Future()
        with self._lock:
            self._futures[job_id] = future
        self._wake.put(1)
        return future

    def cancel(self, job_id: str) -> None:
        """The worker reads the store flag within ``cancel_poll_seconds``."""

    def load(self) -> tuple[int, int]:
        with self._lock:
            busy = sum(1 for s in self._slots if s.job is not None)
        return busy, len(self._slots)

    def pids(self) -> dict[str, int | None]:
        """Worker name -> pid (for tests and diagnostics)."""
        return {s.name: s.process.pid for s in self._slots}

    # -- internals -------------------------------------------------------------------
    def _resolve(self, job_id: str, status: str) -> None:
        with self._lock:
            future = self._futures.pop(job_id, None)
        if future is not None and not future.done():
            future.set_result(status)
        if self.on_done is not None:
            try:
                self.on_done(job_id, status)
            except Exception:  # noqa: BLE001
                logger.warning("on_done callback failed for job %s", job_id, exc_info=True)

    def _read_events(self) -> None:
        while not self._stop.is_set():
            try:
                kind, name, job_id, status = self._events.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):  # pragma: no cover (queue closed at exit)
                return
            with self._lock:
                slot = next((s for s in self._slots if s.name == name), None)
                if slot is not None:
                    slot.ready = True
                    slot.job = job_id if kind == "start" else None
            if kind == "done":
                self._resolve(job_id, status)

    def _supervise(self) -> None:
        last_reap = time.monotonic()
        crashes = 0  # consecutive deaths before a worker got ready: back off, don't spin
        restart_at = 0.0
        while not self._stop.wait(0.2):
            for k, slot in enumerate(list(self._slots)):
                if slot.process.is_alive() or self._stop.is_set():
                    continue
                if slot.name:
                    reason = (f"worker process {slot.process.pid} died (exit code "
                              f"{slot.process.exitcode})")
                    self._release(slot.name, reason)
                    crashes = 0 if slot.ready else crashes + 1
                    restart_at = time.monotonic() + (min(2.0 ** crashes, 60.0) if crashes else 0)
                    logger.error("%s; restarting it%s", reason,
                                 f" in {restart_at - time.monotonic():.0f} s (it died "
                                 f"{crashes} times before getting ready)" if crashes else "")
                    slot.name = ""  # released; restart below when due
                if time.monotonic() >= restart_at:
                    with self._lock:
                        self._slots[k] = self._spawn()
            if time.monotonic() - last_reap >= min(self.settings.lease_seconds / 4, 5.0):
                last_reap = time.monotonic()
                self._reap_expired()

    def _release(self, worker: str, reason: str) -> None:
        with self._sessions() as session:
            for job_id in leases.running_on(session, workers=[worker]):
                status = leases.release_lost(session, job_id=job_id, reason=reason)
                logger.warning("job %s lost its worker (%s): now %s", job_id, reason, status)
                if status in JOB_TERMINAL:
                    self._resolve(job_id, status)
                else:
                    self._wake.put(1)

    def _reap_expired(self) -> None:
        for job_id, status in leases.reap_expired(self._sessions):
            if status in JOB_TERMINAL:
                self._resolve(job_id, status)
            else:
                self._wake.put(1)
