"""A LightGBM model flattened into arrays and evaluated by Numba kernels (``_trees.py``).

Why: LightGBM's own predict is the cost of all-pairs matrices (docs/ARCHITECTURE.md, known
pitfalls); ``lleaves`` does not load with this numba, and ``tl2cgen`` needs a C compiler
at run time (benchmarks/surrogate/README.md compares all three). The flat form also
lets ``predict_matrix`` resolve the splits on time-of-day features once per slice
(:meth:`CompiledEnsemble.specialise`), which no general-purpose compiler can do.

Exactness: the kernels copy LightGBM's decision rules (``<=`` thresholds, default-left
and missing types, categorical bitsets, tiny values read as zero) and sum trees in
LightGBM's order, so ``predict`` equals ``Booster.predict(x, raw_score=True)`` bit for
bit on float64 rows (tests/surrogate/test_trees.py checks edge values and NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from surrogate import _trees

__all__ = ["CompiledEnsemble", "SlicedEnsemble", "UnsupportedModelError"]


class UnsupportedModelError(ValueError):
    """The LightGBM model uses something the compiled evaluator does not implement."""


@dataclass(frozen=True)
class CompiledEnsemble:
    """Flat arrays of one LightGBM model (layout in ``surrogate/_trees.py``).

    Build with :meth:`from_booster` or :meth:`from_model_string`; :meth:`predict` gives
    the raw score (for LightGBM's regression and quantile objectives, the prediction).
    """

    roots: np.ndarray        # int64 [T]
    tree_start: np.ndarray   # int64 [T + 1]: nodes of tree t are tree_start[t] .. [t+1]
    feature: np.ndarray      # int64 [N]
    threshold: np.ndarray    # float64 [N]
    decision: np.ndarray     # int64 [N]
    left: np.ndarray         # int64 [N]
    right: np.ndarray        # int64 [N]
    cat_start: np.ndarray    # int64 [N]
    cat_len: np.ndarray      # int64 [N]
    cat_words: np.ndarray    # int64 [W] (uint32 bitset words)
    leaf_value: np.ndarray   # float64 [L]
    n_features: int

    @property
    def n_trees(self) -> int:
        return int(self.roots.shape[0])

    def node_arrays(self) -> tuple[np.ndarray, ...]:
        """The node arrays in kernel argument order."""
        return (self.feature, self.threshold, self.decision, self.left, self.right,
                self.cat_start, self.cat_len, self.cat_words)

    # ------------------------------------------------------------- building
    @classmethod
    def from_booster(cls, booster: Any, num_iteration: int | None = None) -> CompiledEnsemble:
        """Flatten a ``lightgbm.Booster`` (its first ``num_iteration`` trees, or best/all)."""
        if num_iteration is None:
            num_iteration = getattr(booster, "best_iteration", 0) or None
        text = booster.model_to_string(num_iteration=-1 if num_iteration is None
                                       else num_iteration)
        return cls.from_model_string(text)

    @classmethod
    def from_model_string(cls, text: str) -> CompiledEnsemble:
        """Parse LightGBM's text model format (``Booster.model_to_string``).

        Raises
        ------
        UnsupportedModelError
            Multi-class models and linear trees.
        """
        header, trees = _parse(text)
        if int(header.get("num_tree_per_iteration", "1")) != 1:
            raise UnsupportedModelError("compiled ensembles support one tree per iteration "
                                        f"(got num_tree_per_iteration="
                                        f"{header['num_tree_per_iteration']})")
        n_features = int(header["max_feature_idx"]) + 1
        parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "feature", "threshold", "decision", "left", "right", "cat_start", "cat_len")}
        words: list[np.ndarray] = []
        leaves: list[np.ndarray] = []
        roots, starts = [], [0]
        n_nodes = n_leaves = n_words = 0
        for i, tree in enumerate(trees):
            if tree.get("is_linear", "0") != "0":
                raise UnsupportedModelError(f"tree {i} is a linear tree; not supported")
            n_leaf = int(tree["num_leaves"])
            leaf = _floats(tree["leaf_value"])
            if leaf.shape[0] != n_leaf:
                raise UnsupportedModelError(f"tree {i}: {leaf.shape[0]} leaf values for "
                                            f"{n_leaf} leaves")
            m = n_leaf - 1
            if m == 0:
                roots.append(~n_leaves)
            else:
                dec = _ints(tree["decision_type"])
                thr = _floats(tree["threshold"])
                cat_start = np.zeros(m, dtype=np.int64)
                cat_len = np.zeros(m, dtype=np.int64)
                if int(tree.get("num_cat", "0")) > 0:
                    bounds = _ints(tree["cat_boundaries"])
                    bits = _ints(tree["cat_threshold"])
                    is_cat = (dec & 1) == 1
                    idx = thr[is_cat].astype(np.int64)
                    cat_start[is_cat] = bounds[idx] + n_words
                    cat_len[is_cat] = bounds[idx + 1] - bounds[idx]
                    words.append(bits)
                    n_words += bits.shape[0]
                elif (dec & 1).any():
                    raise UnsupportedModelError(f"tree {i}: categorical split without bitsets")
                lc, rc = _ints(tree["left_child"]), _ints(tree["right_child"])
                parts["feature"].append(_ints(tree["split_feature"]))
                parts["threshold"].append(thr)
                parts["decision"].append(dec)
                parts["left"].append(np.where(lc >= 0, lc + n_nodes, ~(~lc + n_leaves)))
                parts["right"].append(np.where(rc >= 0, rc + n_nodes, ~(~rc + n_leaves)))
                parts["cat_start"].append(cat_start)
                parts["cat_len"].append(cat_len)
                roots.append(n_nodes)
            leaves.append(leaf)
            n_nodes += m
            n_leaves += n_leaf
            starts.append(n_nodes)

        def cat(key: str, dtype: type) -> np.ndarray:
            arrs = parts[key]
            return (np.ascontiguousarray(np.concatenate(arrs), dtype=dtype) if arrs
                    else np.zeros(0, dtype=dtype))

        return cls(
            roots=np.asarray(roots, dtype=np.int64), tree_start=np.asarray(starts, np.int64),
            feature=cat("feature", np.int64), threshold=cat("threshold", np.float64),
            decision=cat("decision", np.int64), left=cat("left", np.int64),
            right=cat("right", np.int64), cat_start=cat("cat_start", np.int64),
            cat_len=cat("cat_len", np.int64),
            cat_words=(np.concatenate(words).astype(np.int64) if words
                       else np.zeros(1, dtype=np.int64)),
            leaf_value=(np.concatenate(leaves) if leaves else np.zeros(0)),
            n_features=n_features)

    # ------------------------------------------------------------ predicting
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Raw score per row of ``x[r, f]`` (float64), equal to LightGBM's ``raw_score``.

        Raises
        ------
        ValueError
            ``x`` is not 2-D with at least ``n_features`` columns.
        """
        arr = np.ascontiguousarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] < self.n_features:
            raise ValueError(f"x must be [rows, >= {self.n_features}] features, got {arr.shape}")
        out = np.empty(arr.shape[0], dtype=np.float64)
        _trees.predict_rows(arr, self.roots, *self.node_arrays(), self.leaf_value, out)
        return out

    def specialise(self, fixed_features: Sequence[int], fixed_values: np.ndarray
                   ) -> SlicedEnsemble:
        """Resolve splits on ``fixed_features`` for each row of ``fixed_values[s, k]``.

        For each situation ``s`` (a time slice: hour of week, day type, ...) every tree
        becomes a smaller tree of the other features; situations that leave a tree the
        same function share one copy ("variant"). Evaluating the variants reaches exactly
        the leaves the full trees reach with those feature values.
        """
        vals = np.atleast_2d(np.asarray(fixed_values, dtype=np.float64))
        fixed = [int(f) for f in fixed_features]
        if vals.shape[1] != len(fixed) or any(not 0 <= f < self.n_features for f in fixed):
            raise ValueError("fixed_values must be [situations, len(fixed_features)] and the "
                             "features must exist")
        s_count = vals.shape[0]
        is_fixed = np.zeros(self.n_features, dtype=np.bool_)
        is_fixed[fixed] = True
        full = np.zeros((s_count, self.n_features))
        full[:, fixed] = vals
        sig = np.zeros((s_count, max(1, self.feature.shape[0])), dtype=np.int8)
        _trees.reach_signatures(self.roots, *self.node_arrays(), is_fixed, full, sig)
        var_root: list[np.ndarray] = []
        slice_var = np.empty((self.n_trees, s_count), dtype=np.int64)
        origin: list[np.ndarray] = []
        new_left: list[np.ndarray] = []
        new_right: list[np.ndarray] = []
        n_var = base = 0
        for t in range(self.n_trees):
            a, b = int(self.tree_start[t]), int(self.tree_start[t + 1])
            if b == a:  # one-leaf tree
                var_root.append(self.roots[t:t + 1].copy())
                slice_var[t] = n_var
                n_var += 1
                continue
            block = sig[:, a:b]
            if not block.any():
                uniq, inverse = block[:1], np.zeros(s_count, dtype=np.int64)
            else:
                uniq, inverse = np.unique(block, axis=0, return_inverse=True)
            width, k = b - a, uniq.shape[0]
            nl = np.empty(k * width, dtype=np.int64)
            nr = np.empty(k * width, dtype=np.int64)
            roots = np.empty(k, dtype=np.int64)
            _trees.rewire(int(self.roots[t]), a, np.ascontiguousarray(uniq), self.left,
                          self.right, base, nl, nr, roots)
            new_left.append(nl)
            new_right.append(nr)
            origin.append(np.tile(np.arange(a, b), k))
            var_root.append(roots)
            slice_var[t] = n_var + inverse.reshape(-1)
            n_var += k
            base += k * width
        idx = np.concatenate(origin) if origin else np.zeros(0, dtype=np.int64)
        counts = [len(r) for r in var_root]
        return SlicedEnsemble(
            var_root=np.concatenate(var_root) if var_root else np.zeros(0, np.int64),
            tree_var_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            slice_var=slice_var,
            feature=np.ascontiguousarray(self.feature[idx]),
            threshold=np.ascontiguousarray(self.threshold[idx]),
            decision=np.ascontiguousarray(self.decision[idx]),
            left=np.concatenate(new_left) if new_left else np.zeros(0, np.int64),
            right=np.concatenate(new_right) if new_right else np.zeros(0, np.int64),
            cat_start=np.ascontiguousarray(self.cat_start[idx]),
            cat_len=np.ascontiguousarray(self.cat_len[idx]),
            cat_words=self.cat_words, leaf_value=self.leaf_value, n_features=self.n_features)


@dataclass(frozen=True)
class SlicedEnsemble:
    """An ensemble specialised to a list of situations (time slices).

    ``slice_var[t, s]`` is the variant (index into ``var_root``) that tree ``t`` becomes
    in situation ``s``; the variants of tree ``t`` are ``tree_var_start[t] ..
    tree_var_start[t + 1]``. Node arrays have the layout of ``CompiledEnsemble``.
    """

    var_root: np.ndarray
    tree_var_start: np.ndarray
    slice_var: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    decision: np.ndarray
    left: np.ndarray
    right: np.ndarray
    cat_start: np.ndarray
    cat_len: np.ndarray
    cat_words: np.ndarray
    leaf_value: np.ndarray
    n_features: int

    def node_arrays(self) -> tuple[np.ndarray, ...]:
        return (self.feature, self.threshold, self.decision, self.left, self.right,
                self.cat_start, self.cat_len, self.cat_words)

    @property
    def n_trees(self) -> int:
        return int(self.slice_var.shape[0])

    def links_to(self, features: Sequence[int]) -> np.ndarray:
        """Links into nodes that split on ``features``: ``2 k`` (left of ``k``) or ``2 k + 1``.

        The pair kernel rewires only these when it resolves those features (zones) per task.
        """
        targets = np.isin(self.feature, np.asarray(features, dtype=np.int64))
        kids = np.stack([self.left, self.right], axis=1).ravel()
        return np.flatnonzero((kids >= 0) & targets[np.maximum(kids, 0)]).astype(np.int64)

    def plain_numerical(self, except_features: Sequence[int]) -> bool:
        """Whether every split on other features is numerical with zero not read as missing.

        Then, for finite values with ``|v| <= K_ZERO`` read as 0, ``v <= threshold`` is
        LightGBM's whole decision (``_trees._goes_left``), and a walk may skip the rest.
        """
        other = ~np.isin(self.feature, np.asarray(except_features, dtype=np.int64))
        dec = self.decision[other]
        return bool(((dec & 1) == 0).all() and (((dec >> 2) & 3) != 1).all())

    @staticmethod
    def stack(parts: Sequence[SlicedEnsemble]) -> tuple[SlicedEnsemble, np.ndarray]:
        """Concatenate ensembles specialised to the same situations into one set of arrays.

        Returns the stack and ``group_end[b]``, one past the last tree of part ``b``.
        """
        if len({p.slice_var.shape[1] for p in parts}) != 1:
            raise ValueError("stacked ensembles must share their situations")
        node_off = leaf_off = word_off = var_off = 0
        cols: dict[str, list[np.ndarray]] = {k: [] for k in (
            "var_root", "tree_var_start", "slice_var", "feature", "threshold", "decision",
            "left", "right", "cat_start", "cat_len", "cat_words", "leaf_value")}

        def shift(c: np.ndarray) -> np.ndarray:
            return np.where(c >= 0, c + node_off, ~(~c + leaf_off))

        for p in parts:
            cols["var_root"].append(shift(p.var_root))
            cols["tree_var_start"].append(p.tree_var_start[:-1] + var_off)
            cols["slice_var"].append(p.slice_var + var_off)
            for k in ("feature", "threshold", "decision", "cat_len"):
                cols[k].append(getattr(p, k))
            cols["left"].append(shift(p.left))
            cols["right"].append(shift(p.right))
            cols["cat_start"].append(p.cat_start + word_off)
            cols["cat_words"].append(p.cat_words)
            cols["leaf_value"].append(p.leaf_value)
            node_off += p.feature.shape[0]
            leaf_off += p.leaf_value.shape[0]
            word_off += p.cat_words.shape[0]
            var_off += p.var_root.shape[0]
        cols["tree_var_start"].append(np.array([var_off]))
        arrays = {k: np.ascontiguousarray(np.concatenate(v)) for k, v in cols.items()}
        group_end = np.cumsum([p.n_trees for p in parts]).astype(np.int64)
        return SlicedEnsemble(**arrays, n_features=parts[0].n_features), group_end


def _parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Header fields and one dict per ``Tree=`` block of a LightGBM text model."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    current = header
    for line in text.splitlines():
        if line.startswith("Tree="):
            current = {}
            trees.append(current)
        elif line.startswith("end of trees"):
            break
        elif "=" in line:
            key, _, value = line.partition("=")
            current[key] = value
    if "max_feature_idx" not in header:
        raise UnsupportedModelError("not a LightGBM text model (no max_feature_idx)")
    return header, trees


def _floats(s: str) -> np.ndarray:
    return np.array([float(v) for v in s.split()], dtype=np.float64)


def _ints(s: str) -> np.ndarray:
    return np.array([int(v) for v in s.split()], dtype=np.int64)
