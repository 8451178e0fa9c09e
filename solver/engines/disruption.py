"""The disruption cost of a replan's plan on compiled arrays, as the evaluator prices it.

Engines must claim the evaluator's cost, and on a replan that includes the disruption
against the reference plan (``Problem.in_progress``): ``move_cost`` per stop served by
another vehicle than in the reference, plus ``eta_cost`` per second a promised stop's
service starts later than promised beyond ``eta_tolerance``; frozen stops count for
neither. Routes are named as the pipeline's decode names them: in order, each takes the
next vehicle of its type. Shares no code with ``solver.evaluate_replan`` on purpose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solver.compile import CompiledProblem
    from solver.engines.schedule import RouteCheck


def disruption_cost(compiled: CompiledProblem, routes: Sequence[tuple[int, Sequence[int]]],
                    checks: Sequence[RouteCheck]) -> float:
    """The disruption cost of the non-empty ``routes`` whose checks are ``checks``."""
    ip = compiled.problem.in_progress
    if ip is None or not ip.reference:
        return 0.0
    w = ip.disruption
    if w.move_cost <= 0 and w.eta_cost <= 0:
        return 0.0
    promised: dict[str, tuple[str, float | None]] = {}
    for r in ip.reference:
        for j, sid in enumerate(r.stops):
            promised[sid] = (r.vehicle, None if r.etas is None else r.etas[j])
    frozen = {sid for v in ip.vehicles for sid in v.frozen}
    types = {vt.id: vt for vt in compiled.problem.vehicle_types}
    used: dict[str, int] = {}
    moved, late = 0, []
    for (k, nodes), check in zip(routes, checks, strict=True):
        tid = compiled.type_ids[k]
        n = used.get(tid, 0)
        used[tid] = n + 1
        vehicle = types[tid].vehicle_name(n) if n < types[tid].count else f"{tid}#{n + 1}"
        for i, start in zip(nodes, check.starts, strict=True):
            sid = compiled.node_id(int(i))
            if sid in frozen or sid not in promised:
                continue
            planned, eta = promised[sid]
            moved += planned != vehicle
            if eta is not None:
                late.append(max(start - eta - w.eta_tolerance, 0.0))
    return w.move_cost * moved + w.eta_cost * math.fsum(late)
