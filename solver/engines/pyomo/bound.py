"""A proven lower bound: the two-index LP, re-solved while separation finds cuts.

Every LP optimum along the way is a valid bound for every *complete* plan (all stops
that can be served at all are served), so the loop can stop at any time. The bound is
skipped, and says why, above ``max_stops`` or when the budget is too small.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from solver.compile import CompiledProblem
from solver.diagnosis import impossible_stops
from solver.engines.pyomo.build import add_capacity_cuts, build_lp_bound, capacity_rhs
from solver.engines.pyomo.solve import MipStatus, make_solver, solve_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoundOutcome:
    value: float | None  # None when skipped or when no LP was solved in time
    rounds: int = 0
    cuts: int = 0
    skipped: str | None = None


def lower_bound(
    compiled: CompiledProblem, time_limit: float, max_stops: int = 300, max_rounds: int = 100
) -> BoundOutcome:
    """The best LP bound reached within ``time_limit`` seconds."""
    started = time.perf_counter()
    impossible = impossible_stops(compiled)
    stops = [i for i in range(compiled.n_depots, compiled.n_nodes) if i not in impossible]
    if not stops:
        return BoundOutcome(0.0)
    if len(stops) > max_stops:
        return BoundOutcome(None, skipped=f"{len(stops)} stops > {max_stops}")
    model = build_lp_bound(compiled, stops)
    solver = make_solver(time_limit)
    required = np.array([bool(compiled.required[i]) for i in stops])
    best: float | None = None
    rounds = cuts = 0
    while rounds < max_rounds:
        left = time_limit - (time.perf_counter() - started)
        if left <= 0.05:
            break
        outcome = solve_model(model, left, solver=solver)
        if outcome.status != MipStatus.OPTIMAL:
            break
        rounds += 1
        value = outcome.objective - 1e-9 * abs(outcome.objective) - 1e-6
        best = value if best is None else max(best, value)
        found = separate(model, compiled, required)
        if not found:
            break
        cuts += add_capacity_cuts(model, compiled, found)
    if best is None:
        return BoundOutcome(None, rounds, cuts, skipped="no LP solved within the budget")
    return BoundOutcome(best, rounds, cuts)


def separate(
    model: pyo.ConcreteModel, compiled: CompiledProblem, required: np.ndarray,
    max_cuts: int = 100, tol: float = 1e-4,
) -> list[list[int]]:
    """Violated rounded capacity cuts found by two heuristics, most violated first.

    1. connected components of the support graph over required stops;
    2. greedy growth from every stop, adding the neighbour most connected to the set
       (after the shrinking-free heuristics of Lysgaard, Letchford & Eglese 2004).
    """
    n = len(model.stops)
    x = np.zeros((n, n))
    for a, b in model.pairs:
        v = pyo.value(model.x[a, b])
        if v > 1e-9:
            x[a, b] = x[b, a] = v
    x[~required, :] = 0.0
    x[:, ~required] = 0.0
    found: dict[tuple[int, ...], float] = {}

    def consider(members: list[int], inside: float) -> None:
        if len(members) < 2:
            return
        key = tuple(sorted(members))
        if key in found:
            return
        violation = inside - (len(key) - capacity_rhs(compiled, model.stops, key))
        if violation > tol:
            found[key] = violation

    # 1. components of the support graph
    seen = np.zeros(n, dtype=bool)
    for s in np.flatnonzero(required):
        if seen[s]:
            continue
        comp, frontier = [], [int(s)]
        seen[s] = True
        while frontier:
            a = frontier.pop()
            comp.append(a)
            for b in np.flatnonzero((x[a] > 1e-6) & ~seen):
                seen[b] = True
                frontier.append(int(b))
        inside = x[np.ix_(comp, comp)].sum() / 2
        consider(comp, inside)
    # 2. greedy growth
    limit = min(n, 60)
    for s in np.flatnonzero(required):
        members = [int(s)]
        in_set = np.zeros(n, dtype=bool)
        in_set[s] = True
        conn = x[s].copy()
        inside = 0.0
        best_members, best_violation = None, tol
        for _ in range(limit):
            cand = np.where(in_set | ~required, -1.0, conn)
            b = int(np.argmax(cand))
            if cand[b] <= 1e-9:
                break
            inside += conn[b]
            members.append(b)
            in_set[b] = True
            conn += x[b]
            violation = inside - (len(members) - capacity_rhs(compiled, model.stops, members))
            if violation > best_violation:
                best_members, best_violation = list(members), violation
        if best_members is not None:
            consider(best_members, inside=best_violation + len(best_members)
                     - capacity_rhs(compiled, model.stops, best_members))
        if len(found) >= 4 * max_cuts:
            break
    ranked = sorted(found.items(), key=lambda kv: -kv[1])[:max_cuts]
    return [list(k) for k, _ in ranked]


def gap(cost: float, bound: float | None) -> float | None:
    """Relative gap ``(cost - bound) / cost`` (None without a bound)."""
    if bound is None or not math.isfinite(cost):
        return None
    return max(cost - bound, 0.0) / max(abs(cost), 1e-9)
