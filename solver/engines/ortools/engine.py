"""Engine ``ortools``: an OR-Tools ``RoutingModel`` built from the compiled problem.

Modelled: multi-dimensional capacities, several time windows per stop (the gaps are
removed from the time cumul), service times, shifts, fixed costs and per-type costs per
distance and per time (span cost), optional stops as disjunctions with their penalty,
skills and capacities as allowed vehicles, max route duration (span upper bound), and
shipments (``AddPickupAndDelivery``: same vehicle, pickup no later than delivery, both
performed or both not; loads then follow ``-demand + pd_load`` from a free start cumul,
which the end cumul of 0 pins to the route's depot deliveries).
Guided local search runs under the time limit, warm-started from another engine's
routes when given. OR-Tools needs integers: times, demands and costs are scaled by the
smallest power of ten that makes them exact, or by 1000 and rounded *conservatively*
(travel up, windows inwards), so every plan OR-Tools accepts is feasible for the
evaluator. Time-dependent travel is planned on the slowest slice of each arc, with
departures at the shift start, which is conservative too (FIFO travel is never slower
than its slowest slice). The claimed cost is recomputed in Python with the evaluator's
semantics (``solver.engines.schedule``), never taken from OR-Tools' integer objective.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.compile import CompiledProblem
from solver.diagnosis import diagnose, impossible_stops
from solver.engines.base import EngineResult, register
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.schedule import check_route, plan_cost
from solver.engines.stop import AnyOf, MaxRuntime, StopCriterion
from solver.errors import NoSolutionError, SolveCancelled
from solver.options import SolveOptions
from solver.solution import ReasonCode

logger = logging.getLogger(__name__)

_SCALES = (1, 10, 100, 1000)
_FALLBACK_SCALE = 1000
_MAX_OBJECTIVE = 2.0**61


def remaining_seconds(stop: StopCriterion, default: float) -> float:
    """The time left on the first ``MaxRuntime`` inside ``stop`` (``default`` if none)."""
    if isinstance(stop, MaxRuntime):
        return stop.remaining()
    if isinstance(stop, AnyOf):
        left = [remaining_seconds(c, math.inf) for c in stop.criteria]
        best = min(left, default=math.inf)
        return default if math.isinf(best) else best
    return default


def exact_scale(values: np.ndarray) -> tuple[int, bool]:
    """Smallest power of ten (up to 1000) making every finite value integral."""
    finite = np.abs(values[np.isfinite(values)])
    for s in _SCALES:
        scaled = finite * s
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, scaled)):
            return s, True
    return _FALLBACK_SCALE, False


@dataclass(frozen=True)
class _Scaling:
    time: int  # time units per second
    time_exact: bool
    cost: int  # objective units per cost unit
    demand: np.ndarray  # int64 [D] units per demand unit
    demand_exact: np.ndarray  # bool [D]


@dataclass(frozen=True)
class OrToolsParams:
    """Search knobs (first-solution strategies are OR-Tools enum names)."""

    first_solution: str = "PATH_CHEAPEST_ARC"
    first_solution_tw: str = "PARALLEL_CHEAPEST_INSERTION"
    strict_first: bool = True  # try the model without drops for required stops first
    strict_first_share: float = 0.3  # of the budget, for that model's first solution


class OrToolsEngine:
    """Guided local search on an OR-Tools routing model (see the module docstring)."""

    name = "ortools"

    def __init__(self, params: OrToolsParams | None = None) -> None:
        self.params = params or OrToolsParams()

    def supports(self, compiled: CompiledProblem) -> str | None:
        """OR-Tools models every feature of the problem model (travel conservatively)."""
        return None

    def solve(
        self,
        compiled: CompiledProblem,
        options: SolveOptions,
        progress: ProgressCallback,
        stop: StopCriterion,
        *,
        initial: EngineResult | None = None,
        pool: object | None = None,
    ) -> EngineResult:
        """Solve with GLS until ``stop``; ``initial`` warm-starts, ``pool`` collects routes.

        ``pool`` is anything with ``add(type_index, nodes)``: every improving solution's
        routes are offered to it (set partitioning recombines them later).
        """
        started = time.perf_counter()
        budget = remaining_seconds(stop, options.time_limit)
        watch = _Watch(progress, stop, started, pool)
        model = _Model(compiled, drop_required=not self.params.strict_first)
        if not model.active:
            return _result(compiled, [], model.impossible, 0, "converged")
        solution = None
        if self.params.strict_first:
            # every required stop served: the model plain OR-Tools users build, which GLS
            # searches best; a first solution gets a share of the budget, else drops allowed
            full = self._params(model, options, budget - (time.perf_counter() - started))
            model.close(full, watch)
            first = model.read(initial) if initial is not None else None
            if first is None:
                cap = budget * self.params.strict_first_share
                first = model.routing.SolveWithParameters(
                    self._params(model, options, cap, solution_limit=1))
            if first is not None and watch.reason is None:
                left = budget - (time.perf_counter() - started)
                solution = model.routing.SolveFromAssignmentWithParameters(
                    first, self._params(model, options, left)) or first
            elif first is not None:
                solution = first
        if solution is None and watch.reason is None:
            model = _Model(compiled, drop_required=True)
            left = budget - (time.perf_counter() - started)
            params = self._params(model, options, left)
            model.close(params, watch)
            start = model.read(initial) if initial is not None else None
            if start is not None:
                solution = model.routing.SolveFromAssignmentWithParameters(start, params)
            else:
                solution = model.routing.SolveWithParameters(params)
        stopped_by = watch.reason or _status_reason(options, watch, budget, started)
        if solution is None:
            if stopped_by == "cancelled":
                raise SolveCancelled("ortools: cancelled before a first solution")
            raise NoSolutionError(
                f"ortools: no solution (routing status {model.routing.status()})")
        routes = model.extract(solution)
        return _result(compiled, routes, model.impossible, watch.iterations, stopped_by)

    def _params(self, model: _Model, options: SolveOptions, seconds: float,
                solution_limit: int | None = None):
        params = pywrapcp.DefaultRoutingSearchParameters()
        # insertion builds pickup-and-delivery pairs together; arc paths do not
        strategy = (self.params.first_solution_tw if model.has_time or model.c.has_shipments
                    else self.params.first_solution)
        params.first_solution_strategy = getattr(
            routing_enums_pb2.FirstSolutionStrategy, strategy)
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(max(int(seconds * 1000), 10))
        limit = solution_limit or options.iteration_limit
        if limit is not None:
            params.solution_limit = limit
        return params


class _Model:
    """The routing model and the maps between OR-Tools nodes and compiled nodes."""

    def __init__(self, compiled: CompiledProblem, drop_required: bool = True) -> None:
        c = self.c = compiled
        self.drop_required = drop_required
        self.impossible = impossible_stops(c)
        for i, reason in list(self.impossible.items()):  # a pair goes out as a whole
            if c.pair[i] >= 0:
                self.impossible.setdefault(int(c.pair[i]), reason)
        stops = [i for i in range(c.n_depots, c.n_nodes) if i not in self.impossible]
        self.active = bool(stops)
        depots = sorted(set(c.start_depot.tolist()) | set(c.end_depot.tolist()))
        self.nodes = np.array(depots + stops, dtype=np.int64)  # OR-Tools node -> compiled
        self.position = {int(n): k for k, n in enumerate(self.nodes)}
        self.vehicle_type = np.repeat(np.arange(c.n_types), c.type_count)
        if not self.active:
            return
        starts = [self.position[int(c.start_depot[k])] for k in self.vehicle_type]
        ends = [self.position[int(c.end_depot[k])] for k in self.vehicle_type]
        self.manager = pywrapcp.RoutingIndexManager(len(self.nodes), len(starts), starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.has_time = _needs_time(c)
        self.scaling = _scaling(c, self.nodes, self.has_time)
        self._costs()
        self._capacities()
        if self.has_time:
            self._time()
        self._stops(stops)
        self._shipments(stops)

    # -- objective -------------------------------------------------------------------
    def _costs(self) -> None:
        c, s, routing = self.c, self.scaling, self.routing
        dist = c.travel.distance[np.ix_(self.nodes, self.nodes)]
        by_rate: dict[float, int] = {}
        for v, k in enumerate(self.vehicle_type):
            rate = float(c.cost_per_distance[k])
            if rate not in by_rate:
                arc = np.rint(dist * rate * s.cost).astype(np.int64)
                by_rate[rate] = routing.RegisterTransitMatrix(arc.tolist())
            routing.SetArcCostEvaluatorOfVehicle(by_rate[rate], v)
            routing.SetFixedCostOfVehicle(int(round(float(c.fixed_cost[k]) * s.cost)), v)

    def _capacities(self) -> None:
        c, s, routing = self.c, self.scaling, self.routing
        for d in range(c.demand.shape[1]):
            shipped = np.any(c.pd_load[self.nodes, d] != 0)
            if not np.any(c.demand[self.nodes, d] > 0) and not shipped:
                continue
            scale, exact = int(s.demand[d]), bool(s.demand_exact[d])
            dem = _scaled_up(c.demand[self.nodes, d] * scale, exact)
            total = int(dem.sum()) + 1
            if shipped:
                # amounts rounded up at the pickup, the same integer unloaded at delivery
                amount = _scaled_up(np.abs(c.pd_load[self.nodes, d]) * scale, exact)
                moved = np.where(c.pickup[self.nodes], amount, -amount)
                total += int(amount[c.pickup[self.nodes]].sum())
            caps = []
            for k in self.vehicle_type:
                cap = float(c.capacity[k, d]) * scale
                caps.append(total if not math.isfinite(cap) else
                            min(total, int(round(cap) if exact else math.floor(cap + 1e-9))))
            if not shipped:  # cumul = delivered so far, from 0
                cb = routing.RegisterUnaryTransitVector(dem.tolist())
                routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
                continue
            # cumul = load on board: free at the start, -demand + pd_load per stop, 0 at
            # the end, so the start holds exactly the route's depot deliveries
            cb = routing.RegisterUnaryTransitVector((moved - dem).tolist())
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, f"load{d}")
            dim = routing.GetDimensionOrDie(f"load{d}")
            for v in range(len(self.vehicle_type)):
                dim.CumulVar(routing.End(v)).SetValue(0)

    def _time(self) -> None:
        c, s, routing = self.c, self.scaling, self.routing
        dur = c.travel.duration.max(axis=0)[np.ix_(self.nodes, self.nodes)]
        raw = (dur + c.service[self.nodes][:, None]) * s.time
        transit = (np.rint(raw) if s.time_exact else np.ceil(raw - 1e-9)).astype(np.int64)
        self.horizon = _horizon(c, self.nodes, transit, s)
        cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(cb, self.horizon, self.horizon, False, "time")
        self.time = dim = routing.GetDimensionOrDie("time")
        td = c.travel.time_dependent
        for v, k in enumerate(self.vehicle_type):
            lo, hi = self._up(float(c.shift[k, 0])), self._down(float(c.shift[k, 1]))
            start, end = dim.CumulVar(routing.Start(v)), dim.CumulVar(routing.End(v))
            start.SetRange(lo, lo if td else max(lo, hi))
            end.SetRange(lo, max(lo, hi))
            if math.isfinite(float(c.max_duration[k])):
                dim.SetSpanUpperBoundForVehicle(self._down(float(c.max_duration[k])), v)
            coef = int(round(float(c.cost_per_time[k]) * s.cost / s.time))
            if coef:
                dim.SetSpanCostCoefficientForVehicle(coef, v)
            routing.AddVariableMinimizedByFinalizer(end)
            routing.AddVariableMaximizedByFinalizer(start)
        for pos, node in enumerate(self.nodes):
            if node < c.n_depots:
                continue
            cumul = dim.CumulVar(self.manager.NodeToIndex(pos))
            windows = c.tw[node, : c.tw_count[node]]
            opens = [self._up(float(a)) for a, _ in windows]
            closes = [self._down(float(b)) for _, b in windows]
            cumul.SetRange(opens[0], max(opens[0], closes[-1]))
            for w in range(len(windows) - 1):
                if opens[w + 1] - 1 >= closes[w] + 1:
                    cumul.RemoveInterval(closes[w] + 1, opens[w + 1] - 1)

    def _up(self, value: float) -> int:
        if not math.isfinite(value):
            return self.horizon
        x = value * self.scaling.time
        return min(int(round(x) if self.scaling.time_exact else math.ceil(x - 1e-9)), self.horizon)

    def _down(self, value: float) -> int:
        if not math.isfinite(value):
            return self.horizon
        x = value * self.scaling.time
        return min(int(round(x) if self.scaling.time_exact else math.floor(x + 1e-9)),
                   self.horizon)

    # -- stops -----------------------------------------------------------------------
    def _stops(self, stops: list[int]) -> None:
        c, routing = self.c, self.routing
        big = self.big = _drop_penalty(c, self.nodes, self.scaling)
        n_vehicles = len(self.vehicle_type)
        for node in stops:
            index = self.manager.NodeToIndex(self.position[node])
            pair = [node] if c.pair[node] < 0 else [node, int(c.pair[node])]
            fits = [
                v for v, k in enumerate(self.vehicle_type)
                if not any(int(c.stop_skills[i]) & ~int(c.type_skills[k]) for i in pair)
                and np.all(c.demand[node] <= c.capacity[k] + 1e-6)
                and np.all(np.abs(c.pd_load[node]) <= c.capacity[k] + 1e-6)
            ]
            if len(fits) < n_vehicles:
                # SetAllowedVehiclesForIndex's Span binding is broken in 9.15: restrict
                # the vehicle variable directly (-1 = unperformed, the disjunction's way)
                routing.VehicleVar(index).SetValues([-1] + fits)
            if c.required[node] and not self.drop_required:
                continue
            penalty = big if c.required[node] else int(round(float(c.penalty[node])
                                                                * self.scaling.cost))
            routing.AddDisjunction([index], penalty)

    def _shipments(self, stops: list[int]) -> None:
        """Pickup-and-delivery pairs: same vehicle, pickup first, both or neither served."""
        c, routing, manager = self.c, self.routing, self.manager
        solver = routing.solver()
        order = None
        if not self.has_time:  # precedence needs a cumul that grows along the route
            cb = routing.RegisterUnaryTransitVector([1] * len(self.nodes))
            routing.AddDimension(cb, 0, len(self.nodes) + 1, True, "order")
            order = routing.GetDimensionOrDie("order")
        dim = self.time if self.has_time else order
        for node in stops:
            if not c.pickup[node]:
                continue
            p = manager.NodeToIndex(self.position[node])
            d = manager.NodeToIndex(self.position[int(c.pair[node])])
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
            solver.Add(dim.CumulVar(p) <= dim.CumulVar(d))

    # -- solving ---------------------------------------------------------------------
    def close(self, params, watch: _Watch) -> None:
        """Close the model and attach the watch (progress, pool, stop) to its search."""
        self.routing.CloseModelWithParameters(params)
        watch.model = self
        self.routing.AddAtSolutionCallback(watch.at_solution)
        self.routing.AddSearchMonitor(watch.monitor(self.routing.solver()))

    def read(self, result: EngineResult):
        """The warm start as an assignment, or None when this model rejects it."""
        assignment = self.routing.ReadAssignmentFromRoutes(self.vehicle_routes(result), True)
        if assignment is None:
            logger.info("ortools: warm start rejected by the %s model",
                        "drop" if self.drop_required else "strict")
        return assignment

    # -- solutions -------------------------------------------------------------------
    def vehicle_routes(self, result: EngineResult) -> list[list[int]]:
        """A warm start in OR-Tools nodes: each route goes to a free vehicle of its type."""
        free: dict[int, list[int]] = {}
        for v, k in enumerate(self.vehicle_type):
            free.setdefault(int(k), []).append(v)
        out: list[list[int]] = [[] for _ in self.vehicle_type]
        for k, nodes in result.routes:
            kept = [self.position[int(i)] for i in nodes if int(i) in self.position
                    and int(i) >= self.c.n_depots]
            if kept and free.get(int(k)):
                out[free[int(k)].pop(0)] = kept
        return out

    def extract(self, assignment: pywrapcp.Assignment) -> list[tuple[int, np.ndarray]]:
        routing, manager = self.routing, self.manager
        routes = []
        for v, k in enumerate(self.vehicle_type):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            nodes = []
            while not routing.IsEnd(index):
                nodes.append(int(self.nodes[manager.IndexToNode(index)]))
                index = assignment.Value(routing.NextVar(index))
            if nodes:
                routes.append((int(k), np.array(nodes, dtype=np.int64)))
        return routes

    def current_routes(self) -> list[tuple[int, list[int]]]:
        """Routes of the solution being reported (inside a solution callback)."""
        routing, manager = self.routing, self.manager
        out = []
        for v, k in enumerate(self.vehicle_type):
            index = routing.NextVar(routing.Start(v)).Value()
            nodes = []
            while not routing.IsEnd(index):
                nodes.append(int(self.nodes[manager.IndexToNode(index)]))
                index = routing.NextVar(index).Value()
            if nodes:
                out.append((int(k), nodes))
        return out


class _Watch:
    """Progress, route harvesting and cooperative stopping during the search."""

    def __init__(self, progress: ProgressCallback, stop: StopCriterion,
                 started: float, pool: object | None) -> None:
        self.model: _Model
        self.progress, self.stop = progress, stop
        self.started, self.pool = started, pool
        self.iterations = 0
        self.reason: str | None = None
        self._ticks = 0

    def at_solution(self) -> None:
        self.iterations += 1
        routing = self.model.routing
        objective = routing.CostVar().Value() / self.model.scaling.cost
        now = time.perf_counter() - self.started
        feasible = routing.CostVar().Value() < self.model.big
        self.progress(ProgressEvent(now, self.iterations, objective if feasible else math.inf,
                                    feasible))
        if self.pool is not None:  # every accepted GLS move is a solution here
            for k, nodes in self.model.current_routes():
                self.pool.add(k, nodes)  # type: ignore[attr-defined]
        self._check()

    def _check(self) -> None:
        if self.reason is None:
            self.reason = self.stop(self.iterations)
            if self.reason is not None:
                self.model.routing.CancelSearch()

    def monitor(self, solver: pywrapcp.Solver) -> pywrapcp.SearchMonitor:
        watch = self

        class _Monitor(pywrapcp.SearchMonitor):
            def AcceptNeighbor(self) -> None:  # noqa: N802 (OR-Tools' name)
                watch._ticks += 1
                if watch._ticks % 64 == 0:
                    watch._check()

            def LocalOptimum(self) -> bool:  # noqa: N802
                watch._check()
                return False

        self._monitor = _Monitor(solver)  # keep a reference for the search's lifetime
        return self._monitor


def _needs_time(c: CompiledProblem) -> bool:
    """A time dimension only when windows, shifts, durations or time costs matter."""
    windows = np.isfinite(c.tw[c.n_depots:, :, 1]).any() or (c.tw[c.n_depots:, :, 0] > 0).any()
    return bool(windows or np.isfinite(c.shift[:, 1]).any() or (c.shift[:, 0] > 0).any()
                or np.isfinite(c.max_duration).any() or (c.cost_per_time > 0).any())


def _scaling(c: CompiledProblem, nodes: np.ndarray, has_time: bool) -> _Scaling:
    dur = c.travel.duration.max(axis=0)[np.ix_(nodes, nodes)]
    times = np.concatenate([dur.ravel(), c.service, c.tw.ravel(), c.shift.ravel(),
                            c.max_duration])
    st, st_exact = exact_scale(times) if has_time else (1, True)
    dist = c.travel.distance[np.ix_(nodes, nodes)]
    costs = np.concatenate([(dist[None] * c.cost_per_distance[:, None, None]).ravel(),
                            c.fixed_cost, c.penalty])
    sd, _ = exact_scale(costs)
    m, _ = exact_scale(c.cost_per_time)
    cost = max(sd, st * m)
    dims = c.demand.shape[1]
    dscale = np.ones(dims, dtype=np.int64)
    dexact = np.ones(dims, dtype=bool)
    for d in range(dims):
        s, e = exact_scale(np.concatenate([c.demand[:, d], c.pd_load[:, d], c.capacity[:, d]]))
        dscale[d], dexact[d] = s, e
    # keep the objective far from int64 overflow (costs then round to coarser units)
    bound = float(np.nansum(np.where(np.isfinite(dist), dist, 0)).clip(1)
                  * max(1.0, float(c.cost_per_distance.max())))
    while cost > 1 and bound * cost * len(nodes) > _MAX_OBJECTIVE / 64:
        cost //= 10
    return _Scaling(st, st_exact, max(cost, 1), dscale, dexact)


def _horizon(c: CompiledProblem, nodes: np.ndarray, transit: np.ndarray, s: _Scaling) -> int:
    """A finite time bound: the latest finite limit plus one pass over every node."""
    finite = [v for v in np.concatenate([c.tw[nodes].ravel(), c.shift.ravel()])
              if math.isfinite(v)]
    latest = max(finite, default=0.0) * s.time
    return int(math.ceil(latest)) + int(transit.max(axis=1).sum()) + 1


def _drop_penalty(c: CompiledProblem, nodes: np.ndarray, s: _Scaling) -> int:
    """A penalty above any plan's cost, so required stops are dropped only if they must."""
    k_cost = (c.fixed_cost.max() + c.cost_per_distance.max()
              * 2 * np.nan_to_num(c.travel.distance[np.ix_(nodes, nodes)], posinf=0).max())
    if (c.cost_per_time > 0).any():
        k_cost += c.cost_per_time.max() * 2 * float(c.travel.duration.max()) * 10
    total = (float(k_cost) * len(nodes) + float(c.penalty.sum()) + 1.0) * s.cost
    return int(min(total * 10, _MAX_OBJECTIVE / (len(nodes) + 1)))


def _status_reason(options: SolveOptions, watch: _Watch, budget: float, started: float) -> str:
    if options.iteration_limit is not None and watch.iterations >= options.iteration_limit:
        return "iteration_limit"
    if time.perf_counter() - started >= budget * 0.98:
        return "time_limit"
    return "converged"


def _result(compiled: CompiledProblem, routes: list[tuple[int, np.ndarray]],
            impossible: dict[int, ReasonCode], iterations: int, stopped_by: str) -> EngineResult:
    """Repair any route the evaluator would reject, diagnose the left-out stops, price."""
    routes = [(k, _repair(compiled, k, nodes)) for k, nodes in routes]
    routes = [(k, nodes) for k, nodes in routes if len(nodes)]
    served = {int(i) for _, nodes in routes for i in nodes}
    left = [i for i in range(compiled.n_depots, compiled.n_nodes) if i not in served]
    unassigned = dict(impossible)
    unassigned.update(diagnose(compiled, [i for i in left if i not in impossible]))
    cost, _ = plan_cost(compiled, routes)
    return EngineResult(routes=routes, unassigned=unassigned, cost=cost,
                        iterations=iterations, stopped_by=stopped_by)


def _repair(compiled: CompiledProblem, k: int, nodes: Sequence[int]) -> np.ndarray:
    """Drop stops (a shipment's two together) until the route passes the evaluator's
    rules (rounding edge cases)."""
    nodes = [int(i) for i in nodes]

    def without(i: int) -> list[int]:
        gone = {i, int(compiled.pair[i])}
        return [j for j in nodes if j not in gone]

    while nodes and not check_route(compiled, k, nodes).feasible:
        for i in nodes:
            trial = without(i)
            if check_route(compiled, k, trial).feasible:
                break
        else:
            i, trial = nodes[-1], without(nodes[-1])
        logger.warning("ortools: stop node %d removed from a route the evaluator rejects", i)
        nodes = trial
    return np.array(nodes, dtype=np.int64)


def _scaled_up(raw: np.ndarray, exact: bool) -> np.ndarray:
    """Scaled demands as integers: exact, or rounded up (conservative)."""
    return (np.rint(raw) if exact else np.ceil(raw - 1e-9)).astype(np.int64)


register(OrToolsEngine())
