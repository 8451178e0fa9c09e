"""Select and build the travel tensor a problem's ``travel`` spec asks for."""

from __future__ import annotations

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
from solver.travel.base import TravelTensor
from solver.travel.euclidean import euclidean_matrix
from solver.travel.haversine import haversine_matrix


def node_ids(problem: Problem) -> list[str]:
    """Location ids in compiled node order: depots first, then stops."""
    return [d.id for d in problem.depots] + [s.id for s in problem.stops]


def node_coords(problem: Problem) -> np.ndarray:
    """``[L, 2]`` coordinates in node order: (x, y) or (lat, lon)."""
    locs = [d.location for d in problem.depots] + [s.location for s in problem.stops]
    if locs[0].kind == "planar":
        return np.array([(p.x, p.y) for p in locs], dtype=np.float64).reshape(-1, 2)
    return np.array([(p.lat, p.lon) for p in locs], dtype=np.float64).reshape(-1, 2)


def build_travel(problem: Problem, models_dir: Path | None = None) -> TravelTensor:
    """The travel tensor for ``problem`` in node order.

    ``models_dir`` is the travel-model registry that learned travel reads.
    """
    spec = problem.travel
    coords = node_coords(problem)
    if isinstance(spec, EuclideanTravel):
        dist = euclidean_matrix(coords, spec.rounding)
        return TravelTensor.static(dist, dist / spec.speed if spec.speed != 1.0 else None)
    if isinstance(spec, HaversineTravel):
        dist = haversine_matrix(coords) * spec.detour_factor
        return TravelTensor.static(dist, dist / spec.speed)
    if isinstance(spec, MatrixTravel):
        return _explicit(problem, spec)
    if isinstance(spec, LearnedTravel):
        from solver.travel.learned import learned_travel  # the only bridge to surrogate/

        return learned_travel(problem, spec, coords, models_dir)
    raise InvalidProblemError(f"unsupported travel kind {spec.kind!r}", "travel.kind")


def _explicit(problem: Problem, spec: MatrixTravel) -> TravelTensor:
    position = {loc: k for k, loc in enumerate(spec.locations)}
    order = np.array([position[i] for i in node_ids(problem)], dtype=np.int64)
    dist = np.asarray(spec.distance, dtype=np.float64)[np.ix_(order, order)]
    dur = None
    if spec.duration is not None:
        dur = np.asarray(spec.duration, dtype=np.float64)[np.ix_(order, order)]
    return TravelTensor.static(dist, dur)
