"""SWAP*: the O(1) prices of its cached insertions equal a brute-force search over every
exchange and position, and applying it keeps the state exact."""

from __future__ import annotations

import math
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.compile import compile_problem
from solver.engines.heuristic._routes import commit, total_cost
from solver.engines.heuristic._swapstar import best_swap_star, swap_star
from solver.engines.heuristic.instance import (
    build_instance,
    initial_penalties,
    new_state,
    new_work,
    with_neighbours,
)
from solver.engines.heuristic.params import HeuristicParams
from solver.problem import TimeWindow
from tests.solver import naive
from tests.solver.engines.cases import cvrp, vrptw


def _random_plan(problem, seed, n_routes):
    """Clients dealt at random to ``n_routes`` routes (overloads and warp allowed)."""
    params = HeuristicParams()
    inst = build_instance(compile_problem(problem), params)
    inst = with_neighbours(inst, inst.active, params)
    work = new_work(inst, initial_penalties(inst))
    state = new_state(inst)
    clients = list(np.flatnonzero(inst.active))
    random.Random(seed).shuffle(clients)
    for r in range(n_routes):
        nodes = np.array(clients[r::n_routes], dtype=np.int64)
        commit(inst, state, work.pen, r, nodes, np.int64(nodes.size))
    return inst, state, work


def _cost(inst, pen, nodes):
    """Penalised cost of a route of type 0, from the naive references."""
    depot = int(inst.start_depot[0])
    shift = (inst.shift_early[0], inst.shift_late[0])
    dist, warp = naive.time_warp_schedule(inst.dist, inst.dur, inst.service, inst.tw_early,
                                          inst.tw_late, shift, nodes, depot, depot)
    excess = naive.route_load_excess(inst.demand, inst.capacity[0], nodes)
    return dist + pen[0] * excess + pen[1] * warp


def _brute_force(inst, state, pen, a, b):
    """Cheapest exchange of a client of ``a`` with one of ``b``, each at any position."""
    ra = list(state.nodes[a, : state.length[a]])
    rb = list(state.nodes[b, : state.length[b]])
    old = _cost(inst, pen, ra) + _cost(inst, pen, rb)
    best = math.inf
    for p, u in enumerate(ra):
        for s, v in enumerate(rb):
            rest_a, rest_b = ra[:p] + ra[p + 1:], rb[:s] + rb[s + 1:]
            into_a = min(_cost(inst, pen, rest_a[:q] + [v] + rest_a[q:])
                         for q in range(len(rest_a) + 1))
            into_b = min(_cost(inst, pen, rest_b[:q] + [u] + rest_b[q:])
                         for q in range(len(rest_b) + 1))
            best = min(best, into_a + into_b - old)
    return best


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_routes=st.integers(2, 5))
def test_cvrp_price_equals_brute_force(seed, n_routes):
    """Distance and load only: the cached prices are exact, so the best improving SWAP*
    found in O(|A| |B|) is the best over every exchange and both insertion positions
    (0 when none improves)."""
    inst, state, work = _random_plan(cvrp(14, seed % 50), seed, n_routes)
    a, b = random.Random(seed).sample(range(n_routes), 2)
    change = best_swap_star(inst, state, work, a, b)[0]
    assert math.isclose(change, min(_brute_force(inst, state, work.pen, a, b), 0.0),
                        rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_routes=st.integers(2, 4))
def test_applied_swap_star_lowers_cost_and_keeps_state_exact(seed, n_routes):
    """With time windows too: an applied SWAP* lowers the penalised cost (by exactly the
    price on CVRP), and every stored route cost still equals the naive recomputation."""
    problem = cvrp(14, seed % 50) if seed % 2 else vrptw(14, seed % 50)
    inst, state, work = _random_plan(problem, seed, n_routes)
    a, b = random.Random(seed).sample(range(n_routes), 2)
    before = total_cost(inst, state)
    change = best_swap_star(inst, state, work, a, b)[0]
    clients = sorted(np.concatenate([state.nodes[r, : state.length[r]] for r in (a, b)]))
    if swap_star(inst, state, work, a, b):
        assert total_cost(inst, state) < before
        if seed % 2:
            assert math.isclose(total_cost(inst, state) - before, change, abs_tol=1e-6)
    else:
        assert seed % 2 == 0 or change >= -1e-9  # on CVRP the price is the truth
    after = sorted(np.concatenate([state.nodes[r, : state.length[r]] for r in (a, b)]))
    assert after == clients
    for r in (a, b):
        nodes = list(state.nodes[r, : state.length[r]])
        assert math.isclose(state.cost[r], _cost(inst, work.pen, nodes), rel_tol=1e-9,
                            abs_tol=1e-6)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_routes=st.integers(2, 5))
def test_arc_prices_equal_segment_prices_where_routes_cost_distance_only(seed, n_routes):
    """Where a route's cost is its distance (``distance_only``) SWAP* prices by arcs; the
    segment data pick the same exchange at the same price (rounded distances: exact)."""
    inst, state, work = _random_plan(cvrp(14, seed % 50), seed, n_routes)
    assert inst.distance_only
    a, b = random.Random(seed).sample(range(n_routes), 2)
    by_arcs = best_swap_star(inst, state, work, a, b)
    by_segments = best_swap_star(inst._replace(distance_only=None), state, work, a, b)
    assert by_arcs == by_segments


def test_routes_cost_distance_only_where_time_cannot_count():
    """A cost per time, a window, a shift end or a duration limit each make time count."""
    plain = cvrp(10)
    vehicle = plain.vehicle_types[0]
    timed = [vrptw(10)] + [
        plain.model_copy(update={"vehicle_types": [vehicle.model_copy(update=change)]})
        for change in ({"cost_per_time": 1.0}, {"max_duration": 500.0},
                       {"shift": TimeWindow(start=0, end=1000)})]
    params = HeuristicParams()
    assert build_instance(compile_problem(plain), params).distance_only
    for problem in timed:
        assert not build_instance(compile_problem(problem), params).distance_only


def test_swap_star_is_off_where_windows_bind_unless_asked():
    """Binding windows switch SWAP* off by default (it cost GH VRPTW iterations), plain
    capacities keep it, and ``star_with_windows`` turns it on for windows too."""
    default, forced = HeuristicParams(), HeuristicParams(star_with_windows=True)
    assert build_instance(compile_problem(cvrp(10)), default).swap_star == 10
    assert build_instance(compile_problem(vrptw(10)), default).swap_star == 0
    assert build_instance(compile_problem(vrptw(10)), forced).swap_star == 10
