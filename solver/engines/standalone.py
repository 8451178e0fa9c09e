"""The engines that use no other engine (``ils``, ``exact``): lazy factories, and the
lookup that the composite engines fall back to.

Two engines use others by name: ``ortools`` races a seed engine's construction, and
``auto`` runs ``ils``, ``ortools`` and ``exact``. They take an engine lookup (the
catalog passes its own ``get_engine``, which knows plugins too); built without one, they
use :func:`standalone_engine`. So neither imports the catalog, and the catalog, which
imports them, sits above them: no import cycle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache

from solver.compile import CompiledProblem
from solver.engines.base import Engine, EngineResult
from solver.engines.heuristic.support import ils_supports
from solver.errors import UnsupportedFeatureError

EngineFactory = Callable[[], Engine]
EngineLookup = Callable[[str], Engine]

ILS_COLD_S = 2.5  # a process that has not loaded the ILS kernels needs about this long
#   before its first plan: importing Numba and the engine, loading its cached kernels (a
#   one-time Numba initialisation, then one LLVM library per kernel), the construction
#   and first local search. Measured from the solve call to the first plan, cold CLI,
#   load 6 on 2 cores: 1.5-2.4 s (benchmarks/results/2026-12-04_timing.csv); at load
#   15-19: 2.1-4.6 s, and 6.5 s on learned travel (the 2026-12-04b run's baseline). So it
#   grows with the load, but more slowly than the runnable processes per core
MEASURED_LOAD_PER_CORE = 3.0  # the load of the first measurement: 6 runnable on 2 cores
_FIRST_PLAN_KERNELS = ("construct_from", "search_from")  # what engine.py calls first


def ils_kernels_loaded() -> bool:
    """Whether this process has loaded the kernels of ``ils``' first plan (a later
    variant of them, such as the operating day's, loads in a fraction of the first)."""
    search = sys.modules.get("solver.engines.heuristic._search")
    return search is not None and all(getattr(search, name).overloads
                                      for name in _FIRST_PLAN_KERNELS)


def _busy() -> float:
    """How much busier the machine is now than where ``ILS_COLD_S`` was measured (loading
    is CPU-bound: it slows with the runnable processes per core)."""
    if not hasattr(os, "getloadavg"):
        return 1.0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return os.getloadavg()[0] / (cores or 1) / MEASURED_LOAD_PER_CORE


class LazyIls:
    """``ils`` as the catalog hands it out: ``supports`` and ``cold_start_s`` answer
    without Numba (``auto`` asks on every solve, also where ``ils`` refuses the problem);
    the first ``solve`` imports the engine and loads its kernels."""

    name = "ils"
    warm_starts = True

    def __init__(self) -> None:
        self._engine: Engine | None = None

    def supports(self, compiled: CompiledProblem) -> str | None:
        return ils_supports(compiled)

    def cold_start_s(self, compiled: CompiledProblem) -> float:
        """Seconds this process still needs before a first plan can come (see
        ``ILS_COLD_S``, scaled by the square root of how much busier the machine is: load
        9 per core measured up to 1.8 times load 3's); 0 once the kernels are loaded."""
        return 0.0 if ils_kernels_loaded() else ILS_COLD_S * max(1.0, _busy()) ** 0.5

    def loaded(self) -> Engine:
        """The ``IlsEngine``, imported on first use (Numba and the kernels with it)."""
        if self._engine is None:
            from solver.engines.heuristic.engine import IlsEngine

            self._engine = IlsEngine()
        return self._engine

    @property
    def params(self):
        """The engine's ``HeuristicParams`` (``ParallelIls`` builds its searches from
        them); asking loads the engine, as solving would."""
        return self.loaded().params

    def solve(self, compiled: CompiledProblem, *args: object, **kwargs: object) -> EngineResult:
        """``IlsEngine.solve``, importing it on first use."""
        return self.loaded().solve(compiled, *args, **kwargs)


def ils() -> Engine:
    return LazyIls()


def exact() -> Engine:
    from solver.engines.pyomo.exact import ExactEngine

    return ExactEngine()


STANDALONE: dict[str, EngineFactory] = {
    "ils": ils,  # iterated local search with late acceptance (the Numba kernels)
    "hgs": ils,  # its former name, still accepted
    "exact": exact,
}


@cache
def standalone_engine(name: str) -> Engine:
    """The standalone engine ``name``, built once per process; an error naming the
    lookup to pass for any other engine."""
    factory = STANDALONE.get(name)
    if factory is None:
        raise UnsupportedFeatureError(
            f"engine {name!r} is not one of the standalone engines "
            f"({', '.join(sorted(STANDALONE))}); pass engines=solver.engines.get_engine to "
            "the engine that asks for it")
    return factory()
