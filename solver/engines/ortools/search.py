"""Search plumbing for the OR-Tools engine: parameters, progress, pool, stopping."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion

if TYPE_CHECKING:
    from solver.engines.ortools.model import Model


def search_parameters(strategy: str, seconds: float, solution_limit: int | None = None):
    """GLS after the ``strategy`` first solution, for ``seconds`` or ``solution_limit``."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(int(seconds * 1000), 10))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    return params


class Watch:
    """Progress, route harvesting and cooperative stopping during the search."""

    def __init__(self, progress: ProgressCallback, stop: StopCriterion,
                 started: float, pool: object | None) -> None:
        self.model: Model
        self.progress, self.stop = progress, stop
        self.started, self.pool = started, pool
        self.iterations = 0
        self.reason: str | None = None
        self._ticks = 0
        self.stalled = False
        self.reading = False  # ``Model.read``: the search ends at its first solution
        self._stall: tuple[float | None, int | None] = (None, None)
        self._best, self._since = math.inf, (0.0, 0)

    def stall_after(self, seconds: float | None = None, solutions: int | None = None) -> None:
        """Cancel the next search (``stalled`` set, ``reason`` not) once its best cost has
        not improved for ``seconds`` or ``solutions``; none given: never."""
        self.stalled, self._stall = False, (seconds, solutions)
        self._best, self._since = math.inf, (time.perf_counter(), self.iterations)

    def at_solution(self) -> None:
        self.iterations += 1
        routing = self.model.routing
        objective = routing.CostVar().Value() / self.model.scaling.cost
        now = time.perf_counter() - self.started
        feasible = routing.CostVar().Value() < self.model.big
        if objective < self._best * (1 - 1e-9):
            self._best, self._since = objective, (time.perf_counter(), self.iterations)
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
            elif not self.stalled and not self.reading and self._stalling():
                # (never a read: its search is no descent, and ending it loses the plan)
                self.stalled = True  # (CancelSearch would stick: later searches find nothing)
                self.model.routing.solver().FinishCurrentSearch()

    def _stalling(self) -> bool:
        seconds, solutions = self._stall
        since_t, since_i = self._since
        return ((seconds is not None and time.perf_counter() - since_t > seconds)
                or (solutions is not None and self.iterations - since_i > solutions))

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

            def AcceptSolution(self) -> bool:  # noqa: N802
                if watch.reading:
                    watch.model.routing.solver().FinishCurrentSearch()
                return True

        self._monitor = _Monitor(solver)  # keep a reference for the search's lifetime
        return self._monitor
