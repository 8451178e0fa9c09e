"""PyVRP (Wouters et al. 2024) on the instance file itself, with its default ILS/HGS."""

from __future__ import annotations

import time
from pathlib import Path

from solver.problem import Problem
from solver.solution import Route, Solution

ROUNDING = {"round": "round", "dimacs": "dimacs", "exact": "exact"}


def available() -> bool:
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


class _MaxCpu:
    """PyVRP stop criterion: ``seconds`` of this process's CPU time from its creation."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start = seconds, time.process_time()

    def __call__(self, best_cost: float) -> bool:
        return time.process_time() - self.start >= self.seconds


def solve(path: Path, problem: Problem, budget: float, seed: int,
          cpu: bool = False) -> Solution:
    """Solve ``path`` for ``budget`` seconds (CPU seconds with ``cpu``); clients map to stop
    ids by file index."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    data = pyvrp.read(str(path), round_func=ROUNDING[problem.travel.rounding])
    stop = _MaxCpu(budget) if cpu else MaxRuntime(budget)
    result = pyvrp.solve(data, stop=stop, seed=seed, display=False)
    vtype = problem.vehicle_types[0].id
    first = data.num_depots  # a client activity counts clients only; locations start with depots
    routes = [Route(vehicle_type=vtype,
                    stops=[str(first + a.idx) for a in r.schedule() if a.is_client()])
              for r in result.best.routes()]
    return Solution(problem=problem.name, routes=routes)
