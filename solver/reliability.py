"""On-time probabilities from travel-time quantiles.

The plan is re-timed by the evaluator once per quantile tensor (p10, p50, p90), which
gives each visit's arrival quantiles under comonotone arc deviations (a cautious choice:
delays on one route are assumed to move together). A normal distribution fitted through
those arrival quantiles, with a different spread below and above the median, gives
P(service can start before the window closes).
"""

from __future__ import annotations

import math
from dataclasses import replace

from solver.evaluate import evaluate
from solver.problem import Problem
from solver.solution import Solution
from solver.travel.base import TravelTensor

Z90 = 1.2815515655446004  # standard normal quantile of 0.9


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def on_time_probabilities(
    problem: Problem, solution: Solution, travel: TravelTensor
) -> dict[str, float]:
    """Stop id -> probability that the vehicle arrives before the stop's window closes.

    Needs ``travel.quantiles`` with 0.1 and 0.9 (learned travel provides them);
    the median tensor is ``travel.quantiles[0.5]`` when present, else ``travel.duration``.
    """
    if not {0.1, 0.9} <= set(travel.quantiles):
        raise ValueError("on-time probabilities need p10 and p90 travel times")
    arrivals: dict[float, dict[str, float]] = {}
    for q in (0.1, 0.5, 0.9):
        duration = travel.quantiles.get(q, travel.duration)
        report = evaluate(problem, solution, replace(travel, duration=duration))
        arrivals[q] = {v.stop: v.arrival for r in report.routes for v in r.visits}
    deadline = {s.id: s.time_windows[-1].end for s in problem.stops}
    out = {}
    for stop, a50 in arrivals[0.5].items():
        end = deadline[stop]
        lo = max(a50 - arrivals[0.1][stop], 0.0) / Z90
        hi = max(arrivals[0.9][stop] - a50, 0.0) / Z90
        sigma = hi if end >= a50 else lo
        if sigma <= 1e-9:
            out[stop] = 1.0 if a50 <= end + 1e-6 else 0.0
        else:
            out[stop] = _normal_cdf((end - a50) / sigma)
    return out
