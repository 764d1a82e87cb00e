"""The private linear algebra of classicx.subspace (``_linalg.py``) against numpy/scipy written out
from the definitions, written from a mutation run (see tests/README.md, "Mutation testing").
``top_eigenvectors`` is used only by the Gram and MMD aligners, whose tests were outside the
mutation run's selection."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.subspace._linalg import (
    cca_from_covariances,
    eig_basis,
    flip_signs,
    std_from_covariance,
    top_eigenvectors,
    whitener,
)


def signed(W, ref):
    return W * np.sign(np.sum(W * ref, axis=0))


@pytest.mark.parametrize("k", [1, 3, 6])
def test_top_eigenvectors_of_the_symmetric_part(k):
    rng = np.random.default_rng(0)
    M = rng.normal(size=(6, 6))  # not symmetric: only its symmetric part counts
    vals, vecs = np.linalg.eigh((M + M.T) / 2)
    order = np.argsort(vals)[::-1][:k]
    out = top_eigenvectors(M, k)
    assert out.shape == (6, k)
    np.testing.assert_allclose(out, signed(vecs[:, order], out), atol=1e-10)


def test_eig_basis_keeps_the_range_in_decreasing_order():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 5))  # rank 3 in 5 columns
    C = np.cov(A.T)
    Q, evals, mean_var = eig_basis(C, 5, float(np.finfo(float).eps))
    ref = np.sort(np.linalg.eigvalsh(C))[::-1][:3]
    np.testing.assert_allclose(evals, ref, rtol=1e-10)
    np.testing.assert_allclose(Q.T @ C @ Q, np.diag(ref), atol=1e-10)
    assert mean_var == pytest.approx(np.trace(C) / 5, rel=1e-12)


@pytest.mark.parametrize("reg", [0.0, 0.3, 1.0])
def test_whitener_whitens_the_shrunk_covariance_on_the_range(reg):
    rng = np.random.default_rng(2)
    A = rng.normal(size=(50, 3)) @ rng.normal(size=(3, 4))  # rank 3 in 4 columns
    C = np.cov(A.T)
    target = 2.5
    W = whitener(C, reg, target)
    assert W.shape == (4, 3)
    np.testing.assert_allclose(W.T @ ((1 - reg) * C + reg * target * np.eye(4)) @ W, np.eye(3), atol=1e-10)


def test_std_from_covariance():
    C = np.diag([4.0, 0.0, 0.25])
    np.testing.assert_array_equal(std_from_covariance(C, True), [2.0, 1.0, 0.5])
    np.testing.assert_array_equal(std_from_covariance(C, False), [1.0, 1.0, 1.0])


def test_flip_signs_makes_the_largest_entry_positive_and_keeps_pairs():
    A = np.array([[1.0, -3.0, 0.0], [-2.0, 1.0, 0.0]])
    B = np.array([[5.0, 6.0, 7.0]])
    a, b = flip_signs(A, B)
    np.testing.assert_array_equal(a, [[-1.0, 3.0, 0.0], [2.0, -1.0, 0.0]])
    np.testing.assert_array_equal(b, [[-5.0, -6.0, 7.0]])  # a zero column keeps its sign


def test_cca_from_covariances_equals_the_svd_of_the_whitened_cross_covariance():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(200, 2))
    X = np.hstack([z, rng.normal(size=(200, 2))]) @ rng.normal(size=(4, 4))
    Y = np.hstack([z + 0.5 * rng.normal(size=(200, 2)), rng.normal(size=(200, 1))]) @ rng.normal(size=(3, 3))
    C = np.cov(np.hstack([X, Y]).T)
    Cxx, Cyy, Cxy = C[:4, :4], C[4:, 4:], C[:4, 4:]
    Wx, Wy = whitener(Cxx, 0.0, 0.0), whitener(Cyy, 0.0, 0.0)
    A, B, rho = cca_from_covariances(Wx, Wy, Cxy, 2)
    # canonical correlations: singular values of Lx^-1 Cxy Ly^-T, with Cxx = Lx Lx' (Cholesky)
    Lx_inv, Ly_inv = np.linalg.inv(np.linalg.cholesky(Cxx)), np.linalg.inv(np.linalg.cholesky(Cyy))
    ref = np.linalg.svd(Lx_inv @ Cxy @ Ly_inv.T, compute_uv=False)
    np.testing.assert_allclose(rho, ref[:2], rtol=1e-9)
    np.testing.assert_allclose(A.T @ Cxx @ A, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(B.T @ Cyy @ B, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(A.T @ Cxy @ B, np.diag(rho), atol=1e-10)
    assert rho.dtype == np.float64
