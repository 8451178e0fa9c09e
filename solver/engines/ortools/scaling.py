"""Integer scaling for OR-Tools: exact where the data allow, conservative where not.

OR-Tools needs integers. Times, demands and costs are scaled by the smallest power of
ten that makes them exact, or by 1000 and rounded *conservatively* (travel up, windows
inwards, demands up), so every plan OR-Tools accepts is feasible for the evaluator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.compile import CompiledProblem

_SCALES = (1, 10, 100, 1000)
_FALLBACK_SCALE = 1000
MAX_OBJECTIVE = 2.0**61
RATE_PRECISION = 1000  # objective units per time unit of the smallest inexact rate


def exact_scale(values: np.ndarray) -> tuple[int, bool]:
    """Smallest power of ten (up to 1000) making every finite value integral."""
    finite = np.abs(values[np.isfinite(values)])
    for s in _SCALES:
        scaled = finite * s
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, scaled)):
            return s, True
    return _FALLBACK_SCALE, False


@dataclass(frozen=True)
class Scaling:
    time: int  # time units per second
    time_exact: bool
    cost: int  # objective units per cost unit
    demand: np.ndarray  # int64 [D] units per demand unit
    demand_exact: np.ndarray  # bool [D]

    def per_time_unit(self, per_second: float) -> int:
        """A cost per second (time, lateness, overtime) as objective units per time unit
        (``scaling`` chose ``cost`` so that this is exact or within ``RATE_PRECISION``)."""
        if per_second <= 0:
            return 0
        return max(1, int(round(per_second * self.cost / self.time)))


def needs_time(c: CompiledProblem) -> bool:
    """A time dimension only when windows, shifts, durations or time costs matter."""
    windows = np.isfinite(c.tw[c.n_depots:, :, 1]).any() or (c.tw[c.n_depots:, :, 0] > 0).any()
    timed_day = (c.break_count > 0).any() or (c.max_late > 0).any() or (
        c.max_overtime > 0).any()
    return bool(windows or np.isfinite(c.shift[:, 1]).any() or (c.shift[:, 0] > 0).any()
                or np.isfinite(c.max_duration).any() or (c.cost_per_time > 0).any()
                or timed_day)


def scaling(c: CompiledProblem, nodes: np.ndarray, has_time: bool) -> Scaling:
    """The scales of times, costs and each demand dimension for the nodes modelled.

    One cost scale serves distance, fixed costs, penalties and every cost per second (time,
    lateness, overtime): the smallest power of ten that makes them all integral, or, for
    rates no power of ten up to 1000 makes integral (25/3600 per second), one large enough
    that each rate is at least ``RATE_PRECISION`` objective units per time unit (relative
    rounding error <= 1/(2 x RATE_PRECISION)) -- unless the worst plan's objective would
    then come near int64 overflow, where the scale stops below it.
    """
    dur = c.travel.duration.max(axis=0)[np.ix_(nodes, nodes)]
    times = np.concatenate([dur.ravel(), c.service, c.tw.ravel(), c.shift.ravel(),
                            c.max_duration, c.breaks.ravel(), c.max_late, c.max_overtime])
    st, st_exact = exact_scale(times) if has_time else (1, True)
    dist = c.travel.distance[np.ix_(nodes, nodes)]
    rates = np.unique(c.cost_per_distance)  # a replan has a type per vehicle, few rates
    costs = np.concatenate([(dist[None] * rates[:, None, None]).ravel(),
                            c.fixed_cost, c.penalty])
    cost, _ = exact_scale(costs)
    rates = time_rates(c, nodes) if has_time else np.zeros(0)
    if rates.size:
        m, rates_exact = exact_scale(rates)
        cost = max(cost, st * m)
        if not rates_exact:  # enough units per time unit for the smallest rate
            need = RATE_PRECISION * st / float(rates.min())
            cost = max(cost, 10 ** math.ceil(math.log10(need) - 1e-12))
    dims = c.demand.shape[1]
    dscale = np.ones(dims, dtype=np.int64)
    dexact = np.ones(dims, dtype=bool)
    for d in range(dims):
        s, e = exact_scale(np.concatenate([c.demand[:, d], c.pd_load[:, d], c.capacity[:, d]]))
        dscale[d], dexact[d] = s, e
    worst = worst_objective(c, nodes, dist)
    while cost > 1 and worst * cost > MAX_OBJECTIVE / 64:
        cost //= 10
    return Scaling(st, st_exact, max(cost, 1), dscale, dexact)


def time_rates(c: CompiledProblem, nodes: np.ndarray) -> np.ndarray:
    """Every positive cost per second of the model: time, lateness, overtime."""
    rates = np.concatenate([c.cost_per_time, c.late_cost[nodes], c.overtime_cost])
    return rates[rates > 0]


def worst_objective(c: CompiledProblem, nodes: np.ndarray, dist: np.ndarray) -> float:
    """An upper bound on any plan's cost (before scaling): every arc the longest, every
    vehicle used, every rate paid for a day of every node's travel and service."""
    n_vehicles = int(c.type_count.sum())
    longest = float(np.nan_to_num(dist, posinf=0.0).max(initial=0.0))
    arcs = (len(nodes) + n_vehicles) * longest * max(1.0, float(c.cost_per_distance.max()))
    finite = [v for v in np.concatenate([c.tw[nodes].ravel(), c.shift.ravel()])
              if math.isfinite(v)]
    dur = np.nan_to_num(c.travel.duration.max(axis=0)[np.ix_(nodes, nodes)], posinf=0.0)
    span = (max(finite, default=0.0) + float(dur.max(axis=1).sum())
            + float(c.service[nodes].sum()))
    per_vehicle = np.repeat(c.cost_per_time + c.overtime_cost, c.type_count)
    timed = span * (float(per_vehicle.sum()) + float(c.late_cost[nodes].sum()))
    return max(arcs + float(c.fixed_cost.max(initial=0.0)) * n_vehicles + timed, 1.0)


def horizon(c: CompiledProblem, nodes: np.ndarray, transit: np.ndarray, s: Scaling) -> int:
    """A finite time bound: the latest finite limit plus one pass over every node."""
    finite = [v for v in np.concatenate([c.tw[nodes].ravel(), c.shift.ravel()])
              if math.isfinite(v)]
    latest = max(finite, default=0.0) + float(c.max_overtime.max(initial=0.0))
    late = c.max_late[nodes]
    latest += float(late[np.isfinite(late)].max(initial=0.0))
    latest += float(c.breaks[:, :, 2].sum(axis=1).max(initial=0.0))  # every break once
    return int(math.ceil(latest * s.time)) + int(transit.max(axis=1).sum()) + 1


def drop_penalty(c: CompiledProblem, nodes: np.ndarray, s: Scaling) -> int:
    """A penalty above any plan's cost, so required stops are dropped only if they must."""
    k_cost = (c.fixed_cost.max() + c.cost_per_distance.max()
              * 2 * np.nan_to_num(c.travel.distance[np.ix_(nodes, nodes)], posinf=0).max())
    if (c.cost_per_time > 0).any():
        k_cost += c.cost_per_time.max() * 2 * float(c.travel.duration.max()) * 10
    if c.day_features:  # lateness and overtime a stop may cause (a rough upper bound)
        k_cost += ((c.late_cost.max(initial=0.0) * len(nodes) + c.overtime_cost.max())
                   * 2 * float(c.travel.duration.max()) * 10)
    total = (float(k_cost) * len(nodes) + float(c.penalty.sum()) + 1.0) * s.cost
    return int(min(total * 10, MAX_OBJECTIVE / (len(nodes) + 1)))


def scaled_up(raw: np.ndarray, exact: bool) -> np.ndarray:
    """Scaled demands as integers: exact, or rounded up (conservative)."""
    return (np.rint(raw) if exact else np.ceil(raw - 1e-9)).astype(np.int64)
