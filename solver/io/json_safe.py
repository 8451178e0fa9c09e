"""``json_safe``: values JSON can carry. NaN and infinities are not JSON (Python writes
them as bare ``NaN``/``Infinity``, which strict parsers and PostgreSQL's ``json`` refuse),
so they become ``null``: "no value", which is what a non-finite cost or metric means."""

from __future__ import annotations

import math
from typing import Any


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth of dicts, lists and tuples,
    replaced by None (tuples become lists, as JSON has them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
