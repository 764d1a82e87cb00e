"""The partially-paired setting: MMDAlignment fitted on pairs plus unpaired (optionally labelled) images and texts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import check_grad

from classicx.exceptions import InputError, ShapeMismatchError
from classicx.subspace import MMDAlignment, MMDKernel, RegularizedCCA, rbf_mmd2
from classicx.subspace.mmd import _class_means, _Problem, _retract

FAST = dict(kernel=MMDKernel(n_random_features=64), verbose=False, random_state=0)


def _latent_views(n, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    labels = (z[:, 0] > 0).astype(int) + 2 * (z[:, 1] > 0)
    X = np.hstack([z + 0.3 * rng.normal(size=(n, 2)), rng.normal(size=(n, 3))]) @ rng.normal(size=(5, 5))
    Y = np.hstack([z + 0.3 * rng.normal(size=(n, 2)), rng.normal(size=(n, 2))]) @ rng.normal(size=(4, 4))
    return X, Y, labels


def _inverse_sqrt(C):
    return np.real(scipy.linalg.inv(scipy.linalg.sqrtm(C)))


def test_unpaired_rows_enter_the_means_and_covariances():
    X, Y, _ = _latent_views(300)
    Xp, Yp, Xu, Yu = X[:40], Y[:40], X[40:200], Y[200:]
    reg, k = 0.1, 2
    model = MMDAlignment(k, mmd_weight=0.0, reg=reg, **FAST).fit(Xp, Yp, X_unpaired=Xu, Y_unpaired=Yu)
    # By hand: each view's mean and covariance from all its rows, the cross-covariance from the pairs.
    whitened = []
    for P, U in ((Xp, Xu), (Yp, Yu)):
        V = np.vstack([P, U])
        C = np.cov(V.T)
        C_reg = (1 - reg) * C + reg * np.trace(C) / len(C) * np.eye(len(C))
        whitened.append((P - P.mean(0)) @ _inverse_sqrt(C_reg))
    T = whitened[0].T @ whitened[1] / (len(Xp) - 1)
    np.testing.assert_allclose(model.correlations_, np.linalg.svd(T, compute_uv=False)[:k], rtol=1e-8)
    np.testing.assert_allclose(model.x_mean_, np.vstack([Xp, Xu]).mean(0))
    # ... which is not what the pairs alone give
    alone = RegularizedCCA(k, reg=reg).fit(Xp, Yp)
    assert not np.allclose(alone.canonical_correlations_, model.correlations_, rtol=1e-3)


def test_more_features_than_rows_whitens_by_the_thin_svd():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 80)), rng.normal(size=(30, 50))
    Y[:, :3] += X[:, :3]
    for reg in (0.05, 0.5):
        mmd = MMDAlignment(3, mmd_weight=0.0, reg=reg, **FAST).fit(X, Y)
        cca = RegularizedCCA(3, reg=reg).fit(X, Y)
        np.testing.assert_allclose(mmd.correlations_, cca.canonical_correlations_, rtol=1e-8)
        np.testing.assert_allclose(np.abs(mmd.transform(X)), np.abs(cca.transform(X)), atol=1e-7)


def test_class_means_operator():
    labels = np.array([0, 1, 1])
    lx = np.array([1, 2])  # category 2 has images but no text: dropped
    ly = np.array([0])
    Cx, Cy = _class_means(labels, lx, ly, 3, 5, 4)
    np.testing.assert_allclose(Cx, [[1, 0], [0, 1 / 3], [0, 1 / 3], [0, 1 / 3], [0, 0]])
    np.testing.assert_allclose(Cy, [[0.5, 0], [0, 0.5], [0, 0.5], [0.5, 0]])
    # labels for the pairs only: the unpaired rows are zero
    Cx, Cy = _class_means(labels, None, None, 3, 5, 4)
    np.testing.assert_allclose(Cx[3:], 0.0)
    assert _class_means(None, None, None, 3, 5, 4) == (None, None)
    indicator = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    Cx, Cy = _class_means(indicator, None, indicator[:1], 3, 3, 4)
    np.testing.assert_allclose(Cy[:, 0], [1 / 3, 1 / 3, 0, 1 / 3])


def test_gradient_with_labelled_unpaired_rows_passes_check_grad():
    rng = np.random.default_rng(2)
    n, k = 30, 2
    Xw, Yw = rng.normal(size=(n + 12, 4)), rng.normal(size=(n + 7, 3))
    labels = rng.integers(0, 3, n)
    Cx, Cy = _class_means(labels, rng.integers(0, 3, 12), rng.integers(0, 3, 7), n, n + 12, n + 7)
    omega, offset = rng.normal(size=(k, 25)), rng.uniform(0, 2 * np.pi, 25)
    problem = _Problem(rng.normal(size=(4, 3)), Xw, Yw, Cx, Cy, 2.0, 0.6, omega, offset)
    A0, B0 = _retract(rng.normal(size=(4, k))), _retract(rng.normal(size=(3, k)))

    def split(w):
        return w[: A0.size].reshape(A0.shape), w[A0.size :].reshape(B0.shape)

    def value(w):
        return problem(*split(w))[0]

    def gradient(w):
        gA, gB = problem(*split(w), gradient=True)[1]
        return np.concatenate([gA.ravel(), gB.ravel()])

    w0 = np.concatenate([A0.ravel(), B0.ravel()])
    scale = np.linalg.norm(gradient(w0))
    assert check_grad(value, gradient, w0, epsilon=1e-7) < 1e-5 * scale
    # the class term is the mean over categories of the squared distance of class-mean features
    terms = problem.terms(A0, B0)
    Zx, _ = problem._features(Xw @ A0)
    Zy, _ = problem._features(Yw @ B0)
    by_hand = np.mean([np.sum((Cx[:, c] @ Zx - Cy[:, c] @ Zy) ** 2) for c in range(3)])
    assert terms["class_mmd2"] == pytest.approx(by_hand, rel=1e-12)
    assert value(w0) == pytest.approx(terms["pair"] + 2.0 * (terms["mmd2"] + 0.6 * terms["class_mmd2"]))


def _rotated_classes(n, seed):
    """Three categories whose image means sit at 0, 120 and 240 degrees and whose text means are turned by 90.

    The first six rows are pairs (one image and one text of the same
    category, otherwise independent); the rest are unpaired, with labels.
    """
    rng = np.random.default_rng(seed)
    angles = np.deg2rad([0, 120, 240])
    mu = 2.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    lx, ly = rng.integers(0, 3, n), rng.integers(0, 3, n)
    lx[:6] = ly[:6] = [0, 1, 2, 0, 1, 2]
    X = mu[lx] + 0.7 * rng.normal(size=(n, 2))
    Y = (mu[ly] + 0.7 * rng.normal(size=(n, 2))) @ np.array([[0.0, 1.0], [-1.0, 0.0]])
    return X, lx, Y, ly


def _exact_objective(P, Q, T_term, lx, ly, gammas, mmd_weight, label_weight):
    """The documented objective with the exact kernel (rbf_mmd2) instead of random features."""
    classes = np.mean([rbf_mmd2(P[lx == c], Q[ly == c], gammas) for c in range(3)])
    return T_term + mmd_weight * (rbf_mmd2(P, Q, gammas) + label_weight * classes)


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_class_conditional_mmd_reaches_the_brute_force_optimum(seed):
    X, lx, Y, ly = _rotated_classes(150, seed)
    mw, lw = 20.0, 5.0
    model = MMDAlignment(
        2, mmd_weight=mw, label_weight=lw, max_iter=120, tol=1e-6, reg=0.0,
        kernel=MMDKernel(n_random_features=200), verbose=False, random_state=0,
    ).fit(X[:6], Y[:6], labels=lx[:6], X_unpaired=X[6:], Y_unpaired=Y[6:],
          X_unpaired_labels=lx[6:], Y_unpaired_labels=ly[6:])
    gammas = model.mmd_gammas_
    # By hand: whiten each view with all its rows; with k = d = 2 only the relative
    # orientation B of the text projection matters (rotating both views together changes
    # neither the correlations nor any MMD), so a grid over rotations and reflections
    # covers every solution.
    Xw, Yw = (
        (V - V.mean(0)) @ _inverse_sqrt(np.cov(V.T)) for V in (X, Y)
    )
    Xp, Yp = Xw[:6] - Xw[:6].mean(0), Yw[:6] - Yw[:6].mean(0)
    T = Xp.T @ Yp / 5

    def at(B):
        return _exact_objective(Xw, Yw @ B, -np.trace(T @ B) / 2, lx, ly, gammas, mw, lw)

    grid = []
    for phi in np.linspace(0, 2 * np.pi, 60, endpoint=False):
        rotation = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
        grid += [at(rotation), at(rotation @ np.diag([1.0, -1.0]))]
    P, Q = model.transform(X), model.transform_y(Y)
    fitted = _exact_objective(P, Q, -model.correlations_.mean(), lx, ly, gammas, mw, lw)
    assert fitted <= min(grid) + 0.02 * abs(min(grid)) + 1e-3
    # the grid's optimum turns the texts back by the planted 90 degrees (a rotation, not a reflection)
    best = int(np.argmin(grid))
    assert best % 2 == 0 and abs(best // 2 * 6 - 90) <= 6
    # and the fit puts each category's images on the same category's texts (means about 2 apart)
    for c in range(3):
        assert np.linalg.norm(P[lx == c].mean(0) - Q[ly == c].mean(0)) < 0.3


def test_partial_bad_input():
    X, Y, labels = _latent_views(60)
    with pytest.raises(InputError, match="X_unpaired_labels were given without X_unpaired"):
        MMDAlignment(**FAST).fit(X, Y, X_unpaired_labels=labels)
    with pytest.raises(ShapeMismatchError, match="Y_unpaired_labels has 10 rows"):
        MMDAlignment(**FAST).fit(X, Y, Y_unpaired=Y, Y_unpaired_labels=labels[:10])
    with pytest.raises(InputError, match="one coding"):
        MMDAlignment(**FAST).fit(X, Y, labels=labels, X_unpaired=X, X_unpaired_labels=np.eye(4)[labels])
