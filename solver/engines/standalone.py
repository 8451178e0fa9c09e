"""The engines that use no other engine (``ils``, ``exact``): lazy factories, and the
lookup that the composite engines fall back to.

Two engines use others by name: ``ortools`` races a seed engine's construction, and
``auto`` runs ``ils``, ``ortools`` and ``exact``. They take an engine lookup (the
catalog passes its own ``get_engine``, which knows plugins too); built without one, they
use :func:`standalone_engine`. So neither imports the catalog, and the catalog, which
imports them, sits above them: no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from solver.engines.base import Engine
from solver.errors import UnsupportedFeatureError

EngineFactory = Callable[[], Engine]
EngineLookup = Callable[[str], Engine]


def ils() -> Engine:
    from solver.engines.heuristic.engine import IlsEngine

    return IlsEngine()


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
