"""Per-arc travel reads: the dense matrices, or Euclidean distance from coordinates;
and the time-dependent travel time of an arc (``arc_time``) the exact schedules use.

Every kernel reads travel through ``arc_dist``/``arc_dur``. With coordinate-only travel
(see ``solver.travel.lazy``) ``inst.xy`` holds the coordinates, the matrices are 1x1
placeholders and each arc is computed with the rounding of ``solver.travel.euclidean``
(codes in ``ROUNDING_CODE``), giving the same numbers as the dense matrix. With dense
travel ``inst.xy`` is None.

The mode is chosen at compile time from the type of ``inst.xy`` (Numba specialises every
kernel per instance type), not by a runtime flag: a branch in ``merge``, the hottest
kernel, cost 25-30 % of the dense local search's moves per second (X-n251, X-n401), since
the larger body no longer inlined where it did.
"""

import numpy as np
from numba import types
from numba.extending import overload

from solver.engines.heuristic._jit import kernel

ROUNDING_CODE = {"exact": 0, "round": 1, "dimacs": 2, "ceil": 3}
ROUNDING_NAME = {code: name for name, code in ROUNDING_CODE.items()}
_OPTIONS = {"_nrt": False}  # as every kernel (see _jit)


@kernel
def planar(inst, a, b):
    """``solver.travel.euclidean.euclidean`` for one arc, same operations in same order."""
    dx = inst.xy[a, 0] - inst.xy[b, 0]
    dy = inst.xy[a, 1] - inst.xy[b, 1]
    d = np.sqrt(dx * dx + dy * dy)
    r = inst.rounding
    if r == 1:
        return np.floor(d + 0.5)
    if r == 2:
        return np.floor(d * 10.0 + 1e-9) / 10.0
    if r == 3:
        return np.ceil(d - 1e-9)
    return d


def arc_dist(inst, a, b):
    """Distance of ``a -> b`` (kernels only: resolved by the overload below)."""
    raise NotImplementedError("arc_dist is a kernel helper")


def arc_dur(inst, a, b):
    """Static search duration of ``a -> b`` (distance / speed when coordinate-only)."""
    raise NotImplementedError("arc_dur is a kernel helper")


def _dense(inst) -> bool:
    return isinstance(inst.types[inst.fields.index("xy")], types.NoneType)


@overload(arc_dist, jit_options=_OPTIONS)
def _arc_dist(inst, a, b):
    if _dense(inst):
        return lambda inst, a, b: inst.dist[a, b]
    return lambda inst, a, b: planar(inst, a, b)


@overload(arc_dur, jit_options=_OPTIONS)
def _arc_dur(inst, a, b):
    if _dense(inst):
        return lambda inst, a, b: inst.dur[a, b]

    def lazy(inst, a, b):
        d = planar(inst, a, b)
        return d if inst.speed == 1.0 else d / inst.speed

    return lazy


@kernel
def arc_time(inst, i, j, depart):
    """Travel time of ``i -> j`` leaving at ``depart``: static (possibly coordinate-only)
    or integrated over the slices."""
    if inst.slice_starts.shape[0] == 1:
        return arc_dur(inst, i, j)
    return travel_time(inst.dur_td, inst.slice_starts, i, j, depart)


@kernel
def travel_time(dur_td, slice_starts, i, j, depart):
    """Arrival minus departure from ``i`` to ``j`` leaving at ``depart`` (FIFO-integrated)."""
    n_slices = dur_td.shape[0]
    if n_slices == 1:
        return dur_td[0, i, j]
    s = max(np.searchsorted(slice_starts, depart, side="right") - 1, 0)
    t = depart
    remaining = 1.0
    while True:
        d = dur_td[s, i, j]
        if d <= 0.0:
            return t - depart
        boundary = slice_starts[s + 1] if s + 1 < n_slices else np.inf
        if t + remaining * d <= boundary:
            return t + remaining * d - depart
        remaining -= (boundary - t) / d
        t = boundary
        s += 1
