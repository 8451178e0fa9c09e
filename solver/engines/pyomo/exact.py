"""Engine ``exact``: the arc-flow MIP of ``build_exact_flow`` for tiny instances.

Certifies the heuristics in tests: on static travel with one window per stop its
optimum is the optimum of the evaluator's cost (leaving required stops out only when no
plan can serve them, lexicographically first).
"""

from __future__ import annotations

import numpy as np

from solver.compile import SOFT_WINDOWS, WALK_FEATURES, CompiledProblem
from solver.diagnosis import diagnose, impossible_stops
from solver.engines.base import EngineResult, RouteSink
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.schedule import plan_cost
from solver.engines.stop import StopCriterion, remaining_seconds
from solver.errors import NoSolutionError
from solver.options import SolveOptions

MAX_STOPS = 10


class ExactEngine:
    name = "exact"
    warm_starts = False  # HiGHS proves the optimum; a start plan would not shorten that

    def supports(self, compiled: CompiledProblem) -> str | None:
        """Tiny (<= 10 stops), static travel, one window per stop, no shipments; of the
        operating-day features soft windows (without a cost per time), overtime and route
        limits (``day_flow``), the others refused by their field names."""
        if compiled.n_clients > MAX_STOPS:
            return f"{compiled.n_clients} stops > {MAX_STOPS}"
        if compiled.travel.time_dependent:
            return "time-dependent travel"
        if (compiled.tw_count > 1).any():
            return "several time windows per stop (the duration model assumes one)"
        if compiled.has_shipments:
            return "shipments (pickup-and-delivery pairs)"
        missing = [f for f in compiled.day_features if f not in WALK_FEATURES]
        if missing:
            return f"{', '.join(missing)} (not in the MIP)"
        if (compiled.max_late > 0).any() and (compiled.cost_per_time > 0).any():
            return (f"{SOFT_WINDOWS} with cost_per_time (the MIP could delay a late visit "
                    "to shorten a route)")
        return None

    def solve(
        self, compiled: CompiledProblem, options: SolveOptions, progress: ProgressCallback,
        stop: StopCriterion, *, initial: EngineResult | None = None,
        pool: RouteSink | None = None,
    ) -> EngineResult:
        """Solve the MIP to optimality within the time limit (else its best incumbent).
        Pyomo is imported here, not with the module: ``auto`` asks every tiny problem
        whether this engine supports it, and loading Pyomo (seconds in a cold process)
        to hear no would spend the budget of the engine that models the problem."""
        from solver.engines.pyomo.build import build_exact_flow, exact_routes
        from solver.engines.pyomo.solve import MipStatus, solve_model

        impossible = impossible_stops(compiled)
        model = build_exact_flow(compiled, impossible)
        outcome = solve_model(model, remaining_seconds(stop, options.time_limit))
        if not outcome.has_solution:
            raise NoSolutionError(f"exact: HiGHS stopped without a solution ({outcome.termination})")
        routes = [(k, nodes) for k, nodes in exact_routes(model, compiled)]
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

