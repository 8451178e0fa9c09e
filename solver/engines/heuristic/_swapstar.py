"""SWAP* (Vidal 2022, sec. 5): exchange ``u`` of route A and ``v`` of route B, each
re-inserted at its best position in the other route rather than in the other's place.

For a pair of routes, every removal cost and the three cheapest insertion positions of
every client into the other route are computed once from the segment data (O(1) each),
so each of the ``|A| |B|`` exchanges is priced in O(1): a client goes either in the other's
place (priced exactly) or at its best cached position not next to the client leaving
(removal and insertion priced as independent, which they are when positions are not
adjacent; three cached positions suffice since at most two are adjacent). Load penalties
are exact. Pairs whose removals and load change alone do not beat the best exchange so
far are skipped: inserting a client adds distance (triangle inequality) and time warp,
so it cannot pay (HGS-CVRP's filter; a heuristic on non-metric matrices or with costs
per time). The cheapest exchange is then priced and applied by ``try_apply`` (the exact
schedule decides on problems flagged ``exact``). Routes are paired when a client of one
has a granular neighbour in the other.

Where a route costs its distance alone (``inst.distance_only``: CVRP), the removals,
insertions and in-place prices are arc changes, as in HGS-CVRP, not segment merges: the
same prices (the same search for a seed) at about half the CPU time of an X-n801
search, where SWAP* had taken 65 % of it.
"""

import numpy as np
from numba import types
from numba.extending import overload

from solver.engines.heuristic._arcs import arc_dist
from solver.engines.heuristic._jit import kernel
from solver.engines.heuristic._moves import EPS, at, try_apply
from solver.engines.heuristic._routes import piece_seg, set_piece
from solver.engines.heuristic._segments import depot_seg, excess_load, merge, node_seg, route_cost

NONE = -2  # no cached position / the other client's place
_OPTIONS = {"_nrt": False}  # as every kernel (see _jit)


@kernel
def around(inst, st, pen, r, first, last, mid):
    """Cost without load penalty of route ``r`` with ``r[first..last]`` replaced by the
    client ``mid`` (none when ``mid < 0``; ``last = first - 1`` inserts before ``first``)."""
    k = inst.route_type[r]
    seg = depot_seg(inst, k, True)
    if first > 0:
        seg = merge(inst, seg, piece_seg(inst, st, r, np.int64(0), first - 1, np.int64(0)))
    if mid >= 0:
        seg = merge(inst, seg, node_seg(inst, mid))
    m = st.length[r]
    if last + 1 < m:
        seg = merge(inst, seg, piece_seg(inst, st, r, last + 1, m - 1, np.int64(0)))
    seg = merge(inst, seg, depot_seg(inst, k, False))
    return route_cost(inst, pen, k, seg, 0.0)[0]


@kernel
def cache_route(inst, st, work, side, a, b):
    """Removal costs of the clients of ``a`` and their three cheapest insertions into
    ``b`` (``work.star_*[side]``); incompatible clients get no position. Every position
    is tried: restricting them to granular neighbours' made GH RC2_10_1 worse."""
    pen = work.pen
    base_a = around(inst, st, pen, a, np.int64(0), np.int64(-1), np.int64(-1))
    base_b = around(inst, st, pen, b, np.int64(0), np.int64(-1), np.int64(-1))
    kb = inst.route_type[b]
    for p in range(st.length[a]):
        u = st.nodes[a, p]
        work.star_rem[side, p] = star_change(inst, st, pen, a, p, p, np.int64(-1), base_a)
        for t in range(3):
            work.star_ins[side, p, t] = np.inf
            work.star_pos[side, p, t] = NONE
        if not inst.compat[u, kb]:
            continue
        for q in range(-1, st.length[b]):
            keep_top3(work, side, p, star_change(inst, st, pen, b, q + 1, q, u, base_b), q)


@kernel
def arc_change(inst, st, r, first, last, mid):
    """``around(...)`` less route ``r``'s own cost, where ``inst.distance_only``, for at
    most one client replaced (``first == last``) or an insertion (``last = first - 1``):
    the change of the arcs that leave and join (HGS-CVRP's O(1) prices; the segment
    merges took most of SWAP*'s time on X-n801, and SWAP* 65 % of the search's)."""
    before, after = at(inst, st, r, first - 1), at(inst, st, r, last + 1)
    if first == last:
        v = st.nodes[r, first]
        change = -arc_dist(inst, before, v) - arc_dist(inst, v, after)
    else:
        change = -arc_dist(inst, before, after)
    if mid >= 0:
        change += arc_dist(inst, before, mid) + arc_dist(inst, mid, after)
    else:
        change += arc_dist(inst, before, after)
    return inst.cost_dist[inst.route_type[r]] * change


def star_change(inst, st, pen, r, first, last, mid, base):
    """Cost change of route ``r`` (of cost ``base``) with ``r[first..last]`` replaced by
    ``mid``, as ``around`` prices it; by ``arc_change`` where ``inst.distance_only`` is
    True (kernels only: the overload below chooses at compile time, from the field's
    type, since a runtime branch here kept LLVM from inlining ``around`` and made SWAP*
    twice as slow on X-n801)."""
    raise NotImplementedError("star_change is a kernel helper")


@overload(star_change, jit_options=_OPTIONS)
def _star_change(inst, st, pen, r, first, last, mid, base):
    if isinstance(inst.types[inst.fields.index("distance_only")], types.NoneType):
        return lambda inst, st, pen, r, first, last, mid, base: (
            around(inst, st, pen, r, first, last, mid) - base)
    return lambda inst, st, pen, r, first, last, mid, base: arc_change(inst, st, r, first,
                                                                       last, mid)


@kernel
def keep_top3(work, side, p, c, q):
    """Insert cost ``c`` at position ``q`` into the sorted top three of ``p``."""
    ins, pos = work.star_ins, work.star_pos
    if c >= ins[side, p, 2]:
        return
    t = 2
    while t > 0 and c < ins[side, p, t - 1]:
        ins[side, p, t] = ins[side, p, t - 1]
        pos[side, p, t] = pos[side, p, t - 1]
        t -= 1
    ins[side, p, t] = c
    pos[side, p, t] = q


@kernel
def load_change(inst, st, pen, r, old, out, into):
    """Load penalty change of route ``r``, of load excess ``old``, when client ``out``
    leaves and ``into`` joins (``excess_load`` of the new load, without writing it)."""
    k = inst.route_type[r]
    excess = 0.0
    for d in range(inst.capacity.shape[1]):
        excess += max(st.load[r, d] - inst.demand[out, d] + inst.demand[into, d]
                      - inst.capacity[k, d], 0.0)
    return pen * (excess - old)


@kernel
def best_place(inst, st, work, side, p, r, s, u, base_r, rem_other):
    """Cheapest cost change of route ``r`` when its client at ``s`` leaves and ``u`` (at
    ``p`` of the other route) joins: in its place, or at a cached position not next to
    it. Returns ``(cost, position)``, the position ``NONE`` for the leaver's place."""
    best = star_change(inst, st, work.pen, r, s, s, u, base_r)
    where = NONE
    for t in range(3):
        q = work.star_pos[side, p, t]
        if q == NONE:
            break
        if q == s - 1 or q == s:
            continue
        c = work.star_ins[side, p, t] + rem_other
        if c < best:
            best, where = c, q
        break
    return best, where


@kernel
def best_swap_star(inst, st, work, a, b):
    """The cheapest improving SWAP* between routes ``a`` and ``b`` by the cached prices:
    ``(change, p, s, qu, qv)`` — ``a[p]`` goes after ``b[qu]``, ``b[s]`` after ``a[qv]``
    (``NONE``: in the other's place); ``change`` is 0 and ``p`` -1 when none improves."""
    cache_route(inst, st, work, np.int64(0), a, b)
    cache_route(inst, st, work, np.int64(1), b, a)
    pen = work.pen
    base_a = around(inst, st, pen, a, np.int64(0), np.int64(-1), np.int64(-1))
    base_b = around(inst, st, pen, b, np.int64(0), np.int64(-1), np.int64(-1))
    ka, kb = inst.route_type[a], inst.route_type[b]
    excess_a, excess_b = excess_load(inst, ka, st.load[a]), excess_load(inst, kb, st.load[b])
    best, bp, bs, bqu, bqv = 0.0, -1, -1, NONE, NONE  # improving exchanges only
    for p in range(st.length[a]):
        u = st.nodes[a, p]
        if not inst.compat[u, kb]:
            continue
        for s in range(st.length[b]):
            v = st.nodes[b, s]
            if not inst.compat[v, ka]:
                continue
            change = (load_change(inst, st, pen[0], a, excess_a, u, v)
                      + load_change(inst, st, pen[0], b, excess_b, v, u))
            if change + work.star_rem[0, p] + work.star_rem[1, s] >= best:
                continue  # insertions cost at least nothing (HGS-CVRP's filter)
            work.evals[0] += 1
            cu, qu = best_place(inst, st, work, np.int64(0), p, b, s, u, base_b,
                                work.star_rem[1, s])
            cv, qv = best_place(inst, st, work, np.int64(1), s, a, p, v, base_a,
                                work.star_rem[0, p])
            change += cu + cv
            if change < best:
                best, bp, bs, bqu, bqv = change, p, s, qu, qv
    return best, bp, bs, bqu, bqv


@kernel
def exchange_pieces(st, pieces, r, p, other, s, q):
    """Pieces of route ``r`` without its position ``p`` and with ``other[s]`` after
    position ``q`` (in ``p``'s place when ``q`` is ``NONE``); returns their number."""
    last = st.length[r] - 1
    if q == NONE or q == p - 1 or q == p:
        set_piece(pieces, 0, r, 0, p - 1, 0)
        set_piece(pieces, 1, other, s, s, 0)
        set_piece(pieces, 2, r, p + 1, last, 0)
        return np.int64(3)
    if q < p:
        set_piece(pieces, 0, r, 0, q, 0)
        set_piece(pieces, 1, other, s, s, 0)
        set_piece(pieces, 2, r, q + 1, p - 1, 0)
    else:
        set_piece(pieces, 0, r, 0, p - 1, 0)
        set_piece(pieces, 1, r, p + 1, q, 0)
        set_piece(pieces, 2, other, s, s, 0)
    set_piece(pieces, 3, r, max(p, q) + 1, last, 0)
    return np.int64(4)


@kernel
def swap_star(inst, st, work, a, b):
    """Apply the cheapest SWAP* between routes ``a`` and ``b`` if it improves."""
    change, p, s, qu, qv = best_swap_star(inst, st, work, a, b)
    if p < 0 or change >= -EPS:
        return False
    na = exchange_pieces(st, work.pieces_a, a, p, b, s, qv)
    nb = exchange_pieces(st, work.pieces_b, b, s, a, p, qu)
    return try_apply(inst, st, work, a, na, b, nb, 0.0)


@kernel
def swap_star_pass(inst, st, work, width, max_pairs):
    """SWAP* between every route changed since it was last tested here and each route
    holding one of the ``width`` nearest granular neighbours of one of its clients,
    when their lengths' product is at most ``max_pairs``; True if any move was applied.

    The limit: a pair costs O(|A| |B|), and on GH R2/RC2 (50-client routes, each next to
    most others) SWAP* cut the iterations tenfold and doubled the gap."""
    improved = False
    for a in range(st.length.shape[0]):
        if st.length[a] == 0 or st.stamp_route[a] <= st.star_stamp[a]:
            continue
        st.star_stamp[a] = st.clock[0]
        work.mark_gen[0] += 1
        gen = work.mark_gen[0]
        work.route_mark[a] = gen
        for p in range(st.length[a]):
            u = st.nodes[a, p]
            for n in range(min(width, inst.neigh.shape[1])):
                v = inst.neigh[u, n]
                if v < 0:
                    break
                b = st.route_of[v]
                if b < 0 or work.route_mark[b] == gen:
                    continue
                work.route_mark[b] = gen
                if st.length[a] * st.length[b] <= max_pairs:
                    improved |= swap_star(inst, st, work, a, b)
    return improved
