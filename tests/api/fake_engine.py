"""A tiny engine for API tests: nearest neighbour, then slow seeded 2-opt improvements.

As a plugin (``catalog.load_plugin``) this module adds ``fake-nn``. It honours the stop criterion between
iterations (about ``STEP_S`` each) and reports every improvement through ``progress``,
so tests control how long a job runs with ``time_limit`` / ``iteration_limit`` and can
cancel or kill it mid-solve. It is also a ``ROUTECAST_PLUGINS`` module for the
end-to-end tests, where it runs inside real worker processes.
"""

from __future__ import annotations

import math
import os
import sys
import time
import types

import numpy as np


def _guard_catalog() -> None:
    """Keep these tests independent of built-in engines that may be mid-development.

    With ``ROUTECAST_TEST_STUB_CATALOG=1`` (the end-to-end tests) the built-in engines are
    not imported at all, so worker processes start in a fraction of the time.
    """
    if os.environ.get("ROUTECAST_TEST_STUB_CATALOG") == "1":
        sys.modules.setdefault("solver.engines.catalog",
                               types.ModuleType("solver.engines.catalog"))
        return
    try:
        import solver.engines.catalog  # noqa: F401
    except Exception:  # noqa: BLE001
        sys.modules["solver.engines.catalog"] = types.ModuleType("solver.engines.catalog")


_guard_catalog()

from solver.compile import CompiledProblem  # noqa: E402
from solver.engines.base import EngineResult, RouteSink  # noqa: E402
from solver.engines.progress import ProgressCallback, ProgressEvent  # noqa: E402
from solver.engines.stop import StopCriterion  # noqa: E402
from solver.options import SolveOptions  # noqa: E402
from solver.solution import ReasonCode  # noqa: E402

STEP_S = 0.02
PID_DIR_ENV = "ROUTECAST_TEST_PID_DIR"


def _announce(problem_name: str) -> None:
    """For end-to-end tests: write this worker's pid to ``$ROUTECAST_TEST_PID_DIR/<name>.pid``
    so a test can SIGKILL the process that solves a given problem."""
    folder = os.environ.get(PID_DIR_ENV)
    if folder:
        with open(os.path.join(folder, f"{problem_name}.pid"), "w") as fh:
            fh.write(str(os.getpid()))


def _route_cost(dist: np.ndarray, depot: int, end: int, nodes: list[int]) -> float:
    path = [depot, *nodes, end]
    return float(sum(dist[a, b] for a, b in zip(path, path[1:], strict=False)))


class FakeNearestNeighbour:
    """Capacity-aware nearest neighbour over vehicle slots, then 2-opt until stopped."""

    name = "fake-nn"
    warm_starts = False

    def supports(self, compiled: CompiledProblem) -> str | None:
        return None

    def solve(self, compiled: CompiledProblem, options: SolveOptions,
              progress: ProgressCallback, stop: StopCriterion, *, initial: EngineResult | None = None,
              pool: RouteSink | None = None) -> EngineResult:
        started = time.perf_counter()
        _announce(compiled.problem.name)
        dist = compiled.travel.distance
        rng = np.random.default_rng(options.seed)
        left = set(range(compiled.n_depots, compiled.n_nodes))
        routes: list[tuple[int, list[int]]] = []
        for k in range(compiled.n_types):
            for _ in range(int(compiled.type_count[k])):
                load = np.zeros(compiled.demand.shape[1])
                cur, nodes = int(compiled.start_depot[k]), []
                while True:
                    fits = [i for i in left
                            if np.all(load + compiled.demand[i] <= compiled.capacity[k] + 1e-9)]
                    if not fits:
                        break
                    nxt = min(fits, key=lambda i: (dist[cur, i], i))
                    nodes.append(nxt)
                    load += compiled.demand[nxt]
                    left.discard(nxt)
                    cur = nxt
                if nodes:
                    rng.shuffle(nodes)  # start worse, so there is something to improve
                    routes.append((k, nodes))
        unassigned = {i: ReasonCode.NO_VEHICLE for i in sorted(left)}

        def cost() -> float:
            total = 0.0
            for k, nodes in routes:
                total += float(compiled.fixed_cost[k]) + float(compiled.cost_per_distance[k]) * \
                    _route_cost(dist, int(compiled.start_depot[k]), int(compiled.end_depot[k]),
                                nodes)
            return total + float(sum(compiled.penalty[i] for i in left))

        best = cost()
        iteration, reason = 0, None
        progress(ProgressEvent(time.perf_counter() - started, 0, best, True))
        while (reason := stop(iteration)) is None:
            iteration += 1
            time.sleep(STEP_S)
            if not routes:
                continue
            k, nodes = routes[int(rng.integers(len(routes)))]
            if len(nodes) < 2:
                continue
            i, j = sorted(int(x) for x in rng.choice(len(nodes), 2, replace=False))
            before = _route_cost(dist, int(compiled.start_depot[k]),
                                 int(compiled.end_depot[k]), nodes)
            nodes[i:j + 1] = nodes[i:j + 1][::-1]
            after = _route_cost(dist, int(compiled.start_depot[k]),
                                int(compiled.end_depot[k]), nodes)
            if after < before - 1e-9:
                best = cost()
                progress(ProgressEvent(time.perf_counter() - started, iteration, best, True))
            else:
                nodes[i:j + 1] = nodes[i:j + 1][::-1]
        return EngineResult(
            routes=[(k, np.asarray(nodes, dtype=np.int64)) for k, nodes in routes],
            unassigned=unassigned, cost=best if math.isfinite(best) else math.inf,
            iterations=iteration, stopped_by=reason,
        )


ENGINES = {"fake-nn": FakeNearestNeighbour}  # the plugin's engines (solver.engines.catalog)
