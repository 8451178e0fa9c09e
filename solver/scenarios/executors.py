"""Executors the runner accepts, opened from a short spec string.

- ``local`` (default): a process pool on this machine (spawned, as Numba caching wants);
- ``threads``: a thread pool in this process (tests, notebooks);
- ``dask://host:port`` or ``tcp://host:port``: a running Dask distributed scheduler;
- ``dask-local``: a throw-away ``LocalCluster`` on this machine.

Any ``concurrent.futures.Executor`` works with :func:`run_scenarios`; this module only
saves callers the set-up.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

from solver.scenarios.errors import ScenarioError


def local_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A spawned process pool (forking a process that has run Numba or threads is unsafe)."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                               mp_context=multiprocessing.get_context("spawn"))


@contextmanager
def open_executor(spec: str = "local", workers: int | None = None) -> Iterator[Executor]:
    """Open the executor ``spec`` names (see the module docstring) and close it after."""
    if spec == "local":
        with local_executor(workers) as pool:
            yield pool
    elif spec == "threads":
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            yield pool
    elif spec.startswith(("dask://", "tcp://")) or spec == "dask-local":
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - distributed is a dependency
            raise ScenarioError("the Dask executor needs the 'distributed' package",
                                "executor") from None
        if spec == "dask-local":
            cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            cluster = None
            address = "tcp://" + spec.split("://", 1)[1]
            try:
                client = Client(address, timeout=10)
            except OSError as exc:
                raise ScenarioError(f"cannot reach the Dask scheduler at {address}: {exc}",
                                    "executor") from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        raise ScenarioError(f"unknown executor {spec!r}; use local, threads, dask-local or "
                            "dask://host:port", "executor")
