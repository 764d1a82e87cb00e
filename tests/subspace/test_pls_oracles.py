"""PLSSVD against independent oracles, written from the survivors of a mutation run (see
tests/README.md, "Mutation testing"): scikit-learn's ``PLSSVD`` (same defaults, same signs),
and the rank of a cross-covariance built with a known rank."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSSVD as SklearnPLSSVD

from classicx.exceptions import InputError
from classicx.subspace import PLSSVD


def low_rank_views(rank, n=60, dx=6, dy=5, seed=0, dtype=np.float64):
    """Views whose cross-covariance has exactly ``rank`` non-zero singular values.

    X = Z A + E with E orthogonal to Y's columns (after centring), Y = Z B: X' Y = A' Z' Z B.
    """
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, rank))
    Z -= Z.mean(0)
    Y = Z @ rng.normal(size=(rank, dy)) + 0.5
    E = rng.normal(size=(n, dx))
    E -= E.mean(0)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(n), Z]))
    E -= Q @ (Q.T @ E)  # no component along Y's span or the constant
    X = Z @ rng.normal(size=(rank, dx)) + E - 2.0
    return X.astype(dtype), Y.astype(dtype)


def test_defaults_equal_sklearn_defaults():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 5)) * np.arange(1, 6)
    Y = X[:, :3] + rng.normal(size=(50, 3))
    ours, ref = PLSSVD().fit(X, Y), SklearnPLSSVD().fit(X, Y)
    assert ours.x_weights_.shape == ref.x_weights_.shape == (5, 2)
    np.testing.assert_allclose(ours.x_weights_, ref.x_weights_, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), atol=1e-9)


@pytest.mark.parametrize("rank", [1, 2])
def test_n_components_is_limited_by_the_rank_of_the_cross_covariance(rank):
    X, Y = low_rank_views(rank)
    s = np.linalg.svd((X - X.mean(0)).T @ (Y - Y.mean(0)) / X.std(0, ddof=1)[:, None] / Y.std(0, ddof=1),
                      compute_uv=False)
    assert s[rank] < 1e-12 * s[0]  # the oracle: the rank is what was built
    pls = PLSSVD(n_components=rank).fit(X, Y)
    np.testing.assert_allclose(pls.x_weights_, SklearnPLSSVD(n_components=rank).fit(X, Y).x_weights_, atol=1e-9)
    with pytest.raises(InputError, match=f"n_components={rank + 1} is larger than {rank}"):
        PLSSVD(n_components=rank + 1).fit(X, Y)


def test_float32_rank_uses_float32_rounding():
    """In float32 the round-off singular values are ~1e-7 of the largest: not a direction."""
    X, Y = low_rank_views(2, dtype=np.float32)
    PLSSVD(n_components=2).fit(X, Y)
    with pytest.raises(InputError, match="larger than 2"):
        PLSSVD(n_components=3).fit(X, Y)


@pytest.mark.parametrize("scale", [True, False])
def test_float32_in_float32_out(scale):
    rng = np.random.default_rng(2)
    X = (rng.normal(size=(40, 4)) * 3 + 1).astype(np.float32)
    Y = (X[:, :2] + rng.normal(size=(40, 2))).astype(np.float32)
    pls = PLSSVD(n_components=2, scale=scale).fit(X, Y)
    P, Q = pls.transform(X, Y)
    assert P.dtype == Q.dtype == np.float32
    ref = SklearnPLSSVD(n_components=2, scale=scale).fit(X.astype(np.float64), Y.astype(np.float64))
    ref_x, ref_y = ref.transform(X.astype(np.float64), Y.astype(np.float64))
    np.testing.assert_allclose(P, ref_x, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(Q, ref_y, rtol=1e-3, atol=1e-3)


def test_small_covariances_are_not_rank_zero():
    """Values of order 1e-3 (covariances ~1e-6, far below 1) are an ordinary problem."""
    rng = np.random.default_rng(3)
    X = 1e-3 * rng.normal(size=(50, 4))
    Y = X[:, :3] + 1e-3 * rng.normal(size=(50, 3))
    ours = PLSSVD(n_components=2, scale=False).fit(X, Y)
    ref = SklearnPLSSVD(n_components=2, scale=False).fit(X, Y)
    np.testing.assert_allclose(ours.x_weights_, ref.x_weights_, atol=1e-9)
    np.testing.assert_allclose(ours.singular_values_, np.linalg.svd(
        (X - X.mean(0)).T @ (Y - Y.mean(0)) / 49, compute_uv=False)[:2], rtol=1e-10)


def test_a_constant_view_has_rank_zero():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    with pytest.raises(InputError, match="rank 0"):
        PLSSVD(n_components=1).fit(X, np.full((30, 2), 7.0))


def test_labels_are_checked_for_length():
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    with pytest.raises(InputError, match="labels"):
        PLSSVD(n_components=1).fit(X, Y, labels=np.zeros(29))


def test_the_preserved_dtypes_tag_is_what_transform_does():
    """scikit-learn's checks read ``preserves_dtype``; each listed dtype must come back unchanged."""
    from sklearn.utils import get_tags

    tagged = get_tags(PLSSVD()).transformer_tags.preserves_dtype
    assert sorted(tagged) == ["float32", "float64"]
    rng = np.random.default_rng(6)
    X64, Y64 = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    for name in tagged:
        X, Y = X64.astype(name), Y64.astype(name)
        P, Q = PLSSVD(n_components=2).fit(X, Y).transform(X, Y)
        assert P.dtype == Q.dtype == np.dtype(name)
