"""Locks and disruption costs of a replan (``Problem.in_progress``) in the OR-Tools model.

- ``assignment``: the stop's vehicle variable is this vehicle (or -1: left out, which the
  evaluator reports as a broken lock);
- ``sequence``: a unit counting dimension ranks the visits; consecutive locked stops get
  increasing ranks (others may come in between);
- ``fixed``: ``NextVar`` of each locked stop is the next one (with no stops named, the
  route's start and end too);
- ``move_cost``: a dimension whose transit, per vehicle, is the scaled cost of leaving a
  stop served by another vehicle than in the reference; its span is paid;
- ``eta_cost``: a soft upper bound on the time cumul at the promised start plus the
  tolerance (a stop's soft window uses the same bound, so both together are refused).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from solver.errors import InvalidProblemError, UnsupportedFeatureError

if TYPE_CHECKING:
    from solver.engines.ortools.model import Model


def apply(m: Model) -> None:
    """Add the locks and disruption costs of ``m``'s problem, when it has any."""
    ip = m.c.problem.in_progress
    if ip is None:
        return
    names = [vt.vehicle_name(k) for vt in m.c.problem.vehicle_types for k in range(vt.count)]
    vehicle = {name: v for v, name in enumerate(names)}
    stop_node = m.c.stop_index()
    rank = None
    for k, lock in enumerate(ip.locks):
        where = f"in_progress.locks[{k}] ({lock.kind} on {lock.vehicle!r})"
        v = vehicle[lock.vehicle]
        indices = []
        for sid in ip.locked_stops(k):
            pos = m.position.get(stop_node[sid])
            index = None if pos is None else m.manager.NodeToIndex(pos)
            if index is None or not m.routing.VehicleVar(index).Contains(v):
                raise InvalidProblemError(f"stop {sid!r} cannot be served by {lock.vehicle!r} "
                                          "(skills, capacity or time windows)", where)
            m.routing.VehicleVar(index).SetValues([-1, v])
            indices.append(index)
        pairs = list(zip(indices, indices[1:], strict=False))
        if lock.kind == "sequence" and pairs:
            rank = rank or _rank(m)
            for a, b in pairs:
                m.routing.solver().Add(rank.CumulVar(a) < rank.CumulVar(b))
        elif lock.kind == "fixed":
            if lock.stops is None and indices:
                pairs = [(m.routing.Start(v), indices[0]), *pairs,
                         (indices[-1], m.routing.End(v))]
            for a, b in pairs:
                m.routing.solver().Add(m.routing.NextVar(a) == b)
    _moves(m, ip, names, stop_node)
    _etas(m, ip, stop_node)


def _rank(m: Model):
    m.routing.AddConstantDimension(1, m.c.n_nodes + 1, True, "lock_rank")
    return m.routing.GetDimensionOrDie("lock_rank")


def _moves(m: Model, ip, names: list[str], stop_node: dict[str, int]) -> None:
    cost = int(round(ip.disruption.move_cost * m.scaling.cost))
    if cost <= 0 or not ip.reference:
        return
    planned = {sid: vehicle for sid, (vehicle, _) in ip.promised().items()}
    index = {name: v for v, name in enumerate(names)}
    # per OR-Tools node: the index of its reference vehicle; -1: a depot or a stop not in
    # the reference (free anywhere), -2: a vehicle not in the fleet (moved by every one)
    ids = [None if node < m.c.n_depots else m.c.node_id(int(node)) for node in m.nodes]
    ref = np.array([-1 if sid not in planned else index.get(planned[sid], -2)
                    for sid in ids])
    callbacks = []
    for v in range(len(names)):
        values = np.where((ref != -1) & (ref != v), cost, 0)
        callbacks.append(m.routing.RegisterUnaryTransitVector(values.tolist()))
    m.routing.AddDimensionWithVehicleTransits(callbacks, 0, cost * (len(m.nodes) + 1), True,
                                              "moves")
    moves = m.routing.GetDimensionOrDie("moves")
    for v in range(len(names)):
        moves.SetSpanCostCoefficientForVehicle(1, v)


def _etas(m: Model, ip, stop_node: dict[str, int]) -> None:
    w = ip.disruption
    promised = {sid: eta for sid, (_, eta) in ip.promised().items() if eta is not None}
    if w.eta_cost <= 0 or not promised:
        return
    if not m.has_time:
        raise UnsupportedFeatureError("ortools: in_progress.disruption.eta_cost needs a "
                                      "timed problem (now > 0, windows or shifts)")
    coef = m.scaling.per_time_unit(w.eta_cost)
    for sid, eta in promised.items():
        node = stop_node.get(sid)
        pos = None if node is None else m.position.get(node)
        if pos is None:
            continue
        if m.c.late_cost[node] > 0:
            raise UnsupportedFeatureError(f"ortools: stop {sid!r} has a soft window and a "
                                          "promised time with eta_cost; use one of them")
        bound = m._down(eta + w.eta_tolerance) if math.isfinite(eta) else m.horizon
        m.time.SetCumulVarSoftUpperBound(m.manager.NodeToIndex(pos), bound, max(coef, 1))
