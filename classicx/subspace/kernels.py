"""Kernel functions for the kernel aligners, with the median-heuristic bandwidth.

Kernels (``kernel=`` names accepted throughout :mod:`classicx.subspace`):

``"linear"``
    :math:`k(x, y) = x^\\top y`.
``"rbf"``
    :math:`k(x, y) = \\exp(-\\gamma \\lVert x - y \\rVert^2)`; by default
    :math:`\\gamma = 1 / (2\\,\\mathrm{median}\\lVert x_i - x_j \\rVert^2)`
    (the median heuristic, on a random subsample of at most 1,000 rows).
``"polynomial"``
    :math:`k(x, y) = (\\gamma x^\\top y + c_0)^d`; by default
    :math:`\\gamma = 1/n_{\\text{features}}`.
``"cosine"``
    :math:`k(x, y) = x^\\top y / (\\lVert x \\rVert \\lVert y \\rVert)`.
``"chi2"``
    The exponential χ² kernel
    :math:`k(x, y) = \\exp(-\\gamma \\sum_i (x_i - y_i)^2 / (x_i + y_i))`
    for histograms; by default :math:`\\gamma = 1 / \\mathrm{median}\\,\\chi^2(x_i, x_j)`.
``"additive_chi2"``
    :math:`k(x, y) = \\sum_i 2 x_i y_i / (x_i + y_i)`, the positive-definite
    additive χ² kernel (the one :class:`sklearn.kernel_approximation.AdditiveChi2Sampler`
    approximates).
``"hellinger"``
    :math:`k(x, y) = \\sum_i \\sqrt{x_i y_i}` (Bhattacharyya), for histograms.

The histogram kernels (``chi2``, ``additive_chi2``, ``hellinger``) need
non-negative features; a negative value is an error naming its row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import (
    additive_chi2_kernel,
    chi2_kernel,
    cosine_similarity,
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
)
from sklearn.utils import check_random_state

from ..exceptions import InputError

__all__ = ["KERNELS", "kernel_diagonal", "median_heuristic_gamma", "pairwise_kernel", "resolve_kernel_params"]

KERNELS = ("linear", "rbf", "polynomial", "cosine", "chi2", "additive_chi2", "hellinger")
HISTOGRAM_KERNELS = ("chi2", "additive_chi2", "hellinger")
_MEDIAN_SAMPLE = 1000


def _check_kernel_name(kernel: Any) -> str:
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise InputError(f"kernel must be one of {', '.join(KERNELS)}; got {kernel!r}")
    return kernel


def _dense(X: Any) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def check_nonnegative(X: Any, kernel: str, name: str = "X") -> None:
    data = X.data if sp.issparse(X) else np.asarray(X)
    if data.size and data.min() < 0:
        if sp.issparse(X):
            X = sp.csr_array(X)
            flat = int(np.flatnonzero(X.data < 0)[0])
            row = int(np.searchsorted(X.indptr, flat, side="right") - 1)
        else:
            row = int(np.flatnonzero((data < 0).any(axis=1))[0])
        raise InputError(
            f"the {kernel} kernel needs non-negative features (histograms); "
            f"{name} has a negative value at row {row}"
        )


def _chi2_distance(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    # sklearn's additive_chi2_kernel is minus the chi-square distance.
    return -additive_chi2_kernel(X, Z)


def median_heuristic_gamma(X: Any, kernel: str = "rbf", random_state: Any = 0) -> float:
    """Bandwidth ``gamma`` from the median pairwise distance of (a sample of) ``X``.

    For ``"rbf"``: ``gamma = 1 / (2 * median ||x_i - x_j||^2)``, i.e. the
    Gaussian width is the median distance. For ``"chi2"``:
    ``gamma = 1 / median chi2(x_i, x_j)``. At most 1,000 rows are used, so the
    cost does not grow with ``n``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    kernel : {"rbf", "chi2"}
    random_state : int, RandomState or None
        Seeds the subsample when ``X`` has more than 1,000 rows.

    Returns
    -------
    float

    See Also
    --------
    resolve_kernel_params : fills in this bandwidth when ``gamma=None``.
    KernelFeatureMap : kernel feature maps with this default bandwidth.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import median_heuristic_gamma
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> median_heuristic_gamma(X)  # squared distances 1, 4, 9: median 4
    0.125
    """
    n = X.shape[0]
    if n < 2:
        raise InputError(
            f"cannot choose a kernel bandwidth from n_samples = {n}: the median heuristic needs two rows"
        )
    if n > _MEDIAN_SAMPLE:
        rows = np.sort(check_random_state(random_state).choice(n, _MEDIAN_SAMPLE, replace=False))
        X = X[rows]
    X = _dense(X).astype(np.float64, copy=False)
    if kernel == "chi2":
        dist = _chi2_distance(X, X)
    elif kernel == "rbf":
        sq = np.einsum("ij,ij->i", X, X)
        dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0)
    else:
        raise InputError(f"the median heuristic is defined for 'rbf' and 'chi2'; got {kernel!r}")
    off_diagonal = dist[np.triu_indices(len(X), k=1)]
    off_diagonal = off_diagonal[off_diagonal > 0]
    if off_diagonal.size == 0:
        raise InputError("cannot choose a kernel bandwidth: all rows of the view are identical")
    median = float(np.median(off_diagonal))
    return 1.0 / (2.0 * median) if kernel == "rbf" else 1.0 / median


def resolve_kernel_params(
    X: Any,
    kernel: str,
    gamma: float | None = None,
    degree: int = 3,
    coef0: float = 1.0,
    random_state: Any = 0,
) -> dict:
    """Check the kernel name and parameters and fill in the default ``gamma`` from ``X``.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The rows the default bandwidth is chosen from.
    kernel : str
        One of :data:`KERNELS`.
    gamma : float, optional
        Bandwidth; ``None`` uses the median heuristic (``rbf``, ``chi2``) or
        ``1 / n_features`` (``polynomial``).
    degree : int, default=3
    coef0 : float, default=1.0
    random_state : int, RandomState or None, default=0
        Seeds the median-heuristic subsample.

    Returns
    -------
    dict
        ``{"kernel": ..., "gamma": ..., "degree": ..., "coef0": ...}`` with
        plain Python values (JSON-serialisable, kept as fitted state).

    See Also
    --------
    pairwise_kernel : evaluates the kernel these parameters describe.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import resolve_kernel_params
    >>> resolve_kernel_params(np.array([[0.0], [1.0], [3.0]]), "rbf")
    {'kernel': 'rbf', 'gamma': 0.125, 'degree': 3, 'coef0': 1.0}
    """
    kernel = _check_kernel_name(kernel)
    if kernel in HISTOGRAM_KERNELS:
        check_nonnegative(X, kernel)
    if gamma is not None and (not np.isscalar(gamma) or not np.isfinite(gamma) or gamma <= 0):
        raise InputError(f"gamma must be a positive number or None; got {gamma!r}")
    if kernel in ("rbf", "chi2") and gamma is None:
        gamma = median_heuristic_gamma(X, kernel, random_state)
    elif kernel == "polynomial" and gamma is None:
        gamma = 1.0 / X.shape[1]
    if kernel == "polynomial" and (int(degree) != degree or degree < 1):
        raise InputError(f"degree must be a positive integer; got {degree!r}")
    return {
        "kernel": kernel,
        "gamma": None if gamma is None else float(gamma),
        "degree": int(degree),
        "coef0": float(coef0),
    }


def pairwise_kernel(X: Any, Z: Any, params: dict) -> np.ndarray:
    """Kernel matrix ``k(X[i], Z[j])`` (dense float64, shape (len(X), len(Z))).

    Parameters
    ----------
    X, Z : array-like or sparse, of shapes (n, d) and (m, d)
    params : dict
        As returned by :func:`resolve_kernel_params`.

    Returns
    -------
    ndarray of shape (n, m)

    See Also
    --------
    KernelFeatureMap : explicit feature maps whose inner products approximate these kernels.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import pairwise_kernel, resolve_kernel_params
    >>> H = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> params = resolve_kernel_params(H, "hellinger")
    >>> pairwise_kernel(H, H, params).round(3)
    array([[1.   , 0.707],
           [0.707, 1.   ]])
    """
    kernel = params["kernel"]
    if kernel == "linear":
        out = linear_kernel(X, Z)
    elif kernel == "rbf":
        out = rbf_kernel(X, Z, gamma=params["gamma"])
    elif kernel == "polynomial":
        out = polynomial_kernel(X, Z, degree=params["degree"], gamma=params["gamma"], coef0=params["coef0"])
    elif kernel == "cosine":
        out = cosine_similarity(X, Z)
    elif kernel == "chi2":
        out = chi2_kernel(_dense(X), _dense(Z), gamma=params["gamma"])
    elif kernel == "additive_chi2":
        # sklearn's additive_chi2_kernel is -sum (x-y)^2/(x+y), which is not positive
        # definite; since (x-y)^2/(x+y) = x + y - 4xy/(x+y), the PD kernel
        # sum 2xy/(x+y) (the one AdditiveChi2Sampler approximates) is recovered exactly as
        # (|x|_1 + |z|_1 + additive_chi2_kernel) / 2.
        Xd, Zd = _dense(X), _dense(Z)
        out = 0.5 * (Xd.sum(axis=1)[:, None] + Zd.sum(axis=1)[None, :] + additive_chi2_kernel(Xd, Zd))
    elif kernel == "hellinger":
        # scikit-learn has no Hellinger kernel; it is the linear kernel of sqrt(x).
        out = linear_kernel(_sqrt(X), _sqrt(Z))
    else:  # pragma: no cover - resolve_kernel_params rejects other names
        raise InputError(f"unknown kernel {kernel!r}")
    return np.asarray(out, dtype=np.float64)


def _sqrt(X: Any) -> Any:
    return X.sqrt() if sp.issparse(X) else np.sqrt(X)


def kernel_diagonal(X: Any, params: dict) -> np.ndarray:
    """``k(x_i, x_i)`` for every row, in O(n d) without forming a kernel matrix."""
    kernel = params["kernel"]
    if sp.issparse(X):
        sq = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        l1 = np.asarray(X.sum(axis=1)).ravel()
    else:
        X = np.asarray(X, dtype=np.float64)
        sq = np.einsum("ij,ij->i", X, X)
        l1 = X.sum(axis=1)
    if kernel == "linear":
        return sq.astype(np.float64)
    if kernel == "polynomial":
        return (params["gamma"] * sq + params["coef0"]) ** params["degree"]
    if kernel in ("rbf", "chi2"):
        return np.ones(X.shape[0])
    if kernel == "cosine":
        # cosine_similarity maps a zero row to the zero vector, so its self-similarity is 0.
        return (sq > 0).astype(np.float64)
    return l1.astype(np.float64)  # additive_chi2 and hellinger: k(x, x) = sum(x)
