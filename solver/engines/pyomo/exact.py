"""Engine ``exact``: the optimum of tiny instances, by a MIP or by enumerating routes.

Certifies the heuristics in tests: on static travel with one window per stop its
optimum is the optimum of the evaluator's cost (leaving required stops out only when no
plan can serve them, lexicographically first). Two exact models:

- the arc-flow MIP of ``build_exact_flow`` (up to ``MAX_STOPS``), with the
  operating-day terms of ``day_flow``: soft windows without a cost per time, overtime,
  route limits;
- route enumeration and set partitioning (up to ``MAX_ENUMERATED``) for what the MIP
  cannot model (``beyond_the_mip``): driver breaks, the driving-time rule, soft windows
  with a cost per time. ``enumerate_routes`` keeps every feasible route's cheapest
  order per (type, set of stops), priced by ``check_route`` (the evaluator's schedule,
  breaks placed optimally); routes are independent given the vehicles per type, so the
  cheapest partition of the stops into them, unserved optional stops at their penalty,
  is the optimum. Each required stop left out costs more than any plan's routes and
  penalties together (``_skip_cost``), so the fewest are left out first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from solver.compile import BREAK_FEATURES, SOFT_WINDOWS, WALK_FEATURES, CompiledProblem
from solver.diagnosis import diagnose, impossible_stops
from solver.engines.base import EngineResult, RouteSink
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.schedule import plan_cost
from solver.engines.stop import StopCriterion, remaining_seconds
from solver.errors import NoSolutionError
from solver.options import SolveOptions

if TYPE_CHECKING:  # Pyomo loads with the solve, not with the module (``solve``)
    from solver.engines.pyomo.pool import PoolRoute
    from solver.engines.pyomo.solve import MipOutcome

Routes = list[tuple[int, list[int]]]

MAX_STOPS = 10
# Route enumeration's worst case is wide windows on a type without breaks (its departure
# floats, so no prefix dominates another): 7 stops took 1.6 s, 8 stops 20-30 s (load 5.5
# on 2 cores); with breaks on every type 8 stops took 0.6-1.9 s.
MAX_ENUMERATED = 7


def beyond_the_mip(compiled: CompiledProblem) -> list[str]:
    """The features the arc-flow MIP does not model, by name (routes are enumerated):
    breaks and the driving rule, and soft windows with a cost per time (the MIP could
    delay a late visit to shorten a route, which the evaluator's departure never does)."""
    out = [f for f in compiled.day_features if f in BREAK_FEATURES]
    if (compiled.max_late > 0).any() and (compiled.cost_per_time > 0).any():
        out.append(f"{SOFT_WINDOWS} with cost_per_time")
    return out


class ExactEngine:
    name = "exact"
    warm_starts = False  # HiGHS proves the optimum; a start plan would not shorten that

    def supports(self, compiled: CompiledProblem) -> str | None:
        """Tiny (<= 10 stops; <= 7 with what only route enumeration models), static
        travel, one window per stop, no shipments; of the operating-day features all but
        a replan's locks and disruption costs, refused by their field names."""
        if compiled.n_clients > MAX_STOPS:
            return f"{compiled.n_clients} stops > {MAX_STOPS}"
        if compiled.travel.time_dependent:
            return "time-dependent travel"
        if (compiled.tw_count > 1).any():
            return "several time windows per stop (the duration model assumes one)"
        if compiled.has_shipments:
            return "shipments (pickup-and-delivery pairs)"
        missing = [f for f in compiled.day_features if f not in WALK_FEATURES + BREAK_FEATURES]
        if missing:
            return f"{', '.join(missing)} (not modelled)"
        enumerated = beyond_the_mip(compiled)
        if enumerated and compiled.n_clients > MAX_ENUMERATED:
            return (f"{compiled.n_clients} stops > {MAX_ENUMERATED} with "
                    f"{', '.join(enumerated)} (modelled by enumerating every route)")
        return None

    def solve(
        self, compiled: CompiledProblem, options: SolveOptions, progress: ProgressCallback,
        stop: StopCriterion, *, initial: EngineResult | None = None,
        pool: RouteSink | None = None,
    ) -> EngineResult:
        """Solve to optimality within the time limit (else the MIP's best incumbent; an
        enumeration cut short has none). Pyomo is imported here, not with the module:
        ``auto`` asks every tiny problem whether this engine supports it, and loading
        Pyomo (seconds in a cold process) to hear no would spend the budget of the engine
        that models the problem. HiGHS runs without presolve (``make_solver``)."""
        from solver.engines.pyomo.solve import MipStatus

        if beyond_the_mip(compiled):
            routes, outcome = _by_routes(compiled, options, stop)
        else:
            routes, outcome = _by_flow(compiled, options, stop)
        served = {i for _, nodes in routes for i in nodes}
        left = [i for i in range(compiled.n_depots, compiled.n_nodes) if i not in served]
        cost, _ = plan_cost(compiled, routes)
        progress(ProgressEvent(outcome.runtime_s, 1, cost, True))
        return EngineResult(
            routes=[(k, np.array(n, dtype=np.int64)) for k, n in routes],
            unassigned=diagnose(compiled, left),
            cost=cost,
            iterations=1,
            stopped_by="optimal" if outcome.status == MipStatus.OPTIMAL else "time_limit",
            stats={"lower_bound": max(outcome.bound, 0.0) if outcome.status == MipStatus.OPTIMAL
                   else outcome.bound, "mip_objective": outcome.objective},
        )


def _by_flow(compiled: CompiledProblem, options: SolveOptions,
             stop: StopCriterion) -> tuple[Routes, MipOutcome]:
    """The arc-flow MIP's routes and HiGHS's outcome."""
    from solver.engines.pyomo.build import build_exact_flow, exact_routes
    from solver.engines.pyomo.solve import solve_model

    model = build_exact_flow(compiled, impossible_stops(compiled))
    outcome = solve_model(model, remaining_seconds(stop, options.time_limit), presolve=False)
    if not outcome.has_solution:
        raise NoSolutionError(f"exact: HiGHS stopped without a solution ({outcome.termination})")
    return [(k, nodes) for k, nodes in exact_routes(model, compiled)], outcome


def _by_routes(compiled: CompiledProblem, options: SolveOptions,
               stop: StopCriterion) -> tuple[Routes, MipOutcome]:
    """Every feasible route (``enumerate_routes``, polling ``stop``), then the cheapest
    partition of the stops into them: its routes and HiGHS's outcome."""
    from solver.engines.pyomo.build import build_set_partitioning, chosen_columns
    from solver.engines.pyomo.pool import enumerate_routes
    from solver.engines.pyomo.solve import solve_model

    try:
        columns = enumerate_routes(compiled, expired=lambda: stop(0) is not None)
    except NoSolutionError as exc:
        raise NoSolutionError(f"exact: {exc}") from exc
    model = build_set_partitioning(compiled, columns, skip_required=_skip_cost(compiled, columns))
    outcome = solve_model(model, remaining_seconds(stop, options.time_limit), presolve=False)
    if not outcome.has_solution:
        raise NoSolutionError(f"exact: HiGHS stopped without a solution ({outcome.termination})")
    return [(col.vehicle_type, list(col.nodes)) for col in chosen_columns(model)], outcome


def _skip_cost(compiled: CompiledProblem, columns: Sequence[PoolRoute]) -> float:
    """More than any plan of ``columns`` costs (one route per stop at most, penalties of
    every optional stop): leaving one more required stop out never pays."""
    dearest = max((col.cost for col in columns), default=0.0)
    return float(10 * (compiled.n_clients * dearest + compiled.penalty.sum() + 1.0))
