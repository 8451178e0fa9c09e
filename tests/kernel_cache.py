"""Numba kernels compiled once per test run and shared by the xdist workers.

``ils``' kernels compile one specialisation per kind of instance they are handed (dense
or coordinate-only travel; without operating-day features, with them, with breaks; with
a replan's locks; routes that cost their distance alone, as on CVRP; the suite uses the
six in ``ILS_KINDS``): one to one and a half
minutes each on a fresh clone; the travel predictor's kernel takes some 20 s more. (One
kind for every day problem compiled two fewer, but made the day kernels 9-15 % slower:
``benchmarks/results/2026-12-06e_kernel-kinds-and-break-days.md``.) Two xdist workers that
reach the same one while the cache lacks it both compile it, and on a fresh clone they
did so for nearly every one. So under xdist the workers take the kinds of ``KINDS``
between them (each the next one no worker has taken, the costliest first), mark each
done, and wait for every mark before their first test; every kernel after that loads
from the cache. A run without xdist compiles (or loads: seconds) them all before its first
test too. ``ROUTECAST_TEST_SHARED_KERNELS=0`` skips it (for a quick test on a fresh
cache, where timed solves then get greedy plans).

Each ``ils`` kind is one tiny solve that reaches every kernel of its specialisation. A
kind the suite uses but ``ILS_KINDS`` lacks compiles where a test first needs it: a timed
solve there gets the greedy plan (a compilation does not fit a time limit,
``LazyIls.cold_start_s``), so keep the list complete.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from solver.compile import CompiledProblem
from solver.problem import (
    Break,
    Depot,
    EuclideanTravel,
    Location,
    MatrixTravel,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)

# How long a worker waits for the other workers' kinds: a loaded 2-core machine compiled a
# kind in up to ~3 minutes; a worker that died leaves its marks missing, and the wait
# then ends here (its kernels compile where tests need them).
WAIT_S = 900.0


def _problem(*, breaks: bool = False, soft: bool = False, replan: bool = False,
             coordinates: bool = False, open_shift: bool = False) -> Problem:
    breaks_ = [Break(id="b", earliest_start=0, latest_start=50, duration=5)] if breaks else []
    window = {"late_cost": 1.0, "time_windows": [TimeWindow(start=0, end=60)]} if soft else {}
    stops = [Stop(id=s, location=Location(x=x, y=0), **window) for s, x in (("S1", 1), ("S2", 2))]
    travel = (EuclideanTravel() if coordinates else
              MatrixTravel(locations=["D", "S1", "S2"],
                           distance=[[0, 1, 2], [1, 0, 1], [2, 1, 0]]))
    data = {"depots": [Depot(id="D", location=Location(x=0, y=0))], "stops": stops,
            "vehicle_types": [VehicleType(id="T", start_depot="D", breaks=breaks_, vehicle_ids=["v1"],
                                          shift=TimeWindow(start=0, end=math.inf if open_shift
                                                           else 100))],
            "travel": travel}
    if replan:
        data["in_progress"] = {"now": 0, "reference": [{"vehicle": "v1", "stops": ["S1"]}],
                               "locks": [{"kind": "assignment", "vehicle": "v1"}]}
    return Problem.model_validate(data)


def compiled_problem(features: dict[str, bool]) -> tuple[Problem, CompiledProblem]:
    """The tiny problem with ``features``, compiled (coordinate-only travel where asked)."""
    from solver.compile import compile_problem

    problem = _problem(**features)
    return problem, compile_problem(problem, dense_limit=0 if features.get("coordinates")
                                    else None)


def _ils(**features: bool) -> Callable[[], None]:
    """Solve the tiny problem with ``features`` with ``ils``, one iteration."""

    def run() -> None:
        from solver.options import SolveOptions
        from solver.pipeline import solve

        problem, compiled = compiled_problem(features)
        # the limit outlasts any compilation: a solve past it ends without a plan
        solve(problem, SolveOptions(engine="ils", iteration_limit=1, time_limit=3600),
              compiled=compiled)

    return run


def _predictor() -> None:
    from surrogate.matrix import load_predictor

    load_predictor()


# Kind -> the features of its tiny problem, the costliest compilations first (the
# workers' shares then come out even); and what compiles each kind.
ILS_FEATURES: dict[str, dict[str, bool]] = {
    "breaks": {"breaks": True},
    "day": {"soft": True},
    "replan": {"replan": True},
    "plain": {},
    "distance": {"open_shift": True},  # no time limit at all: SWAP* prices by arcs
    "coordinates": {"coordinates": True},
}
ILS_KINDS: dict[str, Callable[[], None]] = {
    kind: _ils(**features) for kind, features in ILS_FEATURES.items()}
KINDS: dict[str, Callable[[], None]] = {**ILS_KINDS, "predictor": _predictor}


def compile_kinds(kinds: Sequence[str]) -> None:
    """Compile (or load) each kind's kernels before anything is timed."""
    for kind in kinds:
        KINDS[kind]()


def share_between_workers() -> None:
    """Take the kinds no worker has taken yet, one at a time, compile each and mark it
    done, then wait for every other kind's mark (see the module docstring); without
    xdist, compile (or load) them all."""
    if os.environ.get("ROUTECAST_TEST_SHARED_KERNELS") == "0":
        return
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        compile_kinds(list(KINDS))
        return
    marks = Path(tempfile.gettempdir()) / f"routecast-kernels-{run}"
    marks.mkdir(exist_ok=True)
    for kind in KINDS:
        try:  # the first worker to create the claim compiles the kind
            (marks / f"{kind}.taken").touch(exist_ok=False)
        except FileExistsError:
            continue
        try:
            compile_kinds([kind])
        finally:  # a kind that fails errs this worker's tests, and frees the others
            (marks / f"{kind}.done").touch()
    deadline = time.monotonic() + WAIT_S
    while (time.monotonic() < deadline
           and not all((marks / f"{kind}.done").exists() for kind in KINDS)):
        time.sleep(0.5)
