"""The set-partitioning step: recombine a pool of routes into the best plan it holds."""

from __future__ import annotations

import logging
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
    compiled: CompiledProblem, pool: RoutePool, time_limit: float
) -> SetPartitioningOutcome:
    """The cheapest plan made of pool routes (each stop once, fleet counts respected)."""
    columns = pool.columns()
    model = build_set_partitioning(compiled, columns)
    outcome = solve_model(model, time_limit)
    if not outcome.has_solution:
        logger.info("set partitioning: no solution (%s)", outcome.termination)
        return SetPartitioningOutcome(None, outcome, len(columns))
    routes = [(col.vehicle_type, np.array(col.nodes, dtype=np.int64))
              for col in chosen_columns(model)]
    return SetPartitioningOutcome(routes, outcome, len(columns))
