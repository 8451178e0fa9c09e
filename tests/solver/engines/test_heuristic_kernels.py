"""The hgs kernels against the plain-Python references in tests/solver/naive.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.compile import compile_problem
from solver.engines.heuristic import _search as ks
from solver.engines.heuristic._arcs import travel_time
from solver.engines.heuristic._rng import randint, seed_state
from solver.engines.heuristic._routes import approx_cost, piece_seg
from solver.engines.heuristic._schedule import route_schedule
from solver.engines.heuristic._segments import depot_seg, merge
from solver.engines.heuristic.instance import (
    build_instance,
    initial_penalties,
    new_state,
    new_work,
    search_durations,
    windows_bind,
    with_neighbours,
)
from solver.engines.heuristic.params import HeuristicParams
from solver.travel.base import TravelTensor
from tests.solver import naive
from tests.solver.engines.cases import cvrp, vrptw


def _searched(problem, seed=0):
    params = HeuristicParams()
    compiled = compile_problem(problem)
    inst = build_instance(compiled, params)
    inst = with_neighbours(inst, inst.active, params)
    work = new_work(inst, initial_penalties(inst))
    st = new_state(inst)
    ks.local_search(inst, st, work, seed_state(seed), _all(inst))
    return compiled, inst, st, work


def _all(inst):
    return np.ones(inst.active.shape[0], dtype=np.bool_)


def _routes(st):
    return [st.nodes[r, : st.length[r]].copy() for r in range(st.length.shape[0])
            if st.length[r] > 0]


@pytest.mark.parametrize("seed", range(4))
def test_segments_match_time_warp_reference(seed):
    """Whole-route segments give the reference distance and minimal time warp."""
    _, inst, st, _ = _searched(vrptw(25, seed), seed)
    shift = (inst.shift_early[0], inst.shift_late[0])
    for r in range(st.length.shape[0]):
        if st.length[r] == 0:
            continue
        nodes = st.nodes[r, : st.length[r]]
        seg = piece_seg(inst, st, r, 0, len(nodes) - 1, 0)
        dist, warp = naive.time_warp_schedule(
            inst.dist, inst.dur, inst.service, inst.tw_early, inst.tw_late, shift,
            nodes, inst.start_depot[0], inst.end_depot[0])
        depot = inst.start_depot[0]
        assert math.isclose(seg[2] + inst.dist[depot, nodes[0]] + inst.dist[nodes[-1], depot],
                            dist, abs_tol=1e-9)
        full_warp = st.viol[r] - max(st.load[r, 0] - inst.capacity[0, 0], 0.0)
        assert math.isclose(full_warp, warp, abs_tol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_feasible_route_duration_is_forward_slack_duration(seed):
    """On feasible routes the segment duration equals the forward-slack duration."""
    _, inst, st, work = _searched(vrptw(25, seed), seed)
    ks.repair(inst, st, work, seed_state(seed), 10.0, 4, _all(inst))
    shift = (inst.shift_early[0], inst.shift_late[0])
    depot = inst.start_depot[0]
    for nodes in _routes(st):
        if route_schedule(inst, 0, nodes, len(nodes))[4] > 0:
            continue
        expected = naive.forward_slack_duration(inst.dur, inst.service, inst.tw_early,
                                                inst.tw_late, shift, nodes, depot, depot)
        assert math.isclose(route_schedule(inst, 0, nodes, len(nodes))[2], expected,
                            abs_tol=1e-6)
        r = st.route_of[nodes[0]]
        seg = merge(inst, depot_seg(inst, 0, True), piece_seg(inst, st, r, 0, len(nodes) - 1, 0))
        seg = merge(inst, seg, depot_seg(inst, 0, False))
        assert math.isclose(seg[3], expected, abs_tol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_stored_route_costs_match_recomputation(seed):
    """After a local search every route's stored cost equals a fresh recomputation:
    distance cost plus penalised load excess (the incremental data never drift)."""
    _, inst, st, work = _searched(cvrp(40, seed), seed)
    for r in range(st.length.shape[0]):
        nodes = st.nodes[r, : st.length[r]]
        if len(nodes) == 0:
            assert st.cost[r] == 0.0
            continue
        dist = route_schedule(inst, 0, nodes, len(nodes))[1]
        excess = naive.route_load_excess(inst.demand, inst.capacity[0], nodes)
        expected = dist + work.pen[0] * excess
        assert math.isclose(st.cost[r], expected, rel_tol=1e-9)
        assert math.isclose(approx_cost(inst, st, work.pen, r)[0], expected, rel_tol=1e-9)


def test_local_search_keeps_every_client_once():
    """The local search routes every client exactly once and keeps positions in sync."""
    _, inst, st, _ = _searched(cvrp(60, 1), 1)
    seen = np.concatenate(_routes(st))
    assert sorted(seen) == list(range(1, 61))
    for r in range(st.length.shape[0]):
        for p in range(st.length[r]):
            assert st.route_of[st.nodes[r, p]] == r and st.pos[st.nodes[r, p]] == p


@pytest.mark.parametrize("seed", range(3))
def test_ruin_marks_the_removed_clients_and_their_route_neighbours(seed):
    """The focused local search starts from what the ruin marks: every removed client and
    the clients that were next to it; then it routes every client again."""
    _, inst, st, work = _searched(vrptw(40, seed), seed)
    beside = {}
    for nodes in _routes(st):
        for p, i in enumerate(nodes):
            beside[int(i)] = {int(nodes[q]) for q in (p - 1, p + 1) if 0 <= q < len(nodes)}
    promising = np.zeros(inst.active.shape[0], dtype=np.bool_)
    ks.ruin(inst, st, work, seed_state(seed), 8, promising)
    removed = {int(i) for i in np.flatnonzero(inst.active & (st.route_of < 0))}
    assert len(removed) == 8
    expected = removed.union(*(beside[i] for i in removed))
    assert set(np.flatnonzero(promising).tolist()) == expected
    ks.local_search(inst, st, work, seed_state(seed), promising)
    assert sorted(np.concatenate(_routes(st))) == list(range(1, 41))


@pytest.mark.parametrize("seed", range(3))
def test_route_ruin_empties_one_whole_route(seed):
    """The route ruin takes out exactly the clients of one route of the plan, marks them
    promising and leaves the other routes as they were; the search routes them again.
    It removes nothing where no route is short enough (``short`` 0)."""
    _, inst, st, work = _searched(vrptw(40, seed), seed)
    before = {tuple(nodes.tolist()) for nodes in _routes(st)}
    promising = np.zeros(inst.active.shape[0], dtype=np.bool_)
    assert not ks.ruin_route(inst, st, work, seed_state(seed), promising, 0.0)
    assert {tuple(nodes.tolist()) for nodes in _routes(st)} == before and not promising.any()
    assert ks.ruin_route(inst, st, work, seed_state(seed), promising, math.inf)
    after = {tuple(nodes.tolist()) for nodes in _routes(st)}
    emptied = before - after
    assert len(emptied) == 1 and after == before - emptied
    removed = set(next(iter(emptied)))
    assert removed == {int(i) for i in np.flatnonzero(inst.active & (st.route_of < 0))}
    assert set(np.flatnonzero(promising).tolist()) == removed
    ks.local_search(inst, st, work, seed_state(seed), promising)
    assert sorted(np.concatenate(_routes(st))) == list(range(1, 41))


def test_windows_bind_only_where_a_window_is_narrower_than_the_shift():
    """What picks ``tw_neighbours`` and turns SWAP* off: a client window narrower than the
    shifts (every stop of ``vrptw``), none in a plain CVRP."""
    assert windows_bind(compile_problem(vrptw(10, 0)))
    assert not windows_bind(compile_problem(cvrp(10, 0)))


def test_time_dependent_travel_matches_step_reference():
    """Integrated slice travel times equal a fine-step simulation (and keep FIFO)."""
    rng = np.random.default_rng(0)
    dur = rng.uniform(5, 60, size=(4, 3, 3))
    starts = np.array([0.0, 30.0, 70.0, 100.0])
    for depart in (0.0, 12.5, 29.0, 65.0, 99.0, 140.0):
        got = travel_time(dur, starts, 0, 2, depart)
        want = naive.step_travel_time(dur, starts, 0, 2, depart)
        assert math.isclose(got, want, abs_tol=5e-3)
    arrivals = [t + travel_time(dur, starts, 1, 2, t) for t in np.linspace(0, 150, 301)]
    assert all(b >= a - 1e-9 for a, b in zip(arrivals, arrivals[1:], strict=False))


def test_search_durations_average_the_slices_a_stop_can_leave_in():
    """The static search matrix weights each slice by its overlap with the times a vehicle
    can leave the origin: a stop whose window lies in one slice gets that slice, the
    depot (open all shift) the shift-weighted mean."""
    problem = vrptw(2, 0)
    base = compile_problem(problem).travel
    dur = np.stack([base.duration[0], 3 * base.duration[0]])
    travel = TravelTensor(base.distance, dur, np.array([0.0, 500.0]))
    compiled = compile_problem(problem, travel)
    got = search_durations(compiled, dur)
    for i in range(compiled.n_nodes):
        if i < compiled.n_depots:  # shift 0..1000: half in each slice
            want = 2 * dur[0, i]
        else:
            leave = compiled.tw[i, 0] + compiled.service[i]
            lo, hi = np.clip(leave, 0.0, 1000.0)
            share = (max(hi, 500.0) - max(lo, 500.0)) / (hi - lo)
            want = dur[0, i] * (1 - share) + dur[1, i] * share
        np.testing.assert_allclose(got[i], want, rtol=1e-12)


def test_route_schedule_time_dependent_uses_slices():
    """With T > 1 the exact schedule departs at shift start and follows the slices."""
    problem = cvrp(3, 2)
    base = compile_problem(problem).travel
    slow = np.stack([base.duration[0], 2 * base.duration[0]])
    travel = TravelTensor(base.distance, slow, np.array([0.0, 1.0]))
    inst = build_instance(compile_problem(problem, travel), HeuristicParams())
    nodes = np.array([1, 2, 3])
    _, _, duration, *_ = route_schedule(inst, 0, nodes, 3)
    legs = [(0, 1), (1, 2), (2, 3), (3, 0)]
    t = 0.0
    for i, j in legs:
        t += naive.step_travel_time(slow, [0.0, 1.0], i, j, t, step=1e-2)
    assert math.isclose(duration, t, rel_tol=1e-3)


def test_rng_is_deterministic_and_in_range():
    """The same seed draws the same numbers, all inside [0, n)."""
    a, b = seed_state(7), seed_state(7)
    xs = [randint(a, 10) for _ in range(200)]
    assert xs == [randint(b, 10) for _ in range(200)]
    assert min(xs) == 0 and max(xs) == 9
