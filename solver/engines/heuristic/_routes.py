"""Route bookkeeping: segment data after a change, candidate routes built from pieces.

A candidate route is a short list of *pieces* ``(route, first, last, reversed)`` of
existing routes (positions inclusive; ``last < first`` is empty; ``route = -1 - i`` is the
single unrouted client ``i``), so every move is
evaluated and applied by the same two functions. Prefix/suffix pieces cost O(1) thanks to
the stored segment data; inner pieces are concatenated node by node.
"""

import numpy as np

from solver.engines.heuristic._jit import inlined, kernel
from solver.engines.heuristic._locks import locks_hold
from solver.engines.heuristic._schedule import route_schedule
from solver.engines.heuristic._segments import (
    depot_seg,
    excess_load,
    merge,
    node_seg,
    route_cost,
)


@kernel
def piece_seg(inst, st, r, i, j, rev):
    if r < 0:
        return node_seg(inst, -1 - r)
    nodes = st.nodes
    if rev == 0 and i == 0:
        x = nodes[r, j]
        pre = st.pre
        return (nodes[r, 0], x, pre[x, 0], pre[x, 1], pre[x, 2], pre[x, 3], pre[x, 4])
    if rev == 0 and j == st.length[r] - 1:
        x = nodes[r, i]
        suf = st.suf
        return (x, nodes[r, j], suf[x, 0], suf[x, 1], suf[x, 2], suf[x, 3], suf[x, 4])
    if rev == 0:
        seg = node_seg(inst, nodes[r, i])
        for p in range(i + 1, j + 1):
            seg = merge(inst, seg, node_seg(inst, nodes[r, p]))
        return seg
    seg = node_seg(inst, nodes[r, j])
    for p in range(j - 1, i - 1, -1):
        seg = merge(inst, seg, node_seg(inst, nodes[r, p]))
    return seg


@kernel
def piece_load(inst, st, r, i, j, d):
    if r < 0:
        return inst.demand[-1 - r, d]
    before = st.pre_load[st.nodes[r, i - 1], d] if i > 0 else 0.0
    return st.pre_load[st.nodes[r, j], d] - before


@inlined
def pieces_cost(inst, st, pen, k, pieces, n, load):
    """Penalised cost of the route of type ``k`` made of ``pieces[:n]`` (0 when empty)."""
    seg = depot_seg(inst, k, True)
    for d in range(load.shape[0]):
        load[d] = 0.0
    empty = True
    for q in range(n):
        r, i, j, rev = pieces[q, 0], pieces[q, 1], pieces[q, 2], pieces[q, 3]
        if j < i:
            continue
        empty = False
        seg = merge(inst, seg, piece_seg(inst, st, r, i, j, rev))
        for d in range(load.shape[0]):
            load[d] += piece_load(inst, st, r, i, j, d)
    if empty:
        return 0.0
    seg = merge(inst, seg, depot_seg(inst, k, False))
    return route_cost(inst, pen, k, seg, excess_load(inst, k, load))[0]


@kernel
def pieces_compatible(inst, st, k, pieces, n):
    """Skills allow type ``k`` to serve every node of the pieces, and the route keeps a
    replan's locks (``_locks``)."""
    if not locks_hold(inst, st, k, pieces, n):
        return False
    if not inst.skills:
        return True
    for q in range(n):
        r = pieces[q, 0]
        if r < 0:
            if not inst.compat[-1 - r, k]:
                return False
            continue
        if inst.route_type[r] == k:
            continue
        for p in range(pieces[q, 1], pieces[q, 2] + 1):
            if not inst.compat[st.nodes[r, p], k]:
                return False
    return True


@kernel
def emit(st, pieces, n, buf):
    """Write the nodes of ``pieces[:n]`` into ``buf``; returns the length."""
    m = 0
    for q in range(n):
        r, i, j, rev = pieces[q, 0], pieces[q, 1], pieces[q, 2], pieces[q, 3]
        if r < 0:
            buf[m] = -1 - r
            m += 1
        elif rev == 0:
            for p in range(i, j + 1):
                buf[m] = st.nodes[r, p]
                m += 1
        else:
            for p in range(j, i - 1, -1):
                buf[m] = st.nodes[r, p]
                m += 1
    return m


@kernel
def commit(inst, st, pen, r, buf, m):
    """Make ``buf[:m]`` the nodes of route ``r`` and refresh its data and stamp."""
    for p in range(m):
        st.nodes[r, p] = buf[p]
        st.route_of[buf[p]] = r
        st.pos[buf[p]] = p
    st.length[r] = m
    update_route(inst, st, pen, r)
    st.clock[0] += 1
    st.stamp_route[r] = st.clock[0]


@kernel
def update_route(inst, st, pen, r):
    """Recompute prefix/suffix segments, loads, cost and violation of route ``r``."""
    row = st.nodes[r]
    m = st.length[r]
    k = inst.route_type[r]
    dims = inst.demand.shape[1]
    if m == 0:
        st.cost[r] = 0.0
        st.viol[r] = 0.0
        for d in range(dims):
            st.load[r, d] = 0.0
        return
    seg = node_seg(inst, row[0])
    for p in range(m):
        i = row[p]
        if p > 0:
            seg = merge(inst, seg, node_seg(inst, i))
        store_seg(st.pre, i, seg)
        for d in range(dims):
            st.pre_load[i, d] = inst.demand[i, d] + (st.pre_load[row[p - 1], d] if p > 0 else 0.0)
    body = seg
    seg = node_seg(inst, row[m - 1])
    for p in range(m - 1, -1, -1):
        i = row[p]
        if p < m - 1:
            seg = merge(inst, node_seg(inst, i), seg)
        store_seg(st.suf, i, seg)
    for d in range(dims):
        st.load[r, d] = st.pre_load[row[m - 1], d]
    if inst.exact:
        st.cost[r], st.viol[r] = exact_cost(inst, pen, k, row, m)
        return
    full = merge(inst, merge(inst, depot_seg(inst, k, True), body), depot_seg(inst, k, False))
    st.cost[r], st.viol[r] = route_cost(inst, pen, k, full, excess_load(inst, k, st.load[r]))


@kernel
def exact_cost(inst, pen, k, row, m):
    """Penalised cost and violation of ``row[:m]`` on type ``k`` by the exact schedule."""
    if m == 0:
        return 0.0, 0.0
    cost, _, _, excess, late, over, dur_over, limit_over, brk = route_schedule(inst, k, row, m)
    rest = late + over + dur_over + limit_over + brk
    return cost + pen[0] * excess + pen[1] * rest, excess + rest


@kernel
def approx_cost(inst, st, pen, r):
    """Penalised cost and violation of route ``r`` from its segment data (what moves are
    screened with)."""
    m = st.length[r]
    if m == 0:
        return 0.0, 0.0
    k = inst.route_type[r]
    seg = merge(inst, depot_seg(inst, k, True), piece_seg(inst, st, r, 0, m - 1, 0))
    seg = merge(inst, seg, depot_seg(inst, k, False))
    return route_cost(inst, pen, k, seg, excess_load(inst, k, st.load[r]))


@kernel
def store_seg(data, i, seg):
    data[i, 0] = seg[2]
    data[i, 1] = seg[3]
    data[i, 2] = seg[4]
    data[i, 3] = seg[5]
    data[i, 4] = seg[6]


@kernel
def update_all(inst, st, pen, infeasible_only):
    """Refresh every route after a penalty change and mark changed the ones whose moves
    must be tested again: all of them, or with ``infeasible_only`` (penalties went up)
    only the routes with a violation, since a higher penalty makes no move between
    feasible routes newly improving."""
    st.clock[0] += 1
    for r in range(st.length.shape[0]):
        update_route(inst, st, pen, r)
        if not infeasible_only or st.viol[r] > 1e-9:
            st.stamp_route[r] = st.clock[0]


@kernel
def remove_node(inst, st, work, i):
    """Take client ``i`` out of its route."""
    r, p = st.route_of[i], st.pos[i]
    set_piece(work.pieces_a, 0, r, 0, p - 1, 0)
    set_piece(work.pieces_a, 1, r, p + 1, st.length[r] - 1, 0)
    m = emit(st, work.pieces_a, 2, work.buf_a)
    st.route_of[i] = -1
    commit(inst, st, work.pen, r, work.buf_a, m)


@kernel
def set_piece(pieces, q, r, i, j, rev):
    pieces[q, 0] = r
    pieces[q, 1] = i
    pieces[q, 2] = j
    pieces[q, 3] = rev


@kernel
def total_cost(inst, st):
    """Penalised cost: routes plus the penalty of every active client left out."""
    total = 0.0
    for r in range(st.length.shape[0]):
        total += st.cost[r]
    for i in range(st.route_of.shape[0]):
        if inst.active[i] and st.route_of[i] < 0:
            total += inst.penalty[i]
    return total


@kernel
def total_violation(st):
    return np.sum(st.viol)


@kernel
def copy_state(src, dst):
    """``dst = src`` (route rows copied up to their length)."""
    for r in range(src.length.shape[0]):
        for p in range(src.length[r]):
            dst.nodes[r, p] = src.nodes[r, p]
    copy_flat(src.length, dst.length)
    copy_flat(src.route_of, dst.route_of)
    copy_flat(src.pos, dst.pos)
    copy_2d(src.pre, dst.pre)
    copy_2d(src.suf, dst.suf)
    copy_2d(src.pre_load, dst.pre_load)
    copy_2d(src.load, dst.load)
    copy_flat(src.cost, dst.cost)
    copy_flat(src.viol, dst.viol)
    copy_flat(src.stamp_route, dst.stamp_route)
    copy_flat(src.stamp_node, dst.stamp_node)
    copy_flat(src.star_stamp, dst.star_stamp)
    dst.clock[0] = src.clock[0]


@kernel
def copy_2d(src, dst):
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j]


@kernel
def copy_flat(src, dst):
    for i in range(src.shape[0]):
        dst[i] = src[i]

