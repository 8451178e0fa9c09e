"""Per-arc travel reads: the dense matrices, or Euclidean distance from coordinates.

Every kernel reads travel through ``arc_dist``/``arc_dur``. With coordinate-only travel
(``inst.lazy``, see ``solver.travel.lazy``) the matrices are 1x1 placeholders and each arc
is computed from ``inst.xy`` with the rounding of ``solver.travel.euclidean`` (codes in
``ROUNDING_CODE``), giving the same numbers as the dense matrix. The branch on a flag that
never changes during a solve is predicted, so dense mode pays next to nothing.
"""

import numpy as np

from solver.engines.heuristic._jit import kernel

ROUNDING_CODE = {"exact": 0, "round": 1, "dimacs": 2, "ceil": 3}
ROUNDING_NAME = {code: name for name, code in ROUNDING_CODE.items()}


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


@kernel
def arc_dist(inst, a, b):
    if inst.lazy:
        return planar(inst, a, b)
    return inst.dist[a, b]


@kernel
def arc_dur(inst, a, b):
    """Static search duration of ``a -> b`` (distance / speed in coordinate-only mode)."""
    if inst.lazy:
        d = planar(inst, a, b)
        return d if inst.speed == 1.0 else d / inst.speed
    return inst.dur[a, b]
