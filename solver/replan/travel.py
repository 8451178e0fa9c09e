"""One travel build per replan: matrices built once over every location a replan
reads, and each problem's travel taken from them by location id.

A replan reads travel for three problems that share their locations: the parent (its
plan timed to promise ETAs), the day (its frozen prefixes and the whole day judged)
and the residual (solved; its position depots sit on stops). Learned travel costs
seconds per build, so a worker builds the union once (:func:`union`) and reads the
others off it (:func:`travel_for`): a cell depends only on its two locations (and the
slice), so a row and column taken from the union is the cell a build of the smaller
problem computes. Coordinate-only travel is built anew (it computes arcs when read).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from solver.problem import Problem
from solver.travel.base import TravelTensor
from solver.travel.build import Travel, build_travel, node_ids


def union(day: Problem, parent: Problem) -> Problem:
    """``day`` with the stops of ``parent`` it lacks (the cancelled ones): every location
    of both."""
    known = {s.id for s in day.stops}
    return day.model_copy(update={"stops": [*day.stops,
                                            *(s for s in parent.stops if s.id not in known)]})


def travel_for(problem: Problem, source: Problem, travel: Travel,
               alias: Mapping[str, str] | None = None) -> Travel:
    """``problem``'s travel read off ``travel`` (``source``'s, over its nodes); ``alias``
    names the source location of ids ``source`` lacks (a residual's position depots)."""
    if not isinstance(travel, TravelTensor):
        return build_travel(problem)
    alias = alias or {}
    at = {loc: k for k, loc in enumerate(node_ids(source))}
    index = np.array([at[alias.get(loc, loc)] for loc in node_ids(problem)], dtype=np.int64)
    if len(index) == travel.n_locations and (index == np.arange(len(index))).all():
        return travel

    def cut(m: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(m[:, index][:, :, index])

    return TravelTensor(
        distance=np.ascontiguousarray(travel.distance[np.ix_(index, index)]),
        duration=cut(travel.duration), slice_starts=travel.slice_starts,
        quantiles={q: cut(m) for q, m in travel.quantiles.items()},
        model_id=travel.model_id)
