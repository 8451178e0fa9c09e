"""The one place that names the engines: a map of lazy factories, and ``get_engine``.

Nothing registers itself on import. The engines that use others by name (``ortools``,
``auto``) are handed ``get_engine``; they never import this module (no import cycle). A built-in engine is imported (OR-Tools, Pyomo,
Numba kernels) only when it is first asked for, so a solve loads what its engine needs
and nothing else. Other engines come from plugin modules (``load_plugin``): a plugin
exposes ``ENGINES``, a mapping of names to factories, which the catalog adds.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from solver.engines.base import Engine
from solver.engines.standalone import STANDALONE, EngineFactory
from solver.errors import UnsupportedFeatureError


def _ortools() -> Engine:
    from solver.engines.ortools.engine import OrToolsEngine

    return OrToolsEngine(engines=get_engine)  # its seed engine may be any catalog name


def _auto() -> Engine:
    from solver.engines.portfolio import PortfolioEngine

    return PortfolioEngine(engines=get_engine)


# the standalone engines (ils, its alias hgs, exact; solver.engines.standalone), then the
# engines that use others, which get this catalog's lookup
FACTORIES: dict[str, EngineFactory] = {**STANDALONE, "ortools": _ortools, "auto": _auto}
_BUILT: dict[tuple[str, EngineFactory], Engine] = {}


def engine_names() -> list[str]:
    """Every name ``get_engine`` accepts, sorted."""
    return sorted(FACTORIES)


def get_engine(name: str) -> Engine:
    """The engine called ``name``, built once per process (engines hold no solve state)."""
    factory = FACTORIES.get(name)
    if factory is None:
        raise UnsupportedFeatureError(
            f"unknown engine {name!r}; available: {', '.join(engine_names())}"
        )
    key = (name, factory)
    if key not in _BUILT:
        _BUILT[key] = factory()
    return _BUILT[key]


def load_plugin(module: str) -> list[str]:
    """Import ``module`` and add the engines of its ``ENGINES`` mapping; their names."""
    engines = getattr(importlib.import_module(module), "ENGINES", None)
    if not isinstance(engines, Mapping):
        raise UnsupportedFeatureError(
            f"plugin {module!r} has no ENGINES mapping of engine names to factories"
        )
    for name, factory in engines.items():
        known = FACTORIES.get(name)
        if known is not None and known is not factory:
            raise UnsupportedFeatureError(f"plugin {module!r} redefines engine {name!r}")
        FACTORIES[name] = factory
    return sorted(engines)
