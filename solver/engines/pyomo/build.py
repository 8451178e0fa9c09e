"""Pure Pyomo model builders: they build and return models, and never solve.

- ``build_set_partitioning``: choose routes from a pool, each stop covered exactly once.
- ``build_exact_flow``: an arc-flow MIP per vehicle type for tiny instances.
- ``build_lp_bound`` / ``add_capacity_cuts``: a two-index LP relaxation whose optimum
  is a lower bound for every complete plan, strengthened by rounded capacity cuts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from solver.compile import CompiledProblem
from solver.engines.pyomo.day_flow import add_route_limits, late_terms, overtime_terms
from solver.engines.pyomo.pool import PoolRoute
from solver.travel.lazy import CoordinateTravel, require_dense

_O, _E = -1, -2  # the start and end depot of a type, in ``build_exact_flow``'s arcs


def _rule(fn):
    """Wrap a constraint rule so that a trivially true expression is skipped."""

    def wrapped(m, *index):
        expr = fn(m, *index)
        if isinstance(expr, bool):
            if not expr:
                raise ValueError("a constraint is trivially infeasible")
            return pyo.Constraint.Skip
        return expr

    return wrapped


def _con(*sets, rule):
    """A constraint whose trivially true members (empty sums) are skipped."""
    return pyo.Constraint(*sets, rule=_rule(rule))


def drop_penalty(compiled: CompiledProblem) -> float:
    """A cost above any plan's, charged for leaving a required stop out (lexicographic):
    one route per stop at most, each paying its fixed cost, twice the longest arc per
    stop, and its longest duration and overtime, plus every lateness and penalty."""
    c = compiled
    if isinstance(c.travel, CoordinateTravel):  # set partitioning prices given routes only
        longest = c.travel.max_distance()
    else:
        longest = np.nan_to_num(c.travel.distance, posinf=0.0).max()
    per_stop = c.fixed_cost.max() + c.cost_per_distance.max() * 2 * longest
    late = 0.0
    if (c.cost_per_time > 0).any() or (c.late_cost > 0).any() or (c.overtime_cost > 0).any():
        # the MIP's times: returns up to 2 horizons, lateness up to one (``late_terms``)
        horizon = _horizon(c)
        per_stop += (c.cost_per_time.max() * 2 * horizon
                     + c.overtime_cost.max() * min(c.max_overtime.max(), 2 * horizon))
        late = float((c.late_cost * np.minimum(c.max_late, horizon)).sum())
    return float(10 * (per_stop * max(c.n_clients, 1) + late + c.penalty.sum() + 1.0))


def _horizon(c: CompiledProblem) -> float:
    """A finite bound on every time in a plan (the latest finite limit plus a full pass)."""
    limits = [v for v in np.concatenate([c.tw.ravel(), c.shift.ravel()]) if math.isfinite(v)]
    if isinstance(c.travel, CoordinateTravel):  # the longest arc bounds each node's
        longest = np.full(c.n_nodes, c.travel.max_duration())
    else:
        longest = c.travel.duration.max(axis=0).max(axis=1)
    return float(max(limits, default=0.0) + (longest + c.service).sum() + 1.0)


def build_set_partitioning(
    compiled: CompiledProblem, columns: Sequence[PoolRoute], skip_required: float | None = None,
    cover_required: bool = False,
) -> pyo.ConcreteModel:
    """Pick routes (``y[r]``) so that every stop is served once or skipped (``skip[i]``).

    Skipping an optional stop costs its penalty, a required one ``skip_required``
    (default: ``drop_penalty``). At most ``count[k]`` routes of each type are used.
    ``cover_required`` forbids skipping a required stop that some column serves: the
    caller knows the pool holds a complete plan, and the tighter model lets HiGHS find
    it fast (with the big skip costs it could stop on a short limit with skips left).
    """
    c = compiled
    big = drop_penalty(c) if skip_required is None else skip_required
    stops = list(range(c.n_depots, c.n_nodes))
    m = pyo.ConcreteModel(name="set_partitioning")
    m.R = pyo.RangeSet(0, len(columns) - 1) if columns else pyo.Set(initialize=[])
    m.S = pyo.Set(initialize=stops)
    m.y = pyo.Var(m.R, domain=pyo.Binary)
    m.skip = pyo.Var(m.S, domain=pyo.Binary)
    covering: dict[int, list[int]] = {i: [] for i in stops}
    by_type: dict[int, list[int]] = {}
    for r, col in enumerate(columns):
        for i in col.nodes:
            covering[i].append(r)
        by_type.setdefault(col.vehicle_type, []).append(r)
    m.cover = _con(m.S, rule=lambda m, i: sum(m.y[r] for r in covering[i])
                             + m.skip[i] == 1)
    m.K = pyo.Set(initialize=sorted(by_type))
    m.fleet = _con(m.K, rule=lambda m, k: sum(m.y[r] for r in by_type[k])
                             <= int(c.type_count[k]))
    skip_cost = {i: big if c.required[i] else float(c.penalty[i]) for i in stops}
    m.cost = pyo.Objective(expr=sum(col.cost * m.y[r] for r, col in enumerate(columns))
                           + sum(skip_cost[i] * m.skip[i] for i in stops))
    if cover_required:
        for i in stops:
            if c.required[i] and covering[i]:
                m.skip[i].fix(0)
    m.columns = columns  # plain attribute: decoding needs it beside the variables
    return m


def chosen_columns(model: pyo.ConcreteModel) -> list[PoolRoute]:
    """The routes a solved set-partitioning model picked."""
    return [col for r, col in enumerate(model.columns) if pyo.value(model.y[r]) > 0.5]


def build_exact_flow(
    compiled: CompiledProblem, impossible: Iterable[int] = ()
) -> pyo.ConcreteModel:
    """An arc-flow MIP per vehicle type: exact for static travel and single windows.

    ``x[k, i, j]`` = 1 when a vehicle of type ``k`` drives from ``i`` to ``j`` (``-1`` is
    its start depot, ``-2`` its end depot). Loads and service starts follow MTZ-style
    big-M constraints on ``x`` summed over types (Miller, Tucker & Zemlin 1960; Kallehauge
    et al. 2005 for windows); an order variable removes zero-length subtours. A route's
    duration is its return time minus its departure ``B``, which is carried unchanged
    along the route; with one window per stop its minimum equals the evaluator's forward
    slack duration (Savelsbergh 1992). Stops in ``impossible`` are fixed as skipped.
    Soft windows, overtime and route limits: ``day_flow``.
    """
    c = compiled
    require_dense(c.travel, "the exact arc-flow MIP")
    if c.travel.time_dependent:
        raise ValueError("build_exact_flow needs static travel")
    stops = list(range(c.n_depots, c.n_nodes))
    skip_fixed = set(int(i) for i in impossible)
    dist, dur = c.travel.distance, c.travel.duration[0]
    horizon = _horizon(c)
    allowed = {
        k: [i for i in stops if i not in skip_fixed
            and not (int(c.stop_skills[i]) & ~int(c.type_skills[k]))
            and np.all(c.demand[i] <= c.capacity[k] + 1e-9)]
        for k in range(c.n_types)
    }
    arcs = []
    for k, ok in allowed.items():
        arcs += [(k, _O, j) for j in ok] + [(k, i, _E) for i in ok]
        arcs += [(k, i, j) for i in ok for j in ok if i != j]

    def a_dist(k: int, i: int, j: int) -> float:
        i = int(c.start_depot[k]) if i == _O else i
        j = int(c.end_depot[k]) if j == _E else j
        return float(dist[i, j])

    def a_time(k: int, i: int, j: int) -> float:
        i2 = int(c.start_depot[k]) if i == _O else i
        j2 = int(c.end_depot[k]) if j == _E else j
        return float(dur[i2, j2])

    m = pyo.ConcreteModel(name="exact_flow")
    m.S = pyo.Set(initialize=stops)
    m.A = pyo.Set(initialize=arcs, dimen=3)
    m.x = pyo.Var(m.A, domain=pyo.Binary)
    m.skip = pyo.Var(m.S, domain=pyo.Binary)
    for i in skip_fixed:
        m.skip[i].fix(1)
    into: dict[int, list] = {i: [] for i in stops}
    out: dict[int, list] = {i: [] for i in stops}
    pair: dict[tuple[int, int], list] = {}
    for a in arcs:
        k, i, j = a
        if j >= 0:
            into[j].append(a)
        if i >= 0:
            out[i].append(a)
        if i >= 0 and j >= 0:
            pair.setdefault((i, j), []).append(a)
    m.visit = _con(m.S, rule=lambda m, i: sum(m.x[a] for a in into[i])
                             == 1 - m.skip[i])
    m.KS = pyo.Set(initialize=[(k, i) for k, ok in allowed.items() for i in ok], dimen=2)
    m.flow = _con(m.KS, rule=lambda m, k, i: sum(m.x[a] for a in into[i] if a[0] == k)
                            == sum(m.x[a] for a in out[i] if a[0] == k))
    m.K = pyo.Set(initialize=range(c.n_types))
    m.fleet = _con(m.K, rule=lambda m, k: sum(m.x[k, _O, j] for j in allowed[k])
                             <= int(c.type_count[k]))
    m.P = pyo.Set(initialize=list(pair), dimen=2)

    def used(m, i, j):
        return sum(m.x[a] for a in pair[i, j])

    # subtours: an order along every route
    n = len(stops)
    m.order = pyo.Var(m.S, bounds=(1, max(n, 1)))
    m.mtz = _con(m.P, rule=lambda m, i, j: m.order[j] >= m.order[i] + 1
                           - n * (1 - used(m, i, j)))
    # loads: L[i, d] is the load delivered up to and including i
    m.D = pyo.Set(initialize=range(c.demand.shape[1]))
    total = c.demand.sum(axis=0)
    m.L = pyo.Var(m.S, m.D, domain=pyo.NonNegativeReals)
    m.load_min = _con(m.S, m.D, rule=lambda m, i, d: m.L[i, d] >= float(c.demand[i, d]))
    m.load_step = _con(m.P, m.D, rule=lambda m, i, j, d: m.L[j, d] >= m.L[i, d]
                                 + float(c.demand[j, d]) - float(total[d]) * (1 - used(m, i, j)))

    def cap(m, i, d):
        return m.L[i, d] <= sum(min(float(c.capacity[a[0], d]), float(total[d])) * m.x[a]
                                for a in into[i]) + float(total[d]) * m.skip[i]

    m.load_cap = pyo.Constraint(m.S, m.D, rule=cap)
    # service starts within one of the windows
    m.T = pyo.Var(m.S, bounds=(0, horizon))
    m.W = pyo.Set(initialize=[(i, w) for i in stops for w in range(int(c.tw_count[i]))], dimen=2)
    m.z = pyo.Var(m.W, domain=pyo.Binary)
    m.one_window = _con(m.S, rule=lambda m, i: sum(m.z[i, w] for w in
                                                             range(int(c.tw_count[i]))) == 1)

    def lo(i, w):
        return float(c.tw[i, w, 0])

    def hi(i, w):
        return min(float(c.tw[i, w, 1]), horizon)

    m.t_open = _con(m.S, rule=lambda m, i: m.T[i] >= sum(
        lo(i, w) * m.z[i, w] for w in range(int(c.tw_count[i]))))
    late, late_cost = late_terms(m, c, stops, horizon)
    m.t_close = _con(m.S, rule=lambda m, i: m.T[i] <= sum(
        hi(i, w) * m.z[i, w] for w in range(int(c.tw_count[i]))) + late[i]
        + horizon * m.skip[i])
    big = 2 * horizon
    m.t_step = _con(m.P, rule=lambda m, i, j: m.T[j] >= m.T[i] + float(c.service[i])
                              + float(dur[i, j]) - big * (1 - used(m, i, j)))
    # departure B (constant along a route) and return R (meaningful at a route's last stop)
    m.B = pyo.Var(m.S, bounds=(0, horizon))
    m.R = pyo.Var(m.S, bounds=(0, 2 * horizon))
    first = [(k, j) for k, ok in allowed.items() for j in ok]
    m.F = pyo.Set(initialize=first, dimen=2)
    m.b_late = _con(m.F, rule=lambda m, k, j: m.B[j] <= m.T[j] - a_time(k, _O, j)
                              + big * (1 - m.x[k, _O, j]))
    m.b_shift = _con(m.F, rule=lambda m, k, j: m.B[j] >= float(c.shift[k, 0])
                               - big * (1 - m.x[k, _O, j]))
    m.b_same1 = _con(m.P, rule=lambda m, i, j: m.B[j] - m.B[i]
                               <= big * (1 - used(m, i, j)))
    m.b_same2 = _con(m.P, rule=lambda m, i, j: m.B[i] - m.B[j]
                               <= big * (1 - used(m, i, j)))

    def ret(k, i):
        return m.T[i] + float(c.service[i]) + a_time(k, i, _E)

    m.r_def = _con(m.F, rule=lambda m, k, i: m.R[i] >= ret(k, i)
                             - 2 * big * (1 - m.x[k, i, _E]))
    m.r_shift = _con(m.F, rule=lambda m, k, i: ret(k, i) <= min(
        float(c.shift[k, 1] + c.max_overtime[k]), 2 * horizon) + 2 * big * (1 - m.x[k, i, _E]))
    overtime_cost = overtime_terms(m, c, first, ret, big)
    add_route_limits(m, c, stops, first, arcs, a_dist)
    m.span = pyo.Var(m.F, domain=pyo.NonNegativeReals)
    m.span_def = _con(m.F, rule=lambda m, k, i: m.span[k, i] >= m.R[i] - m.B[i]
                                - 2 * big * (1 - m.x[k, i, _E]))
    finite_max = [(k, i) for k, i in first if math.isfinite(float(c.max_duration[k]))]
    m.FM = pyo.Set(initialize=finite_max, dimen=2)
    m.max_dur = _con(m.FM, rule=lambda m, k, i: m.R[i] - m.B[i] <= float(
        c.max_duration[k]) + 2 * big * (1 - m.x[k, i, _E]))

    skip_big = drop_penalty(c)
    m.cost = pyo.Objective(expr=(
        sum(float(c.cost_per_distance[k]) * a_dist(k, i, j) * m.x[k, i, j] for k, i, j in arcs)
        + sum(float(c.fixed_cost[k]) * m.x[k, _O, j] for k, j in first)
        + sum(float(c.cost_per_time[k]) * m.span[k, i] for k, i in first)
        + sum((skip_big if c.required[i] else float(c.penalty[i])) * m.skip[i] for i in stops)
        + late_cost + overtime_cost
    ))
    return m


def exact_routes(model: pyo.ConcreteModel, compiled: CompiledProblem) -> list[tuple[int, list[int]]]:
    """The routes of a solved ``build_exact_flow`` model, followed from each start arc."""
    nxt: dict[tuple[int, int], int] = {}
    starts: list[tuple[int, int]] = []
    for (k, i, j) in model.A:
        if pyo.value(model.x[k, i, j]) > 0.5:
            if i == _O:
                starts.append((k, j))
            else:
                nxt[(k, i)] = j
    routes = []
    for k, j in starts:
        nodes = []
        while j != _E and j not in nodes:
            nodes.append(j)
            j = nxt[(k, j)]
        routes.append((k, nodes))
    return routes


def build_lp_bound(compiled: CompiledProblem, stops: Sequence[int]) -> pyo.ConcreteModel:
    """Two-index LP relaxation over ``stops`` (all depots merged into node ``-1``).

    Every complete plan maps to a point of this LP whose objective is at most the plan's
    cost: an edge costs the cheapest rate per distance times the shorter direction, plus
    the cheapest rate per time times the shorter travel time (a route lasts at least its
    travel and service); each route pays the cheapest fixed cost once per two depot-edge
    ends. Required stops have degree 2; an optional stop ``i`` has degree ``2 y[i]`` and
    pays its penalty times ``1 - y[i]``. Cuts are added by ``add_capacity_cuts``.
    """
    c = compiled
    require_dense(c.travel, "the LP lower bound")
    stops = [int(i) for i in stops]
    depots = sorted(set(c.start_depot.tolist()) | set(c.end_depot.tolist()))
    rate_d = float(c.cost_per_distance.min())
    rate_t = float(c.cost_per_time.min())
    dist = c.travel.distance
    dur = c.travel.duration.min(axis=0)
    sub = np.ix_(stops, stops)
    edge = rate_d * np.minimum(dist[sub], dist[sub].T) + rate_t * np.minimum(dur[sub], dur[sub].T)
    dd = np.minimum(dist[np.ix_(depots, stops)], dist[np.ix_(stops, depots)].T).min(axis=0)
    dt = np.minimum(dur[np.ix_(depots, stops)], dur[np.ix_(stops, depots)].T).min(axis=0)
    depot_edge = rate_d * dd + rate_t * dt + float(c.fixed_cost.min()) / 2.0
    n = len(stops)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    m = pyo.ConcreteModel(name="lp_bound")
    m.N = pyo.RangeSet(0, n - 1)
    m.E = pyo.Set(initialize=pairs, dimen=2)
    m.x = pyo.Var(m.E, bounds=(0, 1))
    m.x0 = pyo.Var(m.N, bounds=(0, 2))
    m.y = pyo.Var(m.N, bounds=(0, 1))
    for a, i in enumerate(stops):
        if c.required[i]:
            m.y[a].fix(1)
    incident: dict[int, list[tuple[int, int]]] = {a: [] for a in range(n)}
    for e in pairs:
        incident[e[0]].append(e)
        incident[e[1]].append(e)
    m.degree = _con(m.N, rule=lambda m, a: m.x0[a] + sum(m.x[e] for e in incident[a])
                              == 2 * m.y[a])
    m.fleet = pyo.Constraint(expr=sum(m.x0[a] for a in range(n)) <= 2 * c.n_vehicles)
    m.cost = pyo.Objective(expr=(
        sum(float(edge[a, b]) * m.x[a, b] for a, b in pairs)
        + sum(float(depot_edge[a]) * m.x0[a] for a in range(n))
        + sum(rate_t * float(c.service[i]) * m.y[a] for a, i in enumerate(stops))
        + sum(float(c.penalty[i]) * (1 - m.y[a]) for a, i in enumerate(stops)
              if not c.required[i])
    ))
    m.cuts = pyo.ConstraintList()
    m.stops = stops  # plain attributes for the separation routine
    m.pairs = pairs
    return m


def capacity_rhs(compiled: CompiledProblem, stops: Sequence[int], members: Sequence[int]) -> int:
    """Vehicles any plan needs to serve the positions ``members`` of ``stops`` (>= 1)."""
    c = compiled
    nodes = [stops[a] for a in members]
    q = c.demand[nodes].sum(axis=0)
    qmax = c.capacity.max(axis=0)
    need = 1
    for d in range(len(q)):
        if math.isfinite(qmax[d]) and qmax[d] > 0:
            need = max(need, math.ceil(q[d] / qmax[d] - 1e-9))
    return need


def add_capacity_cuts(
    model: pyo.ConcreteModel, compiled: CompiledProblem, sets: Iterable[Sequence[int]]
) -> int:
    """Add rounded capacity cuts ``x(E(S)) <= |S| - r(S)`` for sets of required positions.

    With degree 2 on every stop of ``S`` this is ``x(delta(S)) >= 2 r(S)`` (Laporte &
    Nobert 1983; Lysgaard, Letchford & Eglese 2004). Returns the number added.
    """
    added = 0
    for members in sets:
        s = sorted(set(int(a) for a in members))
        if len(s) < 2:
            continue
        rhs = len(s) - capacity_rhs(compiled, model.stops, s)
        variables = [model.x[a, b] for j, a in enumerate(s) for b in s[j + 1:]]
        expr = LinearExpression(constant=0.0, linear_coefs=[1.0] * len(variables),
                                linear_vars=variables)
        model.cuts.add(expr <= rhs)
        added += 1
    return added
