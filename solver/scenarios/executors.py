"""Executors the runner accepts, opened from an executor string
(:class:`solver.executor_spec.ExecutorSpec`, the same vocabulary as the service's):
``local`` is a process pool on this machine (spawned, as Numba caching wants),
``threads`` a thread pool in this process, ``dask://``/``tcp://``/``tls://`` a running Dask
scheduler, ``dask-local`` a throw-away ``LocalCluster``.

Any ``concurrent.futures.Executor`` works with :func:`run_scenarios`; this module only
saves callers the set-up.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

from solver.engines.catalog import load_plugin
from solver.executor_spec import ExecutorSpec
from solver.scenarios.errors import ScenarioError

logger = logging.getLogger(__name__)


def local_executor(workers: int | None = None, plugins: Sequence[str] = (),
                   preload: str | None = None) -> ProcessPoolExecutor:
    """A spawned process pool (forking a process that has run Numba or threads is unsafe).

    Workers live as long as the pool, so each loads the Numba kernels once (from the
    on-disk cache: spawned processes inherit ``NUMBA_CACHE_DIR``), not once per run.
    ``plugins`` are modules every worker imports first (``solver.engines.catalog.load_plugin``). With
    ``preload`` (an engine name) every worker starts now and loads that engine's kernels
    before taking a run, so the workers idle while the base solves get ready meanwhile and
    run times do not include the loading.
    """
    n = workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(tuple(plugins), preload))
    if preload is not None:
        for _ in range(n):  # no worker is idle yet, so each submit starts one more
            pool.submit(int)
    return pool


def _init_worker(plugins: tuple[str, ...], preload: str | None) -> None:
    """Ignore Ctrl-C (the runner cancels runs through the channel, so they keep their best
    plan; a KeyboardInterrupt would fail them), exit with the parent, import the plugins,
    load the kernels of ``preload``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()
    for name in plugins:
        load_plugin(name)
    if preload is not None:
        try:
            warm_up(preload)
        except Exception:  # noqa: BLE001  (a broken engine fails its runs, not the pool)
            logger.warning("pool worker could not preload engine %r", preload, exc_info=True)


def warm_up(engine: str, time_limit: float = 10.0) -> None:
    """Solve a tiny problem with ``engine``: its Numba kernels are loaded before anything
    is timed or waited for. ``time_limit`` bounds engines without kernels (a MIP); to
    fill an empty cache give the compilation time (about a minute for ``hgs``), else the
    search stops before its first iteration and the first run compiles the rest."""
    from solver.demo import demo_problem
    from solver.options import SolveOptions
    from solver.pipeline import solve

    solve(demo_problem(n_stops=20), SolveOptions(engine=engine, time_limit=time_limit,
                                                  iteration_limit=2))


def exit_with_parent() -> None:
    """End this spawned process as soon as its parent is gone, however the parent died: an
    orphaned pool worker would otherwise wait on the pool's queue forever."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="routecast-parent-watch", daemon=True).start()


@contextmanager
def open_executor(spec: str = "local", workers: int | None = None,
                  preload: str | None = None) -> Iterator[Executor]:
    """Open the executor ``spec`` names (see the module docstring) and close it after;
    ``preload`` as for :func:`local_executor`."""
    try:
        parsed = ExecutorSpec.parse(spec)
    except ValueError as exc:
        raise ScenarioError(str(exc), "executor") from None
    if parsed.kind == "local":
        with local_executor(workers, preload=preload) as pool:
            yield pool
    elif parsed.kind == "threads":
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            yield pool
    else:
        with _dask_executor(parsed, workers) as pool:
            yield pool


@contextmanager
def _dask_executor(spec: ExecutorSpec, workers: int | None) -> Iterator[Executor]:
    """A Dask client's executor: on ``spec.address``, or on a new local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise ScenarioError("the Dask executor needs the 'distributed' package",
                            "executor") from None
    cluster = None
    if spec.kind == "dask-local":
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(spec.address, timeout=10)
        except OSError as exc:
            raise ScenarioError(f"cannot reach the Dask scheduler at {spec.address}: {exc}",
                                "executor") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
