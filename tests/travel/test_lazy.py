"""Coordinate-only travel gives the dense path's numbers, arc by arc and plan by plan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solver.compile import compile_problem
from solver.engines.heuristic._arcs import arc_dist, arc_dur
from solver.engines.heuristic._jit import kernel
from solver.engines.heuristic.instance import build_instance, with_neighbours
from solver.engines.heuristic.params import HeuristicParams
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import (
    Depot,
    EuclideanTravel,
    HaversineTravel,
    Location,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)
from solver.solution import Route, Solution
from solver.travel import CoordinateTravel, DenseTravelRequired, TravelTensor, build_travel
from solver.travel.euclidean import ROUNDING, euclidean_matrix
from tests.strategies import problems

DENSE, LAZY = 10**9, 0  # dense_limit values that force each mode

points = st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4)), min_size=1, max_size=12)
roundings = st.sampled_from(sorted(ROUNDING))
speeds = st.sampled_from([1.0, 2.5, 0.3])


def _problem(xy: np.ndarray, rounding: str = "exact", speed: float = 1.0,
             windows: bool = False, seed: int = 0) -> Problem:
    """One depot at ``xy[0]`` and a client at each other point."""
    rng = np.random.default_rng(seed)
    stops = []
    for k, (x, y) in enumerate(xy[1:]):
        start = float(rng.integers(0, 600)) if windows else 0.0
        stops.append(Stop(id=f"S{k}", location=Location(x=x, y=y), demand=[float(rng.integers(1, 10))],
                          time_windows=[TimeWindow(start=start, end=start + 400.0 if windows
                                                   else 1e5)],
                          service_time=5.0))
    return Problem(
        name="lazy", stops=stops,
        depots=[Depot(id="D", location=Location(x=xy[0, 0], y=xy[0, 1]),
                      time_window=TimeWindow(start=0, end=1e5))],
        vehicle_types=[VehicleType(id="V", count=len(stops), capacity=[40.0],
                                   start_depot="D")],
        travel=EuclideanTravel(rounding=rounding, speed=speed),
    )


def _random_problem(n: int, seed: int, **kwargs) -> Problem:
    xy = np.random.default_rng(seed).uniform(0, 1000, (n + 1, 2))
    return _problem(xy, seed=seed, **kwargs)


@given(points, roundings, speeds)
def test_arcs_match_the_dense_matrix(pts, rounding, speed):
    xy = np.array(pts, dtype=np.float64)
    lazy = CoordinateTravel(xy, rounding, speed)
    dist = euclidean_matrix(xy, rounding)
    n = len(xy)
    got = np.array([[lazy.arc_distance(i, j) for j in range(n)] for i in range(n)])
    np.testing.assert_array_equal(got, dist)
    dur = dist if speed == 1.0 else dist / speed
    np.testing.assert_array_equal(
        [[lazy.arc_duration(0, i, j) for j in range(n)] for i in range(n)], dur)
    assert lazy.max_distance() == dist.max()


@kernel
def _arc(inst, a, b):
    return arc_dist(inst, a, b), arc_dur(inst, a, b)


@given(points, roundings, speeds)
def test_kernel_accessors_match_the_dense_instance(pts, rounding, speed):
    xy = np.array(pts + [(0.5, 0.25)], dtype=np.float64)  # at least one client
    problem = _problem(xy, rounding, speed)
    params = HeuristicParams()
    dense = build_instance(compile_problem(problem, dense_limit=DENSE), params)
    lazy = build_instance(compile_problem(problem, dense_limit=LAZY), params)
    assert dense.xy is None and lazy.dist.shape == (1, 1)
    n = len(xy)
    for i in range(n):
        for j in range(n):
            assert _arc(lazy, i, j) == (dense.dist[i, j], dense.dur[i, j]) == _arc(dense, i, j)
    assert (lazy.longest_dist, lazy.longest_dur) == (dense.longest_dist, dense.longest_dur)


@given(problems(max_stops=8), roundings, speeds, st.randoms(use_true_random=False))
def test_evaluator_reports_are_identical(problem, rounding, speed, rnd):
    problem = problem.model_copy(update={"travel": EuclideanTravel(rounding=rounding,
                                                                   speed=speed)})
    ids = [s.id for s in problem.stops]
    rnd.shuffle(ids)
    types = [v.id for v in problem.vehicle_types]
    cuts = sorted(set(rnd.sample(range(1, len(ids) + 1), min(len(ids), 3))) | {len(ids)})
    routes = [Route(vehicle_type=rnd.choice(types), stops=ids[a:b])
              for a, b in zip([0, *cuts[:-1]], cuts, strict=True)]
    plan = Solution(routes=routes, unassigned=[])
    dense = evaluate(problem, plan, build_travel(problem, dense_limit=DENSE))
    lazy = evaluate(problem, plan, build_travel(problem, dense_limit=LAZY))
    assert dense == lazy


def test_mode_follows_the_size_limit():
    problem = _random_problem(5, seed=1)
    assert isinstance(build_travel(problem, dense_limit=6), TravelTensor)
    assert isinstance(build_travel(problem, dense_limit=5), CoordinateTravel)
    latlon = problem.model_copy(update={"travel": HaversineTravel()})
    assert isinstance(build_travel(latlon, dense_limit=LAZY), TravelTensor)


def test_hgs_gives_identical_results_in_both_modes():
    problem = _random_problem(40, seed=3, rounding="dimacs", speed=4.0, windows=True)
    options = SolveOptions(engine="hgs", iteration_limit=150, time_limit=600, seed=2)
    dense = solve(problem, options, compiled=compile_problem(problem, dense_limit=DENSE))
    lazy = solve(problem, options, compiled=compile_problem(problem, dense_limit=LAZY))
    assert isinstance(lazy.compiled.travel, CoordinateTravel)
    assert lazy.solution.routes == dense.solution.routes
    assert lazy.report == dense.report and lazy.report.complete


def test_kd_tree_neighbours_equal_the_dense_ones_without_windows():
    """Proximity is plain distance here, so the KD-tree's candidates hold the nearest."""
    problem = _random_problem(300, seed=4)
    params = HeuristicParams()
    insts = [build_instance(compile_problem(problem, dense_limit=m), params)
             for m in (DENSE, LAZY)]
    dense, lazy = (with_neighbours(i, i.active, params) for i in insts)
    np.testing.assert_array_equal(lazy.neigh, dense.neigh)


def test_dense_only_engine_refuses_with_a_clear_error():
    problem = _random_problem(6, seed=5)
    with pytest.raises(DenseTravelRequired, match="ortools needs a dense matrix; problem "
                                                  "has 7 locations in coordinate-only mode"):
        solve(problem, SolveOptions(engine="ortools", time_limit=1),
              compiled=compile_problem(problem, dense_limit=LAZY))


def test_auto_solves_coordinate_only_problems():
    problem = _random_problem(12, seed=6, speed=4.0, windows=True)
    out = solve(problem, SolveOptions(engine="auto", time_limit=1, seed=0),
                compiled=compile_problem(problem, dense_limit=LAZY))
    assert out.report.complete
    assert out.report == evaluate(problem, out.solution,
                                  build_travel(problem, dense_limit=DENSE))
