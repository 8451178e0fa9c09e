"""Numba kernels that evaluate a flattened LightGBM tree ensemble (see trees.py).

Flat layout (all trees of one ensemble concatenated, struct of arrays):

- internal nodes ``k``: ``feature[k]``, ``threshold[k]``, ``decision[k]`` (LightGBM's
  ``decision_type`` bits: 1 categorical, 2 default-left, ``(d >> 2) & 3`` missing type
  0 none / 1 zero / 2 NaN), ``left[k]``, ``right[k]``, and for categorical nodes the
  bitset ``cat_words[cat_start[k] : cat_start[k] + cat_len[k]]``;
- a child ``c >= 0`` is an internal node, ``c < 0`` is the leaf ``~c`` of ``leaf_value``;
- ``roots[t]`` is the first node of tree ``t`` (or ``~leaf`` for a one-leaf tree).

Decisions copy LightGBM 4.x ``Tree::NumericalDecision`` / ``CategoricalDecision``
(include/LightGBM/tree.h) and its predictor, which reads values with
``|v| <= kZeroThreshold`` as 0. Trees are summed in order from 0.0, as LightGBM's
``GBDT::PredictRaw`` does, so results are bitwise equal to ``Booster.predict(raw_score=True)``
on the same float64 rows. No fastmath: ties at thresholds must go left exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: LightGBM's kZeroThreshold (a float literal 1e-35f widened to double)
K_ZERO = float(np.float32(1e-35))


@njit(cache=True, inline="always")
def _goes_left(v, k, threshold, decision, cat_start, cat_len, cat_words):
    """LightGBM's decision at internal node ``k`` for feature value ``v``."""
    d = decision[k]
    if d & 1:  # categorical: NaN, negatives and unknown categories go right
        if not v > -1.0 or v >= 2147483648.0:
            return False
        c = int(v)  # truncation toward zero, like static_cast<int>
        w = c >> 5
        if w >= cat_len[k]:
            return False
        return ((cat_words[cat_start[k] + w] >> (c & 31)) & 1) == 1
    missing = (d >> 2) & 3
    if v != v:
        if missing == 2:
            return (d & 2) != 0
        v = 0.0
    if -K_ZERO <= v <= K_ZERO:
        v = 0.0
        if missing == 1:
            return (d & 2) != 0
    return v <= threshold[k]


@njit(cache=True, inline="always")
def leaf_of(node, x, r, feature, threshold, decision, left, right, cat_start, cat_len,
            cat_words):
    """Leaf index reached from ``node`` by the feature row ``x[r, :]``.

    Row and index, not a row view: a view per call costs reference counting in the
    innermost loop (measured 4x slower).
    """
    while node >= 0:
        if _goes_left(x[r, feature[node]], node, threshold, decision, cat_start, cat_len,
                      cat_words):
            node = left[node]
        else:
            node = right[node]
    return ~node


@njit(cache=True, parallel=True)
def predict_rows(x, roots, feature, threshold, decision, left, right, cat_start, cat_len,
                 cat_words, leaf_value, out):
    """``out[r]`` = sum over trees (in order) of the leaf value reached by ``x[r, :]``."""
    for r in prange(x.shape[0]):
        acc = 0.0
        for t in range(roots.shape[0]):
            acc += leaf_value[leaf_of(roots[t], x, r, feature, threshold, decision, left, right,
                                      cat_start, cat_len, cat_words)]
        out[r] = acc


@njit(cache=True)
def reach_signatures(roots, feature, threshold, decision, left, right, cat_start, cat_len,
                     cat_words, is_fixed, fixed_values, sig):
    """Decisions at fixed-feature nodes reachable in each situation.

    ``fixed_values[s, f]`` holds the value of every feature with ``is_fixed[f]`` in
    situation ``s`` (e.g. a time slice); other features are free. ``sig[s, k]`` becomes 1
    (left) or 2 (right) at each fixed-feature node ``k`` reachable in situation ``s``
    when free-feature nodes may go either way, and stays 0 elsewhere. Two situations with
    equal signatures over a tree's nodes make that tree the same function of the free
    features.
    """
    n_nodes = feature.shape[0]
    stack = np.empty(n_nodes + 1, dtype=np.int64)
    for s in range(fixed_values.shape[0]):
        for t in range(roots.shape[0]):
            top = 0
            if roots[t] >= 0:
                stack[0] = roots[t]
                top = 1
            while top > 0:
                top -= 1
                k = stack[top]
                f = feature[k]
                if is_fixed[f]:
                    if _goes_left(fixed_values[s, f], k, threshold, decision, cat_start,
                                  cat_len, cat_words):
                        sig[s, k] = 1
                        nxt = left[k]
                    else:
                        sig[s, k] = 2
                        nxt = right[k]
                    if nxt >= 0:
                        stack[top] = nxt
                        top += 1
                else:
                    if left[k] >= 0:
                        stack[top] = left[k]
                        top += 1
                    if right[k] >= 0:
                        stack[top] = right[k]
                        top += 1


@njit(cache=True, inline="always")
def _resolve(c, start, sig_row, left, right):
    """Follow the fixed decisions of ``sig_row`` from child ``c`` to a free node or a leaf."""
    while c >= 0 and sig_row[c - start] != 0:
        if sig_row[c - start] == 1:
            c = left[c]
        else:
            c = right[c]
    return c


@njit(cache=True)
def rewire(root, start, sigs, left, right, base, new_left, new_right, new_root):
    """Copies of one tree (nodes ``start .. start + sigs.shape[1]``) with fixed nodes bypassed.

    Variant ``v`` (signature ``sigs[v]``) occupies ``new_left[v * width : (v + 1) * width]``
    (same for ``new_right``), whose node ids are ``base + v * width + (k - start)``;
    ``new_root[v]`` is its entry (``~leaf`` when the fixed decisions alone reach a leaf).
    Bypassed nodes stay in place, unreachable.
    """
    width = sigs.shape[1]
    for v in range(sigs.shape[0]):
        off = base + v * width - start
        for k in range(start, start + width):
            a = _resolve(left[k], start, sigs[v], left, right)
            b = _resolve(right[k], start, sigs[v], left, right)
            new_left[v * width + k - start] = a + off if a >= 0 else a
            new_right[v * width + k - start] = b + off if b >= 0 else b
        r = _resolve(root, start, sigs[v], left, right) if root >= 0 else root
        new_root[v] = r + off if r >= 0 else r
