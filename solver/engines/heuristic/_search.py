"""Granular local search and the iterated local search around it.

The local search follows HGS-CVRP (Vidal 2022, sec. 4): clients in random order, moves
only towards granular neighbours, and a pair is re-tested only when one of its routes
changed since the client was last tested. Unrouted clients are inserted at their best
neighbouring position (this is also the construction: a parallel cheapest insertion from
an empty plan, after ``construct``). The perturbation is a ruin (a client and its nearest routed neighbours,
as in SISR, Christiaens & Vanden Berghe 2020) that the next local search recreates;
acceptance is late-acceptance hill climbing (Burke & Bykov 2017), penalties self-adjust
towards a target share of feasible local optima (Vidal et al. 2012).
"""

import numpy as np

from solver.engines.heuristic._jit import kernel
from solver.engines.heuristic._moves import (
    exact_insertion_delta,
    insert_at,
    insertion_delta,
    move_block,
    remove_optional,
    try_pair,
)
from solver.engines.heuristic._rng import randint, shuffle, uniform
from solver.engines.heuristic._routes import (
    copy_state,
    remove_node,
    total_cost,
    update_all,
)
from solver.engines.heuristic._segments import excess_load
from solver.engines.heuristic._swapstar import swap_star_pass

FEAS_TOL = 1e-6
EXACT_NEIGHBOURS = 8  # see ``place``
NO_LIMIT = np.iinfo(np.int64).max  # a ``work.evals`` limit never reached
# indices into the ``stats`` float64 array shared with the Python side
CUR_COST, BEST_COST, ITERATION, N_LOAD_OK, N_TW_OK, N_SEEN, POLISHED = 0, 1, 2, 3, 4, 5, 6
N_STATS = 7


@kernel
def first_empty(inst, st, k):
    for r in range(st.length.shape[0]):
        if st.length[r] == 0 and inst.route_type[r] == k:
            return r
    return -1


@kernel
def insert_best(inst, st, work, u):
    """Insert unrouted ``u`` at its cheapest neighbouring position (or an empty route).
    On problems flagged ``exact``, where the segment data's cheapest position fails the
    exact check, the cheapest by the exact schedule: on an operating day the segment
    data cannot see breaks, and the first plan left hundreds of stops out for it."""
    if place(inst, st, work, u, None):
        return True
    return inst.exact and place(inst, st, work, u, np.bool_(True))


@kernel
def place(inst, st, work, u, exact):
    """``insert_best`` with positions priced by the segment data or, with ``exact``, by
    the exact schedule (beside the ``EXACT_NEIGHBOURS`` nearest neighbours only: each
    costs a labelling, and on a 1,000-stop day the construction must fit a 1 s limit).
    ``exact`` is None for the segment data: Numba then prunes the exact branch at compile
    time, and the ruin's reinsertions (a few percent of a VRPTW search) pay no call
    layer nor test for it."""
    best, best_r, best_q = np.inf, -1, -1
    wide = exact is None
    for n in range(inst.neigh.shape[1] if wide else min(inst.neigh.shape[1], EXACT_NEIGHBOURS)):
        v = inst.neigh[u, n]
        if v < 0:
            break
        rv = st.route_of[v]
        if rv < 0:
            continue
        for q in (st.pos[v], st.pos[v] - 1):
            d = delta(inst, st, work, u, rv, q, exact)
            if d < best:
                best, best_r, best_q = d, rv, q
    for k in range(inst.capacity.shape[0]):
        e = first_empty(inst, st, k)
        if e >= 0:
            d = delta(inst, st, work, u, e, np.int64(-1), exact)
            if d < best:
                best, best_r, best_q = d, e, -1
    if best_r < 0:  # no routed neighbour and no free vehicle: scan every position
        for r in range(st.length.shape[0]):
            for q in range(-1, st.length[r]):
                d = delta(inst, st, work, u, r, q, exact)
                if d < best:
                    best, best_r, best_q = d, r, q
    if best_r < 0:
        return False
    return insert_at(inst, st, work, u, best_r, best_q, -inst.penalty[u])


@kernel
def delta(inst, st, work, u, rv, q, exact):
    """The insertion cost ``place`` compares (its ``exact``: None prunes the exact
    branch at compile time, leaving a call LLVM inlines)."""
    if exact is None:
        return insertion_delta(inst, st, work, u, rv, q)
    return exact_insertion_delta(inst, st, work, u, rv, q)


@kernel
def move_to_empty(inst, st, work, u):
    """Relocate ``u`` into an empty route of some type (opens a vehicle)."""
    ru = st.route_of[u]
    if st.length[ru] < 2:
        return False
    for k in range(inst.capacity.shape[0]):
        e = first_empty(inst, st, k)
        if e >= 0 and move_block(inst, st, work, ru, st.pos[u], st.pos[u], np.int64(0), e, np.int64(-1)):
            return True
    return False


@kernel
def construct(inst, st, work, rng):
    """Insert every unrouted client, in random order, at its cheapest neighbouring position
    (a parallel cheapest insertion, Solomon 1987, restricted to granular neighbours): a
    first plan in O(n k), before any improvement move."""
    shuffle(rng, work.order)
    construct_from(inst, st, work, np.int64(0), np.int64(-1))


@kernel
def construct_from(inst, st, work, start, budget):
    """``construct`` after its shuffle, from position ``start`` of ``work.order``, until
    ``budget`` more candidate routes are priced exactly (-1: no budget; asked between
    clients): the position to resume from, -1 when done. The engine runs it in chunks
    between which it asks the clock; the plan is the same."""
    limit = work.evals[0] + budget if budget >= 0 else NO_LIMIT
    for i in range(start, work.order.shape[0]):
        if work.evals[0] >= limit:
            return i
        u = work.order[i]
        if inst.active[u] and st.route_of[u] < 0:
            insert_best(inst, st, work, u)
    return np.int64(-1)


@kernel
def mark_around(st, promising, u):
    """Mark ``u`` and its neighbours in its route promising (PyVRP's ``markPromising``):
    a change next to a client is what can make a move of that client improving."""
    promising[u] = True
    r = st.route_of[u]
    if r < 0:
        return
    p = st.pos[u]
    if p > 0:
        promising[st.nodes[r, p - 1]] = True
    if p + 1 < st.length[r]:
        promising[st.nodes[r, p + 1]] = True


@kernel
def beside(st, u):
    """The clients before and after routed ``u`` (``u`` itself where none)."""
    r, p = st.route_of[u], st.pos[u]
    before = st.nodes[r, p - 1] if p > 0 else u
    after = st.nodes[r, p + 1] if p + 1 < st.length[r] else u
    return before, after


@kernel
def mark_changed(inst, st, promising, since):
    """Mark promising every client of a route changed after clock ``since``."""
    for i in range(st.route_of.shape[0]):
        r = st.route_of[i]
        if inst.active[i] and r >= 0 and st.stamp_route[r] > since:
            promising[i] = True


@kernel
def local_search(inst, st, work, rng, promising):
    """Apply improving moves until none is left (first improvement); SWAP* runs once
    the node moves are exhausted (HGS-CVRP's order).

    Only clients marked in ``promising`` are tried as ``u`` (PyVRP's search space): the
    perturbed clients, then the clients next to every applied move, which the move marks.
    All marked is the full search.
    """
    local_search_until(inst, st, work, rng, promising, NO_LIMIT)


@kernel
def local_search_until(inst, st, work, rng, promising, limit):
    """``local_search`` that stops between clients once ``work.evals`` reaches ``limit``
    (``NO_LIMIT``: never)."""
    shuffle(rng, work.order)
    budget = max(limit - work.evals[0], 0) if limit < NO_LIMIT else np.int64(-1)
    search_from(inst, st, work, promising, np.int64(0), np.bool_(False), budget)


@kernel
def search_from(inst, st, work, promising, start, improved, budget):
    """``local_search`` after its shuffle, resumed at position ``start`` of its pass over
    ``work.order`` (``improved``: whether that pass applied a move), until a local
    optimum or until ``budget`` more candidate routes are priced (-1: no budget). Returns
    ``(start, improved)`` to resume from, ``start`` -1 at the local optimum. The budget
    is asked between clients only, so chunks resumed in turn apply the same moves as one
    call: the engine runs the first local search so, asking the clock in between."""
    limit = work.evals[0] + budget if budget >= 0 else NO_LIMIT
    i = start
    while True:
        while i < work.order.shape[0]:
            if work.evals[0] >= limit:
                return i, improved
            u = work.order[i]
            i += 1
            if not inst.active[u] or not promising[u]:
                continue
            if st.route_of[u] < 0:
                if insert_best(inst, st, work, u):
                    mark_around(st, promising, u)
                    improved = True
                continue
            last = st.stamp_node[u]
            st.stamp_node[u] = st.clock[0]
            for n in range(inst.neigh.shape[1]):
                v = inst.neigh[u, n]
                if v < 0:
                    break
                rv = st.route_of[v]
                if rv < 0 or max(st.stamp_route[st.route_of[u]], st.stamp_route[rv]) <= last:
                    continue
                u_before, u_after = beside(st, u)
                v_before, v_after = beside(st, v)
                if try_pair(inst, st, work, u, v):
                    improved = True
                    promising[u] = promising[v] = True
                    promising[u_before] = promising[u_after] = True
                    promising[v_before] = promising[v_after] = True
            if st.stamp_route[st.route_of[u]] > last:
                u_before, u_after = beside(st, u)
                if inst.optional[u] and remove_optional(inst, st, work, u):
                    promising[u_before] = promising[u_after] = True
                    improved = True
                    continue
                if move_to_empty(inst, st, work, u):
                    promising[u_before] = promising[u_after] = True
                    mark_around(st, promising, u)
                    improved = True
        if work.evals[0] >= limit:
            return i, improved
        if not improved and inst.swap_star > 0:
            since = st.clock[0]
            improved = swap_star_pass(inst, st, work, inst.swap_star, inst.star_max_pairs)
            if improved:
                mark_changed(inst, st, promising, since)
        if not improved:
            return np.int64(-1), np.bool_(False)
        i, improved = np.int64(0), np.bool_(False)


@kernel
def ruin(inst, st, work, rng, size, promising):
    """Remove a random routed client and its nearest routed neighbours, ``size`` in all;
    they and the clients they were next to are marked promising."""
    n = st.route_of.shape[0]
    centre = -1
    for _ in range(16):
        c = randint(rng, n)
        if st.route_of[c] >= 0:
            centre = c
            break
    if centre < 0:
        return
    mark_around(st, promising, centre)
    remove_node(inst, st, work, centre)
    removed = 1
    for m in range(inst.neigh.shape[1]):
        v = inst.neigh[centre, m]
        if v < 0 or removed >= size:
            break
        if st.route_of[v] >= 0:
            mark_around(st, promising, v)
            remove_node(inst, st, work, v)
            removed += 1


@kernel
def ruin_route(inst, st, work, rng, promising, short):
    """Remove every client of a short route: the shortest of the routes of eight random
    routed clients, when it has at most ``short`` times the mean clients per route (an
    ejection towards fewer routes: on long routes the neighbour ruin takes a few clients
    from each of several routes, and the search rarely empties one). The removed clients
    are marked promising. False (and nothing removed) when no such route was drawn."""
    n = st.route_of.shape[0]
    r, used, routed = -1, 0, 0
    for q in range(st.length.shape[0]):
        if st.length[q] > 0:
            used += 1
            routed += st.length[q]
    for _ in range(8):
        rc = st.route_of[randint(rng, n)]
        if rc >= 0 and (r < 0 or st.length[rc] < st.length[r]):
            r = rc
    if r < 0 or st.length[r] > short * routed / used:
        return False
    while st.length[r] > 0:
        v = st.nodes[r, st.length[r] - 1]
        promising[v] = True
        remove_node(inst, st, work, v)
    return True


@kernel
def violations(inst, st):
    """``(load_excess, time_warp)`` summed over routes."""
    excess = 0.0
    total = 0.0
    for r in range(st.length.shape[0]):
        if st.length[r] > 0:
            excess += excess_load(inst, inst.route_type[r], st.load[r])
            total += st.viol[r]
    return excess, max(total - excess, 0.0)


@kernel
def repair(inst, st, work, rng, factor, rounds, promising):
    """Search again with penalties multiplied by ``factor``, then its powers, up to
    ``rounds`` times until the solution is feasible; the clients of violated routes are
    marked promising (moves between feasible routes gain nothing from the higher
    penalties)."""
    repair_until(inst, st, work, rng, factor, rounds, promising, NO_LIMIT)


@kernel
def repair_until(inst, st, work, rng, factor, rounds, promising, limit):
    """``repair`` with its local searches stopped once ``work.evals`` reaches ``limit``."""
    scale = 1.0
    for _ in range(rounds):
        if not repair_round(inst, st, work, factor, promising):
            break
        scale *= factor
        local_search_until(inst, st, work, rng, promising, limit)
    scale_penalties(inst, st, work, 1.0, scale)


@kernel
def repair_round(inst, st, work, factor, promising):
    """A round of ``repair`` before its local search: False when the solution is feasible,
    else penalties multiplied by ``factor`` and the clients of violated routes marked."""
    excess, warp = violations(inst, st)
    if excess + warp <= FEAS_TOL:
        return False
    since = st.clock[0]
    scale_penalties(inst, st, work, factor, 1.0)
    mark_changed(inst, st, promising, since)
    return True


@kernel
def scale_penalties(inst, st, work, times, by):
    """Penalty weights times ``times`` divided by ``by``, the violated routes priced
    again."""
    work.pen[0] = work.pen[0] * times / by
    work.pen[1] = work.pen[1] * times / by
    update_all(inst, st, work.pen, True)


@kernel
def record_routes(st, arch, since):
    """Append to the archive (``warm.Archive``) every route of ``st`` changed after clock
    ``since`` and without violation, while it has room."""
    for r in range(st.length.shape[0]):
        m = st.length[r]
        if m == 0 or st.stamp_route[r] <= since or st.viol[r] > FEAS_TOL:
            continue
        a, used = arch.count[0], arch.count[1]
        if a >= arch.meta.shape[0] or used + m > arch.nodes.shape[0]:
            return
        for p in range(m):
            arch.nodes[used + p] = st.nodes[r, p]
        arch.meta[a, 0] = r
        arch.meta[a, 1] = used
        arch.meta[a, 2] = m
        arch.count[0] = a + 1
        arch.count[1] = used + m


@kernel
def ils_chunk(inst, cur, cand, best, work, rng, history, stats, arch, promising, n_iter,
              ruin_min, ruin_max, route_ruin, route_short, focus, polish_share, repair_prob,
              repair_factor, repair_rounds, adjust_every, target_feasible, pen_up, pen_down,
              budget):
    """Run ``n_iter`` iterations of ruin, local search and late acceptance.

    With ``focus`` the local search starts from the ruined clients only (else from all);
    a new best solution gets a full local search (PyVRP's ``exhaustive_on_best``) while
    those polishes have priced at most ``polish_share`` of all the candidate routes
    priced so far (``stats[POLISHED]``; 0: never). ``stats`` carries the costs and
    counters between chunks; the changed feasible routes of every local optimum
    (accepted or not, for variety) go to ``arch``. Returns True when the best feasible
    solution improved. Past ``budget`` more candidate routes priced (-1: no budget) the
    local searches stop where they are and no further iteration starts: the engine sizes
    it to the time left, since one iteration on a 300-stop day with breaks took up to
    1.3 s under load.
    """
    limit = work.evals[0] + budget if budget >= 0 else NO_LIMIT
    improved = False
    for _ in range(n_iter):
        if work.evals[0] >= limit:
            break
        it = np.int64(stats[ITERATION])
        copy_state(cur, cand)
        since = cand.clock[0]
        promising[:] = not focus
        if not (route_ruin > 0.0 and uniform(rng) < route_ruin
                and ruin_route(inst, cand, work, rng, promising, route_short)):
            ruin(inst, cand, work, rng, ruin_min + randint(rng, ruin_max - ruin_min + 1),
                 promising)
        local_search_until(inst, cand, work, rng, promising, limit)
        excess, warp = violations(inst, cand)
        stats[N_LOAD_OK] += 1.0 if excess <= FEAS_TOL else 0.0
        stats[N_TW_OK] += 1.0 if warp <= FEAS_TOL else 0.0
        stats[N_SEEN] += 1
        if excess + warp > FEAS_TOL and uniform(rng) < repair_prob:
            repair_until(inst, cand, work, rng, repair_factor, repair_rounds, promising, limit)
            excess, warp = violations(inst, cand)
        cost = total_cost(inst, cand)
        if excess + warp <= FEAS_TOL and cost < stats[BEST_COST] - 1e-9:
            if polish_share > 0.0 and stats[POLISHED] <= polish_share * work.evals[0]:
                before = work.evals[0]
                promising[:] = True
                local_search_until(inst, cand, work, rng, promising, limit)
                stats[POLISHED] += work.evals[0] - before
                excess, warp = violations(inst, cand)
                cost = total_cost(inst, cand)
            if excess + warp <= FEAS_TOL and cost < stats[BEST_COST] - 1e-9:
                copy_state(cand, best)
                stats[BEST_COST] = cost
                improved = True
        slot = it % history.shape[0]
        if cost < history[slot] or cost <= stats[CUR_COST]:
            copy_state(cand, cur)
            stats[CUR_COST] = cost
        if arch.meta.shape[0] > 0:
            record_routes(cand, arch, since)
        history[slot] = stats[CUR_COST]
        stats[ITERATION] += 1
        if stats[N_SEEN] >= adjust_every:
            for w, ok in ((0, N_LOAD_OK), (1, N_TW_OK)):
                share = stats[ok] / stats[N_SEEN]
                work.pen[w] *= pen_down if share > target_feasible else pen_up
                work.pen[w] = min(max(work.pen[w], 1e-3), 1e9)
                stats[ok] = 0
            stats[N_SEEN] = 0
            update_all(inst, cur, work.pen, False)
            stats[CUR_COST] = total_cost(inst, cur)
    return improved
