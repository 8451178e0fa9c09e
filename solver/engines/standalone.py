"""The engines that use no other engine (``ils``, ``exact``): lazy factories, and the
lookup that the composite engines fall back to.

Two engines use others by name: ``ortools`` races a seed engine's construction, and
``auto`` runs ``ils``, ``ortools`` and ``exact``. They take an engine lookup (the
catalog passes its own ``get_engine``, which knows plugins too); built without one, they
use :func:`standalone_engine`. So neither imports the catalog, and the catalog, which
imports them, sits above them: no import cycle.
"""

from __future__ import annotations

import math
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
ILS_COMPILE_S = 90.0  # ... and before Numba's disk cache holds the kernels for the kind of
#   problem (a fresh install, another operating-day variant): the compilation, which no
#   stop criterion interrupts either. A cold `routecast solve --time-limit 3` on X-n101
#   with an empty cache took 151 s (94 CPU-s, load 3 on 2 cores) before this estimate
#   existed; grown with the load like ILS_COLD_S
_FIRST_PLAN_KERNELS = ("construct_from", "search_from")  # what engine.py calls first


def ils_kernels_loaded() -> bool:
    """Whether this process has loaded the kernels of ``ils``' first plan (a later
    variant of them, such as the operating day's, loads in a fraction of the first)."""
    search = sys.modules.get("solver.engines.heuristic._search")
    return search is not None and all(getattr(search, name).overloads
                                      for name in _FIRST_PLAN_KERNELS)


def ils_kernels_cached(compiled: CompiledProblem) -> bool:
    """Whether Numba's disk cache holds the kernels of ``ils``' first plan for the kind
    of instance ``compiled`` makes (each kind compiles its own specialisation): a process
    then loads them in seconds, where it would otherwise compile them for a minute or
    more. Imports Numba and the kernel module, compiles nothing."""
    from numba import typeof

    from solver.engines.heuristic import _search
    from solver.engines.heuristic.instance import build_instance
    from solver.engines.heuristic.params import HeuristicParams

    kind = typeof(build_instance(compiled, HeuristicParams()))
    for name in _FIRST_PLAN_KERNELS:
        # Numba's own index of the cached overloads (empty when the source changed since)
        index = getattr(_search, name)._cache._cache_file._load_index()
        if not any(signature[:1] == (kind,) for signature, *_ in index):
            return False
    return True


def _busy() -> float:
    """How much busier the machine is now than where ``ILS_COLD_S`` was measured (loading
    is CPU-bound: it slows with the runnable processes per core)."""
    if not hasattr(os, "getloadavg"):
        return 1.0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return os.getloadavg()[0] / (cores or 1) / MEASURED_LOAD_PER_CORE


class LazyIls:
    """``ils`` as the catalog hands it out: ``supports`` answers without Numba (``auto``
    asks on every solve, also where ``ils`` refuses the problem), ``cold_start_s`` too
    unless it must look into Numba's cache; the first ``solve`` imports the engine and
    loads its kernels."""

    name = "ils"
    warm_starts = True

    def __init__(self) -> None:
        self._engine: Engine | None = None

    def supports(self, compiled: CompiledProblem) -> str | None:
        return ils_supports(compiled)

    def cold_start_s(self, compiled: CompiledProblem, budget: float = math.inf) -> float:
        """Seconds this process still needs before a first plan can come: 0 once the
        kernels are loaded; ``ILS_COLD_S`` to load them from the disk cache, scaled by the
        square root of how much busier the machine is (load 9 per core measured up to
        1.8 times load 3's); ``ILS_COMPILE_S`` where the cache lacks them. The cache is
        only looked at (which imports Numba) where loading would fit in ``budget``:
        beyond it the answer is too slow either way."""
        if ils_kernels_loaded():
            return 0.0
        scale = max(1.0, _busy()) ** 0.5
        if ILS_COLD_S * scale > budget or ils_kernels_cached(compiled):
            return ILS_COLD_S * scale
        return ILS_COMPILE_S * scale

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
