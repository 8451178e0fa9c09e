"""The set-partitioning step: recombine a pool of routes into the best plan it holds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solver.compile import CompiledProblem
from solver.engines.pyomo.build import build_set_partitioning, chosen_columns
from solver.engines.pyomo.pool import RoutePool
from solver.engines.pyomo.solve import MipOutcome, make_solver, solve_model

logger = logging.getLogger(__name__)

Plan = Sequence[tuple[int, Sequence[int]]]
_UNCHANGED = ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
              "check_for_new_or_removed_params", "check_for_new_objective",
              "update_constraints", "update_vars", "update_params", "update_named_expressions",
              "update_objective")


@dataclass(frozen=True)
class SetPartitioningOutcome:
    routes: list[tuple[int, np.ndarray]] | None  # None when HiGHS found nothing usable
    mip: MipOutcome
    columns: int


def set_partitioning(
    compiled: CompiledProblem, pool: RoutePool, time_limit: float, cover_required: bool = False,
    start: Plan | None = None,
) -> SetPartitioningOutcome:
    """The cheapest plan made of pool routes (each stop once, fleet counts respected).

    ``time_limit`` covers building the model and handing it to HiGHS too (HiGHS gets
    what is left, >= 0.05 s), so a step that must end by a deadline does.
    ``cover_required`` when the pool is known to hold a complete plan (see the builder).
    ``start``, a plan whose routes are all in the pool, is HiGHS's MIP start: a short
    time limit then still returns a plan at least as good (on X pools of 1,000-3,500
    routes HiGHS needs 0.1-0.7 CPU s to find one on its own).
    """
    began = time.perf_counter()
    columns = pool.columns()
    model = build_set_partitioning(compiled, columns, cover_required=cover_required)
    if start is not None:
        _set_start(model, start)
    solver = make_solver(time_limit)
    solver.set_instance(model)  # the hand-over to HiGHS: 0.1-0.4 s on X pools, under load
    for check in _UNCHANGED:  # nothing changes before the solve: skip appsi's model walk
        setattr(solver.update_config, check, False)
    left = max(time_limit - (time.perf_counter() - began), 0.05)
    outcome = solve_model(model, left, solver=solver, warmstart=start is not None)
    if not outcome.has_solution:
        logger.info("set partitioning: no solution (%s)", outcome.termination)
        return SetPartitioningOutcome(None, outcome, len(columns))
    routes = [(col.vehicle_type, np.array(col.nodes, dtype=np.int64))
              for col in chosen_columns(model)]
    return SetPartitioningOutcome(routes, outcome, len(columns))


def _set_start(model, start: Plan) -> None:
    """Variable values of ``start``: its columns chosen, the stops it leaves out skipped."""
    chosen = {(int(k), tuple(int(i) for i in nodes)) for k, nodes in start}
    served = {i for _, nodes in chosen for i in nodes}
    for r, col in enumerate(model.columns):
        model.y[r].set_value(int((col.vehicle_type, col.nodes) in chosen))
    for i in model.S:
        if not model.skip[i].fixed:
            model.skip[i].set_value(int(i not in served))


class BackgroundSetPartitioning:
    """Set partitioning in a second thread while an engine keeps searching and feeding
    the pool, so that the engine loses no time to it (``auto``'s concurrent mode).

    The thread sleeps until ``deadline - cap`` (``time.perf_counter`` seconds), then
    solves over a snapshot of the pool until ``deadline``, from the pool's incumbent (the
    best complete plan the engine offered so far; alone, HiGHS found worse plans than
    hgs's or none within 1 s on X pools of 1,300-1,900 routes). ``finish`` is the caller's
    side once the engine returned: the step starts at once if it has not yet (on the
    final pool, with the engine's plan as MIP start) or is called off, and the thread is
    joined, so none outlives the solve. Two cores are needed to gain: HiGHS releases the
    GIL, and so do the ``hgs`` kernels (``heuristic/_jit.py``); model building does not.
    """

    def __init__(self, compiled: CompiledProblem, pool: RoutePool, deadline: float,
                 cap: float) -> None:
        self._compiled, self._pool = compiled, pool
        self._deadline, self._cap = deadline, cap
        self._wake, self._lock = threading.Event(), threading.Lock()
        self._begun = self._called_off = False
        self._start: Plan | None = None
        self._cover = False
        self.began_at: float | None = None  # perf_counter time the snapshot was taken
        self.cpu_s = 0.0  # CPU time of the thread (model building + HiGHS)
        self.outcome: SetPartitioningOutcome | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="auto-setpart", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._wake.wait(max(self._deadline - self._cap - time.perf_counter(), 0.0))
        with self._lock:
            if self._called_off:
                return
            self._begun = True
            if self._start is None and self._pool.incumbent is not None:
                self._start, self._cover = self._pool.incumbent, True
        tick = time.thread_time()
        self.began_at = time.perf_counter()
        limit = min(self._deadline - self.began_at, self._cap)
        try:
            self.outcome = set_partitioning(self._compiled, self._pool, limit,
                                            cover_required=self._cover, start=self._start)
        except BaseException as exc:  # re-raised in the caller's thread by ``finish``
            self._error = exc
        finally:
            self.cpu_s = time.thread_time() - tick

    def finish(self, run: bool, start: Plan | None = None,
               cover_required: bool = False) -> SetPartitioningOutcome | None:
        """Start now (``run``) or call off a step that has not begun; join; the outcome.

        ``start`` and ``cover_required`` apply only to a step that had not begun.
        """
        with self._lock:
            if not self._begun:
                self._called_off = not run
                self._start, self._cover = start, cover_required
        self._wake.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.outcome
