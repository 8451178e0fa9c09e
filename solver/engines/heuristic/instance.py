"""CompiledProblem -> the kernels' flat Instance, State and Work tuples.

Also decides, per stop, whether any vehicle could serve it alone; stops that no single
round trip can serve are left out of the search with their reason code.
"""

from __future__ import annotations

import mmap

import numpy as np

from solver.compile import BREAK_FEATURES, WALK_FEATURES, CompiledProblem
from solver.engines.heuristic._arcs import ROUNDING_CODE, ROUNDING_NAME
from solver.engines.heuristic._legs import LABEL_FIELDS
from solver.engines.heuristic._schedule import route_schedule
from solver.engines.heuristic._state import Day, Instance, Legs, State, Work
from solver.engines.heuristic.params import HeuristicParams
from solver.engines.heuristic.replan import replan_arrays
from solver.solution import ReasonCode
from solver.travel.lazy import CoordinateTravel

EPS = 1e-6


def build_instance(compiled: CompiledProblem, params: HeuristicParams) -> Instance:
    """Flatten ``compiled``; every client starts active (see ``unservable``)."""
    c = compiled
    n, k = c.n_nodes, c.n_types
    travel = _travel_arrays(c)
    last = last_close(c)
    compat = c.compatible()
    slots = np.minimum(c.type_count, max(c.n_clients, 1))
    route_type = np.repeat(np.arange(k, dtype=np.int64), slots)
    scale = float(np.max(c.fixed_cost + c.cost_per_distance * 2 * travel["max_dist"]
                         + c.cost_per_time * (2 * travel["max_dur_td"] + c.service.max())))
    big = 1e3 * (1.0 + scale)  # leaving a required client out costs more than any route
    penalty = np.where(c.required, big, c.penalty)
    active = np.zeros(n, dtype=bool)
    active[c.n_depots:] = True
    replan = replan_arrays(c)
    day = day_arrays(c, replan is not None)
    exact = bool(c.tw_count.max() > 1 or c.travel.time_dependent or day is not None)
    timed = bool(c.cost_per_time.any())
    bound = travel["symmetric"] and (not timed or travel["static_symmetric_time"])
    return Instance(
        dist=travel["dist"],
        dur=travel["dur"],
        xy=None if c.travel.dense else np.ascontiguousarray(c.coords, dtype=np.float64),
        rounding=ROUNDING_CODE[getattr(c.travel, "rounding", "exact")],
        speed=float(getattr(c.travel, "speed", 1.0)),
        longest_dist=travel["max_dist"],
        longest_dur=travel["max_dur"],
        service=c.service.astype(np.float64),
        tw_early=np.ascontiguousarray(c.tw[:, 0, 0]),
        tw_late=np.ascontiguousarray(last if day is None else last + c.max_late),
        demand=np.ascontiguousarray(c.demand, dtype=np.float64),
        capacity=np.ascontiguousarray(c.capacity, dtype=np.float64),
        start_depot=c.start_depot.astype(np.int64),
        end_depot=c.end_depot.astype(np.int64),
        shift_early=np.ascontiguousarray(c.shift[:, 0]),
        shift_late=np.ascontiguousarray(c.shift[:, 1] if day is None
                                        else c.shift[:, 1] + c.max_overtime),
        fixed=c.fixed_cost.astype(np.float64),
        cost_dist=c.cost_per_distance.astype(np.float64),
        cost_time=c.cost_per_time.astype(np.float64),
        max_dur=c.max_duration.astype(np.float64),
        compat=np.ascontiguousarray(compat),
        optional=~c.required & (np.arange(n) >= c.n_depots),
        penalty=penalty.astype(np.float64),
        active=active,
        neigh=np.full((n, 1), -1, dtype=np.int64),
        route_type=route_type,
        tw=np.ascontiguousarray(c.tw, dtype=np.float64),
        tw_count=c.tw_count.astype(np.int64),
        dur_td=travel["dur_td"],
        slice_starts=np.ascontiguousarray(c.travel.slice_starts, dtype=np.float64),
        exact=exact,
        skills=bool(not compat[c.n_depots:].all()),
        bound=bound,
        time_bound=timed and bound,
        swap_star=params.star_neighbours if params.star_with_windows or not windows_bind(c) else 0,
        star_max_pairs=params.star_max_pairs,
        distance_only=True if not exact and time_free(c) else None,
        day=day,
        replan=replan,
    )


def day_arrays(c: CompiledProblem, replan: bool = False) -> Day | None:
    """The day's arrays for the exact schedule, or None when the problem uses none of
    ``WALK_FEATURES`` and ``BREAK_FEATURES`` (the kernels then compile without them). A
    ``replan`` (locks or disruption costs) has them too: its disruption is priced by the
    exact schedule only, which the day's variants of the screens and bounds in ``_day``
    allow for."""
    if not set(c.day_features) & set(WALK_FEATURES + BREAK_FEATURES) and not replan:
        return None
    legs = None
    if set(c.day_features) & set(BREAK_FEATURES):
        width = LABELS_PER_BREAK * (int(c.break_count.max()) + 1)
        legs = Legs(
            breaks=np.ascontiguousarray(c.breaks, dtype=np.float64).reshape(
                c.n_types, -1, 3),
            break_count=c.break_count.astype(np.int64),
            driving=np.ascontiguousarray(c.driving, dtype=np.float64),
            labels=np.zeros((TRAIL_SLOTS, c.n_clients + 2, width + 2, LABEL_FIELDS)),
            trail=np.zeros((TRAIL_SLOTS + 1, c.n_clients + 3), dtype=np.int64),
        )
    return Day(
        late_cost=c.late_cost.astype(np.float64),
        max_late=c.max_late.astype(np.float64),
        shift_end=np.ascontiguousarray(c.shift[:, 1], dtype=np.float64),
        max_overtime=c.max_overtime.astype(np.float64),
        overtime_cost=c.overtime_cost.astype(np.float64),
        max_stops=c.max_stops.astype(np.int64),
        max_distance=c.max_distance.astype(np.float64),
        legs=legs,
    )


# Labels kept per leg, per break a type may take (and one more for none): the evaluator's
# labelling keeps the undominated schedules per number of breaks taken, rarely more than
# a few each; past this bound ``_legs`` drops labels (a valid, maybe costlier, schedule).
LABELS_PER_BREAK = 16
# Rows whose labels ``_legs`` keeps to resume from: the route a client leaves, the routes
# it may join, and one for the rest.
TRAIL_SLOTS = 3


def _travel_arrays(c: CompiledProblem) -> dict:
    """The matrices the kernels read, their maxima, whether the distances are symmetric
    and whether the travel times are static and symmetric (the move bounds need that
    where time is priced, ``_moves.prune_limit``); with coordinate-only travel 1x1
    placeholders (``_arcs`` computes each arc) and maxima from the hull."""
    if not c.travel.dense:
        max_dist, max_dur = c.travel.max_distance(), c.travel.max_duration()
        return {"dist": np.zeros((1, 1)), "dur": np.zeros((1, 1)),
                "dur_td": np.zeros((1, 1, 1)), "max_dist": max_dist, "max_dur": max_dur,
                "max_dur_td": max_dur, "symmetric": True, "static_symmetric_time": True}
    dur_td = np.ascontiguousarray(c.travel.duration, dtype=np.float64)
    dist = np.ascontiguousarray(c.travel.distance, dtype=np.float64)
    dur = search_durations(c, dur_td)
    return {"dist": dist, "dur": dur, "dur_td": dur_td, "max_dist": float(dist.max()),
            "max_dur": float(dur.max()), "max_dur_td": float(dur_td.max()),
            "symmetric": bool(np.array_equal(dist, dist.T)),
            "static_symmetric_time": dur_td.shape[0] == 1 and bool(np.array_equal(dur, dur.T))}


def last_close(c: CompiledProblem) -> np.ndarray:
    """Each node's latest time to start service: the close of its last window."""
    return c.tw[np.arange(c.n_nodes), c.tw_count - 1, 1]


def time_free(c: CompiledProblem) -> bool:
    """Whether time can neither cost nor violate anything: no cost per time, no window
    closing, shift end or duration limit (a route then costs its fixed cost plus its
    distance, and SWAP* prices by arcs, ``_swapstar``)."""
    return bool(not c.cost_per_time.any() and np.isinf(last_close(c)[c.n_depots:]).all()
                and np.isinf(c.shift[:, 1]).all() and np.isinf(c.max_duration).all())


def windows_bind(c: CompiledProblem) -> bool:
    """Whether some client's windows are narrower than the fleet's shifts."""
    clients = slice(c.n_depots, None)
    last = last_close(c)[clients]
    return bool(np.any(c.tw[clients, 0, 0] > c.shift[:, 0].min())
                or np.any(last < c.shift[:, 1].max()) or np.any(c.tw_count[clients] > 1))


def search_durations(c: CompiledProblem, dur_td: np.ndarray) -> np.ndarray:
    """The static durations the search prices moves with.

    With one slice, that slice. With time-dependent travel, each arc ``i -> j`` gets the
    mean of its slice durations weighted by how much of each slice lies in the times a
    vehicle can leave ``i``: service end within ``i``'s windows (the shift for a depot),
    clipped to the fleet's shifts. Slice 0 alone (often the night) would make the search
    plan with free-flow times it never meets; the exact schedule still judges every move
    (``_moves.try_apply``).
    """
    if dur_td.shape[0] == 1:
        return np.ascontiguousarray(dur_td[0])
    starts = np.asarray(c.travel.slice_starts, dtype=np.float64)
    lo, hi = float(c.shift[:, 0].min()), float(c.shift[:, 1].max())
    hi = min(hi, max(lo, 2 * starts[-1] - starts[-2]))  # an open shift: the last slice once
    n = c.n_nodes
    first = np.where(np.arange(n) < c.n_depots, lo, c.tw[:, 0, 0] + c.service)
    last = np.where(np.arange(n) < c.n_depots, hi, last_close(c) + c.service)
    a = np.clip(first, lo, hi)
    b = np.maximum(np.clip(last, lo, hi), a)
    ends = np.append(starts[1:], np.inf)
    overlap = np.clip(np.minimum(b[:, None], ends) - np.maximum(a[:, None], starts), 0.0, None)
    point = overlap.sum(axis=1) <= 0.0  # a single instant: the slice it falls in
    overlap[point, np.searchsorted(starts, a[point], side="right") - 1] = 1.0
    weights = overlap / overlap.sum(axis=1, keepdims=True)
    return np.ascontiguousarray(np.einsum("is,sij->ij", weights, dur_td))


def unservable(inst: Instance, n_depots: int) -> dict[int, str]:
    """Reason code of every stop that no vehicle type can serve even alone."""
    reasons: dict[int, str] = {}
    row = np.zeros(1, dtype=np.int64)
    holds = np.all(inst.demand[:, None, :] <= inst.capacity[None] + EPS, axis=2)  # [N, K]
    for i in range(n_depots, inst.demand.shape[0]):
        if not inst.compat[i].any():
            reasons[i] = ReasonCode.SKILL
            continue
        fits = np.flatnonzero(inst.compat[i] & holds[i])
        if not fits.size:
            reasons[i] = ReasonCode.CAPACITY
            continue
        row[0] = i
        lateness, limits, breaks = [], [], []
        for t in fits:
            _, _, _, _, late, over, dur_over, limit, brk = route_schedule(inst, int(t), row, 1)
            if late == 0.0 and over == 0.0 and dur_over == 0.0 and limit == 0.0 and brk == 0.0:
                break
            lateness.append(late)
            limits.append(limit)
            breaks.append(brk)
        else:
            reasons[i] = (ReasonCode.TIME_WINDOW if min(lateness) > 0 else
                          ReasonCode.ROUTE_LIMIT if min(limits) > 0 else
                          ReasonCode.BREAK if min(breaks) > 0 else ReasonCode.SHIFT)
    return reasons


def with_neighbours(inst: Instance, active: np.ndarray, params: HeuristicParams) -> Instance:
    """Set ``active`` and the granular neighbours: the ``k`` closest active clients by a
    proximity that adds weighted waiting and time warp to the distance (PyVRP, after
    Vidal et al. 2013, sec. 4.1), made symmetric by the minimum of both directions.

    Dense travel ranks every pair. Coordinate-only travel ranks each client's
    ``CANDIDATES x k`` nearest by plain distance (a KD-tree), so memory stays O(n k):
    waiting and warp can only push a pair down the ranking, rarely up from that far.
    """
    n = inst.demand.shape[0]
    idx = np.flatnonzero(active)
    width = max(min(params.n_neighbours, idx.size - 1), 1)
    neigh = np.full((n, width), -1, dtype=np.int64)
    if idx.size > 1:
        rows = idx[:, None]
        cols = _candidates(inst, idx, CANDIDATES * width)
        prox = np.minimum(_proximity(inst, params, rows, cols),
                          _proximity(inst, params, cols, rows))
        prox[cols == rows] = np.inf
        part = np.argpartition(prox, width - 1, axis=1)[:, :width]
        order = np.take_along_axis(prox, part, axis=1).argsort(axis=1, kind="stable")
        neigh[idx] = np.take_along_axis(cols, np.take_along_axis(part, order, axis=1), axis=1)
    return inst._replace(active=active, neigh=neigh)


def own_scratch(inst: Instance) -> Instance:
    """``inst`` with scratch arrays of its own (the break labelling's labels, the lock
    checks' generations), every other array shared: the kernels write scratch into the
    instance, so two searches on one instance (``ParallelIls``'s threads) each need
    theirs. Sharing them corrupted the labelling: two searches building their first plan
    on a break day never finished it (both cut at the limit, 0 iterations)."""
    day, rp = inst.day, inst.replan
    if day is not None and day.legs is not None:
        day = day._replace(legs=day.legs._replace(labels=np.zeros_like(day.legs.labels),
                                                  trail=np.zeros_like(day.legs.trail)))
    if rp is not None:
        rp = rp._replace(seen=rp.seen.copy(), last=rp.last.copy(), gen=rp.gen.copy())
    return inst._replace(day=day, replan=rp)


CANDIDATES = 4  # coordinate-only travel: nearest clients ranked per granular neighbour


def _candidates(inst: Instance, idx: np.ndarray, count: int) -> np.ndarray:
    """``[m, c]`` candidate neighbours of each client in ``idx`` (itself included), in
    node order: all of ``idx`` with dense travel (or when ``count`` covers it), else the
    ``count`` nearest."""
    if inst.xy is None or count >= idx.size:
        return np.broadcast_to(idx, (idx.size, idx.size))
    from scipy.spatial import cKDTree  # only here: importing scipy costs about 1 s cold

    pts = inst.xy[idx]
    _, near = cKDTree(pts).query(pts, k=count)
    return idx[np.sort(near, axis=1)]


def _proximity(inst: Instance, params: HeuristicParams, a: np.ndarray,
               b: np.ndarray) -> np.ndarray:
    """Proximity of the arcs ``a -> b`` (index arrays, broadcast)."""
    if inst.xy is not None:
        travel = CoordinateTravel(inst.xy, ROUNDING_NAME[inst.rounding], inst.speed)
        dist = travel.distances(a, b)
        t = travel.durations(a, b)
    else:
        dist, t = inst.dist[a, b], inst.dur[a, b]
    e, late, s = inst.tw_early, inst.tw_late, inst.service
    with np.errstate(invalid="ignore"):
        wait = np.nan_to_num(np.maximum(e[b] - s[a] - t - late[a], 0.0))
        warp = np.nan_to_num(np.maximum(e[a] + s[a] + t - late[b], 0.0))
    return dist + params.wait_weight * wait + params.warp_weight * warp


def new_state(inst: Instance) -> State:
    """An empty plan: every route slot unused, every client unrouted."""
    n, dims = inst.demand.shape
    r = inst.route_type.shape[0]
    cap = max(n, 1)
    return State(
        nodes=_untouched_zeros((r, cap)),
        length=np.zeros(r, dtype=np.int64),
        route_of=np.full(n, -1, dtype=np.int64),
        pos=np.zeros(n, dtype=np.int64),
        pre=np.zeros((n, 5)),
        suf=np.zeros((n, 5)),
        pre_load=np.zeros((n, dims)),
        load=np.zeros((r, dims)),
        cost=np.zeros(r),
        viol=np.zeros(r),
        stamp_route=np.zeros(r, dtype=np.int64),
        stamp_node=np.full(n, -1, dtype=np.int64),
        star_stamp=np.full(r, -1, dtype=np.int64),
        clock=np.zeros(1, dtype=np.int64),
    )


def _untouched_zeros(shape: tuple[int, int]) -> np.ndarray:
    """int64 zeros whose unwritten pages take no memory: ``nodes`` has a row of n slots
    per route slot (n route slots when the fleet is unbounded) and routes write a few.

    ``np.zeros`` asks for transparent huge pages on large arrays, so writing the first
    slot of a row faulted in 2 MB: 80 MB per state on a 10,000-client CVRP. An anonymous
    mapping gets 4 kB pages unless asked otherwise.
    """
    count = shape[0] * shape[1]
    buf = mmap.mmap(-1, max(count, 1) * 8)
    return np.frombuffer(buf, dtype=np.int64, count=count).reshape(shape)


def new_work(inst: Instance, pen: tuple[float, float]) -> Work:
    n, dims = inst.demand.shape
    return Work(
        pieces_a=np.zeros((8, 4), dtype=np.int64),
        pieces_b=np.zeros((8, 4), dtype=np.int64),
        buf_a=np.zeros(n, dtype=np.int64),
        buf_b=np.zeros(n, dtype=np.int64),
        exact_a=np.zeros(n, dtype=np.int64),
        exact_b=np.zeros(n, dtype=np.int64),
        load=np.zeros(dims),
        order=np.flatnonzero(inst.active).astype(np.int64),
        pen=np.array(pen, dtype=np.float64),
        evals=np.zeros(1, dtype=np.int64),
        star_ins=np.zeros((2, n, 3)),
        star_pos=np.zeros((2, n, 3), dtype=np.int64),
        star_rem=np.zeros((2, n)),
        route_mark=np.zeros(inst.route_type.shape[0], dtype=np.int64),
        mark_gen=np.zeros(1, dtype=np.int64),
    )


def initial_penalties(inst: Instance) -> tuple[float, float]:
    """Load penalty ~ distance cost per demand unit (HGS-CVRP), warp ~ cost per second."""
    cost_scale = float(np.max(inst.cost_dist) * inst.longest_dist + 1e-9)
    demand = float(inst.demand.max()) if inst.demand.size else 0.0
    load = min(max(cost_scale / max(demand, 1e-9), 0.1), 1e4)
    per_second = float(np.max(inst.cost_time)) + cost_scale / max(inst.longest_dur, 1e-9)
    return load, max(per_second, 0.1)
