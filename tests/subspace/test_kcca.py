"""Kernel CCA against linear CCA, a textbook dual eigen-solution, and its own exact solver."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import InputError, NonFiniteError, NotFittedError, ShapeMismatchError
from classicx.subspace import KernelCCA, KernelFeatureMap

from ._helpers import comparable_params


def _views(n, seed=0, noise=0.3):
    """Two views sharing a latent variable through non-linear maps."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-1.5, 1.5, size=(n, 2))
    X = np.column_stack([z[:, 0], z[:, 1], rng.normal(size=n)]) @ rng.normal(size=(3, 3))
    Y = np.column_stack([z[:, 0] ** 2, np.cos(2 * z[:, 1]), rng.normal(size=n)]) + noise * rng.normal(
        size=(n, 3)
    )
    return X, Y


def _linear_views(n, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X = np.hstack([z, rng.normal(size=(n, 3))]) @ rng.normal(size=(5, 5))
    Y = np.hstack([z + 0.5 * rng.normal(size=(n, 2)), rng.normal(size=(n, 2))]) @ rng.normal(size=(4, 4))
    return X, Y


def _correlations(P, Q):
    return np.array([np.corrcoef(P[:, j], Q[:, j])[0, 1] for j in range(P.shape[1])])


def test_linear_kernel_equals_linear_cca():
    X, Y = _linear_views(150)
    kcca = KernelCCA(3, kernel=KernelFeatureMap("linear", method="exact"), reg=0.0, verbose=False).fit(X, Y)
    # Textbook oracle: the generalised eigenproblem [0 Cxy; Cyx 0] v = rho [Cxx 0; 0 Cyy] v.
    C = np.cov(np.hstack([X, Y]).T)
    dx = X.shape[1]
    lhs = np.zeros_like(C)
    lhs[:dx, dx:], lhs[dx:, :dx] = C[:dx, dx:], C[dx:, :dx]
    rhs = scipy.linalg.block_diag(C[:dx, :dx], C[dx:, dx:])
    rho = scipy.linalg.eigh(lhs, rhs, eigvals_only=True)[::-1][:3]
    np.testing.assert_allclose(kcca.canonical_correlations_, rho, rtol=1e-8)
    P, Q = kcca.transform(X, Y)
    np.testing.assert_allclose(_correlations(P, Q), rho, rtol=1e-8)
    for method in ("nystrom", "icd"):  # rank 5 of the linear kernel is captured exactly
        low = KernelCCA(
            3,
            kernel=KernelFeatureMap("linear", method=method, n_components=20),
            reg=0.0,
            random_state=0,
            verbose=False,
        )
        np.testing.assert_allclose(low.fit(X, Y).canonical_correlations_, rho, rtol=1e-6)


def test_linear_kernel_matches_regularized_cca_projections():
    cca_module = pytest.importorskip("classicx.subspace.cca")
    X, Y = _linear_views(200, seed=1)
    kcca = KernelCCA(2, kernel=KernelFeatureMap("linear", method="exact"), reg=0.0, verbose=False).fit(X, Y)
    cca = cca_module.RegularizedCCA(2, reg=0.0).fit(X, Y)
    P, P_ref = kcca.transform(X[:20]), cca.transform(X[:20])
    signs = np.sign(np.sum(P * P_ref, axis=0))  # each method fixes signs its own way
    np.testing.assert_allclose(P * signs, P_ref, atol=1e-6)
    np.testing.assert_allclose(kcca.transform_y(Y[:20]) * signs, cca.transform_y(Y[:20]), atol=1e-6)


def test_exact_rbf_kcca_matches_textbook_dual_solution():
    X, Y = _views(80, seed=2)
    reg, gx, gy = 0.1, 0.3, 0.5
    kcca = KernelCCA(
        2,
        kernel=KernelFeatureMap("rbf", method="exact", gamma=gx),
        kernel_y=KernelFeatureMap("rbf", method="exact", gamma=gy),
        reg=reg,
        verbose=False,
    ).fit(X, Y)
    n = len(X)
    H = np.eye(n) - 1.0 / n
    Kx, Ky = H @ rbf_kernel(X, gamma=gx) @ H, H @ rbf_kernel(Y, gamma=gy) @ H
    # Dual of the documented problem: alpha' Kx Ky beta / (n-1) subject to
    # alpha' ((1-r) Kx^2/(n-1) + r tr(Kx)/(n-1) Kx) alpha = 1 (Hardoon et al. 2004).
    Bx = (1 - reg) * Kx @ Kx / (n - 1) + reg * np.trace(Kx) / (n - 1) * Kx
    By = (1 - reg) * Ky @ Ky / (n - 1) + reg * np.trace(Ky) / (n - 1) * Ky
    lhs = np.block([[np.zeros((n, n)), Kx @ Ky / (n - 1)], [Ky @ Kx / (n - 1), np.zeros((n, n))]])
    rhs = scipy.linalg.block_diag(Bx, By)
    rhs += 1e-11 * np.trace(rhs) / (2 * n) * np.eye(2 * n)  # the centring null space
    rho, V = scipy.linalg.eigh(lhs, rhs)
    np.testing.assert_allclose(kcca.canonical_correlations_, rho[::-1][:2], rtol=1e-9)
    # Projections of new rows, as values (offsets included): f(x) = sum_i alpha_i k_c(x, x_i)
    # with the kernel centred by the training rows, alpha normalised by its constraint.
    X_new, Y_new = _views(30, seed=3)
    P, Q = kcca.transform(X_new, Y_new)

    def centred_kernel(new, train, gamma):
        k_new, k_train = rbf_kernel(new, train, gamma=gamma), rbf_kernel(train, gamma=gamma)
        return k_new - k_new.mean(1, keepdims=True) - k_train.mean(0) + k_train.mean()

    for j in range(2):
        alpha, beta = V[:n, -1 - j], V[n:, -1 - j]
        alpha, beta = alpha / np.sqrt(alpha @ Bx @ alpha), beta / np.sqrt(beta @ By @ beta)
        oracle_x = centred_kernel(X_new, X, gx) @ alpha
        oracle_y = centred_kernel(Y_new, Y, gy) @ beta
        sign = np.sign(oracle_x @ P[:, j])  # the sign of a canonical pair is a convention
        assert abs(oracle_x.mean()) > 0.1  # the test rows are off-centre: offsets matter here
        np.testing.assert_allclose(sign * P[:, j], oracle_x, atol=1e-8)
        np.testing.assert_allclose(sign * Q[:, j], oracle_y, atol=1e-8)


@pytest.mark.parametrize("method", ["exact", "nystrom", "icd", "rff"])
def test_centring_is_the_same_at_fit_and_transform(method):
    X, Y = _views(120)
    kernel = KernelFeatureMap("rbf", method=method, n_components=60)
    kcca = KernelCCA(2, kernel=kernel, reg=0.05, random_state=0, verbose=False).fit(X, Y)
    P, Q = kcca.transform(X, Y)
    np.testing.assert_allclose(P.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(Q.mean(axis=0), 0.0, atol=1e-10)
    # the fit-time objective a' Cxy b is recovered from the transformed training pairs
    np.testing.assert_allclose(
        np.einsum("ij,ij->j", P, Q) / (len(X) - 1), kcca.canonical_correlations_, rtol=1e-8
    )


@pytest.mark.parametrize("method", ["nystrom", "icd"])
def test_low_rank_converges_to_exact(method):
    X, Y = _views(100, seed=4)
    params = dict(n_components=2, reg=0.05, random_state=0, verbose=False)
    exact = KernelCCA(kernel=KernelFeatureMap(method="exact"), **params).fit(X, Y).canonical_correlations_
    errors = [
        np.abs(
            KernelCCA(kernel=KernelFeatureMap(method=method, n_components=r), **params)
            .fit(X, Y)
            .canonical_correlations_
            - exact
        ).max()
        for r in (4, 12, 40, 100)
    ]
    assert errors[0] > errors[2] and errors[1] > errors[2]
    assert errors[-1] < 1e-6


def test_rff_approaches_exact_with_many_features():
    X, Y = _views(150, seed=4)
    params = dict(n_components=2, reg=0.05, random_state=0, verbose=False)
    exact = KernelCCA(kernel=KernelFeatureMap(method="exact"), **params).fit(X, Y).canonical_correlations_
    errors = [
        np.abs(
            KernelCCA(kernel=KernelFeatureMap(method="rff", n_components=D), **params)
            .fit(X, Y)
            .canonical_correlations_
            - exact
        ).max()
        for D in (10, 300)
    ]
    assert errors[1] < 0.03 < errors[0]


def test_kernel_cca_finds_nonlinear_relation_that_linear_cca_misses():
    X, Y = _views(700, seed=5, noise=0.1)
    X, Y, X_test, Y_test = X[:400], Y[:400], X[400:], Y[400:]
    lin = KernelCCA(
        1, kernel=KernelFeatureMap("linear", method="icd", n_components=20), reg=1e-3, verbose=False
    )
    lin.fit(X, Y)
    nystrom = KernelFeatureMap("rbf", method="nystrom", n_components=100)
    rbf = KernelCCA(1, kernel=nystrom, reg=0.01, random_state=0, verbose=False).fit(X, Y)
    held_out_lin = _correlations(*lin.transform(X_test, Y_test))[0]
    held_out_rbf = _correlations(*rbf.transform(X_test, Y_test))[0]
    assert held_out_rbf > 0.85 and abs(held_out_lin) < 0.5


def test_histogram_kernels_and_sparse_input():
    rng = np.random.default_rng(7)
    topic = rng.integers(0, 3, 150)
    profiles = rng.dirichlet(np.ones(8), size=3)
    X = rng.poisson(20 * profiles[topic]).astype(float)
    Y = rng.poisson(20 * profiles[(topic + 1) % 3]).astype(float)
    for kernel in ("chi2", "additive_chi2", "hellinger"):
        icd = KernelFeatureMap(kernel, method="icd", n_components=40)
        dense = KernelCCA(1, kernel=icd, reg=0.05, verbose=False).fit(X, Y)
        assert dense.canonical_correlations_[0] > 0.8
        sparse = KernelCCA(1, kernel=icd, reg=0.05, verbose=False)
        sparse.fit(sp.csr_array(X), sp.csr_array(Y))
        np.testing.assert_allclose(sparse.transform(sp.csr_array(X)), dense.transform(X), atol=1e-8)


def test_constant_columns_do_not_change_an_rbf_kernel():
    X, Y = _views(80, seed=8)
    params = dict(n_components=2, reg=0.05, kernel=KernelFeatureMap(method="exact", gamma=0.4), verbose=False)
    base = KernelCCA(**params).fit(X, Y)
    padded = KernelCCA(**params).fit(np.hstack([X, np.full((80, 1), 3.0)]), Y)
    np.testing.assert_allclose(padded.canonical_correlations_, base.canonical_correlations_)


def test_low_rank_never_forms_an_n_by_n_matrix():
    # 20,000 x 20,000 doubles would be 3.2 GB; the low-rank paths stay within a few MB.
    X, Y = _views(20_000, seed=9)
    for method in ("nystrom", "icd", "rff"):
        tracemalloc.start()
        kernel = KernelFeatureMap(method=method, n_components=40, batch_size=2000)
        kcca = KernelCCA(2, kernel=kernel, reg=0.05, random_state=0, verbose=False)
        kcca.fit(X, Y)
        P = kcca.transform(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 60e6, (method, peak)
        # the streamed fit is the fit: centred training projections whose cross-products
        # give back the canonical correlations
        Q = kcca.transform_y(Y)
        np.testing.assert_allclose(P.mean(axis=0), 0.0, atol=1e-9)
        np.testing.assert_allclose(
            np.einsum("ij,ij->j", P, Q) / (len(X) - 1), kcca.canonical_correlations_, rtol=1e-7
        )


@pytest.mark.parametrize("method", ["exact", "nystrom", "icd", "rff"])
def test_save_load_round_trip(method, tmp_path):
    X, Y = _views(100)
    kernel = KernelFeatureMap(method=method, n_components=30)
    kcca = KernelCCA(2, kernel=kernel, reg=0.05, random_state=0, verbose=False).fit(X, Y)
    loaded = KernelCCA.load(kcca.save(tmp_path / "m"))
    P, Q = kcca.transform(X, Y)
    P2, Q2 = loaded.transform(X, Y)
    np.testing.assert_allclose(P, P2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Q, Q2, rtol=1e-12, atol=1e-14)
    assert comparable_params(loaded) == comparable_params(kcca)


def test_sklearn_compatibility():
    X, Y = _views(120)
    kcca = KernelCCA(2, kernel=KernelFeatureMap(n_components=30), random_state=0, verbose=False)
    assert comparable_params(clone(kcca)) == comparable_params(kcca)
    pipe = make_pipeline(StandardScaler(), kcca).fit(X, Y)
    scaled = StandardScaler().fit_transform(X)
    np.testing.assert_allclose(pipe.transform(X), clone(kcca).fit(scaled, Y).transform(scaled), atol=1e-12)

    def held_out_correlation(estimator, X_val, Y_val):
        return float(np.mean(_correlations(*estimator.transform(X_val, Y_val))))

    cv = KFold(2)
    search = GridSearchCV(kcca, {"reg": [0.01, 0.1]}, scoring=held_out_correlation, cv=cv).fit(X, Y)
    for i, reg in enumerate((0.01, 0.1)):
        manual = [
            held_out_correlation(clone(kcca).set_params(reg=reg).fit(X[tr], Y[tr]), X[te], Y[te])
            for tr, te in cv.split(X)
        ]
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(manual), rel=1e-12)


def test_feature_map_settings_are_nested_parameters_tuned_by_grid_search():
    X, Y = _views(120, seed=11)
    kcca = KernelCCA(
        1, kernel=KernelFeatureMap(n_components=40), kernel_y="rbf", random_state=0, verbose=False
    )
    params = kcca.get_params()
    assert params["kernel__gamma"] is None and params["kernel__n_components"] == 40
    gammas = [0.05, 0.5, 5.0]
    cv = KFold(3)

    def score(estimator, X_val, Y_val):
        return float(np.mean(_correlations(*estimator.transform(X_val, Y_val))))

    search = GridSearchCV(kcca, {"kernel__gamma": gammas}, scoring=score, cv=cv).fit(X, Y)
    manual = []
    for gamma in gammas:
        model = KernelCCA(
            1,
            kernel=KernelFeatureMap(n_components=40, gamma=gamma),
            kernel_y="rbf",
            random_state=0,
            verbose=False,
        )
        manual.append(
            np.mean([score(clone(model).fit(X[tr], Y[tr]), X[te], Y[te]) for tr, te in cv.split(X)])
        )
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], manual, rtol=1e-12)
    assert search.best_params_ == {"kernel__gamma": gammas[int(np.argmax(manual))]}
    # the bandwidth reached the X map only (kernel_y is its own specification)
    best = search.best_estimator_
    assert best.x_map_.kernel_params_["gamma"] == search.best_params_["kernel__gamma"]
    assert best.y_map_.kernel_params_["gamma"] != search.best_params_["kernel__gamma"]


def test_maps_are_resolved_and_cloned_at_fit_never_mutated():
    X, Y = _views(80, seed=12)
    user_map = KernelFeatureMap("rbf", method="nystrom", n_components=30)
    kcca = KernelCCA(2, kernel=user_map, random_state=0, verbose=False).fit(X, Y)
    assert kcca.kernel is user_map and not hasattr(user_map, "kernel_params_")
    assert user_map.random_state is None  # the aligner's seed went to its clones only
    assert kcca.x_map_ is not user_map and kcca.y_map_ is not user_map
    # a kernel name is resolved in fit, to the documented default map
    named = KernelCCA(2, kernel="rbf", random_state=0, verbose=False).fit(X, Y)
    assert named.kernel == "rbf" and named.method_ == "exact"  # "auto": exact up to 2,000 pairs
    explicit = KernelCCA(2, kernel=KernelFeatureMap("rbf", method="auto"), random_state=0, verbose=False)
    np.testing.assert_array_equal(explicit.fit(X, Y).transform(X), named.transform(X))
    # kernel_y=None: the same specification, fitted separately on Y
    assert kcca.y_map_.kernel_params_["gamma"] != kcca.x_map_.kernel_params_["gamma"]


def test_bad_input():
    X, Y = _views(50)
    with pytest.raises(ShapeMismatchError):
        KernelCCA(verbose=False).fit(X, Y[:40])
    bad = X.copy()
    bad[13, 1] = np.nan
    with pytest.raises(NonFiniteError, match="row 13"):
        KernelCCA(verbose=False).fit(bad, Y)
    with pytest.raises(InputError, match="n_components=9"):
        KernelCCA(9, kernel=KernelFeatureMap(n_components=5), random_state=0, verbose=False).fit(X, Y)
    with pytest.raises(InputError, match="every row of X is the same"):
        KernelCCA(kernel="linear", verbose=False).fit(np.ones((50, 3)), Y)
    with pytest.raises(InputError, match="reg"):
        KernelCCA(reg=2.0, verbose=False).fit(X, Y)
    with pytest.raises(InputError, match="method"):
        KernelCCA(kernel=KernelFeatureMap(method="dense"), verbose=False).fit(X, Y)
    with pytest.raises(InputError, match="non-negative"):
        KernelCCA(kernel="chi2", verbose=False).fit(X, Y)
    with pytest.raises(NotFittedError):
        KernelCCA().transform(X)
    kcca = KernelCCA(2, kernel=KernelFeatureMap(n_components=20), random_state=0, verbose=False).fit(X, Y)
    with pytest.raises(ShapeMismatchError, match="features"):
        kcca.transform(X[:, :2])
    with pytest.raises(NonFiniteError):
        kcca.transform_y(np.full((2, 3), np.inf))
