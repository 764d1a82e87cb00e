"""Kernel-MMD alignment: reduction to CCA, monotone descent, MMD terms, unpaired data."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.linalg
from sklearn.base import clone
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import (
    InputError,
    NonFiniteError,
    NotFittedError,
    ShapeMismatchError,
)
from classicx.subspace import MMDAlignment, MMDKernel, rbf_mmd2
from classicx.subspace.mmd import _Problem, _retract

from ._helpers import comparable_params

FAST = dict(
    kernel=MMDKernel(n_random_features=64, bandwidth_scales=(0.5, 1.0, 2.0)), verbose=False, random_state=0
)


def _views(n, seed=0):
    """Paired views whose shared signal is linear but whose marginal distributions differ in shape."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    labels = (z[:, 0] > 0).astype(int) + 2 * (z[:, 1] > 0)
    X = np.hstack([z + 0.4 * rng.normal(size=(n, 2)), rng.normal(size=(n, 3))]) @ rng.normal(size=(5, 5))
    skewed = np.hstack([np.exp(0.8 * z[:, :1]), z[:, 1:]]) + 0.4 * rng.exponential(size=(n, 2))
    Y = np.hstack([skewed, rng.exponential(size=(n, 2))]) @ rng.normal(size=(4, 4))
    return X, Y, labels


def test_mmd_weight_zero_is_regularized_cca():
    cca_module = pytest.importorskip("classicx.subspace.cca")
    X, Y, _ = _views(200)
    for reg in (0.0, 0.1):
        mmd = MMDAlignment(2, mmd_weight=0.0, reg=reg, **FAST).fit(X, Y)
        cca = cca_module.RegularizedCCA(2, reg=reg).fit(X, Y)
        np.testing.assert_allclose(mmd.transform(X), cca.transform(X), atol=1e-8)
        np.testing.assert_allclose(mmd.transform_y(Y), cca.transform_y(Y), atol=1e-8)
        np.testing.assert_allclose(mmd.correlations_, cca.canonical_correlations_, rtol=1e-10)


def _whitened_problem(X, Y, reg):
    """The pairing-only problem in whitened coordinates, whitened independently of the estimator
    (the objective does not depend on which whitening), and the singular values of the whitened
    cross-covariance: the optimum for ``k`` components is minus the mean of the top k."""
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    whitened = []
    for V in (Xc, Yc):
        C = np.cov(V.T)
        C_reg = (1 - reg) * C + reg * np.trace(C) / len(C) * np.eye(len(C))
        whitened.append(V @ np.real(scipy.linalg.inv(scipy.linalg.sqrtm(C_reg))))
    Xw, Yw = whitened
    T = Xw.T @ Yw / (len(X) - 1)
    problem = _Problem(T, Xw, Yw, None, None, 0.0, 0.0, np.zeros((2, 1)), np.zeros(1))
    return problem, np.linalg.svd(T, compute_uv=False)


def test_optimiser_finds_cca_from_a_random_start():
    X, Y, _ = _views(200, seed=1)
    k, reg = 2, 1e-3
    problem, singular = _whitened_problem(X, Y, reg)
    optimum = -singular[:k].mean()
    rng = np.random.default_rng(0)
    start = _retract(rng.normal(size=(5, k))), _retract(rng.normal(size=(4, k)))
    _, _, history = MMDAlignment(k, max_iter=500, verbose=False)._descend(problem, *start)
    assert len(history) > 4 and history[0] > optimum + 0.1
    assert np.all(np.diff(history) <= 0)
    assert history[-1] == pytest.approx(optimum, rel=1e-5)
    cca = MMDAlignment(k, mmd_weight=0.0, reg=reg, **FAST).fit(X, Y)
    assert cca.objective_[-1] == pytest.approx(optimum, rel=1e-10)


def test_line_search_grows_the_step_only_after_a_first_try_success():
    """Doubling a step that had to be halved retries the size that just failed: about two
    evaluations of the objective per step (49 for these 25 steps) where growing only after a
    first-try success needs about one and a half (38), along the same iterates."""
    X, Y, _ = _views(200, seed=1)
    k = 2
    problem, singular = _whitened_problem(X, Y, 1e-3)
    calls = []
    evaluate = problem.evaluate
    problem.evaluate = lambda A, B: calls.append(1) or evaluate(A, B)
    rng = np.random.default_rng(0)
    start = _retract(rng.normal(size=(5, k))), _retract(rng.normal(size=(4, k)))
    _, _, history = MMDAlignment(k, max_iter=25, tol=0.0, verbose=False)._descend(problem, *start)
    assert len(history) == 26 and history[-1] == pytest.approx(-singular[:k].mean(), rel=1e-8)
    assert len(calls) <= 1.6 * 25 + 1


def test_float32_random_features_agree_with_float64():
    """MMDAlignment evaluates the random-feature part in float32: value and gradient agree with
    the float64 problem (itself checked against finite differences) to float32 accuracy."""
    rng = np.random.default_rng(5)
    n, k, D = 300, 3, 96
    Xw, Yw = rng.normal(size=(n + 40, 6)), rng.normal(size=(n, 5)) + 0.3
    labels = rng.integers(0, 4, n)
    indicator = np.eye(4)[labels] / np.bincount(labels, minlength=4)
    class_x, class_y = np.vstack([indicator, np.zeros((40, 4))]), indicator
    omega, offset = rng.normal(size=(k, D)), rng.uniform(0, 2 * np.pi, D)
    T = rng.normal(size=(6, 5)) / 5
    A, B = _retract(rng.normal(size=(6, k))), _retract(rng.normal(size=(5, k)))
    exact = _Problem(T, Xw, Yw, class_x, class_y, 3.0, 0.8, omega, offset)
    fast = _Problem(T, Xw, Yw, class_x, class_y, 3.0, 0.8, omega, offset, dtype=np.float32)
    (v64, (gA64, gB64)), (v32, (gA32, gB32)) = exact(A, B, gradient=True), fast(A, B, gradient=True)
    assert isinstance(v32, float) and gA32.dtype == gB32.dtype == np.float64
    assert v32 == pytest.approx(v64, rel=1e-5)
    mmd_part = np.concatenate([(gA64 + T @ B / k).ravel(), (gB64 + T.T @ A / k).ravel()])
    error = np.concatenate([(gA32 - gA64).ravel(), (gB32 - gB64).ravel()])
    assert np.linalg.norm(error) < 1e-4 * np.linalg.norm(mmd_part)
    for key, value in exact.terms(A, B).items():
        assert fast.terms(A, B)[key] == pytest.approx(value, rel=1e-4, abs=1e-9)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    n, k = 40, 2
    Xw, Yw = rng.normal(size=(n + 6, 4)), rng.normal(size=(n, 3))
    omega, offset = rng.normal(size=(k, 20)), rng.uniform(0, 2 * np.pi, 20)
    indicator = np.eye(3)[rng.integers(0, 3, n)]
    means = indicator / indicator.sum(axis=0)
    # six unlabelled unpaired images: zero rows of the image class-mean operator
    problem = _Problem(rng.normal(size=(4, 3)), Xw, Yw, np.vstack([means, np.zeros((6, 3))]), means, 1.5, 0.7, omega, offset)
    A, B = _retract(rng.normal(size=(4, k))), _retract(rng.normal(size=(3, k)))
    _, (gA, gB) = problem(A, B, gradient=True)
    eps = 1e-6
    for which, G in (("A", gA), ("B", gB)):
        E = rng.normal(size=G.shape)
        if which == "A":
            numeric = (problem(A + eps * E, B)[0] - problem(A - eps * E, B)[0]) / (2 * eps)
        else:
            numeric = (problem(A, B + eps * E)[0] - problem(A, B - eps * E)[0]) / (2 * eps)
        assert numeric == pytest.approx(np.sum(G * E), rel=1e-6)


def test_objective_decreases_monotonically_and_keeps_the_constraint():
    X, Y, _ = _views(200, seed=3)
    mmd = MMDAlignment(2, mmd_weight=5.0, reg=0.05, max_iter=40, **FAST).fit(X, Y)
    history = np.array(mmd.objective_)
    assert len(history) > 3 and history[-1] < history[0]
    assert np.all(np.diff(history) <= 0)
    # the start is the CCA objective: minus the mean canonical correlation
    cca = MMDAlignment(2, mmd_weight=0.0, reg=0.05, **FAST).fit(X, Y)
    assert cca.objective_[0] == pytest.approx(-cca.correlations_.mean())
    # whitened orthonormality: the projections have unit regularised variance and are uncorrelated
    Xc = X - X.mean(0)
    C = np.cov(Xc.T)
    Creg = 0.95 * C + 0.05 * np.trace(C) / C.shape[0] * np.eye(C.shape[0])
    np.testing.assert_allclose(mmd.x_weights_.T @ Creg @ mmd.x_weights_, np.eye(2), atol=1e-8)


def test_mmd_term_makes_the_projected_distributions_closer():
    X, Y, _ = _views(300, seed=4)
    cca = MMDAlignment(2, mmd_weight=0.0, **FAST).fit(X, Y)
    mmd = MMDAlignment(2, mmd_weight=20.0, max_iter=60, **FAST).fit(X, Y)
    gammas = mmd.mmd_gammas_
    before = rbf_mmd2(*cca.transform(X, Y), gammas)
    after = rbf_mmd2(*mmd.transform(X, Y), gammas)
    assert after < 0.7 * before
    # pairs stay together: the correlations drop only a little
    assert mmd.correlations_.mean() > cca.correlations_.mean() - 0.15


def test_random_feature_mmd_estimates_the_exact_statistic():
    X, Y, _ = _views(300, seed=5)
    kernel = MMDKernel(n_random_features=1000)
    mmd = MMDAlignment(2, mmd_weight=1.0, max_iter=2, kernel=kernel, verbose=False, random_state=0)
    mmd.fit(X, Y)
    exact = rbf_mmd2(*mmd.transform(X, Y), mmd.mmd_gammas_)
    assert mmd.mmd2_ == pytest.approx(exact, rel=0.1)


def test_labels_add_class_conditional_terms():
    X, Y, labels = _views(300, seed=6)
    params = dict(n_components=2, mmd_weight=10.0, max_iter=60, **FAST)
    plain = MMDAlignment(**params).fit(X, Y)
    supervised = MMDAlignment(label_weight=5.0, **params).fit(X, Y, labels=labels)

    def class_mmd(model):
        P, Q = model.transform(X, Y)
        return np.mean(
            [rbf_mmd2(P[labels == c], Q[labels == c], model.mmd_gammas_) for c in np.unique(labels)]
        )

    assert class_mmd(supervised) < class_mmd(plain)
    indicator = np.eye(4)[labels]  # 2-D indicator labels give the same model
    same = MMDAlignment(label_weight=5.0, **params).fit(X, Y, labels=indicator)
    np.testing.assert_allclose(same.x_weights_, supervised.x_weights_)


def test_unpaired_data_enters_the_mmd():
    X, Y, _ = _views(400, seed=7)
    X_pair, Y_pair = X[:150], Y[:150]
    X_extra, Y_extra = X[150:275], Y[275:]  # images and texts without their partners
    params = dict(n_components=2, mmd_weight=20.0, max_iter=60, **FAST)
    paired_only = MMDAlignment(**params).fit(X_pair, Y_pair)
    with_unpaired = MMDAlignment(**params).fit(X_pair, Y_pair, X_unpaired=X_extra, Y_unpaired=Y_extra)
    gammas = with_unpaired.mmd_gammas_
    assert rbf_mmd2(with_unpaired.transform(X_extra), with_unpaired.transform_y(Y_extra), gammas) < rbf_mmd2(
        paired_only.transform(X_extra), paired_only.transform_y(Y_extra), gammas
    )


def test_cost_is_linear_in_n():
    # the MMD uses random features: no n x n kernel (20,000^2 doubles = 3.2 GB) is formed
    X, Y, _ = _views(20_000, seed=8)
    tracemalloc.start()
    MMDAlignment(
        2,
        mmd_weight=1.0,
        max_iter=3,
        kernel=MMDKernel(n_random_features=32, bandwidth_scales=(1.0,)),
        verbose=False,
        random_state=0,
    ).fit(X, Y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100e6


def test_constant_columns_get_zero_weight():
    X, Y, _ = _views(150, seed=9)
    X = np.hstack([X, np.full((150, 1), 2.0)])
    mmd = MMDAlignment(2, mmd_weight=1.0, max_iter=5, **FAST).fit(X, Y)
    np.testing.assert_allclose(mmd.x_weights_[-1], 0.0, atol=1e-10)


def test_save_load_clone_pipeline(tmp_path):
    X, Y, labels = _views(150, seed=10)
    mmd = MMDAlignment(2, mmd_weight=1.0, max_iter=5, **FAST).fit(X, Y, labels=labels)
    loaded = MMDAlignment.load(mmd.save(tmp_path / "m"))
    np.testing.assert_allclose(loaded.transform(X), mmd.transform(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loaded.transform_y(Y), mmd.transform_y(Y), rtol=1e-12, atol=1e-14)
    assert loaded.objective_ == mmd.objective_
    assert comparable_params(clone(mmd)) == comparable_params(mmd)
    pipe = make_pipeline(StandardScaler(), MMDAlignment(2, max_iter=3, **FAST)).fit(X, Y)
    scaled = StandardScaler().fit_transform(X)
    direct = MMDAlignment(2, max_iter=3, **FAST).fit(scaled, Y)
    np.testing.assert_allclose(pipe.transform(X), direct.transform(scaled), atol=1e-12)


def test_bad_input():
    X, Y, labels = _views(60)
    with pytest.raises(ShapeMismatchError):
        MMDAlignment(**FAST).fit(X, Y[:50])
    with pytest.raises(ShapeMismatchError):
        MMDAlignment(**FAST).fit(X, Y, labels=labels[:10])
    bad = X.copy()
    bad[4, 0] = np.inf
    with pytest.raises(NonFiniteError, match="row 4"):
        MMDAlignment(**FAST).fit(bad, Y)
    with pytest.raises(NonFiniteError, match="X_unpaired"):
        MMDAlignment(**FAST).fit(X, Y, X_unpaired=bad)
    with pytest.raises(InputError, match="Y_unpaired has 2 features"):
        MMDAlignment(**FAST).fit(X, Y, Y_unpaired=Y[:, :2])
    with pytest.raises(InputError, match="n_components=5"):
        MMDAlignment(5, **FAST).fit(X, Y)
    with pytest.raises(InputError, match="mmd_weight"):
        MMDAlignment(mmd_weight=-1.0, **FAST).fit(X, Y)
    with pytest.raises(InputError, match="bandwidth_scales"):
        MMDAlignment(**{**FAST, "kernel": MMDKernel(bandwidth_scales=(0.0,))}).fit(X, Y)
    with pytest.raises(NotFittedError):
        MMDAlignment().transform(X)


def test_rbf_mmd2_matches_the_definition():
    rng = np.random.default_rng(11)
    P, Q = rng.normal(size=(7, 2)), rng.normal(size=(5, 2)) + 1.0
    expected = (
        np.mean([[np.exp(-0.3 * np.sum((a - b) ** 2)) for b in P] for a in P])
        + np.mean([[np.exp(-0.3 * np.sum((a - b) ** 2)) for b in Q] for a in Q])
        - 2 * np.mean([[np.exp(-0.3 * np.sum((a - b) ** 2)) for b in Q] for a in P])
    )
    assert rbf_mmd2(P, Q, 0.3) == pytest.approx(expected)
    assert rbf_mmd2(P, Q, [0.3, 0.3]) == pytest.approx(expected)
    assert rbf_mmd2(P, P, 0.3) == pytest.approx(0.0, abs=1e-12)
    # a list of bandwidths is the mean kernel
    mean_kernel = (rbf_mmd2(P, Q, 0.3) + rbf_mmd2(P, Q, 1.2)) / 2
    assert rbf_mmd2(P, Q, [0.3, 1.2]) == pytest.approx(mean_kernel, rel=1e-12)
    assert rbf_kernel(P, Q, gamma=1.2)[2, 3] == pytest.approx(np.exp(-1.2 * np.sum((P[2] - Q[3]) ** 2)))


def test_mmd_kernel_features_approximate_the_mean_rbf_kernel():
    rng = np.random.default_rng(12)
    P = rng.normal(size=(200, 2))
    kernel = MMDKernel(bandwidth_scales=(0.5, 2.0), n_random_features=4000, random_state=0).fit(P)
    d2 = np.sum((P[:, None] - P[None]) ** 2, axis=-1)[np.triu_indices(200, k=1)]
    gamma0 = 1 / (2 * np.median(d2))  # the median heuristic, on every pair (fewer than 1,000 rows)
    np.testing.assert_allclose(kernel.gammas_, [0.5 * gamma0, 2.0 * gamma0], rtol=1e-12)
    F = kernel.transform(P[:40])
    mean_kernel = (
        rbf_kernel(P[:40], gamma=kernel.gammas_[0]) + rbf_kernel(P[:40], gamma=kernel.gammas_[1])
    ) / 2
    assert np.abs(F @ F.T - mean_kernel).max() < 0.08
    assert F.shape[1] == 8000


def test_the_aligner_seeds_a_kernel_without_a_random_state_of_its_own():
    X, Y, _ = _views(120, seed=13)
    params = dict(n_components=2, mmd_weight=5.0, max_iter=10, verbose=False)
    seeded = MMDAlignment(kernel=MMDKernel(n_random_features=32), random_state=4, **params).fit(X, Y)
    again = MMDAlignment(kernel=MMDKernel(n_random_features=32), random_state=4, **params).fit(X, Y)
    np.testing.assert_array_equal(seeded.transform(X), again.transform(X))
    own = MMDAlignment(kernel=MMDKernel(n_random_features=32, random_state=9), random_state=4, **params)
    assert not np.allclose(own.fit(X, Y).transform(X), seeded.transform(X))
    assert own.kernel.random_state == 9 and not hasattr(own.kernel, "gammas_")  # never fitted itself
