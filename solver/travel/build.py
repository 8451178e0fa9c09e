"""Select and build the travel tensor a problem's ``travel`` spec asks for."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from solver.errors import InvalidProblemError
from solver.problem import (
    EuclideanTravel,
    HaversineTravel,
    LearnedTravel,
    MatrixTravel,
    Problem,
)
from solver.td_travel import TimeDependentMatrixTravel, enforce_fifo
from solver.travel.base import TravelTensor
from solver.travel.euclidean import euclidean_matrix
from solver.travel.haversine import haversine_matrix
from solver.travel.lazy import CoordinateTravel

logger = logging.getLogger(__name__)

Travel = TravelTensor | CoordinateTravel

# Euclidean problems with more locations than this get coordinate-only travel: a dense
# float64 matrix of 2,000 locations is 32 MB (fine, and faster to read than computing
# each arc); of 10,000 it is 800 MB, with several times that in temporaries to build it.
DENSE_LIMIT = 2000


def node_ids(problem: Problem) -> list[str]:
    """Location ids in compiled node order: depots first, then stops."""
    return [d.id for d in problem.depots] + [s.id for s in problem.stops]


def node_coords(problem: Problem) -> np.ndarray:
    """``[L, 2]`` coordinates in node order: (x, y) or (lat, lon)."""
    locs = [d.location for d in problem.depots] + [s.location for s in problem.stops]
    if locs[0].kind == "planar":
        return np.array([(p.x, p.y) for p in locs], dtype=np.float64).reshape(-1, 2)
    return np.array([(p.lat, p.lon) for p in locs], dtype=np.float64).reshape(-1, 2)


def build_travel(
    problem: Problem, models_dir: Path | None = None, dense_limit: int | None = None,
    deadline: float | None = None,
) -> Travel:
    """The travel for ``problem`` in node order.

    ``models_dir`` is the travel-model registry that learned travel reads. Euclidean
    travel over more than ``dense_limit`` locations (default ``DENSE_LIMIT``) is
    coordinate-only; other kinds are always dense. ``deadline`` (``time.perf_counter``
    seconds) is when the solve's limit ends: learned travel, the one build that takes
    seconds, stops with ``NoSolutionError`` rather than pass it (``learned_travel``).
    """
    spec = problem.travel
    coords = node_coords(problem)
    limit = DENSE_LIMIT if dense_limit is None else dense_limit
    if isinstance(spec, EuclideanTravel) and len(coords) > limit:
        return CoordinateTravel(coords, spec.rounding, spec.speed)
    if isinstance(spec, EuclideanTravel):
        dist = euclidean_matrix(coords, spec.rounding)
        return TravelTensor.static(dist, dist / spec.speed if spec.speed != 1.0 else None)
    if isinstance(spec, HaversineTravel):
        dist = haversine_matrix(coords) * spec.detour_factor
        return TravelTensor.static(dist, dist / spec.speed)
    if isinstance(spec, MatrixTravel):
        return _explicit(problem, spec)
    if isinstance(spec, TimeDependentMatrixTravel):
        return _time_dependent(problem, spec)
    if isinstance(spec, LearnedTravel):
        from solver.travel.learned import learned_travel  # the only bridge to surrogate/

        return learned_travel(problem, spec, coords, models_dir, deadline)
    raise InvalidProblemError(f"unsupported travel kind {spec.kind!r}", "travel.kind")


def _node_order(problem: Problem, locations: list[str]) -> np.ndarray:
    """Index of each compiled node in a spec's ``locations``."""
    position = {loc: k for k, loc in enumerate(locations)}
    return np.array([position[i] for i in node_ids(problem)], dtype=np.int64)


def _explicit(problem: Problem, spec: MatrixTravel) -> TravelTensor:
    order = _node_order(problem, spec.locations)
    dist = np.asarray(spec.distance, dtype=np.float64)[np.ix_(order, order)]
    dur = None
    if spec.duration is not None:
        dur = np.asarray(spec.duration, dtype=np.float64)[np.ix_(order, order)]
    return TravelTensor.static(dist, dur)


def _time_dependent(problem: Problem, spec: TimeDependentMatrixTravel) -> TravelTensor:
    """The slices in node order; the first slice also covers departures before its start
    (the tensor's slices start at 0). No distance matrix means zero distances, which
    validation allows only when no vehicle type prices or bounds distance."""
    order = _node_order(problem, spec.locations)
    starts = spec.starts()
    duration = spec.durations()
    if spec.fifo == "enforce":
        duration, changed = enforce_fifo(starts, duration)
        if changed:
            logger.info("travel.fifo 'enforce': lowered %d of %d travel times to the "
                        "arrival of a later slice", changed, duration.size)
    dist = spec.distance()
    n = len(order)
    return TravelTensor(
        distance=np.zeros((n, n)) if dist is None else np.ascontiguousarray(
            dist[np.ix_(order, order)]),
        duration=np.ascontiguousarray(duration[:, order][:, :, order]),
        slice_starts=np.concatenate([[0.0], starts[1:]]),
    )
