"""Problem -> CompiledProblem: the flat numpy arrays engines read.

This is the only place where positions (indices) are created. Node layout:
``0 .. n_depots-1`` are depots, ``n_depots .. n_nodes-1`` are stops in problem order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from solver.problem import Problem
from solver.travel.build import Travel, build_travel, node_coords

SOFT_WINDOWS = "soft time windows (late_cost/max_lateness)"
OVERTIME = "overtime (max_overtime/overtime_cost)"
# The day features a plain walk of a route prices (no breaks to place on its legs):
# what ``ils`` and ``exact`` model of ``CompiledProblem.day_features``.
WALK_FEATURES = (SOFT_WINDOWS, OVERTIME, "max_stops", "max_distance")
# The day features placed on a route's legs (``ils`` models them by a labelling).
BREAK_FEATURES = ("breaks", "driving-time rule (driving)")


@dataclass(frozen=True, eq=False)
class CompiledProblem:
    """Contiguous arrays for engines, plus the id maps to decode their results.

    Array axes: ``N`` nodes, ``D`` demand dimensions, ``W`` max windows per node,
    ``K`` vehicle types. Missing limits are ``inf``.
    """

    problem: Problem
    travel: Travel  # dense TravelTensor, or CoordinateTravel for large planar problems
    coords: np.ndarray  # float64 [N, 2]
    demand: np.ndarray  # float64 [N, D], depots 0
    service: np.ndarray  # float64 [N]
    tw: np.ndarray  # float64 [N, W, 2], padded by repeating the last window
    tw_count: np.ndarray  # int64 [N]
    required: np.ndarray  # bool [N], depots False
    penalty: np.ndarray  # float64 [N] cost of leaving an optional stop out
    stop_skills: np.ndarray  # int64 [N] bit mask of required skills
    type_count: np.ndarray  # int64 [K]
    capacity: np.ndarray  # float64 [K, D]
    start_depot: np.ndarray  # int64 [K] node index
    end_depot: np.ndarray  # int64 [K] node index
    shift: np.ndarray  # float64 [K, 2] earliest departure, latest return (depot hours included)
    fixed_cost: np.ndarray  # float64 [K]
    cost_per_distance: np.ndarray  # float64 [K]
    cost_per_time: np.ndarray  # float64 [K]
    max_duration: np.ndarray  # float64 [K]
    type_skills: np.ndarray  # int64 [K] bit mask of skills the type has
    pair: np.ndarray  # int64 [N] the shipment partner node of each node, -1 if none
    pd_load: np.ndarray  # float64 [N, D] +amount at a shipment's pickup, -amount at delivery
    pickup: np.ndarray  # bool [N] True at a shipment's pickup (amounts may all be 0)
    late_cost: np.ndarray  # float64 [N] cost per second past a stop's last window end
    max_late: np.ndarray  # float64 [N] allowed lateness (0: hard window)
    max_overtime: np.ndarray  # float64 [K] seconds a route may return past shift[:, 1]
    overtime_cost: np.ndarray  # float64 [K] per second of overtime
    max_stops: np.ndarray  # int64 [K] stops per route (n_clients when unlimited)
    max_distance: np.ndarray  # float64 [K] distance per route
    breaks: np.ndarray  # float64 [K, B, 3] earliest start, latest start, duration
    break_count: np.ndarray  # int64 [K]
    driving: np.ndarray  # float64 [K, 3] max driving, qualifying break duration (inf:
    #   none), driving since the last qualifying break at the route's start
    depot_ids: tuple[str, ...]
    stop_ids: tuple[str, ...]
    type_ids: tuple[str, ...]

    @property
    def n_depots(self) -> int:
        return len(self.depot_ids)

    @property
    def n_clients(self) -> int:
        return len(self.stop_ids)

    @property
    def n_nodes(self) -> int:
        return self.n_depots + self.n_clients

    @cached_property
    def has_shipments(self) -> bool:
        """Any pickup-and-delivery pair (``pair``/``pd_load`` then matter)."""
        return bool((self.pair >= 0).any())

    @property
    def n_types(self) -> int:
        return len(self.type_ids)

    @property
    def n_vehicles(self) -> int:
        return int(self.type_count.sum())

    @cached_property
    def day_features(self) -> tuple[str, ...]:
        """The operating-day features this problem uses, by their field names."""
        used = []
        checks = (
            (SOFT_WINDOWS, bool((self.max_late > 0).any() or (self.late_cost > 0).any())),
            (BREAK_FEATURES[0], bool((self.break_count > 0).any())),
            (BREAK_FEATURES[1], bool(np.isfinite(self.driving[:, 0]).any())),
            (OVERTIME, bool((self.max_overtime > 0).any() or (self.overtime_cost > 0).any())),
            ("max_stops", bool((self.max_stops < self.n_clients).any())),
            ("max_distance", bool(np.isfinite(self.max_distance).any())),
            ("locks (in_progress.locks)", bool(self.problem.in_progress is not None
                                               and self.problem.in_progress.locks)),
            ("disruption costs (in_progress.disruption)", bool(
                self.problem.in_progress is not None
                and (self.problem.in_progress.disruption.move_cost > 0
                     or self.problem.in_progress.disruption.eta_cost > 0))),
        )
        for name, present in checks:
            if present:
                used.append(name)
        return tuple(used)

    def node_id(self, node: int) -> str:
        d = self.n_depots
        return self.depot_ids[node] if node < d else self.stop_ids[node - d]

    def stop_index(self) -> dict[str, int]:
        """Stop id -> node index."""
        return {sid: self.n_depots + k for k, sid in enumerate(self.stop_ids)}

    def compatible(self) -> np.ndarray:
        """bool ``[N, K]``: may vehicle type ``k`` serve node ``i`` (skills only)."""
        need = self.stop_skills[:, None]
        return (need & ~self.type_skills[None, :]) == 0


def compile_problem(
    problem: Problem, travel: Travel | None = None, models_dir: Path | None = None,
    dense_limit: int | None = None, deadline: float | None = None,
) -> CompiledProblem:
    """Flatten ``problem`` (and build its travel unless one is given; ``dense_limit``
    and ``deadline``: see ``build_travel``)."""
    depots, stops, types = problem.depots, problem.stops, problem.vehicle_types
    n_dep, n = len(depots), len(depots) + len(stops)
    depot_pos = {d.id: k for k, d in enumerate(depots)}
    skill_bit = _skill_bits(problem)

    dims = problem.n_dims
    demand = np.zeros((n, dims))
    service = np.zeros(n)
    width = max([len(s.time_windows) for s in stops] + [1])
    tw = np.zeros((n, width, 2))
    tw_count = np.ones(n, dtype=np.int64)
    required = np.zeros(n, dtype=bool)
    penalty = np.zeros(n)
    stop_skills = np.zeros(n, dtype=np.int64)
    for k, d in enumerate(depots):
        tw[k, :] = (d.time_window.start, d.time_window.end)
    for k, s in enumerate(stops, start=n_dep):
        demand[k] = s.demand
        service[k] = s.service_time
        windows = [(w.start, w.end) for w in s.time_windows]
        tw[k, : len(windows)] = windows
        tw[k, len(windows) :] = windows[-1]
        tw_count[k] = len(windows)
        required[k] = s.required
        penalty[k] = s.penalty
        stop_skills[k] = _mask(s.skills, skill_bit)

    pair = np.full(n, -1, dtype=np.int64)
    pd_load = np.zeros((n, dims))
    pickup = np.zeros(n, dtype=bool)
    node_of = {s.id: k for k, s in enumerate(stops, start=n_dep)}
    for p in problem.shipments:
        a, b = node_of[p.pickup], node_of[p.delivery]
        pair[a], pair[b] = b, a
        pd_load[a], pd_load[b] = p.amount, [-x for x in p.amount]
        pickup[a] = True

    late_cost = np.zeros(n)
    max_late = np.zeros(n)
    for k, st in enumerate(stops, start=n_dep):
        late_cost[k], max_late[k] = st.late_cost, st.lateness_limit
    n_breaks = max([len(v.breaks) for v in types] + [0])
    breaks = np.zeros((len(types), n_breaks, 3))
    for k, v in enumerate(types):
        for b, brk in enumerate(v.breaks):
            breaks[k, b] = (brk.earliest_start, brk.latest_start, brk.duration)
    driving = np.array([(v.driving.max_driving, v.driving.break_duration,
                         v.driving.driven_at_start) if v.driving
                        else (np.inf, np.inf, 0.0) for v in types]).reshape(-1, 3)

    start = np.array([depot_pos[v.start_depot] for v in types], dtype=np.int64)
    end = np.array([depot_pos[v.end] for v in types], dtype=np.int64)
    shift = np.array(
        [
            (
                max(v.shift.start, depots[s].time_window.start),
                min(v.shift.end, depots[e].time_window.end),
            )
            for v, s, e in zip(types, start, end, strict=True)
        ]
    ).reshape(-1, 2)
    return CompiledProblem(
        problem=problem,
        travel=travel if travel is not None else build_travel(problem, models_dir, dense_limit,
                                                             deadline),
        coords=node_coords(problem),
        demand=demand,
        service=service,
        tw=tw,
        tw_count=tw_count,
        required=required,
        penalty=penalty,
        stop_skills=stop_skills,
        type_count=np.array([v.count for v in types], dtype=np.int64),
        capacity=np.array([v.capacity for v in types], dtype=np.float64).reshape(-1, dims),
        start_depot=start,
        end_depot=end,
        shift=shift,
        fixed_cost=np.array([v.fixed_cost for v in types]),
        cost_per_distance=np.array([v.cost_per_distance for v in types]),
        cost_per_time=np.array([v.cost_per_time for v in types]),
        max_duration=np.array([v.max_duration for v in types]),
        type_skills=np.array([_mask(v.skills, skill_bit) for v in types], dtype=np.int64),
        pair=pair,
        pd_load=pd_load,
        pickup=pickup,
        late_cost=late_cost,
        max_late=max_late,
        max_overtime=np.array([v.max_overtime for v in types]),
        overtime_cost=np.array([v.overtime_cost for v in types]),
        max_stops=np.array([min(v.max_stops or len(stops), len(stops)) for v in types],
                           dtype=np.int64),
        max_distance=np.array([v.max_distance for v in types]),
        breaks=breaks,
        break_count=np.array([len(v.breaks) for v in types], dtype=np.int64),
        driving=driving,
        depot_ids=tuple(d.id for d in depots),
        stop_ids=tuple(s.id for s in stops),
        type_ids=tuple(v.id for v in types),
    )


def _skill_bits(problem: Problem) -> dict[str, int]:
    names = sorted({sk for s in problem.stops for sk in s.skills})
    names += sorted({sk for v in problem.vehicle_types for sk in v.skills} - set(names))
    if len(names) > 62:
        from solver.errors import InvalidProblemError

        raise InvalidProblemError(f"at most 62 distinct skills are supported, got {len(names)}")
    return {name: k for k, name in enumerate(names)}


def _mask(skills: list[str], bit: dict[str, int]) -> int:
    out = 0
    for s in skills:
        out |= 1 << bit[s]
    return out
