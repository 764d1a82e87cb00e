"""Tests of RegularizedCCA against closed forms, scikit-learn and planted correlations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from sklearn.base import clone
from sklearn.cross_decomposition import CCA, PLSSVD
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    NotFittedError,
    ParameterError,
    ShapeMismatchError,
)
from classicx.subspace import RegularizedCCA

RHO = np.array([0.9, 0.6, 0.3])


def planted(n=300, dx=8, dy=6, rho=RHO, seed=0):
    """Views whose sample canonical correlations are exactly ``rho``.

    Columns of an orthonormal, centred basis are combined so that the
    i-th latent pair has correlation rho[i] and every other pair of
    latent columns is uncorrelated; random invertible mixing hides them.
    """
    rng = np.random.default_rng(seed)
    k = len(rho)
    m = 2 * k + (dx - k) + (dy - k)
    Z = rng.normal(size=(n, m))
    Z -= Z.mean(axis=0)
    Q, _ = np.linalg.qr(Z)
    A, B = Q[:, :k], Q[:, k : 2 * k]
    Lx = np.hstack([A, Q[:, 2 * k : 2 * k + dx - k]])
    Ly = np.hstack([A * rho + B * np.sqrt(1 - rho**2), Q[:, 2 * k + dx - k :]])
    X = Lx @ rng.normal(size=(dx, dx)) + rng.normal(size=dx)
    Y = Ly @ rng.normal(size=(dy, dy)) + rng.normal(size=dy)
    return X, Y


def textbook(X, Y, k, reg=0.0):
    """Top-k solution of C_xy Cr_yy^-1 C_yx a = rho^2 Cr_xx a (generalised symmetric eigenproblem)."""
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    n = len(X)
    Cxx, Cyy, Cxy = Xc.T @ Xc / (n - 1), Yc.T @ Yc / (n - 1), Xc.T @ Yc / (n - 1)
    Rxx = (1 - reg) * Cxx + reg * np.trace(Cxx) / len(Cxx) * np.eye(len(Cxx))
    Ryy = (1 - reg) * Cyy + reg * np.trace(Cyy) / len(Cyy) * np.eye(len(Cyy))
    M = Cxy @ np.linalg.solve(Ryy, Cxy.T)
    d = len(Cxx)
    vals, vecs = scipy.linalg.eigh(M, Rxx, subset_by_index=[d - k, d - 1])
    return np.sqrt(vals[::-1]), vecs[:, ::-1]


def block_eigh_oracle(X, Y, k, reg, reg_y):
    """Top-k of [0 C_xy; C_yx 0] v = rho blockdiag(Cr_xx, Cr_yy) v, solved by scipy.linalg.eigh.

    Each view has its own shrinkage (``reg`` for X, ``reg_y`` for Y). Returns the
    correlations and the weights normalised to a' Cr_xx a = b' Cr_yy b = 1.
    """
    dx = X.shape[1]
    C = np.cov(np.hstack([X, Y]).T)
    Cxx, Cyy, Cxy = C[:dx, :dx], C[dx:, dx:], C[:dx, dx:]

    def shrunk(S, r):
        return (1 - r) * S + r * np.trace(S) / len(S) * np.eye(len(S))

    lhs = np.block([[np.zeros_like(Cxx), Cxy], [Cxy.T, np.zeros_like(Cyy)]])
    Rxx, Ryy = shrunk(Cxx, reg), shrunk(Cyy, reg_y)
    rhs = scipy.linalg.block_diag(Rxx, Ryy)
    m = len(lhs)
    rho, V = scipy.linalg.eigh(lhs, rhs, subset_by_index=[m - k, m - 1])
    rho, V = rho[::-1], V[:, ::-1]
    A, B = V[:dx], V[dx:]
    A, B = A / np.sqrt(np.einsum("ij,ij->j", A, Rxx @ A)), B / np.sqrt(np.einsum("ij,ij->j", B, Ryy @ B))
    return rho, A, B


@pytest.mark.parametrize(("reg", "reg_y"), [(0.0, 0.5), (0.5, 0.0), (0.1, 0.9)])
def test_each_view_is_shrunk_by_its_own_reg(reg, reg_y):
    # Regression oracle for a planted bug that survived: the second view shrunk with reg
    # instead of reg_y. The closed form comes from the generalised eigenproblem, not from
    # the estimator's whitening + SVD.
    X, Y = planted(seed=0)
    rho, A, B = block_eigh_oracle(X, Y, 2, reg, reg_y)
    cca = RegularizedCCA(n_components=2, reg=reg, reg_y=reg_y).fit(X, Y)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-10)
    signs = np.sign(np.sum(cca.x_weights_ * A, axis=0))
    np.testing.assert_allclose(cca.x_weights_, A * signs, atol=1e-10)
    np.testing.assert_allclose(cca.y_weights_, B * signs, atol=1e-10)
    P, Q = cca.transform(X, Y)
    np.testing.assert_allclose(P, (X - X.mean(0)) @ A * signs, atol=1e-10)
    np.testing.assert_allclose(Q, (Y - Y.mean(0)) @ B * signs, atol=1e-10)
    # the two shrinkages are not interchangeable: swapping them changes the solution
    swapped = block_eigh_oracle(X, Y, 2, reg_y, reg)[0]
    assert np.abs(swapped - rho).max() > 0.05


def test_reg_y_in_the_dual_form():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(40, 90)), rng.normal(size=(40, 70))
    Y[:, :3] += X[:, :3]
    rho, A, _ = block_eigh_oracle(X, Y, 3, 0.2, 0.7)
    cca = RegularizedCCA(n_components=3, reg=0.2, reg_y=0.7).fit(X, Y)
    assert cca.x_scatter_ is None  # the dual form
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-8)
    np.testing.assert_allclose(abs_cos(cca.x_weights_, A), 1.0, atol=1e-8)


def abs_cos(a, b):
    return np.abs(np.sum(a * b, axis=0)) / np.linalg.norm(a, axis=0) / np.linalg.norm(b, axis=0)


def test_recovers_planted_canonical_correlations_exactly():
    X, Y = planted()
    cca = RegularizedCCA(n_components=3, reg=0.0).fit(X, Y)
    np.testing.assert_allclose(cca.canonical_correlations_, RHO, atol=1e-9)
    Xp, Yp = cca.transform(X, Y)
    observed = [np.corrcoef(Xp[:, i], Yp[:, i])[0, 1] for i in range(3)]
    np.testing.assert_allclose(observed, RHO, atol=1e-9)
    np.testing.assert_allclose(np.corrcoef(Xp.T), np.eye(3), atol=1e-9)


@pytest.mark.parametrize("reg", [0.0, 0.1, 0.7])
def test_matches_textbook_eigen_solution(reg):
    X, Y = planted(seed=1)
    rho, A = textbook(X, Y, 3, reg)
    cca = RegularizedCCA(n_components=3, reg=reg).fit(X, Y)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-8)
    np.testing.assert_allclose(abs_cos(cca.x_weights_, A), 1.0, atol=1e-8)


def test_dual_form_when_features_outnumber_samples():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(40, 90)), rng.normal(size=(40, 70))
    Y[:, :3] += X[:, :3]
    reg = 0.2
    cca = RegularizedCCA(n_components=3, reg=reg).fit(X, Y)
    assert cca.x_scatter_ is None
    rho, A = textbook(X, Y, 3, reg)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-7)
    np.testing.assert_allclose(abs_cos(cca.x_weights_, A), 1.0, atol=1e-7)
    assert cca.x_rank_ == 39


def test_agrees_with_sklearn_cca_up_to_sign():
    X, Y = planted(n=400, seed=3)
    ours = RegularizedCCA(n_components=2, reg=0.0).fit(X, Y)
    ref = CCA(n_components=2, max_iter=5000, tol=1e-12).fit(X, Y)
    ours_x, ours_y = ours.transform(X, Y)
    ref_x, ref_y = ref.transform(X, Y)
    np.testing.assert_allclose(abs_cos(ours_x - ours_x.mean(0), ref_x - ref_x.mean(0)), 1.0, atol=1e-7)
    np.testing.assert_allclose(abs_cos(ours_y - ours_y.mean(0), ref_y - ref_y.mean(0)), 1.0, atol=1e-7)


def test_reg_one_is_pls_svd_and_reg_approaches_it():
    X, Y = planted(seed=4)
    pls = PLSSVD(n_components=2, scale=False).fit(X, Y)
    at_one = RegularizedCCA(n_components=2, reg=1.0).fit(X, Y)
    np.testing.assert_allclose(abs_cos(at_one.x_weights_, pls.x_weights_), 1.0, atol=1e-9)
    np.testing.assert_allclose(abs_cos(at_one.y_weights_, pls.y_weights_), 1.0, atol=1e-9)
    gaps = [
        1 - abs_cos(RegularizedCCA(n_components=1, reg=r).fit(X, Y).x_weights_, pls.x_weights_[:, :1])[0]
        for r in (0.0, 0.9, 0.99, 0.999)
    ]
    assert gaps[0] > 1e-3
    assert all(a > b for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-3


@pytest.mark.parametrize("batches", [[300], [1, 299], [50, 7, 143, 100]])
def test_partial_fit_equals_fit_on_concatenation(batches):
    X, Y = planted(seed=5)
    full = RegularizedCCA(n_components=3, reg=0.05, scale=True).fit(X, Y)
    stream = RegularizedCCA(n_components=3, reg=0.05, scale=True)
    start = 0
    for size in batches:
        stream.partial_fit(X[start : start + size], Y[start : start + size])
        start += size
    assert stream.n_samples_seen_ == 300
    np.testing.assert_allclose(stream.canonical_correlations_, full.canonical_correlations_, rtol=1e-9)
    np.testing.assert_allclose(stream.transform(X), full.transform(X), atol=1e-8)
    np.testing.assert_allclose(stream.transform_y(Y), full.transform_y(Y), atol=1e-8)


@pytest.mark.parametrize("scale", [False, True])
def test_partial_fit_equals_dual_fit_when_features_outnumber_samples(scale):
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(30, 50)) * rng.uniform(0.1, 10, size=50), rng.normal(size=(30, 40))
    full = RegularizedCCA(n_components=2, reg=0.3, scale=scale).fit(X, Y)
    stream = RegularizedCCA(n_components=2, reg=0.3, scale=scale)
    for i in range(0, 30, 10):
        stream.partial_fit(X[i : i + 10], Y[i : i + 10])
    np.testing.assert_allclose(stream.transform(X), full.transform(X), atol=1e-7)
    dual32 = RegularizedCCA(n_components=2, reg=0.3, scale=scale, dtype="float32").fit(X, Y)
    assert dual32.transform(X).dtype == np.float32
    np.testing.assert_allclose(dual32.transform(X), full.transform(X), atol=1e-3)


def test_partial_fit_waits_for_enough_rank_and_rejects_changed_width():
    X, Y = planted(seed=7)
    cca = RegularizedCCA(n_components=3, reg=0.0).partial_fit(X[:2], Y[:2])
    with pytest.raises(NotFittedError):
        cca.transform(X)
    cca.partial_fit(X[2:], Y[2:])
    np.testing.assert_allclose(
        cca.transform(X), RegularizedCCA(n_components=3, reg=0.0).fit(X, Y).transform(X), atol=1e-8
    )
    with pytest.raises(ShapeMismatchError, match="X has 5 features, but RegularizedCCA is expecting 8"):
        cca.partial_fit(X[:, :5], Y)
    with pytest.raises(ShapeMismatchError, match="Y has 5 features, but RegularizedCCA is expecting 6"):
        cca.partial_fit(X, Y[:, :5])
    with pytest.raises(InputError, match="n_components=7"):
        RegularizedCCA(n_components=7).partial_fit(X[:3], Y[:3])


def test_partial_fit_after_dual_fit_is_refused():
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(10, 20)), rng.normal(size=(10, 5))
    cca = RegularizedCCA(n_components=2).fit(X, Y)
    with pytest.raises(InputError, match="dual form"):
        cca.partial_fit(X, Y)


def test_signs_are_deterministic_and_row_order_free():
    X, Y = planted(seed=9)
    a = RegularizedCCA(n_components=3).fit(X, Y)
    perm = np.random.default_rng(0).permutation(len(X))
    b = RegularizedCCA(n_components=3).fit(X[perm], Y[perm])
    np.testing.assert_allclose(a.x_weights_, b.x_weights_, atol=1e-9)
    np.testing.assert_allclose(a.y_weights_, b.y_weights_, atol=1e-9)
    top = a.x_weights_[np.argmax(np.abs(a.x_weights_), axis=0), np.arange(3)]
    assert np.all(top > 0)
    assert np.all(np.diff(a.canonical_correlations_) <= 0)


def test_float32_stays_float32_and_agrees_with_float64():
    X, Y = planted(seed=10)
    c64 = RegularizedCCA(n_components=3, reg=0.01).fit(X, Y)
    c32 = RegularizedCCA(n_components=3, reg=0.01).fit(X.astype(np.float32), Y.astype(np.float32))
    assert c32.x_weights_.dtype == np.float32
    out = c32.transform(X.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(c32.canonical_correlations_, c64.canonical_correlations_, rtol=1e-4)
    np.testing.assert_allclose(out, c64.transform(X), atol=1e-3)
    forced = RegularizedCCA(n_components=3, dtype="float32").fit(X, Y)
    assert forced.transform(X).dtype == np.float32


def test_scale_option():
    X, Y = planted(seed=11)
    X = X * np.arange(1, 9)
    plain = RegularizedCCA(n_components=2, reg=0.0).fit(X, Y)
    scaled = RegularizedCCA(n_components=2, reg=0.0, scale=True).fit(X, Y)
    np.testing.assert_allclose(plain.canonical_correlations_, scaled.canonical_correlations_, rtol=1e-9)
    Xs, Ys = StandardScaler().fit_transform(X), StandardScaler().fit_transform(Y)
    reg_scaled = RegularizedCCA(n_components=2, reg=0.3, scale=True).fit(X, Y)
    reg_manual = RegularizedCCA(n_components=2, reg=0.3).fit(Xs, Ys)
    np.testing.assert_allclose(
        reg_scaled.canonical_correlations_, reg_manual.canonical_correlations_, rtol=1e-9
    )
    np.testing.assert_allclose(reg_scaled.transform(X), reg_manual.transform(Xs), atol=1e-8)


def test_weight_power_scales_dimensions_by_correlation():
    X, Y = planted(seed=12)
    plain = RegularizedCCA(n_components=3, reg=0.0).fit(X, Y)
    weighted = RegularizedCCA(n_components=3, reg=0.0, weight_power=4).fit(X, Y)
    np.testing.assert_allclose(weighted.transform(X), plain.transform(X) * RHO**4, atol=1e-9)


def test_constant_columns_get_zero_weight():
    X, Y = planted(seed=13)
    Xc = np.hstack([X[:, :3], np.full((len(X), 1), 7.0), X[:, 3:]])
    without = RegularizedCCA(n_components=3, reg=0.0).fit(X, Y)
    with_const = RegularizedCCA(n_components=3, reg=0.0).fit(Xc, Y)
    np.testing.assert_allclose(with_const.x_weights_[3], 0.0, atol=1e-10)
    np.testing.assert_allclose(with_const.canonical_correlations_, without.canonical_correlations_, rtol=1e-9)
    np.testing.assert_allclose(with_const.transform(Xc), without.transform(X), atol=1e-8)
    regd = RegularizedCCA(n_components=3, reg=0.1, scale=True).fit(Xc, Y)
    np.testing.assert_allclose(regd.x_weights_[3], 0.0, atol=1e-10)
    assert regd.x_rank_ == 8


def test_too_many_components_names_the_rank():
    X, Y = planted(seed=14)
    Y = np.hstack([Y[:, :2], Y[:, :2] * 2.0])
    with pytest.raises(InputError, match="Y has rank 2"):
        RegularizedCCA(n_components=3).fit(X, Y)
    with pytest.raises(ParameterError, match="'n_components' parameter of RegularizedCCA must be an int"):
        RegularizedCCA(n_components=1.5).fit(X, Y)


def test_bad_inputs_raise_clear_errors():
    X, Y = planted(seed=15)
    with pytest.raises(ShapeMismatchError, match="299"):
        RegularizedCCA().fit(X, Y[:-1])
    bad = X.copy()
    bad[17, 2] = np.nan
    with pytest.raises(NonFiniteError, match="row 17"):
        RegularizedCCA().fit(bad, Y)
    bad[17, 2] = np.inf
    with pytest.raises(NonFiniteError, match="row 17"):
        RegularizedCCA().fit(X, bad[:, :6])
    with pytest.raises(ShapeMismatchError, match="Expected 2D array, got 1D array"):
        RegularizedCCA().fit(X[:, 0], Y)
    with pytest.raises(InputError, match="Y is required"):
        RegularizedCCA().fit(X, None)
    with pytest.raises(InputTypeError):
        RegularizedCCA().fit(np.array([["a", "b"]] * 3), Y[:3])
    with pytest.raises(EmptyInputError):
        RegularizedCCA().fit(X[:0], Y[:0])
    with pytest.raises(ParameterError, match=r"reg.* must be a float in the range \[0.0, 1.0\]"):
        RegularizedCCA(reg=2.0).fit(X, Y)
    with pytest.raises(InputError, match="reg_y"):
        RegularizedCCA(reg_y=-1.0).fit(X, Y)
    with pytest.raises(ShapeMismatchError, match="labels"):
        RegularizedCCA().fit(X, Y, labels=np.zeros(3, int))
    with pytest.raises(InputError, match="dtype"):
        RegularizedCCA(dtype="int8").fit(X, Y)


def test_unfitted_and_wrong_width_transform():
    X, Y = planted(seed=16)
    with pytest.raises(NotFittedError, match="not fitted"):
        RegularizedCCA().transform(X)
    cca = RegularizedCCA().fit(X, Y)
    with pytest.raises(ShapeMismatchError, match="expecting 8 features"):
        cca.transform(X[:, :4])
    with pytest.raises(ShapeMismatchError, match="expecting 6 features"):
        cca.transform_y(X)
    bad = X.copy()
    bad[4, 0] = np.nan
    with pytest.raises(NonFiniteError, match="row 4"):
        cca.transform(bad)


def test_copy_false_centres_in_place_and_sparse_input_is_accepted():
    import scipy.sparse as sp

    X, Y = planted(seed=17)
    expected = RegularizedCCA(n_components=2).fit(X, Y).transform(X)
    X_work = X.copy()
    RegularizedCCA(n_components=2, copy=False).fit(X_work, Y.copy())
    np.testing.assert_allclose(X_work.mean(axis=0), 0.0, atol=1e-10)
    X_copy = X.copy()
    RegularizedCCA(n_components=2).fit(X_copy, Y)
    np.testing.assert_array_equal(X_copy, X)
    sparse = RegularizedCCA(n_components=2).fit(sp.csr_matrix(X), Y)
    np.testing.assert_allclose(sparse.transform(sp.csr_matrix(X)), expected, atol=1e-9)


def test_save_load_round_trip_and_streaming_continues(tmp_path):
    X, Y = planted(seed=18)
    cca = RegularizedCCA(n_components=3, reg=0.05, weight_power=2.0).partial_fit(X[:150], Y[:150])
    cca.save(tmp_path / "m")
    loaded = RegularizedCCA.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.transform(X), cca.transform(X))
    assert loaded.get_params() == cca.get_params()
    loaded.partial_fit(X[150:], Y[150:])
    full = RegularizedCCA(n_components=3, reg=0.05, weight_power=2.0).fit(X, Y)
    np.testing.assert_allclose(loaded.transform(X), full.transform(X), atol=1e-8)


def test_sklearn_compatibility_clone_and_pipeline():
    X, Y = planted(seed=19)
    cca = RegularizedCCA(n_components=2, reg=0.2)
    copy = clone(cca)
    assert copy.get_params() == cca.get_params()
    copy.set_params(reg=0.5)
    assert copy.reg == 0.5 and cca.reg == 0.2
    pipe = make_pipeline(StandardScaler(), RegularizedCCA(n_components=2, reg=0.0)).fit(X, Y)
    direct = RegularizedCCA(n_components=2, reg=0.0).fit(StandardScaler().fit_transform(X), Y)
    np.testing.assert_allclose(
        pipe.transform(X), direct.transform(StandardScaler().fit_transform(X)), atol=1e-9
    )
    # fit_transform is fit(X, Y).transform(X), as for every transformer, so that the aligner
    # can be an intermediate step of a pipeline
    fitted = RegularizedCCA(n_components=2).fit(X, Y)
    np.testing.assert_array_equal(RegularizedCCA(n_components=2).fit_transform(X, Y), fitted.transform(X))
    chained = make_pipeline(RegularizedCCA(n_components=2), StandardScaler()).fit(X, Y)
    np.testing.assert_allclose(
        chained.transform(X), StandardScaler().fit_transform(fitted.transform(X)), atol=1e-12
    )
