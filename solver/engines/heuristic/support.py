"""What ``ils`` models, answerable without importing Numba or loading a kernel.

``auto`` and the pipeline ask before every solve; on a problem that ``ils`` refuses (the
operating day's breaks) the answer must not cost the seconds of loading its kernels.
"""

from __future__ import annotations

from solver.compile import BREAK_FEATURES, WALK_FEATURES, CompiledProblem

REPLAN_FEATURES = ("locks (in_progress.locks)", "disruption costs (in_progress.disruption)")


def _named(c: CompiledProblem) -> set[str]:
    """The vehicles whose identity the locks and move costs depend on."""
    ip = c.problem.in_progress
    named = {lock.vehicle for lock in ip.locks}
    if ip.disruption.move_cost > 0:
        named |= {r.vehicle for r in ip.reference if r.stops}
    return named


def replan_refusal(c: CompiledProblem) -> str | None:
    """Why ``ils`` cannot hold ``c``'s locks and move costs, or None."""
    if c.problem.in_progress is None:
        return None
    shared = sorted(vt.vehicle_name(j) for vt in c.problem.vehicle_types if vt.count > 1
                    for j in range(vt.count) if vt.vehicle_name(j) in _named(c))
    if shared:
        return (f"in_progress.locks and in_progress.disruption.move_cost on vehicles that "
                f"share a type ({', '.join(shared[:3])}) are not modelled (a replan gives "
                "each vehicle its own type); use ortools")
    return None


def ils_supports(compiled: CompiledProblem) -> str | None:
    """No shipments, and of the operating-day features only ``WALK_FEATURES`` (soft
    windows, overtime, route limits), ``BREAK_FEATURES`` (breaks, the driving rule) and a
    replan's locks and disruption costs
    (``replan_refusal`` says where): the others are refused by their field names;
    ``auto`` then runs ortools, which models them."""
    if compiled.has_shipments:
        return "shipments (pickup-and-delivery pairs) are not modelled; use ortools"
    missing = [f for f in compiled.day_features
               if f not in WALK_FEATURES + BREAK_FEATURES + REPLAN_FEATURES]
    if missing:
        return f"{', '.join(missing)} not modelled yet; use ortools"
    return replan_refusal(compiled)
