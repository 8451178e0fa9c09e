"""Fake engines for the tests, a plugin (``ENGINES``, for ``catalog.load_plugin``):
``fake-nn`` (API tests: nearest neighbour, then slow seeded 2-opt improvements) and ``fake-greedy``, ``fake-slow`` and
``fake-broken`` (scenario tests: deterministic and fast, so they do not wait for Numba).

``fake-nn`` honours the stop criterion between
iterations (about ``STEP_S`` each) and reports every improvement through ``progress``,
so tests control how long a job runs with ``time_limit`` / ``iteration_limit`` and can
cancel or kill it mid-solve. It is also a ``ROUTECAST_PLUGINS`` module for the
end-to-end tests, where it runs inside real worker processes.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult, RouteSink
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion
from solver.options import SolveOptions
from solver.solution import ReasonCode

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



GREEDY = "fake-greedy"


class FakeGreedy:
    """Visits stops in a seeded random order, each appended to the route where it adds
    the least distance and fits (capacity, skills, windows by a static check)."""

    name = GREEDY
    warm_starts = False

    def supports(self, compiled: CompiledProblem) -> str | None:
        return None

    def solve(self, compiled: CompiledProblem, options: SolveOptions,
              progress: ProgressCallback, stop: StopCriterion, *,
              initial: EngineResult | None = None,
              pool: RouteSink | None = None) -> EngineResult:
        rng = np.random.default_rng(options.seed)
        dist = compiled.travel.distance
        dur = compiled.travel.duration[0]
        order = rng.permutation(np.arange(compiled.n_depots, compiled.n_nodes))
        vehicles = [k for k in range(compiled.n_types) for _ in range(compiled.type_count[k])]
        routes: list[list[int]] = [[] for _ in vehicles]
        loads = [np.zeros(compiled.demand.shape[1]) for _ in vehicles]
        ends = [float(compiled.shift[k, 0]) for k in vehicles]
        unassigned: dict[int, ReasonCode] = {}
        for n, i in enumerate(order):
            if stop(n) == "cancelled":
                unassigned.update({int(j): ReasonCode.NO_VEHICLE for j in order[n:]})
                break
            best = None
            for r, k in enumerate(vehicles):
                if np.any(loads[r] + compiled.demand[i] > compiled.capacity[k] + 1e-9):
                    continue
                if compiled.stop_skills[i] & ~compiled.type_skills[k]:
                    continue
                last = routes[r][-1] if routes[r] else compiled.start_depot[k]
                arrive = ends[r] + dur[last, i]
                begin = max(arrive, compiled.tw[i, 0, 0])
                back = begin + compiled.service[i] + dur[i, compiled.end_depot[k]]
                if arrive > compiled.tw[i, 0, 1] or back > compiled.shift[k, 1]:
                    continue
                add = dist[last, i] + (compiled.fixed_cost[k] if not routes[r] else 0.0)
                if best is None or add < best[0]:
                    best = (add, r, begin + compiled.service[i])
            if best is None:
                unassigned[int(i)] = (ReasonCode.UNPROFITABLE if not compiled.required[i]
                                      else ReasonCode.NO_VEHICLE)
                continue
            _, r, leave = best
            routes[r].append(int(i))
            loads[r] = loads[r] + compiled.demand[i]
            ends[r] = leave
        out = [(k, np.array(nodes, dtype=np.int64)) for k, nodes in zip(vehicles, routes, strict=True)
               if nodes]
        progress(ProgressEvent(0.0, len(order), 0.0, True))
        return EngineResult(routes=out, unassigned=unassigned, cost=0.0,
                            iterations=len(order))




class FakeSlow:
    """Searches forever (sleeping), until the stop criterion says so; then returns empty."""

    name = "fake-slow"
    warm_starts = False

    def supports(self, compiled: CompiledProblem) -> str | None:
        return None

    def solve(self, compiled: CompiledProblem, options: SolveOptions,
              progress: ProgressCallback, stop: StopCriterion, *,
              initial: EngineResult | None = None,
              pool: RouteSink | None = None) -> EngineResult:
        n = 0
        while stop(n) is None:
            time.sleep(0.01)
            n += 1
            progress(ProgressEvent(0.01 * n, n, 1.0, True))
        return EngineResult(routes=[], unassigned={
            i: ReasonCode.NO_VEHICLE for i in range(compiled.n_depots, compiled.n_nodes)},
            cost=0.0, iterations=n, stopped_by=stop(n) or "converged")


class FakeBroken:
    """Fails on problems with more than 12 stops (a crash inside a worker)."""

    name = "fake-broken"
    warm_starts = False

    def supports(self, compiled: CompiledProblem) -> str | None:
        return None

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None,
              ) -> EngineResult:
        if compiled.n_clients > 12:
            raise RuntimeError("engine crashed")
        return FakeGreedy().solve(compiled, options, progress, stop)


# the plugin's engines (solver.engines.catalog.load_plugin)
ENGINES = {"fake-nn": FakeNearestNeighbour, GREEDY: FakeGreedy, "fake-slow": FakeSlow,
           "fake-broken": FakeBroken}
