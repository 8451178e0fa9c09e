"""Load an engine's code in a background thread while the caller reads its problem.

A cold process (a CLI run) pays, before its search can start, for importing the engine
(OR-Tools; Numba and the ILS kernel modules) and for loading the ILS kernels from Numba's
cache, each on its first call with its argument types. ``Preloader`` starts that work at
once in a daemon thread. The problem, once read, says which of it is needed: the kernels
only where ILS will run (``ils``; ``auto`` and ``ortools`` without shipments or
operating-day features, which ILS refuses), and only in the problem's variant (dense
matrices, or coordinate-only travel: the two compile to different kernels).

This moves no work out of a time limit: ``solver.pipeline.solve`` counts its limit from
its own call, and a kernel this thread is still loading when the solve needs it makes the
solve wait (Numba's compiler lock) inside the limit. What the thread saves is the time it
overlaps with the caller's own start-up (reading and checking the problem).
"""

from __future__ import annotations

import logging
import threading
import time

from solver.problem import Problem

logger = logging.getLogger(__name__)

ILS_NAMES = ("ils", "hgs")
ILS_USERS = ("auto", "ortools")  # run ILS when it supports the problem (main / seed)


class Preloader:
    """A daemon thread that imports ``engine`` at once and, once ``problem_read`` hands it
    the problem, loads the ILS kernels that problem needs, if any (module docstring)."""

    def __init__(self, engine: str, time_limit: float) -> None:
        self.engine, self.time_limit = engine, time_limit
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}  # step -> seconds after ``started`` it ended
        self.variant: str | None = None  # the kernels' variant loaded, None when not needed
        self._problem: Problem | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="routecast-preload",
                                        daemon=True)
        self._thread.start()

    def problem_read(self, problem: Problem) -> None:
        """Hand over the problem: the thread now loads the kernels it needs."""
        self._problem = problem
        self._ready.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread (tests, benchmarks); whether it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._load()
        except Exception:  # noqa: BLE001  (the solve loads what it needs itself)
            logger.warning("preloading engine %r failed; the solve loads it instead",
                           self.engine, exc_info=True)

    def _load(self) -> None:
        from solver.engines.catalog import FACTORIES, get_engine

        if self.engine not in FACTORIES:  # the solve names the unknown engine
            return
        get_engine(self.engine)
        self._mark("imported")
        self._ready.wait()
        assert self._problem is not None
        self.variant = kernel_variant(self._problem, self.engine, self.time_limit)
        if self.variant is not None:
            load_kernels(coordinates=self.variant == "coordinates")
            self._mark("kernels")

    def _mark(self, step: str) -> None:
        self.timings[step] = time.perf_counter() - self.started
        logger.debug("preload %s: %s after %.2f s", self.engine, step, self.timings[step])


def kernel_variant(problem: Problem, engine: str, time_limit: float) -> str | None:
    """``"dense"`` or ``"coordinates"``: the ILS kernels a solve of ``problem`` with
    ``engine`` calls; None when it calls none."""
    from solver.compile import compile_problem
    from solver.engines.catalog import get_engine
    from solver.travel.build import coordinate_only, node_coords
    from solver.travel.lazy import CoordinateTravel

    if engine not in ILS_NAMES + ILS_USERS:
        return None
    if engine == "ortools":
        from solver.engines.ortools import OrToolsParams

        seed = OrToolsParams()
        if seed.seed_engine not in ILS_NAMES or time_limit < seed.seed_min_s:
            return None
    if engine in ILS_USERS:  # what ILS refuses does not depend on travel: a placeholder
        placeholder = CoordinateTravel(node_coords(problem))
        if get_engine("ils").supports(compile_problem(problem, travel=placeholder)):
            return None
    return "coordinates" if coordinate_only(problem) else "dense"


def load_kernels(coordinates: bool) -> None:
    """Call every kernel the ILS engine calls from Python once, on a 10-stop problem with
    the same argument types as a real one of that travel variant (one iteration)."""
    from solver.compile import compile_problem
    from solver.engines.catalog import get_engine
    from solver.engines.progress import no_progress
    from solver.engines.stop import MaxIterations
    from solver.options import SolveOptions

    compiled = compile_problem(_tiny(), dense_limit=0 if coordinates else None)
    get_engine("ils").solve(compiled, SolveOptions(engine="ils", time_limit=60.0,
                                                   iteration_limit=1),
                            no_progress, MaxIterations(1))


def _tiny() -> Problem:
    """Ten stops on a ring around one depot, two vans, some with a time window."""
    stops = [{"id": f"s{i}", "location": {"x": 10.0 * (i % 4), "y": 7.0 * (i // 4)},
              "demand": [1.0 + i % 3], "service_time": 1.0,
              **({"time_windows": [{"start": 0.0, "end": 80.0}]} if i % 3 == 0 else {})}
             for i in range(1, 11)]
    return Problem.model_validate({
        "name": "preload",
        "depots": [{"id": "d", "location": {"x": 0.0, "y": 0.0},
                    "time_window": {"start": 0.0, "end": 500.0}}],
        "stops": stops,
        "vehicle_types": [{"id": "van", "count": 2, "capacity": [12.0], "start_depot": "d"}],
        "travel": {"kind": "euclidean", "rounding": "exact"},
    })
