"""Executors run jobs outside the event loop: a local process pool, threads of the
service, or a Dask cluster. :func:`make_executor` picks one from the settings."""

from __future__ import annotations

from api.executor.base import JobExecutor, runs_inline
from api.settings import Settings

__all__ = ["JobExecutor", "make_executor"]


def make_executor(settings: Settings) -> JobExecutor:
    """The executor ``settings.executor`` names (:class:`solver.executor_spec.ExecutorSpec`):
    ``local`` (processes; threads with ``workers=0``), ``threads``/``inline``, or Dask
    (``dask://host:port``, ``tcp://``, ``tls://``, ``dask-local``)."""
    if settings.executor_spec.kind in ("dask", "dask-local"):
        from api.executor.dask import DaskExecutor

        return DaskExecutor(settings)
    if runs_inline(settings):
        from api.executor.inline import InlineExecutor

        return InlineExecutor(settings)
    from api.executor.local import LocalExecutor

    return LocalExecutor(settings)
