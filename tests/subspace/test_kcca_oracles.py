"""KernelCCA against independent oracles, written from the survivors of a mutation run (see
tests/README.md, "Mutation testing"):

* the textbook dual problem (Hardoon et al. 2004) with a *different* shrinkage per view, for
  the exact solver and for the low-rank solvers at full rank (where they are exact);
* RegularizedCCA for the linear kernel: KernelCCA shrinks toward ``trace(C) I`` and
  RegularizedCCA toward ``trace(C)/d I``, so ``reg = r`` matches ``reg' = d r / (1 - r + d r)``,
  with correlations rescaled by ``sqrt((1 - r'_x)(1 - r'_y) / ((1 - r_x)(1 - r_y)))``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from sklearn.metrics.pairwise import rbf_kernel

from classicx.exceptions import InputError
from classicx.subspace import KernelCCA, KernelFeatureMap, RegularizedCCA


def views(n, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-1.5, 1.5, size=(n, 2))
    X = np.column_stack([z[:, 0], z[:, 1], rng.normal(size=n)]) @ rng.normal(size=(3, 3))
    Y = np.column_stack([z[:, 0] ** 2, np.cos(2 * z[:, 1]), rng.normal(size=n)]) + 0.3 * rng.normal(size=(n, 3))
    return X, Y


def dual_oracle(X, Y, gx, gy, reg_x, reg_y, k):
    """Top-k regularised kernel canonical correlations and dual weights, by scipy's eigh."""
    n = len(X)
    H = np.eye(n) - 1.0 / n
    Kx, Ky = H @ rbf_kernel(X, gamma=gx) @ H, H @ rbf_kernel(Y, gamma=gy) @ H
    Bx = (1 - reg_x) * Kx @ Kx / (n - 1) + reg_x * np.trace(Kx) / (n - 1) * Kx
    By = (1 - reg_y) * Ky @ Ky / (n - 1) + reg_y * np.trace(Ky) / (n - 1) * Ky
    lhs = np.block([[np.zeros((n, n)), Kx @ Ky / (n - 1)], [Ky @ Kx / (n - 1), np.zeros((n, n))]])
    rhs = scipy.linalg.block_diag(Bx, By)
    rhs += 1e-11 * np.trace(rhs) / (2 * n) * np.eye(2 * n)  # the centring null space
    rho, V = scipy.linalg.eigh(lhs, rhs)
    out = []
    for j in range(k):
        a, b = V[:n, -1 - j], V[n:, -1 - j]
        out.append((a / np.sqrt(a @ Bx @ a), b / np.sqrt(b @ By @ b)))
    return rho[::-1][:k], out


def centred_kernel(new, train, gamma):
    k_new, k_train = rbf_kernel(new, train, gamma=gamma), rbf_kernel(train, gamma=gamma)
    return k_new - k_new.mean(1, keepdims=True) - k_train.mean(0) + k_train.mean()


@pytest.mark.parametrize("method", ["exact", "nystrom", "icd"])
@pytest.mark.parametrize("reg, reg_y", [(0.02, 0.4), (0.4, 0.02)])
def test_separate_shrinkage_per_view_equals_the_dual_oracle(method, reg, reg_y):
    n, gx, gy = 50, 0.3, 0.5
    X, Y = views(n, seed=1)
    # At rank n the landmark methods reproduce the kernel exactly.
    kx = KernelFeatureMap("rbf", method=method, gamma=gx, n_components=n)
    ky = KernelFeatureMap("rbf", method=method, gamma=gy, n_components=n)
    kcca = KernelCCA(2, kernel=kx, kernel_y=ky, reg=reg, reg_y=reg_y, random_state=0, verbose=False).fit(X, Y)
    rho, weights = dual_oracle(X, Y, gx, gy, reg, reg_y, 2)
    tol = 1e-9 if method == "exact" else 1e-6
    np.testing.assert_allclose(kcca.canonical_correlations_, rho, rtol=tol)
    X_new, Y_new = views(20, seed=2)
    P, Q = kcca.transform(X_new, Y_new)
    for j, (a, b) in enumerate(weights):
        ox, oy = centred_kernel(X_new, X, gx) @ a, centred_kernel(Y_new, Y, gy) @ b
        sign = np.sign(ox @ P[:, j])
        np.testing.assert_allclose(sign * P[:, j], ox, atol=1e-6)
        np.testing.assert_allclose(sign * Q[:, j], oy, atol=1e-6)
    assert kcca.method_ == method


def linear_views(n=150, seed=3):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X = np.hstack([z, rng.normal(size=(n, 3))]) @ rng.normal(size=(5, 5)) + 4.0
    Y = np.hstack([z + 0.5 * rng.normal(size=(n, 2)), rng.normal(size=(n, 2))]) @ rng.normal(size=(4, 4)) - 2.0
    return X, Y


def matching_reg(r, d):
    return d * r / (1 - r + d * r)


@pytest.mark.parametrize("method", ["exact", "nystrom", "icd"])
def test_linear_kernel_with_shrinkage_equals_regularized_cca(method):
    X, Y = linear_views()
    rx, ry = 0.2, 0.05
    fmap = KernelFeatureMap("linear", method=method, n_components=30)
    kcca = KernelCCA(2, kernel=fmap, reg=rx, reg_y=ry, random_state=0, verbose=False).fit(X, Y)
    px, py = matching_reg(rx, 5), matching_reg(ry, 4)
    cca = RegularizedCCA(2, reg=px, reg_y=py).fit(X, Y)
    factor = np.sqrt((1 - px) * (1 - py) / ((1 - rx) * (1 - ry)))
    np.testing.assert_allclose(kcca.canonical_correlations_, cca.canonical_correlations_ * factor, rtol=1e-7)
    X_new, Y_new = linear_views(30, seed=4)
    P, P_ref = kcca.transform(X_new), cca.transform(X_new)
    signs = np.sign(np.sum(P * P_ref, axis=0))
    # same directions; KernelCCA's are scaled by its own constraint: a' Cr_xx a = 1
    scale_x = np.sqrt((1 - px) / (1 - rx))
    np.testing.assert_allclose(P * signs, P_ref * scale_x, rtol=1e-6, atol=1e-8)
    scale_y = np.sqrt((1 - py) / (1 - ry))
    np.testing.assert_allclose(kcca.transform_y(Y_new) * signs, cca.transform_y(Y_new) * scale_y, rtol=1e-6, atol=1e-8)
    assert (kcca.x_rank_, kcca.y_rank_) == (5, 4)
    assert (kcca.n_features_in_, kcca.n_features_y_in_) == (5, 4)


def test_too_many_components_names_the_ranks_maps_and_pairs():
    X, Y = linear_views(40, seed=5)
    fmap = KernelFeatureMap("linear", method="exact")
    with pytest.raises(
        InputError,
        match=r"n_components=5 is larger than 4, the centred kernel features of X have rank 5 and those of "
        r"Y rank 4 \(X map method='exact', rank=500; Y map method='exact', rank=500; 40 pairs\)",
    ):
        KernelCCA(5, kernel=fmap, verbose=False).fit(X, Y)
    low = KernelFeatureMap("linear", method="nystrom", n_components=30)
    with pytest.raises(InputError, match=r"rank 5 and those of Y rank 4 .*method='nystrom', rank=30.*40 pairs"):
        KernelCCA(5, kernel=low, random_state=0, verbose=False).fit(X, Y)
