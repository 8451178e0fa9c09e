"""What ``ils`` models, answerable without importing Numba or loading a kernel.

``auto`` and the pipeline ask before every solve; on a problem that ``ils`` refuses (the
operating day's breaks) the answer must not cost the seconds of loading its kernels.
"""

from __future__ import annotations

from solver.compile import WALK_FEATURES, CompiledProblem


def ils_supports(compiled: CompiledProblem) -> str | None:
    """No shipments, and of the operating-day features only ``WALK_FEATURES`` (soft
    windows, overtime, route limits): the others are refused by their field names;
    ``auto`` then runs ortools, which models them."""
    if compiled.has_shipments:
        return "shipments (pickup-and-delivery pairs) are not modelled; use ortools"
    missing = [f for f in compiled.day_features if f not in WALK_FEATURES]
    if missing:
        return f"{', '.join(missing)} not modelled yet; use ortools"
    return None
