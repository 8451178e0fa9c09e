"""The kinds the test run compiles up front are the specialisations they claim to be."""

from __future__ import annotations

from numba import typeof

from solver.engines.heuristic.instance import build_instance
from solver.engines.heuristic.params import HeuristicParams
from tests.kernel_cache import ILS_FEATURES, compiled_problem


def test_each_ils_kind_is_its_own_specialisation():
    """Six kinds, six instance types (the kernels compile once per type): dense or
    coordinate-only travel, no day, a day, a day with breaks, a replan's locks, routes
    that cost their distance alone."""
    types = {}
    for kind, features in ILS_FEATURES.items():
        inst = build_instance(compiled_problem(features)[1], HeuristicParams())
        types[kind] = typeof(inst)
        assert (inst.xy is not None) == bool(features.get("coordinates"))
        assert (inst.day is None) == (kind in ("plain", "distance", "coordinates"))
        assert bool(inst.distance_only) == (kind == "distance")
        assert (inst.day is not None and inst.day.legs is not None) == (kind == "breaks")
        assert (inst.replan is not None) == (kind == "replan")
    assert len(set(types.values())) == len(ILS_FEATURES) == 6
