"""RegularizedCCA against an independent oracle: the regularised CCA generalised eigenproblem

    [0    C_xy] [a]         [Cr_xx   0  ] [a]
    [C_yx    0] [b] = rho * [  0   Cr_yy] [b],     Cr = (1 - reg) C + reg * trace(C)/d * I,

solved by ``scipy.linalg.eigh`` on the stacked views. Its top eigenvalues are the canonical
correlations; its B-normalised eigenvectors, times sqrt(2), are the weights (a' Cr_xx a = 1).
These tests were written from the survivors of a mutation run (see tests/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from classicx.subspace import PLSSVD, RegularizedCCA


def shrunk(C, reg):
    d = len(C)
    return (1 - reg) * C + reg * np.trace(C) / d * np.eye(d)


def block_oracle(X, Y, k, reg_x, reg_y, scale=False):
    """Top-k (rho, A, B) of the regularised CCA generalised eigenproblem, A' Cr_xx A = I."""
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    if scale:
        Xc = Xc / Xc.std(0, ddof=1)
        Yc = Yc / Yc.std(0, ddof=1)
    n, dx = Xc.shape
    C = np.hstack([Xc, Yc]).T @ np.hstack([Xc, Yc]) / (n - 1)
    Cxx, Cyy, Cxy = C[:dx, :dx], C[dx:, dx:], C[:dx, dx:]
    lhs = np.zeros_like(C)
    lhs[:dx, dx:], lhs[dx:, :dx] = Cxy, Cxy.T
    rhs = scipy.linalg.block_diag(shrunk(Cxx, reg_x), shrunk(Cyy, reg_y))
    vals, vecs = scipy.linalg.eigh(lhs, rhs)
    order = np.argsort(vals)[::-1][:k]
    vecs = vecs[:, order] * np.sqrt(2.0)
    return vals[order], vecs[:dx], vecs[dx:]


def aligned(W, ref):
    """W with each column's sign matched to ref (eigenvectors are defined up to sign)."""
    return W * np.sign(np.sum(W * ref, axis=0))


def data(n=400, dx=5, dy=4, seed=0):
    """Correlated views with unequal column scales (so shrinkage and scaling both matter)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    X = np.hstack([z, rng.normal(size=(n, dx - 3))]) @ rng.normal(size=(dx, dx))
    Y = np.hstack([z + 0.8 * rng.normal(size=(n, 3)), rng.normal(size=(n, dy - 3))]) @ rng.normal(size=(dy, dy))
    X = X * np.linspace(0.5, 4.0, dx) + 3.0
    Y = Y * np.linspace(2.0, 0.3, dy) - 1.0
    return X, Y


@pytest.mark.parametrize(
    "reg, reg_y",
    [(0.0, 0.5), (0.5, 0.0), (0.3, 0.9), (1e-3, None), (0.6, None), (1.0, 0.2), (0.0, 1.0)],
)
def test_primal_form_equals_block_eigen_oracle(reg, reg_y):
    X, Y = data()
    rho, A, B = block_oracle(X, Y, 3, reg, reg if reg_y is None else reg_y)
    cca = RegularizedCCA(n_components=3, reg=reg, reg_y=reg_y).fit(X, Y)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-9)
    np.testing.assert_allclose(cca.x_weights_, aligned(A, cca.x_weights_), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(cca.y_weights_, aligned(B, cca.y_weights_), rtol=1e-7, atol=1e-10)


def test_reg_y_shrinks_the_second_view_and_only_it():
    """The planted bug of issue #10: the second view shrunk with ``reg`` instead of ``reg_y``."""
    X, Y = data(seed=1)
    plain = RegularizedCCA(n_components=2, reg=0.0).fit(X, Y)
    shrunk_y = RegularizedCCA(n_components=2, reg=0.0, reg_y=0.5).fit(X, Y)
    shrunk_x = RegularizedCCA(n_components=2, reg=0.5, reg_y=0.0).fit(X, Y)
    both = RegularizedCCA(n_components=2, reg=0.5).fit(X, Y)
    for model, (rx, ry) in [(plain, (0, 0)), (shrunk_y, (0, 0.5)), (shrunk_x, (0.5, 0)), (both, (0.5, 0.5))]:
        rho, _, _ = block_oracle(X, Y, 2, rx, ry)
        np.testing.assert_allclose(model.canonical_correlations_, rho, rtol=1e-9)
    assert np.abs(shrunk_y.canonical_correlations_ - plain.canonical_correlations_).max() > 1e-2
    assert np.abs(shrunk_y.canonical_correlations_ - shrunk_x.canonical_correlations_).max() > 1e-2
    # Normalisation constraints: a' Cr_xx a = b' Cr_yy b = 1 with each view's own shrinkage.
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    n = len(X)
    Rxx, Ryy = shrunk(Xc.T @ Xc / (n - 1), 0.0), shrunk(Yc.T @ Yc / (n - 1), 0.5)
    np.testing.assert_allclose(shrunk_y.x_weights_.T @ Rxx @ shrunk_y.x_weights_, np.eye(2), atol=1e-9)
    np.testing.assert_allclose(shrunk_y.y_weights_.T @ Ryy @ shrunk_y.y_weights_, np.eye(2), atol=1e-9)


@pytest.mark.parametrize("reg, reg_y", [(0.0, 0.5), (0.4, 0.1)])
def test_dual_form_equals_block_eigen_oracle(reg, reg_y):
    # More features than samples in both views: fit takes the SVD (dual) route.
    rng = np.random.default_rng(2)
    n = 30
    z = rng.normal(size=(n, 2))
    X = np.hstack([z, rng.normal(size=(n, 40))]) * np.linspace(0.5, 2, 42)
    Y = np.hstack([z + 0.5 * rng.normal(size=(n, 2)), rng.normal(size=(n, 33))])
    cca = RegularizedCCA(n_components=2, reg=reg, reg_y=reg_y).fit(X, Y)
    assert cca.x_scatter_ is None
    # reg = 0 on a view with d > n is singular in the full space; the model works in the span of
    # the centred data, where the oracle is the same problem written in that basis.
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Ux, sx, Vx = np.linalg.svd(Xc, full_matrices=False)
    Uy, sy, Vy = np.linalg.svd(Yc, full_matrices=False)
    rx, ry = int(np.sum(sx > sx[0] * 1e-10)), int(np.sum(sy > sy[0] * 1e-10))
    Px, Py = Xc @ Vx[:rx].T, Yc @ Vy[:ry].T  # coordinates in the span
    mux = np.sum(sx**2) / (n - 1) / X.shape[1]
    muy = np.sum(sy**2) / (n - 1) / Y.shape[1]
    Cxx, Cyy, Cxy = Px.T @ Px / (n - 1), Py.T @ Py / (n - 1), Px.T @ Py / (n - 1)
    lhs = np.zeros((rx + ry, rx + ry))
    lhs[:rx, rx:], lhs[rx:, :rx] = Cxy, Cxy.T
    rhs = scipy.linalg.block_diag(
        (1 - reg) * Cxx + reg * mux * np.eye(rx), (1 - reg_y) * Cyy + reg_y * muy * np.eye(ry)
    )
    vals, vecs = scipy.linalg.eigh(lhs, rhs)
    order = np.argsort(vals)[::-1][:2]
    np.testing.assert_allclose(cca.canonical_correlations_, vals[order], rtol=1e-8)
    A = Vx[:rx].T @ vecs[:rx, order] * np.sqrt(2)
    B = Vy[:ry].T @ vecs[rx:, order] * np.sqrt(2)
    np.testing.assert_allclose(cca.x_weights_, aligned(A, cca.x_weights_), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cca.y_weights_, aligned(B, cca.y_weights_), rtol=1e-6, atol=1e-9)
    assert (cca.x_rank_, cca.y_rank_) == (rx, ry) == (n - 1, n - 1)


def test_dual_form_in_one_view_only_equals_primal_oracle_in_the_span():
    # X has fewer features than samples, Y more: one eigen basis, one SVD basis.
    rng = np.random.default_rng(3)
    n = 50
    z = rng.normal(size=(n, 2))
    X = np.hstack([z, rng.normal(size=(n, 4))]) * np.linspace(1, 3, 6)
    Y = np.hstack([z + 0.3 * rng.normal(size=(n, 2)), rng.normal(size=(n, 70))])
    reg, reg_y = 0.2, 0.7
    cca = RegularizedCCA(n_components=2, reg=reg, reg_y=reg_y).fit(X, Y)
    assert cca.x_scatter_ is None
    # Oracle through the kernel trick for Y: weights b = Yc' beta live in the row space of Yc.
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    U, s, Vt = np.linalg.svd(Yc, full_matrices=False)
    keep = s > s[0] * 1e-10
    Py = Yc @ Vt[keep].T
    muy = np.sum(s**2) / (n - 1) / Y.shape[1]
    dx = X.shape[1]
    Cxx, Cyy, Cxy = Xc.T @ Xc / (n - 1), Py.T @ Py / (n - 1), Xc.T @ Py / (n - 1)
    r = Py.shape[1]
    lhs = np.zeros((dx + r, dx + r))
    lhs[:dx, dx:], lhs[dx:, :dx] = Cxy, Cxy.T
    rhs = scipy.linalg.block_diag(shrunk(Cxx, reg), (1 - reg_y) * Cyy + reg_y * muy * np.eye(r))
    vals, vecs = scipy.linalg.eigh(lhs, rhs)
    order = np.argsort(vals)[::-1][:2]
    np.testing.assert_allclose(cca.canonical_correlations_, vals[order], rtol=1e-8)
    A = vecs[:dx, order] * np.sqrt(2)
    np.testing.assert_allclose(cca.x_weights_, aligned(A, cca.x_weights_), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("reg, reg_y", [(0.3, 0.6), (0.8, None)])
def test_scale_equals_oracle_on_standardised_views(reg, reg_y):
    X, Y = data(seed=4)
    ry = reg if reg_y is None else reg_y
    rho, A, B = block_oracle(X, Y, 2, reg, ry, scale=True)
    cca = RegularizedCCA(n_components=2, reg=reg, reg_y=reg_y, scale=True).fit(X, Y)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-9)
    np.testing.assert_allclose(cca.x_weights_, aligned(A, cca.x_weights_), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(cca.x_std_, X.std(0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(cca.y_std_, Y.std(0, ddof=1), rtol=1e-12)
    # Scaling changes the regularised answer (it would not with reg = 0).
    unscaled = RegularizedCCA(n_components=2, reg=reg, reg_y=reg_y).fit(X, Y)
    assert np.abs(unscaled.canonical_correlations_ - rho).max() > 1e-3
    np.testing.assert_allclose(unscaled.x_std_, 1.0)


def test_scale_in_the_dual_form_equals_scale_in_the_primal_form():
    rng = np.random.default_rng(5)
    n = 25
    X = rng.normal(size=(n, 30)) * np.linspace(0.1, 5, 30) + 2
    Y = X[:, :20] @ rng.normal(size=(20, 40)) + rng.normal(size=(n, 40))
    dual = RegularizedCCA(n_components=2, reg=0.4, reg_y=0.3, scale=True).fit(X, Y)
    np.testing.assert_allclose(dual.x_std_, X.std(0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(dual.y_std_, Y.std(0, ddof=1), rtol=1e-10)
    streamed = RegularizedCCA(n_components=2, reg=0.4, reg_y=0.3, scale=True)
    streamed.partial_fit(X[:10], Y[:10]).partial_fit(X[10:], Y[10:])
    np.testing.assert_allclose(streamed.canonical_correlations_, dual.canonical_correlations_, rtol=1e-7)
    np.testing.assert_allclose(
        abs(np.sum(streamed.x_weights_ * dual.x_weights_, 0)),
        np.linalg.norm(dual.x_weights_, axis=0) ** 2,
        rtol=1e-6,
    )


def test_constant_column_gets_unit_scale_and_zero_weight_when_scaling():
    X, Y = data(seed=6)
    X[:, 2] = 7.0
    cca = RegularizedCCA(n_components=2, reg=0.2, scale=True).fit(X, Y)
    assert cca.x_std_[2] == 1.0
    np.testing.assert_allclose(cca.x_weights_[2], 0.0, atol=1e-12)
    rng = np.random.default_rng(0)
    Xw, Yw = rng.normal(size=(10, 20)), rng.normal(size=(10, 30))
    Xw[:, 4] = -3.0
    dual = RegularizedCCA(n_components=2, reg=0.2, scale=True).fit(Xw, Yw)
    assert dual.x_std_[4] == 1.0
    np.testing.assert_allclose(dual.x_weights_[4], 0.0, atol=1e-12)


@pytest.mark.parametrize("power", [0.0, 1.0, 4.0])
def test_transform_is_centred_scaled_projection_times_correlation_power(power):
    X, Y = data(seed=7)
    cca = RegularizedCCA(n_components=3, reg=0.1, reg_y=0.4, scale=True, weight_power=power).fit(X, Y)
    Xt, Yt = cca.transform(X[:9], Y[:9])
    factor = cca.canonical_correlations_**power
    expected_x = (X[:9] - X.mean(0)) / X.std(0, ddof=1) @ cca.x_weights_ * factor
    expected_y = (Y[:9] - Y.mean(0)) / Y.std(0, ddof=1) @ cca.y_weights_ * factor
    np.testing.assert_allclose(Xt, expected_x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Yt, expected_y, rtol=1e-10, atol=1e-12)


def test_partial_fit_equals_block_oracle_on_all_rows_with_reg_y():
    X, Y = data(n=300, seed=8)
    cca = RegularizedCCA(n_components=2, reg=0.05, reg_y=0.6)
    for part in np.array_split(np.arange(300), [7, 100, 101, 250]):
        cca.partial_fit(X[part], Y[part])
    rho, A, _ = block_oracle(X, Y, 2, 0.05, 0.6)
    assert cca.n_samples_seen_ == 300
    np.testing.assert_allclose(cca.x_mean_, X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(cca.y_mean_, Y.mean(0), rtol=1e-12)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    np.testing.assert_allclose(cca.x_scatter_, Xc.T @ Xc, rtol=1e-10)
    np.testing.assert_allclose(cca.y_scatter_, Yc.T @ Yc, rtol=1e-10)
    np.testing.assert_allclose(cca.xy_scatter_, Xc.T @ Yc, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-9)
    np.testing.assert_allclose(cca.x_weights_, aligned(A, cca.x_weights_), rtol=1e-7, atol=1e-10)


def test_partial_fit_with_scale_equals_fit_with_scale():
    X, Y = data(n=200, seed=9)
    full = RegularizedCCA(n_components=2, reg=0.3, scale=True).fit(X, Y)
    streamed = RegularizedCCA(n_components=2, reg=0.3, scale=True)
    streamed.partial_fit(X[:60], Y[:60]).partial_fit(X[60:], Y[60:])
    np.testing.assert_allclose(streamed.canonical_correlations_, full.canonical_correlations_, rtol=1e-9)
    np.testing.assert_allclose(streamed.x_std_, X.std(0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(streamed.x_weights_, full.x_weights_, rtol=1e-7, atol=1e-10)


def test_partial_fit_waits_until_the_rank_allows_the_components():
    X, Y = data(n=50, seed=10)
    cca = RegularizedCCA(n_components=3, reg=0.1)
    cca.partial_fit(X[:1], Y[:1])  # one row: statistics only
    assert not hasattr(cca, "x_weights_")
    cca.partial_fit(X[1:3], Y[1:3])  # three rows: rank 2 < 3 components
    assert not hasattr(cca, "x_weights_") and cca.n_samples_seen_ == 3
    cca.partial_fit(X[3:], Y[3:])
    rho, _, _ = block_oracle(X, Y, 3, 0.1, 0.1)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-9)
    with pytest.raises(ValueError, match="rank"):
        RegularizedCCA(n_components=5).partial_fit(X[:3], Y[:3])  # 5 > 4 features of Y


def test_rank_deficient_view_drops_the_dependent_direction():
    X, Y = data(seed=11)
    X = np.hstack([X, X[:, :1] + 2 * X[:, 1:2]])  # a linearly dependent column
    cca = RegularizedCCA(n_components=2, reg=0.3).fit(X, Y)
    assert cca.x_rank_ == 5 and cca.y_rank_ == 4
    # The weights live in the span of the data: orthogonal to the null direction.
    null = np.zeros(6)
    null[[0, 1, 5]] = [1, 2, -1]
    np.testing.assert_allclose(null @ cca.x_weights_, 0.0, atol=1e-9)


def test_float32_fit_agrees_with_the_float64_oracle():
    X, Y = data(seed=12)
    rho, A, _ = block_oracle(X, Y, 2, 0.2, 0.5)
    cca = RegularizedCCA(n_components=2, reg=0.2, reg_y=0.5).fit(X.astype(np.float32), Y.astype(np.float32))
    assert cca.x_weights_.dtype == np.float32
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-4)
    np.testing.assert_allclose(cca.x_weights_, aligned(A, cca.x_weights_), rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("scale", [False, True])
def test_plssvd_equals_svd_of_the_cross_covariance(scale):
    X, Y = data(seed=13)
    pls = PLSSVD(n_components=2, scale=scale).fit(X, Y)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    if scale:
        Xc, Yc = Xc / Xc.std(0, ddof=1), Yc / Yc.std(0, ddof=1)
    U, s, Vt = np.linalg.svd(Xc.T @ Yc / (len(X) - 1))
    np.testing.assert_allclose(pls.singular_values_, s[:2], rtol=1e-10)
    np.testing.assert_allclose(pls.x_weights_, aligned(U[:, :2], pls.x_weights_), atol=1e-10)
    np.testing.assert_allclose(pls.y_weights_, aligned(Vt[:2].T, pls.y_weights_), atol=1e-10)
    expected = (X[:5] - X.mean(0)) / (X.std(0, ddof=1) if scale else 1) @ pls.x_weights_
    np.testing.assert_allclose(pls.transform(X[:5]), expected, rtol=1e-10, atol=1e-12)
    ey = (Y[:5] - Y.mean(0)) / (Y.std(0, ddof=1) if scale else 1) @ pls.y_weights_
    np.testing.assert_allclose(pls.transform(X[:5], Y[:5])[1], ey, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- precision, rank, routes


@pytest.mark.parametrize("n_features", [6, 40])  # primal and dual form
def test_float32_views_keep_float64_statistics_and_float32_weights(n_features):
    rng = np.random.default_rng(14)
    n = 30
    X = (rng.normal(size=(n, n_features)) + 100.0).astype(np.float32)
    Y = (X[:, :3] @ rng.normal(size=(3, 5)) + rng.normal(size=(n, 5))).astype(np.float32)
    cca = RegularizedCCA(n_components=2, reg=0.3).fit(X, Y)
    assert cca.dtype_ == "float32"
    assert cca.x_weights_.dtype == cca.y_weights_.dtype == np.float32
    assert cca.x_mean_.dtype == cca.y_mean_.dtype == np.float64
    assert cca.canonical_correlations_.dtype == np.float64
    assert cca.transform(X[:3]).dtype == np.float32
    if cca.x_scatter_ is not None:
        assert cca.x_scatter_.dtype == cca.y_scatter_.dtype == cca.xy_scatter_.dtype == np.float64


@pytest.mark.parametrize("first, second", [(np.float32, np.float64), (np.float64, np.float32)])
@pytest.mark.parametrize("n_features", [6, 40])
def test_one_float64_view_makes_the_whole_fit_float64(first, second, n_features):
    rng = np.random.default_rng(15)
    X = rng.normal(size=(30, n_features)).astype(first)
    Y = (X[:, :4] @ rng.normal(size=(4, 5))).astype(second) + rng.normal(size=(30, 5)).astype(second)
    cca = RegularizedCCA(n_components=2, reg=0.3).fit(X, Y)
    assert cca.dtype_ == "float64"
    assert cca.x_weights_.dtype == cca.y_weights_.dtype == np.float64
    streamed = RegularizedCCA(n_components=2, reg=0.3).partial_fit(X, Y)
    assert streamed.dtype_ == "float64"
    assert streamed.x_weights_.dtype == np.float64


def test_streaming_keeps_the_first_batch_precision_and_float64_statistics():
    X, Y = data(n=120, seed=16)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    cca = RegularizedCCA(n_components=2, reg=0.2).partial_fit(X32[:60], Y32[:60])
    assert cca.dtype_ == "float32"
    cca.partial_fit(X[60:], Y[60:])  # float64 rows are taken in the model's precision
    assert cca.dtype_ == "float32" and cca.x_weights_.dtype == np.float32
    for stat in (cca.x_mean_, cca.y_mean_, cca.x_scatter_, cca.y_scatter_, cca.xy_scatter_):
        assert stat.dtype == np.float64
    # Means and scatters accumulate in float64: centring offsets of 3 and -1 leave no float32 error
    # beyond the float32 rounding of the input rows.
    Xr = np.vstack([X32[:60], X[60:].astype(np.float32)]).astype(np.float64)
    np.testing.assert_allclose(cca.x_mean_, Xr.mean(0), rtol=1e-6)
    rho, _, _ = block_oracle(Xr, np.vstack([Y32[:60], Y[60:].astype(np.float32)]), 2, 0.2, 0.2)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_features", [8, 40])  # primal and dual form
def test_exactly_dependent_columns_are_dropped_at_the_working_precision(dtype, n_features):
    # Rank 5 data whose first direction dominates (by 1e4 in float64, 1e2 in float32): round-off
    # leaves values of about eps * s_max on the null directions; the rank threshold is relative
    # to the largest one and uses the working precision's eps.
    rng = np.random.default_rng(17)
    n = 30
    dominance = 1e4 if dtype == np.float64 else 1e2
    Z = rng.normal(size=(n, 5)) * np.array([dominance, 1, 1, 1, 1])
    X = (Z @ rng.normal(size=(5, n_features))).astype(dtype)
    Y = (Z[:, 1:4] @ rng.normal(size=(3, 4)) + rng.normal(size=(n, 4))).astype(dtype)
    cca = RegularizedCCA(n_components=2, reg=0.1).fit(X, Y)
    assert cca.x_rank_ == 5
    assert cca.y_rank_ == 4


def test_small_scale_rank_one_view_in_the_dual_form_keeps_its_one_direction():
    rng = np.random.default_rng(18)
    n = 12
    u = rng.normal(size=(n, 1))
    X = 1e-4 * u @ rng.normal(size=(1, 30))  # rank 1, singular value far below 1
    Y = np.hstack([u, rng.normal(size=(n, 20))])
    cca = RegularizedCCA(n_components=1, reg=0.0, reg_y=0.5).fit(X, Y)
    assert cca.x_scatter_ is None and cca.x_rank_ == 1
    assert cca.canonical_correlations_[0] > 0.5


def test_constant_view_has_rank_zero_in_both_forms():
    rng = np.random.default_rng(19)
    for n_features in (5, 30):
        X = np.full((10, n_features), 2.5)
        with pytest.raises(ValueError, match="rank 0"):
            RegularizedCCA(n_components=1).fit(X, rng.normal(size=(10, 3)))


def test_features_equal_to_samples_take_the_primal_form():
    rng = np.random.default_rng(20)
    n = 12
    X, Y = rng.normal(size=(n, n)), rng.normal(size=(n, 5))
    assert RegularizedCCA(n_components=2).fit(X, Y).x_scatter_ is not None
    assert RegularizedCCA(n_components=2).fit(Y, X).x_scatter_ is not None
    assert RegularizedCCA(n_components=2).fit(np.hstack([X, X[:, :1]]), Y).x_scatter_ is None


def test_dual_fit_refuses_more_components_than_the_rank_allows():
    rng = np.random.default_rng(21)
    X, Y = rng.normal(size=(10, 20)), rng.normal(size=(10, 25))
    with pytest.raises(ValueError, match="rank 9"):
        RegularizedCCA(n_components=12).fit(X, Y)  # 12 <= 20 features but > rank 9


def test_partial_fit_solves_as_soon_as_two_rows_are_seen():
    rng = np.random.default_rng(22)
    X, Y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    cca = RegularizedCCA(n_components=1, reg=0.5).partial_fit(X, Y)
    assert cca.x_rank_ == cca.y_rank_ == 1
    rho, _, _ = block_oracle(X, Y, 1, 0.5, 0.5)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-9)


def test_partial_fit_checks_the_labels_length_and_refuses_after_a_dual_fit():
    X, Y = data(n=20, seed=23)
    with pytest.raises(ValueError):
        RegularizedCCA(n_components=1).partial_fit(X, Y, labels=np.zeros(19, int))
    RegularizedCCA(n_components=1).partial_fit(X, Y, labels=np.zeros(20, int))
    rng = np.random.default_rng(0)
    dual = RegularizedCCA(n_components=1).fit(rng.normal(size=(5, 9)), rng.normal(size=(5, 9)))
    with pytest.raises(ValueError, match="dual form"):
        dual.partial_fit(rng.normal(size=(5, 9)), rng.normal(size=(5, 9)))


def test_svd_falls_back_to_gesvd_when_gesdd_does_not_converge(monkeypatch):
    rng = np.random.default_rng(24)
    X, Y = rng.normal(size=(15, 40)), rng.normal(size=(15, 30))
    Y[:, :2] += X[:, :2]
    expected = RegularizedCCA(n_components=2, reg=0.3).fit(X, Y)
    original = scipy.linalg.svd
    calls = []

    def flaky_svd(a, *args, **kwargs):
        calls.append(kwargs.get("lapack_driver", "gesdd"))
        if len(calls) == 1:  # the first SVD (of the centred X) fails as gesdd sometimes does
            raise np.linalg.LinAlgError("SVD did not converge")
        return original(a, *args, **kwargs)

    monkeypatch.setattr(scipy.linalg, "svd", flaky_svd)
    got = RegularizedCCA(n_components=2, reg=0.3).fit(X, Y)
    assert calls[:2] == ["gesdd", "gesvd"]
    np.testing.assert_allclose(got.canonical_correlations_, expected.canonical_correlations_, rtol=1e-10)
    np.testing.assert_allclose(np.abs(got.x_weights_), np.abs(expected.x_weights_), rtol=1e-8, atol=1e-12)


def test_defaults_are_two_components_and_reg_one_thousandth():
    X, Y = data(seed=25)
    cca = RegularizedCCA().fit(X, Y)
    rho, _, _ = block_oracle(X, Y, 2, 1e-3, 1e-3)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-9)
    assert cca.transform(X[:2]).shape == (2, 2)


@pytest.mark.parametrize("name, value", [("reg", 1.5), ("reg", -0.1), ("reg_y", 2.0), ("reg_y", "0.5")])
def test_out_of_range_shrinkage_is_refused_naming_the_parameter(name, value):
    X, Y = data(n=30, seed=26)
    with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
        RegularizedCCA(n_components=1, **{name: value}).fit(X, Y)


def test_partial_fit_waits_when_the_components_equal_the_features_of_a_view():
    # n_components = 4 = the features of Y: more rows can still lift the rank to 4.
    X, Y = data(n=40, seed=27)
    cca = RegularizedCCA(n_components=4, reg=0.1).partial_fit(X[:3], Y[:3])
    assert not hasattr(cca, "x_weights_")
    cca.partial_fit(X[3:], Y[3:])
    rho, _, _ = block_oracle(X, Y, 4, 0.1, 0.1)
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=1e-8)


def test_mixed_forms_keep_exactly_the_features_equal_to_samples_view_in_the_primal_basis():
    # X: d = n (eigen basis of its covariance), Y: d > n (SVD basis): same answer as the oracle.
    rng = np.random.default_rng(28)
    n = 14
    X = rng.normal(size=(n, n)) * np.linspace(1, 2, n)
    Y = np.hstack([X[:, :3] + 0.5 * rng.normal(size=(n, 3)), rng.normal(size=(n, 30))])
    cca = RegularizedCCA(n_components=2, reg=0.4, reg_y=0.6).fit(X, Y)
    assert cca.x_scatter_ is None and cca.x_rank_ == n - 1
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Ux, sx, Vx = np.linalg.svd(Xc, full_matrices=False)
    Uy, sy, Vy = np.linalg.svd(Yc, full_matrices=False)
    Px, Py = Xc @ Vx[: n - 1].T, Yc @ Vy[: n - 1].T
    mux, muy = np.sum(sx**2) / (n - 1) / X.shape[1], np.sum(sy**2) / (n - 1) / Y.shape[1]
    Cxx, Cyy, Cxy = Px.T @ Px / (n - 1), Py.T @ Py / (n - 1), Px.T @ Py / (n - 1)
    r = n - 1
    lhs = np.zeros((2 * r, 2 * r))
    lhs[:r, r:], lhs[r:, :r] = Cxy, Cxy.T
    rhs = scipy.linalg.block_diag(0.6 * Cxx + 0.4 * mux * np.eye(r), 0.4 * Cyy + 0.6 * muy * np.eye(r))
    vals = np.sort(scipy.linalg.eigh(lhs, rhs, eigvals_only=True))[::-1][:2]
    np.testing.assert_allclose(cca.canonical_correlations_, vals, rtol=1e-8)


# --------------------------------------------------------------------------- third round (survivors)


@pytest.mark.parametrize("factor", [1e-9, 1e9])
def test_classical_cca_is_invariant_to_the_scale_of_a_view(factor):
    # Relative rank thresholds: a view of tiny (or huge) variance loses no direction.
    X, Y = data(seed=29)
    ref = RegularizedCCA(n_components=3, reg=0.0).fit(X, Y)
    got = RegularizedCCA(n_components=3, reg=0.0).fit(X * factor, Y)
    assert got.x_rank_ == 5
    np.testing.assert_allclose(got.canonical_correlations_, ref.canonical_correlations_, rtol=1e-8)
    np.testing.assert_allclose(got.x_weights_ * factor, ref.x_weights_, rtol=1e-6, atol=1e-9)


def test_dual_fit_records_the_number_of_pairs():
    rng = np.random.default_rng(30)
    cca = RegularizedCCA(n_components=1).fit(rng.normal(size=(9, 20)), rng.normal(size=(9, 3)))
    assert cca.x_scatter_ is None and cca.n_samples_seen_ == 9


@pytest.mark.parametrize("n_features", [6, 40])
def test_scales_have_the_working_precision(n_features):
    rng = np.random.default_rng(31)
    X = (rng.normal(size=(30, n_features)) * 3).astype(np.float32)
    Y = (rng.normal(size=(30, 4)) * 2).astype(np.float32)
    cca = RegularizedCCA(n_components=2, reg=0.5, scale=True).fit(X, Y)
    assert cca.x_std_.dtype == cca.y_std_.dtype == np.float32
    np.testing.assert_allclose(cca.x_std_, X.astype(np.float64).std(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(cca.y_std_, Y.astype(np.float64).std(0, ddof=1), rtol=1e-5)


def test_partial_fit_logs_why_it_is_waiting(caplog):
    import logging

    X, Y = data(n=10, seed=32)
    with caplog.at_level(logging.DEBUG, logger="classicx"):
        RegularizedCCA(n_components=3).partial_fit(X[:3], Y[:3])
    messages = [r.getMessage() for r in caplog.records]
    assert "partial_fit: rank 2 so far, waiting for more data" in messages
