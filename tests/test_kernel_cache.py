"""The kinds the test run compiles up front are the specialisations they claim to be."""

from __future__ import annotations

from numba import typeof

from solver.compile import compile_problem
from solver.engines.heuristic.instance import build_instance
from solver.engines.heuristic.params import HeuristicParams
from tests.kernel_cache import ILS_KINDS, _problem

FEATURES = {"breaks": {"breaks": True}, "day": {"soft": True}, "replan": {"replan": True},
            "plain": {}, "coordinates": {"coordinates": True}}


def test_each_ils_kind_is_its_own_specialisation():
    """Five kinds, five instance types (the kernels compile once per type): dense or
    coordinate-only travel, no day, a day, a day with breaks, a replan's locks."""
    assert set(FEATURES) == set(ILS_KINDS)
    types = {}
    for kind, features in FEATURES.items():
        compiled = compile_problem(_problem(**features),
                                   dense_limit=0 if features.get("coordinates") else None)
        inst = build_instance(compiled, HeuristicParams())
        types[kind] = typeof(inst)
        assert (inst.xy is not None) == bool(features.get("coordinates"))
        assert (inst.day is None) == (kind in ("plain", "coordinates"))
        assert (inst.day is not None and inst.day.legs is not None) == (kind == "breaks")
        assert (inst.replan is not None) == (kind == "replan")
    assert len(set(types.values())) == len(FEATURES)
