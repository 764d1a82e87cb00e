"""Linear algebra shared by the aligners of :mod:`classicx.subspace` (private).

Whitening bases restricted to the numerical range of a covariance, the dual
(thin SVD) form for views with more features than samples, the SVD step of
CCA on whitened covariances, and the sign convention that makes repeated
fits identical.
"""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.linalg

from ..utils.parallel import limit_threads

__all__ = [
    "cca_from_covariances",
    "eig_basis",
    "flip_signs",
    "lapack_threads",
    "std_from_covariance",
    "svd_basis",
    "top_eigenvectors",
    "whitener",
]

_SMALL = 1024


def lapack_threads(size: int) -> contextlib.AbstractContextManager:
    """Run LAPACK on one thread for matrices of at most ``_SMALL`` rows.

    Multi-threaded eigen/singular value solvers gain little at this size, and
    when the cores are busy with other work their spinning threads make them
    tens of times slower (measured: 12.6 s instead of 0.23 s for a 512 x 512
    ``eigh`` on 2 loaded cores). The limit is process-wide and shared with
    calls overlapping in other threads (:func:`~classicx.utils.parallel.limit_threads`).
    """
    if size > _SMALL:
        return contextlib.nullcontext()
    return limit_threads(blas=1)


def eig_basis(cov: np.ndarray, n_features: int, eps: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Eigenvectors of a covariance restricted to its numerical range.

    Returns the basis (d, r), its eigenvalues (r,) and the mean variance
    trace/d. Directions of (numerically) zero variance -- constant or
    linearly dependent columns -- are dropped: the data never varies along
    them, so they carry no correlation and must get zero weight.
    """
    with lapack_threads(len(cov)):
        evals, evecs = scipy.linalg.eigh(cov.astype(np.float64, copy=False))
    top = evals[-1] if len(evals) else 0.0
    keep = evals > max(top, 0.0) * n_features * eps if top > 0 else np.zeros(len(evals), bool)
    mean_var = float(np.trace(cov)) / n_features
    return evecs[:, keep][:, ::-1], evals[keep][::-1], mean_var


def std_from_covariance(cov: np.ndarray, scale: bool) -> np.ndarray:
    """Column standard deviations from a covariance (ones when ``scale`` is false).

    Constant columns get 1, so that scaling leaves them unchanged instead of dividing by zero.
    """
    if not scale:
        return np.ones(len(cov))
    std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    std[std == 0] = 1.0
    return std


def svd_basis(Xc: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Dual form for a view with more features than samples: thin SVD of the centred data.

    Returns the basis (d, r), the covariance eigenvalues (r,), the data
    projected on the basis (n, r) and the mean variance trace/d.
    """
    n, d = Xc.shape
    try:
        U, s, Vt = scipy.linalg.svd(Xc, full_matrices=False, lapack_driver="gesdd")
    except np.linalg.LinAlgError:
        U, s, Vt = scipy.linalg.svd(Xc, full_matrices=False, lapack_driver="gesvd")
    keep = s > s[0] * max(n, d) * eps if s[0] > 0 else np.zeros(len(s), bool)
    U, s, Vt = U[:, keep], s[keep].astype(np.float64), Vt[keep]
    variances = s**2 / (n - 1)
    mean_var = float(np.sum(variances)) / d
    return Vt.T, variances, U * s, mean_var


def whitener(cov: np.ndarray, reg: float, target: float) -> np.ndarray:
    """``W`` (d, r) with ``W' ((1 - reg) C + reg * target * I) W = I`` on the range of ``C``.

    Directions along which the data never varies are dropped (they carry no
    correlation and get zero weight), as in :class:`RegularizedCCA`.
    """
    evecs, evals, _ = eig_basis(cov, len(cov), float(np.finfo(np.float64).eps))
    return evecs / np.sqrt((1.0 - reg) * evals + reg * target)


def flip_signs(first: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Fix the signs of paired components, so that repeated fits give identical results.

    Every column of ``first`` whose largest-magnitude entry is negative is
    negated (the convention of scikit-learn's ``svd_flip``), and the same
    columns of each array in ``others`` with it, so that paired components
    keep their (positive) correlation. Returns the arrays in the order given.
    """
    signs = np.sign(first[np.argmax(np.abs(first), axis=0), np.arange(first.shape[1])])
    signs[signs == 0] = 1.0
    return tuple(V * signs for V in (first, *others))


def cca_from_covariances(
    Wx: np.ndarray, Wy: np.ndarray, cov_xy: np.ndarray, n_components: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical weights from whiteners and the cross-covariance (SVD of the whitened cross-covariance).

    Returns ``(A, B, correlations)``; signs make the largest-magnitude entry
    of each column of ``A`` positive, ``B`` following so correlations stay positive.
    """
    T = Wx.T @ cov_xy @ Wy
    U, s, Vt = scipy.linalg.svd(T, full_matrices=False, lapack_driver="gesdd")
    k = n_components
    A, B = flip_signs(Wx @ U[:, :k], Wy @ Vt[:k].T)
    return A, B, s[:k].astype(np.float64)


def top_eigenvectors(M: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` leading eigenvectors of the symmetric part of ``M``, in decreasing order."""
    d = M.shape[0]
    _, vecs = scipy.linalg.eigh(0.5 * (M + M.T), subset_by_index=[d - k, d - 1])
    return vecs[:, ::-1]
