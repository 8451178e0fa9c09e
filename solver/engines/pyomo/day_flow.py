"""Operating-day terms of ``build_exact_flow``: soft windows, overtime and route limits.

Each adds variables and constraints to the arc-flow model and returns its part of the
objective. With the evaluator's semantics (``solver/evaluate.py``), on one window per
stop and static travel:

- soft windows: ``late[i]`` (at most ``max_late``) lets service start past the window's
  end at ``late_cost`` per second; a late visit is then served on arrival, since starting
  later only adds lateness and return time. The exact engine refuses soft windows with a
  cost per time: the MIP could then delay a late visit to shorten the route's duration,
  which the evaluator's departure (it never makes a visit later) does not allow;
- overtime: the return may pass the shift end by ``max_overtime``, ``over`` seconds
  priced at ``overtime_cost``;
- route limits: ``order`` (the MTZ order) starts at 1 on each route's first stop, so it
  is at least the position, and stays at most ``max_stops``; ``reach[i]`` is at least
  the distance driven up to ``i``, and with the way back at most ``max_distance``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyomo.environ as pyo

from solver.compile import CompiledProblem


def late_terms(m: pyo.ConcreteModel, c: CompiledProblem, stops: list[int],
               horizon: float) -> tuple[dict[int, object], object]:
    """``late[i]`` per soft stop (0 elsewhere) to add to its window's end, and its cost."""
    soft = [i for i in stops if c.max_late[i] > 0]
    m.SOFT = pyo.Set(initialize=soft)
    m.late = pyo.Var(m.SOFT, bounds=lambda m, i: (0, min(float(c.max_late[i]), horizon)))
    late = {i: (m.late[i] if i in m.SOFT else 0.0) for i in stops}
    return late, sum(float(c.late_cost[i]) * m.late[i] for i in soft)


def overtime_terms(m: pyo.ConcreteModel, c: CompiledProblem, first: list[tuple[int, int]],
                   returns: Callable[[int, int], object], big: float) -> object:
    """``over[k, i]``: overtime of the route of type ``k`` ending at ``i``, and its cost.
    ``returns(k, i)`` is that route's return time when ``x[k, i, end]`` is 1 (the shift
    end plus ``max_overtime`` bounds it in ``build_exact_flow``)."""
    timed = [(k, i) for k, i in first if c.overtime_cost[k] > 0]
    m.OT = pyo.Set(initialize=timed, dimen=2)
    m.over = pyo.Var(m.OT, domain=pyo.NonNegativeReals)
    m.over_def = pyo.Constraint(m.OT, rule=lambda m, k, i: m.over[k, i] >= returns(k, i)
                                - float(c.shift[k, 1]) - 2 * big * (1 - m.x[k, i, -2]))
    return sum(float(c.overtime_cost[k]) * m.over[k, i] for k, i in timed)


def add_route_limits(m: pyo.ConcreteModel, c: CompiledProblem, stops: list[int],
                     first: list[tuple[int, int]], arcs: list[tuple[int, int, int]],
                     a_dist: Callable[[int, int, int], float]) -> None:
    """``max_stops`` and ``max_distance`` of each type on its routes (module docstring)."""
    n = len(stops)
    stopped = [(k, i) for k, i in first if c.max_stops[k] < n]
    if stopped:
        m.order_first = pyo.Constraint(
            pyo.Set(initialize=first, dimen=2),
            rule=lambda m, k, j: m.order[j] <= 1 + n * (1 - m.x[k, -1, j]))
        m.order_max = pyo.Constraint(
            pyo.Set(initialize=stopped, dimen=2),
            rule=lambda m, k, i: m.order[i] <= float(c.max_stops[k]) + n * (
                1 - sum(m.x[a] for a in arcs if a[0] == k and a[2] == i)))
    limited = [(k, i) for k, i in first if math.isfinite(float(c.max_distance[k]))]
    if not limited:
        return
    far = sum(max(a_dist(k, i, j) for k, i, j in arcs if i == h) for h in [-1, *stops]
              if any(i == h for _, i, _ in arcs))
    m.reach = pyo.Var(stops, bounds=(0, far))
    inner = [a for a in arcs if a[1] >= 0 and a[2] >= 0]
    m.reach_first = pyo.Constraint(
        pyo.Set(initialize=first, dimen=2),
        rule=lambda m, k, j: m.reach[j] >= a_dist(k, -1, j) - far * (1 - m.x[k, -1, j]))
    m.reach_step = pyo.Constraint(
        pyo.Set(initialize=inner, dimen=3),
        rule=lambda m, k, i, j: m.reach[j] >= m.reach[i] + a_dist(k, i, j)
        - 2 * far * (1 - m.x[k, i, j]))
    m.reach_max = pyo.Constraint(
        pyo.Set(initialize=limited, dimen=2),
        rule=lambda m, k, i: m.reach[i] + a_dist(k, i, -2) <= float(c.max_distance[k])
        + 2 * far * (1 - m.x[k, i, -2]))
