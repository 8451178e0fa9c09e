"""Best-effort writes off the solver's thread: a database stall must not stall or kill a
solve.

Progress is a stream of snapshots where only the latest matters, so the writer keeps one
value: offering a newer one replaces an unwritten older one. A failed write is retried
(unless a newer value arrived) until ``close``, which drains what is left, bounded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class LatestWriter(threading.Thread, Generic[T]):
    """A daemon thread that writes the latest offered value with ``write``."""

    def __init__(self, write: Callable[[T], None], name: str, retry_seconds: float = 1.0) -> None:
        super().__init__(name=name, daemon=True)
        self._write, self.retry_seconds = write, retry_seconds
        self._lock = threading.Lock()
        self._latest: T | None = None
        self._wake = threading.Event()
        self._closing = threading.Event()
        self.failures = 0

    def offer(self, value: T) -> None:
        """Queue ``value`` for writing, replacing an older unwritten one; never blocks on I/O."""
        with self._lock:
            self._latest = value
        self._wake.set()

    def close(self, timeout: float) -> None:
        """Write what is pending (one try), then stop; waits at most ``timeout`` seconds."""
        self._closing.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                value, self._latest = self._latest, None
                self._wake.clear()
            closing = self._closing.is_set()
            if value is not None and not self._try(value) and not closing:
                with self._lock:
                    if self._latest is None:  # nothing newer: retry this one
                        self._latest = value
                self._closing.wait(self.retry_seconds)
                self._wake.set()
                continue
            if closing:
                with self._lock:
                    if self._latest is None:
                        return
                self._wake.set()

    def _try(self, value: T) -> bool:
        try:
            self._write(value)
        except Exception:  # noqa: BLE001  (best effort: logged, retried, never raised)
            self.failures += 1
            logger.warning("%s: write failed (attempt %d); retrying", self.name,
                           self.failures, exc_info=True)
            return False
        return True
