"""Progress and cancellation between the runner and runs on any executor.

The runner keeps a :class:`Channel`; each run gets its picklable :class:`Sink`. A sink
sends events (``(run key, kind, payload)``) back and tells whether the batch was
cancelled. Which transport depends on where runs execute:

- threads in this process: a ``queue.Queue`` and a ``threading.Event``;
- processes on this machine (``ProcessPoolExecutor``, any unknown executor): a
  ``multiprocessing`` manager's queue and event, whose proxies pickle;
- a Dask cluster (``Client.get_executor()``): a ``distributed.Queue`` and
  ``distributed.Variable`` held by the scheduler, reachable from every worker.

Sinks throttle: progress at most every ``PROGRESS_EVERY`` seconds per run, and the
cancel flag is read at most every ``CANCEL_EVERY`` seconds (Dask reads are round trips).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from multiprocessing.managers import SyncManager
from typing import Any, Protocol

from solver.scenarios.executors import exit_with_parent

PROGRESS_EVERY = 0.25
CANCEL_EVERY = 0.2

Event = tuple[str, str, Any]  # (run key, kind, payload)


class _Transport(Protocol):
    def put(self, event: Event) -> None: ...
    def cancelled(self) -> bool: ...


class Sink:
    """The run's side: picklable; throttles what it sends and how often it asks."""

    def __init__(self, transport: _Transport) -> None:
        self.transport = transport
        self._last_progress: dict[str, float] = {}
        self._last_check = 0.0
        self._cancelled = False

    def __getstate__(self) -> dict[str, Any]:
        return {"transport": self.transport}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["transport"])  # type: ignore[misc]

    def send(self, key: str, kind: str, payload: Any = None, force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress.get(key, -1e9) < PROGRESS_EVERY:
            return
        self._last_progress[key] = now
        self.transport.put((key, kind, payload))

    def cancelled(self) -> bool:
        if self._cancelled:
            return True
        now = time.monotonic()
        if now - self._last_check >= CANCEL_EVERY:
            self._last_check = now
            self._cancelled = self.transport.cancelled()
        return self._cancelled


class Channel:
    """The runner's side: drain events, raise the cancel flag, close."""

    sink: Sink

    def drain(self) -> list[Event]:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the transport."""


class _QueueTransport:
    def __init__(self, q: Any, flag: Any) -> None:
        self.q, self.flag = q, flag

    def put(self, event: Event) -> None:
        self.q.put(event)

    def cancelled(self) -> bool:
        return bool(self.flag.is_set())


class _QueueChannel(Channel):
    def __init__(self, q: Any, flag: Any, manager: Any = None) -> None:
        self.q, self.flag, self.manager = q, flag, manager
        self.sink = Sink(_QueueTransport(q, flag))

    def drain(self) -> list[Event]:
        out = []
        while True:
            try:
                out.append(self.q.get_nowait())
            except queue.Empty:
                return out

    def cancel(self) -> None:
        self.flag.set()

    def close(self) -> None:
        if self.manager is not None:
            self.manager.shutdown()


class _DaskTransport:
    """Names only: the worker side looks the scheduler objects up on first use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._q: Any = None
        self._flag: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"])  # type: ignore[misc]

    def _objects(self) -> tuple[Any, Any]:
        if self._q is None:
            from distributed import Queue, Variable

            self._q, self._flag = Queue(f"{self.name}-events"), Variable(f"{self.name}-cancel")
        return self._q, self._flag

    def put(self, event: Event) -> None:
        self._objects()[0].put(event)

    def cancelled(self) -> bool:
        flag = self._objects()[1]
        try:
            return bool(flag.get(timeout=0.5))
        except TimeoutError:
            return False


class _DaskChannel(Channel):
    def __init__(self, client: Any) -> None:
        from distributed import Queue, Variable

        name = f"routecast-scenarios-{uuid.uuid4().hex}"
        self.q = Queue(f"{name}-events", client=client)
        self.flag = Variable(f"{name}-cancel", client=client)
        self.flag.set(False)
        self.sink = Sink(_DaskTransport(name))

    def drain(self) -> list[Event]:
        n = self.q.qsize()
        return list(self.q.get(batch=n)) if n else []

    def cancel(self) -> None:
        self.flag.set(True)

    def close(self) -> None:
        self.flag.delete()


def open_channel(executor: Executor) -> Channel:
    """The transport that reaches the runs of ``executor`` (see the module docstring)."""
    if isinstance(executor, ThreadPoolExecutor):
        return _QueueChannel(queue.Queue(), threading.Event())
    client = getattr(executor, "_client", None)
    if client is not None and type(executor).__module__.startswith("distributed"):
        return _DaskChannel(client)
    manager = SyncManager(ctx=multiprocessing.get_context("spawn"))
    manager.start(exit_with_parent)  # never outlives the runner, however that ends
    return _QueueChannel(manager.Queue(), manager.Event(), manager)
