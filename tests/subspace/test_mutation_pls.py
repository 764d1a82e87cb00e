"""PLSSVD: tests written from the survivors of the session-6 mutation run of ``PLSSVD.fit`` and
``PLSSVD._fit_cross`` (see tests/README.md, "Session 6 runs, part 3"). The oracle is the SVD of
the (scaled) cross-covariance, computed here with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import InputError
from classicx.subspace import PLSSVD


def views(n=40, dx=4, dy=3, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 2))
    X = Z @ rng.normal(size=(2, dx)) + 0.3 * rng.normal(size=(n, dx)) + 5.0
    Y = Z @ rng.normal(size=(2, dy)) * [1.0, 20.0, 0.1][:dy] + 0.3 * rng.normal(size=(n, dy)) - 1.0
    return X, Y


def oracle(X, Y, k, scale=True):
    """Weights (signs fixed by the largest entry of each x weight) and singular values / (n - 1)."""
    n = len(X)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    if scale:
        Xc, Yc = Xc / Xc.std(0, ddof=1), Yc / Yc.std(0, ddof=1)
    U, s, Vt = np.linalg.svd(Xc.T @ Yc)
    return U[:, :k], Vt[:k].T, s[:k] / (n - 1)


def same_up_to_sign(A, B, atol=1e-10):
    signs = np.sign(np.sum(A * B, axis=0))
    np.testing.assert_allclose(A, B * signs, atol=atol)


def _synchronous():
    # No thread pool: deterministic, and safe in mutmut's forked processes (see test_mutation_semantic.py).
    import dask

    return dask.config.set(scheduler="synchronous")


@pytest.mark.parametrize("which", ["X", "Y"])
def test_one_dask_view_is_enough_to_fit_on_chunks(which):
    """One dask view sends the fit to the chunks: bit for bit the all-dask fit (the chunked sums
    round differently from the in-memory ones), and the SVD oracle to rounding."""
    da = pytest.importorskip("dask.array")
    X, Y = views(n=60)
    Xd, Yd = da.from_array(X, chunks=(25, -1)), da.from_array(Y, chunks=(25, -1))
    with _synchronous():
        both = PLSSVD(n_components=2).fit(Xd, Yd)
        one = PLSSVD(n_components=2).fit(Xd if which == "X" else X, Yd if which == "Y" else Y)
    for name in ("x_weights_", "y_weights_", "singular_values_", "x_mean_", "y_std_"):
        np.testing.assert_array_equal(getattr(one, name), getattr(both, name), err_msg=name)
    U, V, s = oracle(X, Y, 2)
    same_up_to_sign(one.x_weights_, U)
    same_up_to_sign(one.y_weights_, V)
    np.testing.assert_allclose(one.singular_values_, s, rtol=1e-12)


def test_dask_fit_checks_the_labels_length():
    da = pytest.importorskip("dask.array")
    X, Y = views()
    with _synchronous(), pytest.raises(InputError):
        PLSSVD().fit(da.from_array(X, chunks=(20, -1)), Y, labels=np.zeros(len(X) - 1))


@pytest.mark.parametrize("scale", [True, False])
def test_fit_is_the_svd_of_the_cross_covariance(scale):
    X, Y = views()
    X0, Y0 = X.copy(), Y.copy()
    est = PLSSVD(n_components=2, scale=scale).fit(X, Y)
    np.testing.assert_array_equal(X, X0)  # the caller's arrays are not centred in place
    np.testing.assert_array_equal(Y, Y0)
    U, V, s = oracle(X, Y, 2, scale)
    same_up_to_sign(est.x_weights_, U)
    same_up_to_sign(est.y_weights_, V)
    np.testing.assert_allclose(est.singular_values_, s, rtol=1e-12)
    np.testing.assert_allclose(est.x_mean_, X.mean(0), rtol=1e-14)
    np.testing.assert_allclose(est.y_mean_, Y.mean(0), rtol=1e-14)
    np.testing.assert_allclose(est.x_std_, X.std(0, ddof=1) if scale else 1.0, rtol=1e-14)
    np.testing.assert_allclose(est.y_std_, Y.std(0, ddof=1) if scale else 1.0, rtol=1e-14)
    assert (est.n_features_in_, est.n_features_y_in_) == (4, 3)
    # The projections: centred, scaled rows times the weights.
    Zx = ((X - X.mean(0)) / (X.std(0, ddof=1) if scale else 1.0)) @ U
    same_up_to_sign(est.transform(X), Zx, atol=1e-9)


def test_fit_cross_is_the_svd_of_the_matrix_it_is_given():
    """``_fit_cross`` (shared with the Dask fit) on a known matrix: its SVD, the singular values
    divided by n - 1, the dimensions from the matrix, the means and stds stored as given."""
    rng = np.random.default_rng(3)
    cross = rng.normal(size=(5, 3))
    means, stds = [rng.normal(size=5), rng.normal(size=3)], [rng.uniform(1, 2, 5), rng.uniform(1, 2, 3)]
    est = PLSSVD(n_components=3)._fit_cross(cross, 11, means, stds, np.float64)
    U, s, Vt = np.linalg.svd(cross, full_matrices=False)
    same_up_to_sign(est.x_weights_, U, atol=1e-12)
    same_up_to_sign(est.y_weights_, Vt.T, atol=1e-12)
    np.testing.assert_allclose(est.singular_values_, s / 10, rtol=1e-13)
    assert est.x_mean_ is means[0] and est.y_mean_ is means[1]
    assert est.x_std_ is stds[0] and est.y_std_ is stds[1]
    assert (est.n_features_in_, est.n_features_y_in_) == (5, 3)
    # The signs: the largest entry of each x weight is positive (flip_signs).
    idx = np.argmax(np.abs(est.x_weights_), axis=0)
    assert np.all(est.x_weights_[idx, np.arange(3)] > 0)


def test_fit_cross_works_in_the_given_dtype():
    rng = np.random.default_rng(4)
    cross = rng.normal(size=(4, 3))
    means, stds = [np.zeros(4), np.zeros(3)], [np.ones(4), np.ones(3)]
    est = PLSSVD(n_components=2)._fit_cross(cross, 20, means, stds, np.float32)
    assert est.x_weights_.dtype == est.y_weights_.dtype == est.singular_values_.dtype == np.float32


def test_rank_cut_counts_the_rows():
    """The rank tolerance is ``s[0] * max(d_x, d_y, n) * eps``: a singular value 1e-14 of the
    largest is below it with 1000 rows (2.2e-13) and above it with 10 (2.2e-15; the dimensions
    alone give 8.9e-16)."""
    rng = np.random.default_rng(5)
    U, _ = np.linalg.qr(rng.normal(size=(4, 3)))
    V, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    cross = U @ np.diag([1.0, 0.5, 1e-14]) @ V.T
    args = ([np.zeros(4), np.zeros(3)], [np.ones(4), np.ones(3)], np.float64)
    assert PLSSVD(n_components=3)._fit_cross(cross, 10, *args).x_weights_.shape == (4, 3)
    with pytest.raises(InputError, match="has rank 2"):
        PLSSVD(n_components=3)._fit_cross(cross, 1000, *args)
    assert PLSSVD(n_components=2)._fit_cross(cross, 1000, *args).x_weights_.shape == (4, 2)
    # The cut is relative: the same matrix times 1e-20 has the same rank.
    assert PLSSVD(n_components=2)._fit_cross(cross * 1e-20, 1000, *args).x_weights_.shape == (4, 2)


def test_zero_cross_covariance_has_rank_zero():
    args = ([np.zeros(4), np.zeros(3)], [np.ones(4), np.ones(3)], np.float64)
    with pytest.raises(InputError, match="has rank 0"):
        PLSSVD(n_components=1)._fit_cross(np.zeros((4, 3)), 10, *args)


@pytest.mark.parametrize("shape", [(40, 3), (3, 40)])
def test_rank_cut_counts_both_dimensions(shape):
    """With more features than rows the larger dimension sets the tolerance: a singular value
    4e-15 of the largest is below ``40 * eps`` (8.9e-15) but above ``5 * eps`` (1.1e-15)."""
    rng = np.random.default_rng(6)
    U, _ = np.linalg.qr(rng.normal(size=(shape[0], 3)))
    V, _ = np.linalg.qr(rng.normal(size=(shape[1], 3)))
    cross = U @ np.diag([1.0, 0.5, 4e-15]) @ V.T
    args = ([np.zeros(shape[0]), np.zeros(shape[1])], [np.ones(shape[0]), np.ones(shape[1])], np.float64)
    with pytest.raises(InputError, match="has rank 2"):
        PLSSVD(n_components=3)._fit_cross(cross, 5, *args)


def test_a_single_target_column_has_rank_one():
    X, Y = views(dy=1)
    est = PLSSVD(n_components=1).fit(X, Y)
    U, _, s = oracle(X, Y, 1)
    same_up_to_sign(est.x_weights_, U)
    np.testing.assert_allclose(est.singular_values_, s, rtol=1e-12)
    with pytest.raises(InputError, match="has rank 1"):
        PLSSVD(n_components=2).fit(X, Y)


def test_large_offsets_are_removed_before_the_product():
    """Views far from the origin (means 1e8): the centred product is the oracle's to 1e-10; a
    cross product of uncentred rows loses the digits the offset takes."""
    X, Y = views()
    X, Y = X + 1e8, Y - 3e7
    est = PLSSVD(n_components=2).fit(X, Y)
    U, _, s = oracle(X, Y, 2)
    np.testing.assert_allclose(est.singular_values_, s, rtol=1e-10)
    same_up_to_sign(est.x_weights_, U, atol=1e-9)


def test_labels_length_message_counts_the_rows():
    X, Y = views(n=30)
    with pytest.raises(InputError, match="labels has 29 rows but there are 30 samples"):
        PLSSVD(n_components=1).fit(X, Y, labels=np.zeros(29))
