"""Executors run jobs outside the event loop: a local process pool, or inline threads."""

from api.executor.base import Executor, make_executor

__all__ = ["Executor", "make_executor"]
