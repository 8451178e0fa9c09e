"""Routes in and out of the search: a warm start loaded into a state, and feasible routes
the search met handed to a route pool (for set partitioning in ``auto``)."""

from __future__ import annotations

import logging
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from solver.engines.heuristic._routes import commit
from solver.engines.heuristic._state import Instance, State, Work

logger = logging.getLogger(__name__)

# Routes the kernels record between two flushes (``_search.record_routes``): route ``a``
# was in slot ``meta[a, 0]``, nodes ``nodes[meta[a, 1] : meta[a, 1] + meta[a, 2]]``;
# ``count`` = (routes, nodes) used. Zero-sized when there is no pool: nothing records.
Archive = namedtuple("Archive", ["nodes", "meta", "count"])

ARCHIVE_ROUTES = 1024  # per flush; a flush happens every chunk (~0.1 s)


def new_archive(n_nodes: int, enabled: bool) -> Archive:
    routes = ARCHIVE_ROUTES if enabled else 0
    return Archive(
        nodes=np.zeros(32 * n_nodes if enabled else 0, dtype=np.int64),
        meta=np.zeros((routes, 3), dtype=np.int64),
        count=np.zeros(2, dtype=np.int64),
    )


def load_routes(inst: Instance, st: State, work: Work,
                routes: Iterable[tuple[int, np.ndarray]]) -> int:
    """Put warm-start ``routes`` into the empty state ``st``; returns how many were kept.

    Kept per route: active clients its vehicle type may serve, each once (first route
    wins), on a free slot of that type. Infeasible routes stay (the penalised search
    repairs them); clients dropped here are inserted later by the construction.
    """
    n_types = inst.capacity.shape[0]
    placed = np.zeros(inst.active.shape[0], dtype=bool)
    free = {k: list(np.flatnonzero(inst.route_type == k)[::-1]) for k in range(n_types)}
    kept, skipped = 0, 0
    for k, nodes in routes:
        k = int(k)
        if not 0 <= k < n_types or not free[k]:
            skipped += 1
            continue
        keep = []
        for i in np.asarray(nodes, dtype=np.int64).ravel():
            if 0 <= i < placed.size and inst.active[i] and not placed[i] and inst.compat[i, k]:
                keep.append(int(i))
                placed[i] = True
        if not keep:
            skipped += 1
            continue
        buf = np.array(keep, dtype=np.int64)
        commit(inst, st, work.pen, free[k].pop(), buf, np.int64(buf.size))
        kept += 1
    if skipped:
        logger.info("warm start: %d route(s) had nothing the search could keep", skipped)
    return kept


def feed_state(pool, inst: Instance, st: State, tol: float) -> None:
    """Offer every route of ``st`` without violation to ``pool``; together, as one plan,
    when the pool takes plans (``add_plan``: a route pool then knows the search's best
    plan while the search goes on)."""
    routes = [(int(inst.route_type[r]), st.nodes[r, : st.length[r]].tolist())
              for r in np.flatnonzero((st.length > 0) & (st.viol <= tol))]
    add_plan = getattr(pool, "add_plan", None)
    if add_plan is not None:
        add_plan(routes)
        return
    for k, nodes in routes:
        pool.add(k, nodes)


def flush_archive(pool, inst: Instance, arch: Archive) -> None:
    """Offer the recorded routes to ``pool`` and empty the archive."""
    for a in range(int(arch.count[0])):
        r, start, length = arch.meta[a]
        pool.add(int(inst.route_type[r]), arch.nodes[start : start + length].tolist())
    arch.count[:] = 0
