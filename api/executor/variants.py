"""Where the runs of a scenario batch go, decided by where the batch itself runs.

- On a Dask worker (``ROUTECAST_EXECUTOR=dask://...``): ``worker_client()`` hands the
  runs to the scheduler, so they spread over every worker of the cluster while the
  batch's task waits outside the worker's thread pool.
- In a worker process of the local executor (the default): a spawned pool of
  ``settings.scenario_workers`` processes, so that many runs really solve at once
  (on threads, the Python parts of the engines would take turns on the GIL). The pool
  imports ``settings.plugins``; its processes load the Numba kernels from the on-disk
  cache once each (``NUMBA_CACHE_DIR`` is inherited) and then solve run after run.
- Under the inline executor (threads of the service, e.g. tests whose engines are
  registered in-process only): threads of this process.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager

from api.executor.base import runs_inline
from api.settings import Settings
from solver.scenarios import local_executor


@contextmanager
def variant_executor(settings: Settings, engine: str) -> Iterator[Executor]:
    """The executor for one batch's runs (see the module docstring); closed after. With
    ``settings.warm_up`` pool processes load ``engine``'s kernels while the base solves."""
    try:
        from distributed import get_worker, worker_client

        get_worker()
    except (ImportError, ValueError):
        pass
    else:
        with worker_client(separate_thread=True) as client:
            yield client.get_executor(pure=False)
        return
    if runs_inline(settings):
        with ThreadPoolExecutor(settings.scenario_workers,
                                thread_name_prefix="routecast-variant") as pool:
            yield pool
    else:
        with local_executor(settings.scenario_workers, settings.plugins,
                            preload=engine if settings.warm_up else None) as pool:
            yield pool

