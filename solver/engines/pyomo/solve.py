"""The one solver entry point for every Pyomo model: HiGHS through ``appsi_highs``.

Why the solver stopped is checked before anything is loaded (Egret / oemof-solph
style): a model is only read back when HiGHS proved optimality or stopped on its limit
with an incumbent. ``highspy`` must stay below 1.15 while ``ortools`` 9.15 is loaded in
the same process (clashing HiGHS symbols; docs/ARCHITECTURE.md, known pitfalls).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

import pyomo.environ as pyo
from pyomo.contrib.appsi.base import TerminationCondition
from pyomo.contrib.appsi.solvers import Highs

from solver.errors import UnsupportedFeatureError

logger = logging.getLogger(__name__)


class MipStatus(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (within the gap asked for)
    FEASIBLE = "feasible"  # stopped on a limit with an incumbent loaded
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"  # stopped on a limit before any incumbent
    ERROR = "error"


@dataclass(frozen=True)
class MipOutcome:
    """Why HiGHS stopped, the incumbent's objective and the proven bound."""

    status: MipStatus
    objective: float  # inf when nothing was loaded
    bound: float  # -inf when unknown
    termination: str
    runtime_s: float

    @property
    def has_solution(self) -> bool:
        return self.status in (MipStatus.OPTIMAL, MipStatus.FEASIBLE)


def make_solver(time_limit: float, mip_gap: float = 1e-9, threads: int = 1,
                presolve: bool = True) -> Highs:
    """A persistent ``appsi_highs`` solver (reuse it to re-solve a model after cuts).

    ``presolve=False`` where a proof matters more than speed: HiGHS 1.14's MIP presolve
    returns sub-optimal points as optimal on some big-M models (ERGO-Code/HiGHS#3094,
    #3043; here an arc-flow model that skipped a required stop it could serve late)."""
    solver = Highs()
    if not solver.available():
        raise UnsupportedFeatureError("HiGHS (appsi_highs) is not available; install highspy<1.15")
    solver.config.load_solution = False
    solver.config.stream_solver = False
    solver.config.time_limit = max(float(time_limit), 0.01)
    solver.config.mip_gap = mip_gap
    solver.highs_options = {"threads": threads, "random_seed": 0,
                            "presolve": "on" if presolve else "off"}
    return solver


def solve_model(
    model: pyo.ConcreteModel,
    time_limit: float,
    *,
    mip_gap: float = 1e-9,
    solver: Highs | None = None,
    warmstart: bool = False,
    presolve: bool = True,
) -> MipOutcome:
    """Solve ``model`` with HiGHS; load the variables only when a solution is usable.

    ``warmstart`` hands the variables' current values to HiGHS as a MIP start;
    ``presolve`` applies to a solver made here (``make_solver``).
    """
    solver = solver if solver is not None else make_solver(time_limit, mip_gap,
                                                           presolve=presolve)
    solver.config.time_limit = max(float(time_limit), 0.01)
    solver.config.warmstart = warmstart
    started = time.perf_counter()
    results = solver.solve(model)
    runtime = time.perf_counter() - started
    term = results.termination_condition
    objective = results.best_feasible_objective
    bound = results.best_objective_bound
    bound = -math.inf if bound is None else float(bound)
    has_incumbent = objective is not None and math.isfinite(objective)
    if term == TerminationCondition.optimal:
        status = MipStatus.OPTIMAL
    elif term in (TerminationCondition.maxTimeLimit, TerminationCondition.maxIterations,
                  TerminationCondition.interrupted):
        status = MipStatus.FEASIBLE if has_incumbent else MipStatus.NO_SOLUTION
    elif term in (TerminationCondition.infeasible, TerminationCondition.infeasibleOrUnbounded):
        status = MipStatus.INFEASIBLE
    else:
        status = MipStatus.ERROR
    if status in (MipStatus.OPTIMAL, MipStatus.FEASIBLE):
        results.solution_loader.load_vars()
    else:
        objective = math.inf
        logger.debug("HiGHS stopped without a usable solution: %s", term)
    return MipOutcome(status, float(objective), bound, str(term), runtime)
