"""Count Numba compilations around a run: the check that workers load kernels from the
on-disk cache (``NUMBA_CACHE_DIR``) instead of compiling them for every variant.

Numba fires a ``numba:compile`` event only when it really compiles (a cache hit loads the
machine code without one). Listeners are process-wide, so on a thread pool the count of
one run includes compilations that other runs' threads triggered meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def count_compiles() -> Iterator[Any]:
    """``with count_compiles() as c: ...``; then ``c.count`` functions were compiled."""
    from numba.core import event  # 1-3 s to import: not before a run needs it

    class _Counter(event.Listener):
        def __init__(self) -> None:
            self.count = 0

        def on_start(self, ev: event.Event) -> None:
            self.count += 1

        def on_end(self, ev: event.Event) -> None:
            """Counted at the start."""

    counter = _Counter()
    with event.install_listener("numba:compile", counter):
        yield counter
