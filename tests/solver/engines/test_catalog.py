"""The engine catalog: one map of lazy factories, plugins by their ENGINES mapping."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from solver.engines import catalog, get_engine
from solver.errors import UnsupportedFeatureError


def test_importing_the_catalog_loads_no_engine():
    """Nothing registers (or imports) itself: the kernels load only when their engine is
    asked for, and Pyomo only when ``exact`` solves (asking it what it supports must not
    cost ``auto`` the import)."""
    code = ("import sys, solver.engines.catalog as c; "
            "heavy = [m for m in ('ortools', 'pyomo', 'solver.engines.heuristic.engine', "
            "'solver.engines.portfolio') if m in sys.modules]; print(heavy); "
            "c.get_engine('exact'); print('pyomo' in sys.modules, 'ortools' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "False False"


def test_builtin_names_and_unknown_engine():
    """The built-in engines are named (``hgs`` as the alias of ``ils``); an unknown name
    is an error naming them."""
    assert {"ils", "hgs", "ortools", "exact", "auto"} <= set(catalog.engine_names())
    assert get_engine("hgs").name == get_engine("ils").name == "ils"
    assert get_engine("auto").name == "auto"
    assert get_engine("auto") is get_engine("auto")
    with pytest.raises(UnsupportedFeatureError, match="unknown engine 'nope'.*ortools"):
        get_engine("nope")


def test_load_plugin_adds_its_engines(monkeypatch):
    """A plugin's ENGINES become catalog names; a clash or a module without ENGINES fails."""
    monkeypatch.setattr(catalog, "FACTORIES", dict(catalog.FACTORIES))

    class Plugged:
        name = "plugged"

    plugin = types.ModuleType("plugin_ok")
    plugin.ENGINES = {"plugged": Plugged}
    clash = types.ModuleType("plugin_clash")
    clash.ENGINES = {"hgs": Plugged}
    monkeypatch.setitem(sys.modules, "plugin_ok", plugin)
    monkeypatch.setitem(sys.modules, "plugin_clash", clash)
    monkeypatch.setitem(sys.modules, "plugin_bare", types.ModuleType("plugin_bare"))
    assert catalog.load_plugin("plugin_ok") == ["plugged"]
    assert catalog.load_plugin("plugin_ok") == ["plugged"]  # loading twice is harmless
    assert isinstance(get_engine("plugged"), Plugged)
    with pytest.raises(UnsupportedFeatureError, match="redefines engine 'hgs'"):
        catalog.load_plugin("plugin_clash")
    with pytest.raises(UnsupportedFeatureError, match="no ENGINES mapping"):
        catalog.load_plugin("plugin_bare")


def test_engines_that_use_others_get_the_catalogs_lookup():
    """ortools (its seed race) and auto find other engines through the catalog, plugins
    included, without importing it; built bare they use the standalone engines, and
    another name is an error naming the lookup to pass."""
    from solver.engines.portfolio import PortfolioEngine
    from solver.engines.standalone import standalone_engine

    assert get_engine("ortools").engines is get_engine
    assert get_engine("auto").engines is get_engine
    assert get_engine("auto")._ortools.engines is get_engine
    bare = PortfolioEngine()
    assert bare.engines is standalone_engine and bare._ortools.engines is standalone_engine
    assert bare.engines("hgs").name == "ils" and bare.engines("exact").name == "exact"
    with pytest.raises(UnsupportedFeatureError, match="pass engines=solver.engines.get_engine"):
        bare.engines("ortools")
