"""Explicit (approximate) kernel feature maps and streamed moments.

A kernel aligner works on a feature map :math:`\\phi` with
:math:`\\phi(x)^\\top \\phi(y) \\approx k(x, y)`: it centres the features with
the training mean and then solves a linear problem on their covariances.
This module builds such maps without ever forming an ``n x n`` matrix
(except ``method="exact"``, meant for small ``n``):

``"nystrom"``
    ``n_components`` landmarks drawn uniformly from the training rows;
    :math:`\\phi(x) = K_{mm}^{-1/2} k(x, Z)` (Williams & Seeger 2001).
``"icd"``
    Pivoted incomplete Cholesky decomposition (Fine & Scheinberg 2001;
    Bach & Jordan 2002): greedy pivots with the largest residual diagonal,
    :math:`K \\approx G G^\\top`, and :math:`\\phi(x) = L^{-1} k(x, Z_P)` where
    :math:`L` is the pivot block of :math:`G`, so training rows map exactly to
    the rows of :math:`G`. O(n m^2) time and O(n m) memory.
``"rff"``
    Random Fourier features for ``"rbf"`` (Rahimi & Recht 2007, drawn with
    :class:`sklearn.kernel_approximation.RBFSampler`) and the explicit
    sampled map of :class:`sklearn.kernel_approximation.AdditiveChi2Sampler`
    for ``"additive_chi2"`` (Vedaldi & Zisserman 2012).
``"auto"``
    ``"exact"`` up to 2,000 training rows and ``"nystrom"`` above.
``"exact"``
    Every training row is a landmark and :math:`\\phi(x) = S^{-1/2} U^\\top k(x, X)`
    with :math:`U S U^\\top` the eigendecomposition of the centred kernel
    matrix :math:`HKH`: once centred, the training features reproduce
    :math:`HKH` exactly (the empirical kernel map), so linear algebra on
    :math:`\\phi` is exact kernel algebra. ``O(n^3)`` time, ``n x n`` memory.

Kernel centring is done on the features (subtracting their training mean),
once at fit and identically at transform: centred features give exactly the
doubly centred kernel :math:`HKH` on the training rows and the matching
centred kernel for new rows.
"""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from sklearn.base import TransformerMixin, clone
from sklearn.kernel_approximation import AdditiveChi2Sampler, RBFSampler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator
from ..exceptions import InputError
from ..utils.parallel import progress
from ..utils.validation import check_is_fitted, validate_data, validate_params
from .kernels import (
    HISTOGRAM_KERNELS,
    KERNELS,
    check_nonnegative,
    kernel_diagonal,
    pairwise_kernel,
    resolve_kernel_params,
)

__all__ = ["LOWRANK_METHODS", "KernelFeatureMap", "centred_features", "feature_moments", "resolve_map"]

logger = logging.getLogger(__name__)

LOWRANK_METHODS = ("exact", "nystrom", "icd", "rff")
# method="auto" is exact up to this many rows (an n x n eigenproblem takes a
# few seconds there) and the Nystroem approximation above it.
_AUTO_EXACT_MAX = 2000
# Eigenvalues (or residual diagonals) below this fraction of the largest are
# numerical noise; inverting them would amplify rounding errors.
_RANK_TOL = 1e-10


class KernelFeatureMap(TransformerMixin, ClassicxEstimator):
    """Explicit feature map whose inner products approximate a kernel.

    Parameters
    ----------
    kernel : str, default="rbf"
        One of :data:`classicx.subspace.KERNELS` (see :mod:`classicx.subspace.kernels`).
    method : {"nystrom", "icd", "rff", "exact", "auto"}, default="nystrom"
        How the map is built (see the module docstring). ``"rff"`` supports
        ``"rbf"`` and ``"additive_chi2"`` only; ``"auto"`` is ``"exact"`` up
        to 2,000 training rows and ``"nystrom"`` above.
    n_components : int, default=500
        Rank of the approximation: landmarks for ``"nystrom"``, pivots for
        ``"icd"``, random features for ``"rff"`` with ``"rbf"``; for
        ``"additive_chi2"`` with ``"rff"`` it is the number of sampling steps
        per feature (``sample_steps``, 1 to 3). Ignored by ``"exact"``.
    gamma : float, optional
        Kernel bandwidth; ``None`` uses the median heuristic (``rbf``, ``chi2``)
        or ``1 / n_features`` (``polynomial``).
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Constant of the polynomial kernel.
    batch_size : int, default=4096
        Rows evaluated at a time in :meth:`transform`, bounding memory at
        ``batch_size * n_components`` numbers.
    random_state : int, RandomState or None, default=None
        Seeds landmarks, random features and the median-heuristic sample.

    Attributes
    ----------
    method_ : str
        The method used (``"auto"`` resolved).
    kernel_params_ : dict
        The kernel and its resolved parameters (``gamma`` filled in).
    landmarks_ : ndarray or sparse matrix of shape (n_landmarks, n_features_in_), or None
        Training rows the kernel is evaluated against (``None`` for ``"rff"``).
    normalization_ : ndarray of shape (n_raw, n_components_), or None
        Linear map applied to the raw features (kernel values to the landmarks,
        or the random features); ``None`` means identity.
    random_weights_, random_offset_ : ndarray or None
        The random Fourier frequencies and phases (``"rff"`` with ``"rbf"``).
    sample_steps_, sample_interval_ : int, float or None
        The sampler settings (``"rff"`` with ``"additive_chi2"``).
    n_components_ : int
        Dimension of the output features (the numerical rank can make it
        smaller than ``n_components``).
    n_features_in_ : int

    See Also
    --------
    KernelCCA, GramAlignment : aligners built on these maps.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import KernelFeatureMap, pairwise_kernel
    >>> X = np.random.default_rng(0).normal(size=(60, 3))
    >>> fmap = KernelFeatureMap("rbf", method="nystrom", n_components=60).fit(X)
    >>> F = fmap.transform(X)  # 60 landmarks for 60 rows: exact
    >>> bool(np.allclose(F @ F.T, pairwise_kernel(X, X, fmap.kernel_params_), atol=1e-6))
    True
    """

    def __init__(
        self,
        kernel: str = "rbf",
        method: str = "nystrom",
        n_components: int = 500,
        gamma: float | None = None,
        degree: int = 3,
        coef0: float = 1.0,
        batch_size: int = 4096,
        random_state: Any = None,
    ) -> None:
        self.kernel = kernel
        self.method = method
        self.n_components = n_components
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.batch_size = batch_size
        self.random_state = random_state

    _parameter_constraints: dict = {
        "kernel": [StrOptions(set(KERNELS))],
        "method": [StrOptions({"auto", *LOWRANK_METHODS})],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "degree": [Interval(Real, 1, None, closed="left")],
        "coef0": [Real],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "kernel_params_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.kernel in HISTOGRAM_KERNELS
        return tags

    def fit(self, X: Any, y: Any = None) -> KernelFeatureMap:
        """Choose landmarks / random features from the training rows ``X``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def _fit(self, X: Any) -> tuple | None:
        validate_params(self)
        X = validate_data(self, X, dtype=np.float64, accept_sparse="csr")
        method = resolve_method(self.method, X.shape[0])
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        params = resolve_kernel_params(X, self.kernel, self.gamma, self.degree, self.coef0, random_state=seed)
        self.kernel_params_ = params
        self.n_features_in_ = int(X.shape[1])
        self.landmarks_ = None
        self.normalization_ = None
        self.random_weights_ = None
        self.random_offset_ = None
        self.sample_steps_ = None
        self.sample_interval_ = None
        self.method_ = method
        exact = None
        if method == "rff":
            self._fit_random_features(X, params, rng)
        elif method == "icd":
            self._fit_icd(X, params)
        elif method == "exact":
            exact = self._fit_exact(X, params)
        else:
            rows = np.sort(rng.choice(X.shape[0], min(int(self.n_components), X.shape[0]), replace=False))
            self.landmarks_ = X[rows]
            self.normalization_ = _inverse_sqrt(pairwise_kernel(self.landmarks_, self.landmarks_, params))
        self.n_components_ = int(self._output_dim())
        return exact

    def fit_exact(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fit with ``method="exact"`` (or ``"auto"`` resolving to it) and also return what the fit computed anyway.

        Returns
        -------
        centred_features : ndarray of shape (n_samples, n_components_)
            The centred training features (``U sqrt(s)`` up to rounding).
        eigenvalues : ndarray of shape (n_components_,)
            ``s``, the non-zero eigenvalues of the centred kernel matrix, decreasing.
        mean : ndarray of shape (n_components_,)
            The training mean of :meth:`transform`'s output.
        """
        if resolve_method(self.method, X.shape[0]) != "exact":
            raise InputError(
                f"fit_exact needs method='exact'; this map has method={self.method!r} for {X.shape[0]} rows"
            )
        return self._fit(X)

    def _fit_exact(self, X: Any, params: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        K = pairwise_kernel(X, X, params)
        column_mean = K.mean(axis=0)
        K -= column_mean[:, None]
        K -= column_mean[None, :]
        K += column_mean.mean()
        s, U = la.eigh(K, overwrite_a=True, driver="evd")
        del K
        keep = s > _RANK_TOL * max(float(s[-1]), 0.0)
        if not keep.any():
            raise InputError("the centred kernel matrix is zero: every row of the view is the same")
        s, U = s[keep][::-1], U[:, keep][:, ::-1]
        # Eigenvectors of the centred kernel are orthogonal to the constant vector, so
        # k(x, X) @ U / sqrt(s) minus its training mean is the centred empirical map. In
        # floating point, eigenvectors of tiny eigenvalues pick up a component along the
        # constant null vector, which 1/sqrt(s) would blow up: it is removed explicitly.
        U -= U.mean(axis=0)
        self.landmarks_ = X
        self.normalization_ = U / np.sqrt(s)
        del U
        # The training features are recomputed exactly as transform() computes them (rather
        # than taken as U sqrt(s)), so that fit-time and transform-time projections agree to
        # rounding even along the least accurate eigen-directions.
        F = pairwise_kernel(X, X, params) @ self.normalization_
        mean = F.mean(axis=0)
        F -= mean
        return F, s, mean

    def _fit_random_features(self, X: Any, params: dict, rng: np.random.RandomState) -> None:
        kernel = params["kernel"]
        if kernel == "rbf":
            sampler = RBFSampler(gamma=params["gamma"], n_components=int(self.n_components), random_state=rng)
            sampler.fit(X)
            self.random_weights_ = np.asarray(sampler.random_weights_, dtype=np.float64)
            self.random_offset_ = np.asarray(sampler.random_offset_, dtype=np.float64)
        elif kernel == "additive_chi2":
            steps = int(self.n_components)
            if not 1 <= steps <= 3:
                raise InputError(
                    "with method='rff' and the additive_chi2 kernel, n_components is the number of "
                    f"sampling steps of AdditiveChi2Sampler (1, 2 or 3); got {steps}"
                )
            # scikit-learn's own defaults for 1-3 steps, stored so that a saved model keeps
            # its features even if those defaults change.
            self.sample_steps_ = steps
            self.sample_interval_ = {1: 0.8, 2: 0.5, 3: 0.4}[steps]
        else:
            raise InputError(
                f"method='rff' supports the 'rbf' and 'additive_chi2' kernels; got {kernel!r} "
                "(use method='nystrom' or 'icd')"
            )

    def _fit_icd(self, X: Any, params: dict) -> None:
        # Hand-written: neither scipy nor scikit-learn offers a pivoted incomplete Cholesky
        # that evaluates kernel columns on demand (scipy's cholesky needs the full matrix).
        n = X.shape[0]
        rank = min(int(self.n_components), n)
        residual = kernel_diagonal(X, params).astype(np.float64)
        threshold = _RANK_TOL * max(float(residual.max()), np.finfo(float).tiny)
        G = np.zeros((n, rank))
        pivots: list[int] = []
        for j in range(rank):
            p = int(np.argmax(residual))
            if residual[p] <= threshold:
                break
            column = pairwise_kernel(X, X[p : p + 1], params)[:, 0]
            g = (column - G[:, :j] @ G[p, :j]) / np.sqrt(residual[p])
            G[:, j] = g
            pivots.append(p)
            residual = np.maximum(residual - g * g, 0.0)
            residual[pivots] = 0.0
        r = len(pivots)
        if r == 0:
            raise InputError("the kernel matrix of the view is zero: the view carries no information")
        if r < rank:
            logger.debug("incomplete Cholesky stopped at the numerical rank %d (< %d requested)", r, rank)
        L = G[pivots, :r]
        self.landmarks_ = X[np.asarray(pivots)]
        self.normalization_ = la.solve_triangular(L, np.eye(r), lower=True).T

    def _output_dim(self) -> int:
        if self.normalization_ is not None:
            return self.normalization_.shape[1]
        if self.random_weights_ is not None:
            return self.random_weights_.shape[1]
        return self.n_features_in_ * (2 * self.sample_steps_ - 1)

    def _raw(self, X: Any) -> np.ndarray:
        if self.landmarks_ is not None:
            return pairwise_kernel(X, self.landmarks_, self.kernel_params_)
        if self.random_weights_ is not None:
            D = self.random_weights_.shape[1]
            proj = X @ self.random_weights_
            return np.cos(np.asarray(proj) + self.random_offset_) * np.sqrt(2.0 / D)
        sampler = AdditiveChi2Sampler(sample_steps=self.sample_steps_, sample_interval=self.sample_interval_)
        out = sampler.fit(X[:1]).transform(X)
        return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=np.float64)

    def iter_batches(self, X: Any, verbose: bool = False, desc: str = "kernel features"):
        """Yield ``(start, features)`` for consecutive row batches of ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, accept_sparse="csr")
        if self.kernel_params_["kernel"] in HISTOGRAM_KERNELS:
            check_nonnegative(X, self.kernel_params_["kernel"])
        step = max(int(self.batch_size), 1)
        starts = range(0, X.shape[0], step)
        for start in progress(starts, total=len(starts), desc=desc, verbose=verbose and len(starts) > 4):
            raw = self._raw(X[start : start + step])
            yield start, raw if self.normalization_ is None else raw @ self.normalization_

    def transform(self, X: Any) -> np.ndarray:
        """Map ``X`` to its features.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features_in_)

        Returns
        -------
        ndarray of shape (n_samples, n_components_)
        """
        parts = [F for _, F in self.iter_batches(X)]
        return np.vstack(parts)

    def compose(self, weights: np.ndarray) -> KernelFeatureMap:
        """A copy of this map followed by the linear map ``weights`` (n_components_, k).

        Aligners fold their projection into the map this way, so that the
        fitted state keeps a (landmarks x k) matrix instead of (landmarks x rank).
        """
        check_is_fitted(self)
        out = KernelFeatureMap(**self.get_params())
        for name, value in vars(self).items():
            if name.endswith("_") and not name.startswith("_"):
                setattr(out, name, value)
        out.normalization_ = weights if self.normalization_ is None else self.normalization_ @ weights
        out.n_components_ = int(weights.shape[1])
        return out


def kernel_name(spec: Any) -> str:
    """The kernel of a ``kernel=`` specification: a kernel name or a :class:`KernelFeatureMap`."""
    return spec.kernel if isinstance(spec, KernelFeatureMap) else spec


def resolve_method(method: str, n_samples: int) -> str:
    """The method ``"auto"`` stands for with ``n_samples`` training rows (other methods unchanged)."""
    if method == "auto":
        return "exact" if n_samples <= _AUTO_EXACT_MAX else "nystrom"
    return method


def resolve_map(spec: Any, method: str, seed: int, linear_is_raw: bool = False) -> KernelFeatureMap | None:
    """The unfitted feature map an aligner uses for one view, never the user's object.

    ``spec`` is a kernel name (a map with that kernel, ``method`` and
    default settings) or a :class:`KernelFeatureMap` (cloned). ``seed``
    becomes the map's ``random_state`` unless the map has one of its own, so
    that the aligner's ``random_state`` makes the fit repeatable. With
    ``linear_is_raw``, the name ``"linear"`` means the raw columns
    (``None``): no map is needed for them.
    """
    if isinstance(spec, KernelFeatureMap):
        fmap = clone(spec)
        if fmap.random_state is None:
            fmap.set_params(random_state=seed)
        return fmap
    if linear_is_raw and spec == "linear":
        return None
    return KernelFeatureMap(spec, method=method, random_state=seed)


def _inverse_sqrt(K: np.ndarray) -> np.ndarray:
    """``U diag(s^-1/2)`` over the numerically non-zero eigenpairs of the PSD matrix ``K``."""
    s, U = la.eigh(K)
    keep = s > _RANK_TOL * max(float(s[-1]), np.finfo(float).tiny)
    if not keep.any():
        raise InputError("the kernel matrix of the view is zero: the view carries no information")
    return U[:, keep] / np.sqrt(s[keep])


def centred_features(fmap: KernelFeatureMap, V: Any, offset: np.ndarray, verbose: bool = False) -> np.ndarray:
    """The features ``fmap.transform(V) - offset``, written batch by batch into one float64 array.

    Aligners fold their projection into ``fmap`` (see :meth:`KernelFeatureMap.compose`)
    and subtract the projected training mean ``offset``; filling a preallocated
    output avoids holding the batches and their stacked copy at once.
    """
    out = np.empty((V.shape[0], len(offset)))
    for start, F in fmap.iter_batches(V, verbose=verbose):
        out[start : start + len(F)] = F - offset
    return out


def feature_moments(
    map_x: KernelFeatureMap | None,
    X: Any,
    map_y: KernelFeatureMap | None,
    Y: Any,
    indicator: np.ndarray | None = None,
    batch_size: int = 4096,
    verbose: bool = False,
) -> dict:
    """Means, covariances and cross-covariances of two feature views, streamed.

    Features are produced batch by batch (``map=None`` means the raw view),
    so memory is O(batch_size * m + m^2) whatever the number of rows.
    Sums are taken around the first batch's mean, which keeps the one-pass
    covariance accurate when the features have a large mean.

    Returns
    -------
    dict with keys ``n``, ``mean_x``, ``mean_y``, ``cov_xx``, ``cov_yy``,
    ``cov_xy`` and, with ``indicator`` (n, C), ``cov_xl``, ``cov_yl`` and
    ``mean_l``. Covariances are normalised by ``n``.
    """
    n = X.shape[0]
    step = max(int(batch_size), 1)

    def batches(fmap, A, name):
        if fmap is None:
            for start in range(0, n, step):
                block = A[start : start + step]
                yield np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)
        else:
            old = fmap.batch_size
            fmap.batch_size = step
            try:
                for _, F in fmap.iter_batches(A, verbose=verbose, desc=f"kernel features ({name})"):
                    yield F
            finally:
                fmap.batch_size = old

    sums: dict[str, Any] = {}
    shift: dict[str, np.ndarray] = {}
    start = 0
    # strict: once X's batches end, Y's generator is resumed once more, so it finishes its
    # loop (its progress bar counts the last batch, and its batch size is restored at once).
    for Fx, Fy in zip(batches(map_x, X, "X"), batches(map_y, Y, "Y"), strict=True):
        if not shift:
            shift = {"x": Fx.mean(axis=0), "y": Fy.mean(axis=0)}
            sums = {"x": 0.0, "y": 0.0, "xx": 0.0, "yy": 0.0, "xy": 0.0, "xl": 0.0, "yl": 0.0, "l": 0.0}
        Dx, Dy = Fx - shift["x"], Fy - shift["y"]
        sums["x"] = sums["x"] + Dx.sum(axis=0)
        sums["y"] = sums["y"] + Dy.sum(axis=0)
        sums["xx"] = sums["xx"] + Dx.T @ Dx
        sums["yy"] = sums["yy"] + Dy.T @ Dy
        sums["xy"] = sums["xy"] + Dx.T @ Dy
        if indicator is not None:
            Lb = indicator[start : start + len(Fx)]
            sums["xl"] = sums["xl"] + Dx.T @ Lb
            sums["yl"] = sums["yl"] + Dy.T @ Lb
            sums["l"] = sums["l"] + Lb.sum(axis=0)
        start += len(Fx)
    mx, my = sums["x"] / n, sums["y"] / n
    out = {
        "n": n,
        "mean_x": shift["x"] + mx,
        "mean_y": shift["y"] + my,
        "cov_xx": _symmetric(sums["xx"] / n - np.outer(mx, mx)),
        "cov_yy": _symmetric(sums["yy"] / n - np.outer(my, my)),
        "cov_xy": sums["xy"] / n - np.outer(mx, my),
    }
    if indicator is not None:
        ml = sums["l"] / n
        out["mean_l"] = ml
        out["cov_xl"] = sums["xl"] / n - np.outer(mx, ml)
        out["cov_yl"] = sums["yl"] / n - np.outer(my, ml)
    return out


def _symmetric(C: np.ndarray) -> np.ndarray:
    return 0.5 * (C + C.T)
