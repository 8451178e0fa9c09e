"""The set-partitioning step: recombine a pool of routes into the best plan it holds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.pyomo.build import build_set_partitioning, chosen_columns
from solver.engines.pyomo.pool import RoutePool
from solver.engines.pyomo.solve import MipOutcome, solve_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetPartitioningOutcome:
    routes: list[tuple[int, np.ndarray]] | None  # None when HiGHS found nothing usable
    mip: MipOutcome
    columns: int


def set_partitioning(
    compiled: CompiledProblem, pool: RoutePool, time_limit: float, cover_required: bool = False,
    start: Sequence[tuple[int, Sequence[int]]] | None = None,
) -> SetPartitioningOutcome:
    """The cheapest plan made of pool routes (each stop once, fleet counts respected).

    ``cover_required`` when the pool is known to hold a complete plan (see the builder).
    ``start``, a plan whose routes are all in the pool, is HiGHS's MIP start: a short
    time limit then still returns a plan at least as good (on X pools of 1,000-3,500
    routes HiGHS needs 0.1-0.7 CPU s to find one on its own).
    """
    columns = pool.columns()
    model = build_set_partitioning(compiled, columns, cover_required=cover_required)
    if start is not None:
        _set_start(model, start)
    outcome = solve_model(model, time_limit, warmstart=start is not None)
    if not outcome.has_solution:
        logger.info("set partitioning: no solution (%s)", outcome.termination)
        return SetPartitioningOutcome(None, outcome, len(columns))
    routes = [(col.vehicle_type, np.array(col.nodes, dtype=np.int64))
              for col in chosen_columns(model)]
    return SetPartitioningOutcome(routes, outcome, len(columns))


def _set_start(model, start: Sequence[tuple[int, Sequence[int]]]) -> None:
    """Variable values of ``start``: its columns chosen, the stops it leaves out skipped."""
    chosen = {(int(k), tuple(int(i) for i in nodes)) for k, nodes in start}
    served = {i for _, nodes in chosen for i in nodes}
    for r, col in enumerate(model.columns):
        model.y[r].set_value(int((col.vehicle_type, col.nodes) in chosen))
    for i in model.S:
        if not model.skip[i].fixed:
            model.skip[i].set_value(int(i not in served))
