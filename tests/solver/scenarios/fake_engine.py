"""A tiny deterministic engine for scenario tests: seeded savings-free greedy insertion.

Its ``ENGINES`` add ``fake-greedy`` (and two more) as a plugin: spawned workers load it
(``local_executor(plugins=[__name__])``), so tests do not wait for the Numba engine.
"""

from __future__ import annotations

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.base import EngineResult, RouteSink
from solver.engines.progress import ProgressCallback, ProgressEvent
from solver.engines.stop import StopCriterion
from solver.options import SolveOptions
from solver.solution import ReasonCode

NAME = "fake-greedy"


class FakeGreedy:
    """Visits stops in a seeded random order, each appended to the route where it adds
    the least distance and fits (capacity, skills, windows by a static check)."""

    name = NAME
    warm_starts = False

    def supports(self, compiled: CompiledProblem) -> str | None:
        return None

    def solve(self, compiled: CompiledProblem, options: SolveOptions,
              progress: ProgressCallback, stop: StopCriterion, *, initial: EngineResult | None = None,
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
              progress: ProgressCallback, stop: StopCriterion, *, initial: EngineResult | None = None,
              pool: RouteSink | None = None) -> EngineResult:
        import time

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


ENGINES = {NAME: FakeGreedy, "fake-slow": FakeSlow, "fake-broken": FakeBroken}
