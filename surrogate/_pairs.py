"""Numba kernel for all-pairs matrices: features and tree ensembles fused, per time slice.

For each origin ``i`` and a chunk of destinations ``j``, the pair features are built in a
small per-thread buffer (``_kernels._write_row``, the same code as training features),
every tree variant of a ``trees.SlicedEnsemble`` is evaluated once for the chunk, and
its leaf values are added to each slice that uses that variant, in tree order. No
``[pairs, features]`` matrix is materialised and a tree that ignores time is walked
once for all slices. Sums follow LightGBM's order (trees 0, 1, ... from 0.0), so each
cell equals LightGBM's raw score on the same feature row.

Numba's cache tracks this file only: after editing ``_kernels.py`` or ``_trees.py``,
clear ``NUMBA_CACHE_DIR`` (tests compare matrices with LightGBM on row features).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from surrogate._kernels import N_FEATURES, _write_row
from surrogate._trees import leaf_of


@njit(cache=True, parallel=True)
def sliced_pair_matrix(lat, lon, zone, sin_a, cos_a, time0, var_root, tree_var_start,
                       slice_var, group_end, offset, below, feature, threshold, decision,
                       left, right, cat_start, cat_len, cat_words, leaf_value, chunk, out):
    """``out[b, s, i, j]`` (float32 seconds) for every part ``b`` and slice ``s``.

    Part ``b`` owns trees ``group_end[b - 1] .. group_end[b]`` (part 0: the median, then
    quantile levels in ascending order); its value is ``exp(raw + offset[b])``. With
    several parts the quantiles are sorted with the median and the sorted values, less
    the median's slot ``below``, fill parts 1.. (the median keeps its own value).
    ``time0`` fills the time features of the buffer; the specialised trees never read
    them. The diagonal is 0.
    """
    n = lat.shape[0]
    n_slices = slice_var.shape[1]
    n_parts = group_end.shape[0]
    max_var = 1
    for t in range(slice_var.shape[0]):
        max_var = max(max_var, tree_var_start[t + 1] - tree_var_start[t])
    n_chunks = (n + chunk - 1) // chunk
    for task in prange(n * n_chunks):
        i = task // n_chunks
        j0 = (task % n_chunks) * chunk
        m = min(n, j0 + chunk) - j0
        feat = np.empty((chunk, N_FEATURES))
        vals = np.empty((max_var, chunk))
        acc = np.zeros((n_parts, n_slices, chunk))
        srt = np.empty(n_parts)
        for jj in range(m):
            j = j0 + jj
            _write_row(feat, jj, lat[i], lon[i], lat[j], lon[j], zone[i], zone[j],
                       time0[0], time0[1], time0[2], time0[3], sin_a, cos_a)
        for b in range(n_parts):
            first = 0 if b == 0 else group_end[b - 1]
            for t in range(first, group_end[b]):
                v0 = tree_var_start[t]
                for v in range(tree_var_start[t + 1] - v0):
                    root = var_root[v0 + v]
                    if root < 0:
                        c = leaf_value[~root]
                        for jj in range(m):
                            vals[v, jj] = c
                    else:
                        for jj in range(m):
                            vals[v, jj] = leaf_value[leaf_of(
                                root, feat, jj, feature, threshold, decision, left, right,
                                cat_start, cat_len, cat_words)]
                for s in range(n_slices):
                    v = slice_var[t, s] - v0
                    for jj in range(m):
                        acc[b, s, jj] += vals[v, jj]
        for s in range(n_slices):
            for jj in range(m):
                j = j0 + jj
                if j == i:
                    for b in range(n_parts):
                        out[b, s, i, j] = 0.0
                    continue
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
