"""Numba kernel for all-pairs matrices: features and tree ensembles fused, per time slice.

Work is split into tasks of (origin group, destination group). Origins of a group share
a zone, and so may destinations (``matrix._zone_tasks`` decides): a task first resolves
the splits on ``origin_zone`` (and ``dest_zone``) and on the pace encodings of those
zones, all fixed inside it, by rewiring the links into those nodes in a per-task copy of
the node links, as
``trees.CompiledEnsemble.specialise`` does for time slices. Zone splits are ~37 % of the
node visits of the NYC model, and categorical, the slowest kind; with both resolved, a
plain model (``SlicedEnsemble.plain_numerical``) leaves only ``v <= threshold`` decisions
(``lean``), on feature values zeroed below ``K_ZERO`` as LightGBM reads them.

Then for each origin and a chunk of the group's destinations, the pair features are
built in a small per-thread buffer (``_kernels._write_row``, the same code as training
features), every tree variant of a ``trees.SlicedEnsemble`` is evaluated once for the
chunk, and its leaf values are added to each slice that uses that variant, in tree
order. No ``[pairs, features]`` matrix is materialised and a tree that ignores time is
walked once for all slices. Sums follow LightGBM's order (trees 0, 1, ... from 0.0), so
each cell equals LightGBM's raw score on the same feature row.

The lean walk interleaves eight destinations per tree: each step of a walk is a chain of
dependent loads (node, feature value, child), and eight independent chains keep the core
busy while one waits (one 53 x 53 task of the NYC model, 1 thread: 5.9 ns per pair and
tree against 7.2 with four, 8.8 with two; branch-free steps were slower still,
benchmarks/surrogate/README.md). The loop ends when all eight have reached a leaf (the
AND of the eight has the sign bit only when all do, leaves being ``~leaf < 0``).

The tree loop stays inside the ``prange`` body on purpose: moved into a separate
``@njit`` function, the categorical walk measured ~8x slower (Numba 0.68).

Numba's cache tracks this file only: after editing ``_kernels.py`` or ``_trees.py``,
clear ``NUMBA_CACHE_DIR`` (tests compare matrices with LightGBM on row features).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from surrogate._kernels import N_FEATURES, _write_row
from surrogate._trees import K_ZERO, _goes_left, leaf_of

#: kinds of task-fixed features (what ``_fixed_values`` computes for a slot)
FIXED_ORIGIN_ZONE, FIXED_DEST_ZONE, FIXED_PAIR_PACE, FIXED_ORIGIN_PACE, FIXED_DEST_PACE = range(5)


@njit(cache=True, inline="always")
def _step(n, feat, jj, feature, threshold, lft, rgt):
    """One step of a lean walk for row ``jj``: stays at a leaf (``n < 0``)."""
    if n < 0:
        return n
    return lft[n] if feat[jj, feature[n]] <= threshold[n] else rgt[n]


@njit(cache=True, inline="always")
def _skip_fixed(c, slot, fixed_val, feature, threshold, decision, left, right, cat_start,
                cat_len, cat_words):
    """From child ``c``, follow the decisions of task-fixed splits to a free node or a leaf.

    ``slot[f]`` is the index of feature ``f`` in ``fixed_val``, or -1 for a free feature.
    """
    while c >= 0:
        s = slot[feature[c]]
        if s < 0:
            break
        if _goes_left(fixed_val[s], c, threshold, decision, cat_start, cat_len, cat_words):
            c = left[c]
        else:
            c = right[c]
    return c


@njit(cache=True)
def _rewire_fixed(slot, fixed_val, links, var_root, feature, threshold, decision, left, right,
                  cat_start, cat_len, cat_words, new_left, new_right, new_root):
    """Node links with every task-fixed split bypassed for one task's fixed values.

    ``links`` lists the links that lead to a fixed-feature node (``2 k`` left / ``2 k + 1``
    right child of node ``k``); all other links are copied as they are.
    """
    new_left[:] = left
    new_right[:] = right
    new_root[:] = var_root
    for q in range(links.shape[0]):
        k = links[q] >> 1
        if links[q] & 1:
            new_right[k] = _skip_fixed(right[k], slot, fixed_val, feature, threshold, decision,
                                       left, right, cat_start, cat_len, cat_words)
        else:
            new_left[k] = _skip_fixed(left[k], slot, fixed_val, feature, threshold, decision,
                                      left, right, cat_start, cat_len, cat_words)
    for v in range(var_root.shape[0]):
        new_root[v] = _skip_fixed(var_root[v], slot, fixed_val, feature, threshold, decision,
                                  left, right, cat_start, cat_len, cat_words)


@njit(cache=True, inline="always")
def _fixed_values(kind, za, zb, geo, pace, out):
    """Values of the task-fixed features (``FIXED_*`` kinds) for origin / dest zones."""
    k = int(geo[5])
    a = int(za)
    b = int(zb)
    for s in range(kind.shape[0]):
        if kind[s] == FIXED_ORIGIN_ZONE:
            out[s] = za
        elif kind[s] == FIXED_DEST_ZONE:
            out[s] = zb
        elif kind[s] == FIXED_PAIR_PACE:
            out[s] = pace[a * k + b]
        elif kind[s] == FIXED_ORIGIN_PACE:
            out[s] = pace[k * k + a]
        else:
            out[s] = pace[k * k + k + b]


@njit(cache=True, parallel=True)
def sliced_pair_matrix(lat, lon, zone, geo, pace, time0, o_order, o_start, d_order,
                       d_start, tasks, slot, fixed_kind, links, var_root, tree_var_start,
                       slice_var, group_end, offset, below, feature, threshold, decision,
                       left, right, cat_start, cat_len, cat_words, leaf_value, chunk, lean,
                       out):
    """``out[b, s, i, j]`` (float32 seconds) for every part ``b`` and slice ``s``.

    Task ``k`` covers origins ``o_order[o_start[g] : o_start[g + 1]]`` with
    ``g = tasks[k, 0]`` to destinations ``d_order[d_start[h] : d_start[h + 1]]`` with
    ``h = tasks[k, 1]``. Features fixed within a task (the zones of the sides whose
    groups share one, and the pace encodings of those zones) have ``slot[f] >= 0`` and
    kind ``fixed_kind[slot[f]]``; their splits are resolved per task. ``links``:
    ``SlicedEnsemble.links_to`` of those features. ``lean``: see the module docstring. Part
    ``b`` owns trees ``group_end[b - 1] .. group_end[b]`` (part 0: the median, then
    quantile levels in
    ascending order); its value is ``exp(raw + offset[b])``. With several parts the
    quantiles are sorted with the median and the sorted values, less the median's slot
    ``below``, fill parts 1.. (the median keeps its own value). ``time0`` fills the time
    features of the buffer; the specialised trees never read them. The diagonal is 0.
    """
    n_slices = slice_var.shape[1]
    n_parts = group_end.shape[0]
    n_nodes = feature.shape[0]
    n_var = var_root.shape[0]
    max_var = 1
    for t in range(slice_var.shape[0]):
        max_var = max(max_var, tree_var_start[t + 1] - tree_var_start[t])
    for task in prange(tasks.shape[0]):
        ga = tasks[task, 0]
        gb = tasks[task, 1]
        za = zone[o_order[o_start[ga]]]
        zb = zone[d_order[d_start[gb]]]
        lft = np.empty(n_nodes, dtype=np.int64)
        rgt = np.empty(n_nodes, dtype=np.int64)
        root = np.empty(n_var, dtype=np.int64)
        fixed_val = np.empty(fixed_kind.shape[0])
        _fixed_values(fixed_kind, za, zb, geo, pace, fixed_val)
        _rewire_fixed(slot, fixed_val, links, var_root, feature, threshold, decision, left,
                      right, cat_start, cat_len, cat_words, lft, rgt, root)
        feat = np.empty((chunk, N_FEATURES))
        vals = np.empty((max_var, chunk))
        acc = np.empty((n_parts, n_slices, chunk))
        srt = np.empty(n_parts)
        dest = np.empty(chunk, dtype=np.int64)
        for ii in range(o_start[ga], o_start[ga + 1]):
            i = o_order[ii]
            for j0 in range(d_start[gb], d_start[gb + 1], chunk):
                m = min(d_start[gb + 1], j0 + chunk) - j0
                for jj in range(m):
                    j = d_order[j0 + jj]
                    dest[jj] = j
                    _write_row(feat, jj, lat[i], lon[i], lat[j], lon[j], zone[i], zone[j],
                               time0[0], time0[1], time0[2], time0[3], geo, pace)
                    if lean:  # LightGBM reads |v| <= K_ZERO as 0 (see _trees.py)
                        for f in range(N_FEATURES):
                            if -K_ZERO <= feat[jj, f] <= K_ZERO:
                                feat[jj, f] = 0.0
                acc[:] = 0.0
                for b in range(n_parts):
                    first = 0 if b == 0 else group_end[b - 1]
                    for t in range(first, group_end[b]):
                        v0 = tree_var_start[t]
                        for v in range(tree_var_start[t + 1] - v0):
                            r = root[v0 + v]
                            if r < 0:
                                c = leaf_value[~r]
                                for jj in range(m):
                                    vals[v, jj] = c
                            elif lean:  # numerical splits only: see SlicedEnsemble
                                # eight destinations walk the tree together: independent
                                # chains of loads the core overlaps (module docstring);
                                # unrolled by hand: a loop over a lanes array measured
                                # 8.1 vs 6.9 ns per pair and tree
                                m8 = m - m % 8
                                for jj in range(0, m8, 8):
                                    n0 = n1 = n2 = n3 = n4 = n5 = n6 = n7 = r
                                    while (n0 & n1 & n2 & n3 & n4 & n5 & n6 & n7) >= 0:
                                        n0 = _step(n0, feat, jj, feature, threshold, lft, rgt)
                                        n1 = _step(n1, feat, jj + 1, feature, threshold, lft,
                                                   rgt)
                                        n2 = _step(n2, feat, jj + 2, feature, threshold, lft,
                                                   rgt)
                                        n3 = _step(n3, feat, jj + 3, feature, threshold, lft,
                                                   rgt)
                                        n4 = _step(n4, feat, jj + 4, feature, threshold, lft,
                                                   rgt)
                                        n5 = _step(n5, feat, jj + 5, feature, threshold, lft,
                                                   rgt)
                                        n6 = _step(n6, feat, jj + 6, feature, threshold, lft,
                                                   rgt)
                                        n7 = _step(n7, feat, jj + 7, feature, threshold, lft,
                                                   rgt)
                                    vals[v, jj] = leaf_value[~n0]
                                    vals[v, jj + 1] = leaf_value[~n1]
                                    vals[v, jj + 2] = leaf_value[~n2]
                                    vals[v, jj + 3] = leaf_value[~n3]
                                    vals[v, jj + 4] = leaf_value[~n4]
                                    vals[v, jj + 5] = leaf_value[~n5]
                                    vals[v, jj + 6] = leaf_value[~n6]
                                    vals[v, jj + 7] = leaf_value[~n7]
                                for jj in range(m8, m):
                                    node = r
                                    while node >= 0:
                                        if feat[jj, feature[node]] <= threshold[node]:
                                            node = lft[node]
                                        else:
                                            node = rgt[node]
                                    vals[v, jj] = leaf_value[~node]
                            else:
                                for jj in range(m):
                                    vals[v, jj] = leaf_value[leaf_of(
                                        r, feat, jj, feature, threshold, decision, lft, rgt,
                                        cat_start, cat_len, cat_words)]
                        for s in range(n_slices):
                            v = slice_var[t, s] - v0
                            for jj in range(m):
                                acc[b, s, jj] += vals[v, jj]
                for s in range(n_slices):
                    for jj in range(m):
                        _emit(out, acc, offset, below, srt, s, i, dest[jj], jj)


@njit(cache=True, inline="always")
def _emit(out, acc, offset, below, srt, s, i, j, jj):
    """Write cell (i, j) of slice ``s`` of every part from the raw sums ``acc[:, s, jj]``."""
    n_parts = acc.shape[0]
    if j == i:
        for b in range(n_parts):
            out[b, s, i, j] = 0.0
        return
    med = math.exp(acc[0, s, jj] + offset[0])
    out[0, s, i, j] = med
    if n_parts > 1:
        for b in range(n_parts):  # insertion sort of a handful of values
            x = med if b == 0 else math.exp(acc[b, s, jj] + offset[b])
            k = b
            while k > 0 and srt[k - 1] > x:
                srt[k] = srt[k - 1]
                k -= 1
            srt[k] = x
        k = 1
        for r in range(n_parts):
            if r != below:
                out[k, s, i, j] = srt[r]
                k += 1
