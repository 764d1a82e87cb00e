"""Kernel functions checked against brute-force formulas."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from classicx.exceptions import InputError
from classicx.subspace.kernels import (
    KERNELS,
    kernel_diagonal,
    median_heuristic_gamma,
    pairwise_kernel,
    resolve_kernel_params,
)


@pytest.fixture
def hist():
    rng = np.random.default_rng(0)
    H = rng.exponential(size=(12, 5))
    H[rng.random(H.shape) < 0.3] = 0.0  # sparse-ish histograms with empty bins
    return H / np.maximum(H.sum(axis=1, keepdims=True), 1e-12)


def _brute(kernel, x, z, gamma=None, degree=3, coef0=1.0):
    if kernel == "linear":
        return float(x @ z)
    if kernel == "rbf":
        return float(np.exp(-gamma * np.sum((x - z) ** 2)))
    if kernel == "polynomial":
        return float((gamma * x @ z + coef0) ** degree)
    if kernel == "cosine":
        return float(x @ z / (np.linalg.norm(x) * np.linalg.norm(z)))
    both = x + z
    ok = both > 0
    if kernel == "chi2":
        return float(np.exp(-gamma * np.sum((x[ok] - z[ok]) ** 2 / both[ok])))
    if kernel == "additive_chi2":
        return float(np.sum(2 * x[ok] * z[ok] / both[ok]))
    if kernel == "hellinger":
        return float(np.sum(np.sqrt(x * z)))
    raise AssertionError(kernel)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_match_their_formulas(kernel, hist):
    params = resolve_kernel_params(hist, kernel, gamma=0.7, degree=2, coef0=0.5)
    K = pairwise_kernel(hist, hist[:4], params)
    expected = np.array([[_brute(kernel, x, z, 0.7, 2, 0.5) for z in hist[:4]] for x in hist])
    np.testing.assert_allclose(K, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_are_positive_semidefinite(kernel, hist):
    # sklearn's additive_chi2_kernel alone is not PSD; ours must be.
    K = pairwise_kernel(hist, hist, resolve_kernel_params(hist, kernel))
    assert np.allclose(K, K.T)
    assert np.linalg.eigvalsh(K).min() > -1e-10 * np.abs(K).max()


@pytest.mark.parametrize("kernel", KERNELS)
def test_diagonal_and_sparse_input_agree_with_dense(kernel, hist):
    params = resolve_kernel_params(hist, kernel)
    K = pairwise_kernel(hist, hist, params)
    np.testing.assert_allclose(kernel_diagonal(hist, params), np.diag(K), atol=1e-12)
    S = sp.csr_array(hist)
    np.testing.assert_allclose(kernel_diagonal(S, params), np.diag(K), atol=1e-12)
    np.testing.assert_allclose(pairwise_kernel(S, S, params), K, atol=1e-12)


def test_median_heuristic_matches_definition():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    d2 = np.array([np.sum((X[i] - X[j]) ** 2) for i in range(40) for j in range(i + 1, 40)])
    assert median_heuristic_gamma(X) == pytest.approx(1 / (2 * np.median(d2)))
    H = np.abs(X)
    chi = np.array([np.sum((H[i] - H[j]) ** 2 / (H[i] + H[j])) for i in range(40) for j in range(i + 1, 40)])
    assert median_heuristic_gamma(H, "chi2") == pytest.approx(1 / np.median(chi))
    # default gamma of the rbf kernel is the median heuristic
    assert resolve_kernel_params(X, "rbf")["gamma"] == pytest.approx(1 / (2 * np.median(d2)))


def test_median_heuristic_subsamples_large_inputs_deterministically():
    X = np.random.default_rng(2).normal(size=(3000, 2))
    g1, g2 = median_heuristic_gamma(X, random_state=0), median_heuristic_gamma(X, random_state=0)
    assert g1 == g2
    # for 2-D standard normals the median squared distance is 2 * 2 * ln 2
    assert g1 == pytest.approx(1 / (2 * 4 * np.log(2)), rel=0.1)


def test_bad_kernel_inputs_raise_clear_errors(hist):
    with pytest.raises(InputError, match="kernel must be one of"):
        resolve_kernel_params(hist, "sigmoid")
    with pytest.raises(InputError, match="gamma must be a positive"):
        resolve_kernel_params(hist, "rbf", gamma=-1.0)
    bad = hist.copy()
    bad[7, 2] = -0.1
    for kernel in ("chi2", "additive_chi2", "hellinger"):
        with pytest.raises(InputError, match="non-negative.*row 7"):
            resolve_kernel_params(bad, kernel)
    with pytest.raises(InputError, match="identical"):
        median_heuristic_gamma(np.ones((5, 2)))
    with pytest.raises(InputError, match="degree"):
        resolve_kernel_params(hist, "polynomial", degree=0)
