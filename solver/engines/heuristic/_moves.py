"""Local-search moves on a pair ``(u, v)`` of granular neighbours (Vidal 2022, sec. 4).

Every move writes the candidate route(s) as pieces of the current ones; ``try_apply``
prices them with the segment data and applies them when the penalised cost drops. On
problems flagged ``exact`` (time-dependent travel, several windows) the segment data only
screen, and only on routes where they are not more optimistic than the exact schedule,
or (with breaks) where they bound it from below; the exact schedule of the candidate
routes decides.
"""

import numpy as np

from solver.engines.heuristic._arcs import arc_dist, arc_dur
from solver.engines.heuristic._day import beyond_arcs, segments_trusted
from solver.engines.heuristic._jit import inlined, kernel
from solver.engines.heuristic._legs import bound_by_segments
from solver.engines.heuristic._locks import locks_hold
from solver.engines.heuristic._routes import (
    approx_cost,
    commit,
    emit,
    exact_cost,
    pieces_compatible,
    pieces_cost,
    set_piece,
)

EPS = 1e-9


@kernel
def try_apply(inst, st, work, ra, na, rb, nb, extra):
    """Apply new route ``ra`` = pieces_a[:na] (and ``rb`` = pieces_b[:nb] when rb >= 0)
    when it lowers the penalised cost by more than ``-extra``; returns True if applied."""
    pen = work.pen
    work.evals[0] += 1
    ka = inst.route_type[ra]
    if not pieces_compatible(inst, st, ka, work.pieces_a, na):
        return False
    new = pieces_cost(inst, st, pen, ka, work.pieces_a, na, work.load)
    old = st.cost[ra]
    if rb >= 0:
        kb = inst.route_type[rb]
        if not pieces_compatible(inst, st, kb, work.pieces_b, nb):
            return False
        new += pieces_cost(inst, st, pen, kb, work.pieces_b, nb, work.load)
        old += st.cost[rb]
    if inst.exact:
        return exact_apply(inst, st, work, ra, na, rb, nb, extra, new, old)
    if new + extra >= old - EPS:
        return False
    ma = emit(st, work.pieces_a, na, work.buf_a)
    mb = emit(st, work.pieces_b, nb, work.buf_b) if rb >= 0 else 0
    commit(inst, st, pen, ra, work.buf_a, ma)
    if rb >= 0:
        commit(inst, st, pen, rb, work.buf_b, mb)
    return True


@kernel
def exact_apply(inst, st, work, ra, na, rb, nb, extra, new, old):
    """``try_apply`` on problems flagged ``exact``: ``new`` (the segment-data price of the
    candidate) screens only where the segment data are trusted on both routes; the exact
    schedule of the candidate routes against ``old`` (their exact cost) decides."""
    pen = work.pen
    approx_old, trusted = screen(inst, st, pen, ra)
    if rb >= 0:
        approx_b, trusted_b = screen(inst, st, pen, rb)
        approx_old += approx_b
        trusted = trusted and trusted_b
    if trusted and new + extra >= approx_old - EPS:
        return False
    low_a, low_b = lower_bound(inst, st, work, ra, na, rb, nb)
    if low_a + low_b + extra >= old - EPS:
        return False
    ma = emit(st, work.pieces_a, na, work.exact_a)
    now = exact_cost(inst, pen, inst.route_type[ra], work.exact_a, ma)[0]
    mb = 0
    if rb >= 0:
        if now + low_b + extra >= old - EPS:  # b's exact cost is at least its bound
            return False
        mb = emit(st, work.pieces_b, nb, work.exact_b)
        now += exact_cost(inst, pen, inst.route_type[rb], work.exact_b, mb)[0]
    if now + extra >= old - EPS:
        return False
    commit(inst, st, pen, ra, work.exact_a, ma)
    if rb >= 0:
        commit(inst, st, pen, rb, work.exact_b, mb)
    return True


@kernel
def lower_bound(inst, st, work, ra, na, rb, nb):
    """Lower bounds of the two candidate routes' exact penalised costs (0 for no route
    ``rb``), -inf where none is known: on routes of types with breaks the segment data
    cannot price them (routes with breaks are never ``trusted``), but without load
    penalty and with time warp weighted by minus the cost per second they bound them
    (``_legs.bound_by_segments``). A candidate whose bounds do not beat the current
    exact cost cannot improve, so it is rejected before the labelling, and so is one
    whose first route's exact cost and second route's bound do not (before the second
    labelling); a bound never accepts a move."""
    return (_route_bound(inst, st, work, ra, work.pieces_a, na),
            _route_bound(inst, st, work, rb, work.pieces_b, nb) if rb >= 0 else 0.0)


@kernel
def _route_bound(inst, st, work, r, pieces, n):
    k = inst.route_type[r]
    if not bound_by_segments(inst, k):
        return -np.inf
    return pieces_cost(inst, st, (0.0, -inst.cost_time[k]), k, pieces, n, work.load)


@kernel
def screen(inst, st, pen, r):
    """Segment-data cost of route ``r``, and whether it may screen moves: not when the
    exact schedule finds more violation than the segments (time-dependent travel slower
    than the static approximation, or a gap between windows), since moves that repair
    such a route can look useless to the approximation; on operating-day problems only
    where they price the route exactly (``_day.segments_trusted``)."""
    cost, viol = approx_cost(inst, st, pen, r)
    return cost, segments_trusted(inst, st.cost[r], st.viol[r], cost, viol)


@kernel
def at(inst, st, r, p):
    """Node at position ``p`` of route ``r``; -1 and the length are its depots."""
    if p < 0:
        return inst.start_depot[inst.route_type[r]]
    if p >= st.length[r]:
        return inst.end_depot[inst.route_type[r]]
    return st.nodes[r, p]


@inlined
def prune_limit(inst, st, pen, ru, rv):
    """How much a move of routes ``ru``/``rv`` can gain besides its arcs: at most what
    their routes pay beyond fixed costs and arcs (``_day.beyond_arcs``: penalties,
    lateness and overtime costs, and where time is priced the cost of waiting and
    breaks), since none of it can drop below zero. A move whose change of fixed and arc
    costs (``relocate_gain`` and the others) is at least this cannot improve, so it is
    pruned before the penalised evaluation; with both routes feasible and time free this
    is Vidal 2022's pruning (limit 0). ``inf`` where travel is asymmetric, or priced by
    time and time-dependent (no pruning)."""
    if not inst.bound:
        return np.inf
    limit = beyond_arcs(inst, st, pen, ru)
    return limit + beyond_arcs(inst, st, pen, rv) if rv != ru else limit


@kernel
def time_price(inst, k, a, b):
    """What type ``k`` pays for the travel time of ``a -> b``."""
    return inst.cost_time[k] * arc_dur(inst, a, b)


@kernel
def relocate_time(inst, ku, a, ui, uj, b, kv, c, first, last, d):
    """What ``relocate_gain``'s move changes in travel and service time costs where
    ``inst.time_bound``, else 0. This, ``swap_time`` and ``two_opt_time`` ask a runtime
    flag: chosen at compile time instead, routes paid per second were a kernel
    specialisation of their own for every kind (a minute or more to compile each, on a
    fresh clone and in the service); the flag costs time-free searches about 2 %
    (benchmarks/results/2026-12-06j_time-priced-bounds.md)."""
    if not inst.time_bound:
        return 0.0
    change = (time_price(inst, kv, c, first) + time_price(inst, kv, last, d)
              - time_price(inst, kv, c, d) - time_price(inst, ku, a, ui)
              - time_price(inst, ku, uj, b) + time_price(inst, ku, a, b))
    # the block's services (and a pair's own arc) are paid by the other type now
    inner = inst.service[ui] + (inst.service[uj] + arc_dur(inst, ui, uj) if uj != ui else 0.0)
    return change + (inst.cost_time[kv] - inst.cost_time[ku]) * inner


@kernel
def swap_time(inst, ku, a1, f1, l1, b1, kv, a2, f2, l2, b2):
    """``swap_gain``'s time cost change where ``inst.time_bound`` (-inf between types of
    other prices per second), else 0."""
    if not inst.time_bound:
        return 0.0
    if inst.cost_time[ku] != inst.cost_time[kv]:
        return -np.inf
    # services only change routes of one price per second: they cost what they did
    return (time_price(inst, ku, a1, f2) + time_price(inst, ku, l2, b1)
            + time_price(inst, ku, a2, f1) + time_price(inst, ku, l1, b2)
            - time_price(inst, ku, a1, f1) - time_price(inst, ku, l1, b1)
            - time_price(inst, ku, a2, f2) - time_price(inst, ku, l2, b2))


@kernel
def two_opt_time(inst, k, a, b, c, d, within):
    """``two_opt_gain``'s time cost change where ``inst.time_bound``, else 0."""
    if not inst.time_bound:
        return 0.0
    old = time_price(inst, k, a, b) + time_price(inst, k, c, d)
    if within:  # a -> c and b -> d, the part between reversed (symmetric times)
        return time_price(inst, k, a, c) + time_price(inst, k, b, d) - old
    return time_price(inst, k, a, d) + time_price(inst, k, c, b) - old


@kernel
def fixed_change(inst, st, ru, lu_new, rv, lv_new):
    """The fixed costs a move drops (``ru`` emptied) or adds (``rv`` used), with the
    depot-to-depot arc the gains count for an empty route, which costs nothing."""
    k_u, k_v = inst.route_type[ru], inst.route_type[rv]
    out = 0.0
    if lu_new == 0 and st.length[ru] > 0:
        out -= inst.fixed[k_u] + depots_arc(inst, k_u)
    if ru != rv and lv_new > 0 and st.length[rv] == 0:
        out += inst.fixed[k_v] + depots_arc(inst, k_v)
    return out


@kernel
def depots_arc(inst, k):
    s, e = inst.start_depot[k], inst.end_depot[k]
    return inst.cost_dist[k] * arc_dist(inst, s, e) + time_price(inst, k, s, e)


@kernel
def relocate_gain(inst, st, ru, i, j, rev, rv, q):
    """Arc cost change (fixed costs included) of ``move_block``'s move."""
    lu, lv = st.length[ru], st.length[rv]
    first, last = st.nodes[ru, i], st.nodes[ru, j]
    if rev:
        first, last = last, first
    a, b, c, d = at(inst, st, ru, i - 1), at(inst, st, ru, j + 1), at(inst, st, rv, q), at(inst, st, rv, q + 1)
    ui, uj = st.nodes[ru, i], st.nodes[ru, j]
    removal = arc_dist(inst, a, ui) + arc_dist(inst, uj, b) - arc_dist(inst, a, b)
    insertion = arc_dist(inst, c, first) + arc_dist(inst, last, d) - arc_dist(inst, c, d)
    ku, kv = inst.route_type[ru], inst.route_type[rv]
    gain = inst.cost_dist[kv] * insertion - inst.cost_dist[ku] * removal
    if j > i and ku != kv:  # a pair's own arc, priced by the other type now
        gain += (inst.cost_dist[kv] - inst.cost_dist[ku]) * arc_dist(inst, ui, uj)
    gain += relocate_time(inst, ku, a, ui, uj, b, kv, c, first, last, d)
    n = j - i + 1
    return gain + fixed_change(inst, st, ru, lu - n if ru != rv else lu, rv, lv + n)


@kernel
def swap_gain(inst, st, ru, i1, j1, rv, i2, j2):
    """Arc cost change of ``swap_blocks``'s move; -inf where the arcs do not bound it
    (different costs per distance or per time, or adjacent blocks in one route)."""
    ku, kv = inst.route_type[ru], inst.route_type[rv]
    if inst.cost_dist[ku] != inst.cost_dist[kv]:
        return -np.inf
    if ru == rv and (j1 + 1 >= i2 and j2 + 1 >= i1):
        return -np.inf
    a1, b1 = at(inst, st, ru, i1 - 1), at(inst, st, ru, j1 + 1)
    a2, b2 = at(inst, st, rv, i2 - 1), at(inst, st, rv, j2 + 1)
    f1, l1, f2, l2 = st.nodes[ru, i1], st.nodes[ru, j1], st.nodes[rv, i2], st.nodes[rv, j2]
    change = (arc_dist(inst, a1, f2) + arc_dist(inst, l2, b1)
              + arc_dist(inst, a2, f1) + arc_dist(inst, l1, b2)
              - arc_dist(inst, a1, f1) - arc_dist(inst, l1, b1)
              - arc_dist(inst, a2, f2) - arc_dist(inst, l2, b2))
    return inst.cost_dist[ku] * change + swap_time(inst, ku, a1, f1, l1, b1, kv, a2, f2, l2, b2)


@kernel
def two_opt_gain(inst, st, ru, pu, rv, pv):
    """Arc cost change of ``two_opt``'s move; -inf between vehicle types."""
    ku, kv = inst.route_type[ru], inst.route_type[rv]
    if ku != kv:
        return -np.inf
    lu, lv = st.length[ru], st.length[rv]
    a, b = at(inst, st, ru, pu), at(inst, st, ru, pu + 1)
    c, d = at(inst, st, rv, pv), at(inst, st, rv, pv + 1)
    if ru == rv:
        return inst.cost_dist[ku] * (arc_dist(inst, a, c) + arc_dist(inst, b, d)
                                     - arc_dist(inst, a, b) - arc_dist(inst, c, d)) + (
            two_opt_time(inst, ku, a, b, c, d, True))
    gain = inst.cost_dist[ku] * (arc_dist(inst, a, d) + arc_dist(inst, c, b)
                                 - arc_dist(inst, a, b) - arc_dist(inst, c, d))
    gain += two_opt_time(inst, ku, a, b, c, d, False)
    gain += fixed_change(inst, st, ru, pu + lv - pv, rv, pv + lu - pu)
    return gain + fixed_change(inst, st, rv, pv + lu - pu, ru, pu + lv - pv)


@kernel
def move_block(inst, st, work, ru, i, j, rev, rv, q):
    """Move ``ru[i..j]`` (reversed if ``rev``) to after position ``q`` of ``rv``."""
    pa, pb = work.pieces_a, work.pieces_b
    lu, lv = st.length[ru], st.length[rv]
    if ru == rv and i - 1 <= q <= j:
        return False
    if ru != rv:
        set_piece(pa, 0, ru, 0, i - 1, 0)
        set_piece(pa, 1, ru, j + 1, lu - 1, 0)
        set_piece(pb, 0, rv, 0, q, 0)
        set_piece(pb, 1, ru, i, j, rev)
        set_piece(pb, 2, rv, q + 1, lv - 1, 0)
        return try_apply(inst, st, work, ru, np.int64(2), rv, np.int64(3), 0.0)
    if q < i:
        set_piece(pa, 0, ru, 0, q, 0)
        set_piece(pa, 1, ru, i, j, rev)
        set_piece(pa, 2, ru, q + 1, i - 1, 0)
        set_piece(pa, 3, ru, j + 1, lu - 1, 0)
    else:
        set_piece(pa, 0, ru, 0, i - 1, 0)
        set_piece(pa, 1, ru, j + 1, q, 0)
        set_piece(pa, 2, ru, i, j, rev)
        set_piece(pa, 3, ru, q + 1, lu - 1, 0)
    return try_apply(inst, st, work, ru, np.int64(4), np.int64(-1), np.int64(0), 0.0)


@kernel
def swap_blocks(inst, st, work, ru, i1, j1, rv, i2, j2):
    """Exchange ``ru[i1..j1]`` and ``rv[i2..j2]`` (disjoint when in one route)."""
    pa, pb = work.pieces_a, work.pieces_b
    lu, lv = st.length[ru], st.length[rv]
    if ru == rv and i2 < i1:
        i1, j1, i2, j2 = i2, j2, i1, j1
    if ru == rv and j1 >= i2:
        return False
    if ru != rv:
        set_piece(pa, 0, ru, 0, i1 - 1, 0)
        set_piece(pa, 1, rv, i2, j2, 0)
        set_piece(pa, 2, ru, j1 + 1, lu - 1, 0)
        set_piece(pb, 0, rv, 0, i2 - 1, 0)
        set_piece(pb, 1, ru, i1, j1, 0)
        set_piece(pb, 2, rv, j2 + 1, lv - 1, 0)
        return try_apply(inst, st, work, ru, np.int64(3), rv, np.int64(3), 0.0)
    set_piece(pa, 0, ru, 0, i1 - 1, 0)
    set_piece(pa, 1, ru, i2, j2, 0)
    set_piece(pa, 2, ru, j1 + 1, i2 - 1, 0)
    set_piece(pa, 3, ru, i1, j1, 0)
    set_piece(pa, 4, ru, j2 + 1, lu - 1, 0)
    return try_apply(inst, st, work, ru, np.int64(5), np.int64(-1), np.int64(0), 0.0)


@kernel
def two_opt(inst, st, work, ru, pu, rv, pv):
    """2-opt* between routes (exchange tails after ``pu`` and ``pv``), or 2-opt within one
    route (reverse the part after ``pu`` up to ``pv``)."""
    pa, pb = work.pieces_a, work.pieces_b
    lu, lv = st.length[ru], st.length[rv]
    if ru == rv and pv <= pu + 1:
        return False
    if ru != rv:
        set_piece(pa, 0, ru, 0, pu, 0)
        set_piece(pa, 1, rv, pv + 1, lv - 1, 0)
        set_piece(pb, 0, rv, 0, pv, 0)
        set_piece(pb, 1, ru, pu + 1, lu - 1, 0)
        return try_apply(inst, st, work, ru, np.int64(2), rv, np.int64(2), 0.0)
    set_piece(pa, 0, ru, 0, pu, 0)
    set_piece(pa, 1, ru, pu + 1, pv, 1)
    set_piece(pa, 2, ru, pv + 1, lu - 1, 0)
    return try_apply(inst, st, work, ru, np.int64(3), np.int64(-1), np.int64(0), 0.0)


@kernel
def try_pair(inst, st, work, u, v):
    """First improving move among relocate 1/2 (reversed), swap 1-1/2-1/2-2, 2-opt and
    2-opt* for the neighbours ``u`` and ``v``.

    Each move is first bounded by its distance change against ``prune_limit`` with small
    helpers LLVM inlines here; only a move that may pay calls its builder, since every
    call of a kernel copies the flattened state tuples (several hundred words) and that
    copying was most of the local search's time (perf on GH R1_10_1).
    """
    ru, pu, rv, pv = st.route_of[u], st.pos[u], st.route_of[v], st.pos[v]
    has_x = pu + 1 < st.length[ru]
    has_y = pv + 1 < st.length[rv]
    limit = prune_limit(inst, st, work.pen, ru, rv) - EPS
    free = limit == np.inf  # nothing bounds the moves: price every one
    zero, one = np.int64(0), np.int64(1)
    if ((free or relocate_gain(inst, st, ru, pu, pu, zero, rv, pv) < limit)
            and move_block(inst, st, work, ru, pu, pu, zero, rv, pv)):
        return True
    if ((free or relocate_gain(inst, st, ru, pu, pu, zero, rv, pv - 1) < limit)
            and move_block(inst, st, work, ru, pu, pu, zero, rv, pv - 1)):
        return True
    if has_x:
        if ((free or relocate_gain(inst, st, ru, pu, pu + 1, zero, rv, pv) < limit)
                and move_block(inst, st, work, ru, pu, pu + 1, zero, rv, pv)):
            return True
        if ((free or relocate_gain(inst, st, ru, pu, pu + 1, one, rv, pv) < limit)
                and move_block(inst, st, work, ru, pu, pu + 1, one, rv, pv)):
            return True
    if ((free or swap_gain(inst, st, ru, pu, pu, rv, pv, pv) < limit)
            and swap_blocks(inst, st, work, ru, pu, pu, rv, pv, pv)):
        return True
    if has_x:
        if ((free or swap_gain(inst, st, ru, pu, pu + 1, rv, pv, pv) < limit)
                and swap_blocks(inst, st, work, ru, pu, pu + 1, rv, pv, pv)):
            return True
        if has_y and ((free or swap_gain(inst, st, ru, pu, pu + 1, rv, pv, pv + 1) < limit)
                      and swap_blocks(inst, st, work, ru, pu, pu + 1, rv, pv, pv + 1)):
            return True
    if ru == rv:
        lo, hi = min(pu, pv), max(pu, pv)
        return ((free or two_opt_gain(inst, st, ru, lo, ru, hi) < limit)
                and two_opt(inst, st, work, ru, lo, ru, hi))
    if ((free or two_opt_gain(inst, st, ru, pu, rv, pv) < limit)
            and two_opt(inst, st, work, ru, pu, rv, pv)):
        return True
    return ((free or two_opt_gain(inst, st, ru, pu, rv, pv - 1) < limit)
            and two_opt(inst, st, work, ru, pu, rv, pv - 1))


@kernel
def insert_at(inst, st, work, u, rv, q, extra):
    """Insert unrouted ``u`` after position ``q`` of ``rv`` if that pays ``-extra``."""
    pa = work.pieces_a
    set_piece(pa, 0, rv, 0, q, 0)
    set_piece(pa, 1, -1 - u, 0, 0, 0)
    set_piece(pa, 2, rv, q + 1, st.length[rv] - 1, 0)
    return try_apply(inst, st, work, rv, np.int64(3), np.int64(-1), np.int64(0), extra)


@kernel
def insertion_delta(inst, st, work, u, rv, q):
    """Penalised cost change of inserting unrouted ``u`` after position ``q`` of ``rv``."""
    k = inst.route_type[rv]
    if not inst.compat[u, k]:
        return np.inf
    pa = work.pieces_a
    set_piece(pa, 0, rv, 0, q, 0)
    set_piece(pa, 1, -1 - u, 0, 0, 0)
    set_piece(pa, 2, rv, q + 1, st.length[rv] - 1, 0)
    if not locks_hold(inst, st, k, pa, np.int64(3)):
        return np.inf
    return pieces_cost(inst, st, work.pen, k, pa, 3, work.load) - st.cost[rv]


@kernel
def exact_insertion_delta(inst, st, work, u, rv, q):
    """``insertion_delta`` by the exact schedule (where the segment data misprice: breaks,
    several windows, time-dependent travel); counted in ``work.evals`` as a priced
    route."""
    if insertion_delta(inst, st, work, u, rv, q) == np.inf:  # also writes the pieces
        return np.inf
    work.evals[0] += 1
    m = emit(st, work.pieces_a, np.int64(3), work.exact_a)
    return exact_cost(inst, work.pen, inst.route_type[rv], work.exact_a, m)[0] - st.cost[rv]


@kernel
def remove_optional(inst, st, work, u):
    """Leave optional ``u`` out when its penalty is below what serving it costs."""
    ru, pu = st.route_of[u], st.pos[u]
    set_piece(work.pieces_a, 0, ru, 0, pu - 1, 0)
    set_piece(work.pieces_a, 1, ru, pu + 1, st.length[ru] - 1, 0)
    if try_apply(inst, st, work, ru, np.int64(2), np.int64(-1), np.int64(0), inst.penalty[u]):
        st.route_of[u] = -1
        return True
    return False
