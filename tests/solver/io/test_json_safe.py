"""solver/io/json_safe.py: the one helper that makes values JSON-safe."""

from __future__ import annotations

import json
import math

from solver.io.json_safe import json_safe


def test_non_finite_floats_become_null_at_any_depth() -> None:
    """NaN and ±inf become None inside dicts, lists and tuples; finite values, ints,
    strings and booleans are kept, and the result is strict JSON."""
    value = {"a": math.nan, "b": [1.5, math.inf, (-math.inf, "x")], "c": {"d": True, "e": 2}}
    safe = json_safe(value)
    assert safe == {"a": None, "b": [1.5, None, [None, "x"]], "c": {"d": True, "e": 2}}
    assert json.loads(json.dumps(safe, allow_nan=False)) == safe
    assert json_safe(math.nan) is None and json_safe(3.0) == 3.0
