"""Property: a candidate route priced in O(1) from stored segments costs exactly what the
same route costs when rebuilt node by node, and what the naive reference says."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.engines.heuristic._routes import commit, emit, pieces_cost, set_piece
from tests.solver import naive
from tests.solver.engines.cases import vrptw
from tests.solver.engines.test_heuristic_kernels import _searched


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 20), data=st.data())
def test_priced_pieces_equal_rebuilt_route(seed, data):
    """prefix(U) + middle(V, maybe reversed) + suffix(U) (the shape of relocate, swap,
    2-opt and 2-opt* candidates): the O(1) price equals the rebuilt route's cost and the
    naive distance / load / time-warp reference."""
    _, inst, state, work = _searched(vrptw(12, seed), seed)
    used = [r for r in range(state.length.shape[0]) if state.length[r] > 0]
    empty = next(r for r in range(state.length.shape[0]) if state.length[r] == 0)
    ru = data.draw(st.sampled_from(used))
    rv = data.draw(st.sampled_from(used))
    lu, lv = int(state.length[ru]), int(state.length[rv])
    a = data.draw(st.integers(-1, lu - 1))
    d = data.draw(st.integers(a + 1, lu))
    lo, hi = (a + 1, d - 1) if ru == rv else (0, lv - 1)  # each client at most once
    b, c = 0, -1
    if lo <= hi:
        b = data.draw(st.integers(lo, hi))
        c = data.draw(st.integers(b, hi))
    rev = data.draw(st.integers(0, 1))
    pieces = work.pieces_a
    set_piece(pieces, 0, ru, 0, a, 0)
    set_piece(pieces, 1, rv, b, c, rev)
    set_piece(pieces, 2, ru, d, lu - 1, 0)
    priced = pieces_cost(inst, state, work.pen, 0, pieces, 3, work.load)
    buf = np.zeros_like(work.buf_a)
    m = emit(state, pieces, 3, buf)
    nodes = buf[:m].copy()
    if m == 0:
        assert priced == 0.0
        return
    commit(inst, state, work.pen, empty, buf, m)
    assert math.isclose(state.cost[empty], priced, rel_tol=1e-9, abs_tol=1e-9)
    depot = int(inst.start_depot[0])
    dist, warp = naive.time_warp_schedule(
        inst.dist, inst.dur, inst.service, inst.tw_early, inst.tw_late,
        (inst.shift_early[0], inst.shift_late[0]), nodes, depot, depot)
    excess = naive.route_load_excess(inst.demand, inst.capacity[0], nodes)
    expected = dist + work.pen[0] * excess + work.pen[1] * warp
    assert math.isclose(priced, expected, rel_tol=1e-9, abs_tol=1e-6)
