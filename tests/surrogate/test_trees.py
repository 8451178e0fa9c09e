"""CompiledEnsemble: bitwise agreement with LightGBM's raw scores, edge values, refusals."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from surrogate import TravelTimeModel
from surrogate.trees import CompiledEnsemble, UnsupportedModelError


def _edge_rows(ens: CompiledEnsemble, base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows that sit exactly on split thresholds, plus NaN, zeros, tiny, negative, huge."""
    x = base[rng.integers(0, len(base), 4000)].copy()
    rows = np.arange(len(x))
    numeric = np.nonzero((ens.decision & 1) == 0)[0]
    node = rng.choice(numeric, len(x))
    x[rows, ens.feature[node]] = ens.threshold[node]
    for value, share in ((np.nan, 0.05), (0.0, 0.03), (-1e-36, 0.02), (1e-40, 0.02),
                         (-0.5, 0.02), (-3.0, 0.01), (1e12, 0.01), (np.inf, 0.01)):
        x[rng.random(x.shape) < share] = value
    return x


def _tiny_booster(params: dict, n: int = 600, nan_share: float = 0.0,
                  categorical: bool = False) -> tuple[lgb.Booster, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4))
    x[:, 3] = rng.integers(0, 70, n)  # a category id up to 69: bitsets of 3 words
    y = x[:, 0] + np.sin(3 * x[:, 1]) + 0.3 * (x[:, 3] % 5) + 0.1 * rng.normal(size=n)
    if nan_share:
        x[rng.random(x.shape) < nan_share] = np.nan
    x[rng.random(n) < 0.1, 2] = 0.0
    ds = lgb.Dataset(x, y, categorical_feature=[3] if categorical else "auto")
    p = {"objective": "regression", "num_leaves": 15, "verbosity": -1, "seed": 0,
         "min_data_in_leaf": 5, "max_cat_to_onehot": 2, "cat_smooth": 1.0, **params}
    return lgb.train(p, ds, num_boost_round=25), x


def test_equals_lightgbm_raw_scores_bitwise(model: TravelTimeModel, trips) -> None:
    """Every booster of the fitted model: compiled == LightGBM raw, on trips and edge rows."""
    from surrogate.features import trip_features

    x = trip_features(model.feature_space_, trips.iloc[:3000])
    rng = np.random.default_rng(1)
    for key, booster in model.boosters_.items():
        ens = CompiledEnsemble.from_booster(booster)
        assert ens.n_trees == booster.num_trees()
        assert (ens.decision & 1).any(), "the zone features should give categorical splits"
        for rows in (x, _edge_rows(ens, x, rng)):
            np.testing.assert_array_equal(ens.predict(rows),
                                          booster.predict(rows, raw_score=True), err_msg=key)


@pytest.mark.parametrize("params, nan_share, categorical", [
    ({}, 0.1, False),                        # missing type NaN, default left or right
    ({"zero_as_missing": True}, 0.0, False),  # missing type Zero
    ({"use_missing": False}, 0.1, False),     # missing type None: NaN reads as 0
    ({}, 0.05, True),                         # categorical bitsets over several words
])
def test_missing_value_rules_and_categories(params: dict, nan_share: float,
                                            categorical: bool) -> None:
    """NaN / zero handling and categorical bitsets follow LightGBM for every missing type."""
    booster, x = _tiny_booster(params, nan_share=nan_share, categorical=categorical)
    ens = CompiledEnsemble.from_model_string(booster.model_to_string())
    edge = _edge_rows(ens, x, np.random.default_rng(2))
    edge[:50, 3] = np.arange(-5, 95, 2)  # unseen, negative and out-of-bitset categories
    edge[50:60, 3] = 2.7  # non-integer category: truncated like static_cast<int>
    for rows in (x, edge):
        np.testing.assert_array_equal(ens.predict(rows), booster.predict(rows, raw_score=True))


def test_num_iteration_and_one_leaf_trees() -> None:
    """A truncated model and constant (one-leaf) trees predict like LightGBM."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.zeros(200)
    y[:3] = 1.0  # almost constant target: most trees are single leaves
    booster = lgb.train({"objective": "regression", "verbosity": -1, "min_data_in_leaf": 50},
                        lgb.Dataset(x, y), num_boost_round=8)
    for it in (None, 3):
        ens = CompiledEnsemble.from_booster(booster, it)
        np.testing.assert_array_equal(ens.predict(x), booster.predict(
            x, raw_score=True, num_iteration=it))


def test_unsupported_models_are_refused() -> None:
    """Multi-class models and linear trees raise UnsupportedModelError, not wrong numbers."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    multi = lgb.train({"objective": "multiclass", "num_class": 3, "verbosity": -1},
                      lgb.Dataset(x, rng.integers(0, 3, 300)), num_boost_round=2)
    with pytest.raises(UnsupportedModelError, match="tree per iteration"):
        CompiledEnsemble.from_booster(multi)
    linear = lgb.train({"objective": "regression", "linear_tree": True, "verbosity": -1},
                       lgb.Dataset(x, x[:, 0] * 2.0), num_boost_round=2)
    with pytest.raises(UnsupportedModelError, match="linear"):
        CompiledEnsemble.from_booster(linear)
    with pytest.raises(UnsupportedModelError):
        CompiledEnsemble.from_model_string("not a model")
    ens = CompiledEnsemble.from_booster(_tiny_booster({})[0])
    with pytest.raises(ValueError, match="features"):
        ens.predict(np.zeros((2, 2)))


def test_specialise_shares_variants_across_equal_situations(model: TravelTimeModel) -> None:
    """Fixing time features: equal situations share variants; trees without them get one."""
    from surrogate.features import FEATURE_NAMES, TIME_FEATURES, slice_time_features

    ens = model.compiled("median")
    fixed = [FEATURE_NAMES.index(f) for f in TIME_FEATURES]
    starts = np.array([1705910400.0 + 900 * k for k in range(8)] * 2)  # each slice twice
    sliced = ens.specialise(fixed, slice_time_features(model.feature_space_, starts))
    np.testing.assert_array_equal(sliced.slice_var[:, :8], sliced.slice_var[:, 8:])
    uses_time = [np.isin(ens.feature[ens.tree_start[t]:ens.tree_start[t + 1]], fixed).any()
                 for t in range(ens.n_trees)]
    n_var = np.diff(sliced.tree_var_start)
    assert (n_var[~np.array(uses_time)] == 1).all()
    assert n_var.sum() < 8 * ens.n_trees


@pytest.mark.parametrize("params, categorical, plain", [
    ({}, False, True),
    ({"zero_as_missing": True}, False, False),  # zero read as missing needs the full rule
    ({}, True, False),                          # a categorical split on feature 3
])
def test_plain_numerical_and_links(params: dict, categorical: bool, plain: bool) -> None:
    """plain_numerical tells when `v <= threshold` is the whole decision; links_to lists
    exactly the links into nodes on the given features."""
    booster, _ = _tiny_booster(params, categorical=categorical)
    ens = CompiledEnsemble.from_model_string(booster.model_to_string()).specialise(
        [0], np.zeros((1, 1)))
    assert ens.plain_numerical([]) is plain
    if categorical:
        assert ens.plain_numerical([3])
    links = ens.links_to([1])
    child = np.where(links & 1, ens.right[links >> 1], ens.left[links >> 1])
    assert (ens.feature[child] == 1).all()
    into = np.concatenate([ens.left, ens.right])
    assert len(links) == np.isin(into[into >= 0], np.flatnonzero(ens.feature == 1)).sum()
