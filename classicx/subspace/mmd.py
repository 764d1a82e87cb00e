"""Kernel-MMD alignment: CCA whose projected image and text distributions are made indistinguishable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.linalg
from sklearn.base import TransformerMixin, clone
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from ..base import ClassicxEstimator
from ..exceptions import InputError, ShapeMismatchError
from ..utils.parallel import limit_threads, progress
from ..utils.validation import (
    check_array,
    check_is_fitted,
    check_labels,
    check_n_components,
    validate_data,
    validate_params,
)
from ._base import BaseAligner, optional_labels
from ._linalg import flip_signs, whitener
from .kernels import median_heuristic_gamma

__all__ = ["MMDAlignment", "MMDKernel", "rbf_mmd2"]

logger = logging.getLogger(__name__)

# Armijo sufficient-decrease constant and the number of step halvings tried
# before a step is declared impossible (the iterate is then stationary).
_ARMIJO = 1e-4
_MAX_HALVINGS = 40


def rbf_mmd2(P: np.ndarray, Q: np.ndarray, gamma: float | list[float]) -> float:
    """Exact (biased, V-statistic) squared MMD between samples ``P`` and ``Q`` under an RBF kernel.

    ``gamma`` may be a list: the kernel is then the mean of the RBF kernels.
    Costs O((n_P + n_Q)^2): a reference for tests and small samples, not
    for fitting (which uses random features).

    Parameters
    ----------
    P : ndarray of shape (n_P, d)
    Q : ndarray of shape (n_Q, d)
    gamma : float or list of float
        RBF bandwidth(s).

    Returns
    -------
    float

    See Also
    --------
    MMDKernel : the random-feature approximation :class:`MMDAlignment` optimises.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import rbf_mmd2
    >>> P = np.zeros((3, 2))
    >>> round(rbf_mmd2(P, P + 1.0, gamma=0.5), 4)  # 2 - 2 exp(-1)
    1.2642
    """
    gammas = [gamma] if np.isscalar(gamma) else list(gamma)
    total = 0.0
    for g in gammas:
        total += (
            rbf_kernel(P, P, gamma=g).mean()
            + rbf_kernel(Q, Q, gamma=g).mean()
            - 2 * rbf_kernel(P, Q, gamma=g).mean()
        )
    return float(total / len(gammas))


class _Problem:
    """The objective of :class:`MMDAlignment` in whitened coordinates, with its gradient.

    ``Xw`` and ``Yw`` hold every image and every text (paired rows first);
    ``class_x`` (n_images, C) and ``class_y`` (n_texts, C) are the label
    indicators with each column divided by its count (rows without a label
    are zero), so that ``class_x' Z`` holds the mean random features of each
    class; ``None`` when no row has a label.

    ``dtype`` is the precision of the random-feature part (the projections
    of the rows, their cosines and sines, the chain rule back to ``A`` and
    ``B``); the pairing term, the feature means and the values are float64.
    float32 is what :class:`MMDAlignment` uses: its rounding (about 1e-7
    relative) is far below the Monte Carlo error of the random-feature MMD
    estimate itself (about ``1 / sqrt(D)`` for ``D`` features), and its
    cosines and sines are several times faster (6x for float32 against
    float64 on the 1,130 x 384 arguments of a webnews step, numpy 2.4, AVX2).
    The function optimised is the float32 one, value and gradient alike,
    so the line search stays monotone on what it measures.
    """

    def __init__(self, T, Xw, Yw, class_x, class_y, mmd_weight, label_weight, omega, offset, dtype=np.float64):
        self.T = T
        self.mmd_weight, self.label_weight = mmd_weight, label_weight
        self.dtype = np.dtype(dtype)
        self.Xw, self.Yw = Xw.astype(self.dtype, copy=False), Yw.astype(self.dtype, copy=False)
        self.omega = omega.astype(self.dtype, copy=False)
        self.offset = offset.astype(self.dtype, copy=False)
        # A Python float: NumPy 2 promotes float32 arrays times a NumPy float64 scalar to
        # float64, which made the features and the chain rule float64 (NEP 50).
        self.scale = float(np.sqrt(2.0 / omega.shape[1]))
        self.class_x, self.class_y = class_x, class_y
        if class_x is not None:
            self.class_x, self.class_y = class_x.astype(self.dtype), class_y.astype(self.dtype)

    def _features(self, P):
        arg = P.astype(self.dtype, copy=False) @ self.omega + self.offset
        return self.scale * np.cos(arg), arg

    def _mmd(self, A, B, with_classes: bool):
        """``(mmd2, class_mmd2, state)`` at ``(A, B)``; ``state`` is what :meth:`gradient` reuses."""
        Zx, arg_x = self._features(self.Xw @ A.astype(self.dtype, copy=False))
        Zy, arg_y = self._features(self.Yw @ B.astype(self.dtype, copy=False))
        # Feature means accumulated in float64: the MMD is a small difference of them.
        delta = Zx.mean(axis=0, dtype=np.float64) - Zy.mean(axis=0, dtype=np.float64)
        value_mmd = float(delta @ delta)
        Delta, value_cls = None, 0.0
        if self.class_x is not None and with_classes:
            Delta = (self.class_x.T @ Zx).astype(np.float64) - (self.class_y.T @ Zy).astype(np.float64)
            value_cls = float(np.sum(Delta * Delta)) / self.class_x.shape[1]
        return value_mmd, value_cls, (arg_x, arg_y, delta, Delta)

    def terms(self, A, B) -> dict:
        """The objective's parts at ``(A, B)``: ``pair`` (minus the mean correlation), ``mmd2``, ``class_mmd2``."""
        k = A.shape[1]
        mmd2, class_mmd2, _ = self._mmd(A, B, with_classes=True)
        return {"pair": -float(np.sum(A * (self.T @ B))) / k, "mmd2": mmd2, "class_mmd2": class_mmd2}

    def evaluate(self, A, B) -> tuple[float, tuple | None]:
        """The objective at ``(A, B)`` and what :meth:`gradient` needs there (``None`` without MMD terms)."""
        k = A.shape[1]
        pair = -np.sum(A * (self.T @ B)) / k
        if not self.mmd_weight:
            return float(pair), None
        value_mmd, value_cls, state = self._mmd(A, B, with_classes=self.label_weight > 0)
        value = pair + self.mmd_weight * (value_mmd + self.label_weight * value_cls)
        return float(value), state

    def gradient(self, A, B, state) -> tuple[np.ndarray, np.ndarray]:
        """The Euclidean gradient at ``(A, B)``, reusing the random-feature arguments of :meth:`evaluate`.

        The cosines of the value and the sines of the gradient are the whole
        cost of a step (O(n k D) for n rows and D random features); keeping
        the arguments saves recomputing them for the gradient.
        """
        k = A.shape[1]
        gA, gB = -(self.T @ B) / k, -(self.T.T @ A) / k
        if state is None:
            return gA, gB
        arg_x, arg_y, delta, Delta = state
        # d value / d Z for every row, then chain through Z = s * cos(P omega + offset).
        Gx = (2.0 * delta / len(arg_x)).astype(self.dtype)
        Gy = (-2.0 * delta / len(arg_y)).astype(self.dtype)
        if Delta is not None:
            dDelta = (2.0 * self.label_weight / self.class_x.shape[1] * Delta).astype(self.dtype)
            Gx = self.class_x @ dDelta + Gx
            Gy = Gy - self.class_y @ dDelta
        Sx, Sy = np.sin(arg_x), np.sin(arg_y)
        Sx *= Gx
        Sy *= Gy
        dPx = (-self.scale * Sx) @ self.omega.T
        dPy = (-self.scale * Sy) @ self.omega.T
        return (
            gA + self.mmd_weight * (self.Xw.T @ dPx).astype(np.float64),
            gB + self.mmd_weight * (self.Yw.T @ dPy).astype(np.float64),
        )

    def __call__(self, A, B, gradient=False):
        value, state = self.evaluate(A, B)
        return value, (self.gradient(A, B, state) if gradient else None)


def _tangent(A: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Projection of the Euclidean gradient onto the tangent space of the Stiefel manifold at ``A``."""
    S = A.T @ G
    return G - A @ (0.5 * (S + S.T))


def _retract(M: np.ndarray) -> np.ndarray:
    """Polar retraction: the nearest matrix with orthonormal columns."""
    U, _, Vt = scipy.linalg.svd(M, full_matrices=False)
    return U @ Vt


def _whiten(Vc: np.ndarray, reg: float) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """The whitened rows of the centred ``Vc`` (n, r), and the map from whitened projections to feature weights.

    Whitening is ``W`` (d, r) with ``W' ((1 - reg) C + reg * trace(C)/d * I) W = I``
    on the range of the covariance ``C`` of ``Vc``; the rows returned are
    ``Vc W`` and the map sends ``A`` (r, k) to ``W A`` (d, k).

    With more features than rows the basis comes from the eigendecomposition
    of the ``n x n`` Gram matrix ``Vc Vc'`` (its eigenvectors ``U``,
    eigenvalues ``s^2``): the whitened rows are ``U s / sqrt(...)`` and
    ``W A = Vc' U (A / (s sqrt(...)))``, so neither the ``d x d`` covariance
    (O(d^3)) nor the ``d x r`` basis is formed. A Gram matrix and ``eigh``
    rather than LAPACK's thin SVD: measured on 1,696 x 8,320 webnews rows
    at load 11 on 2 cores, 6 s against 27 s for ``gesdd`` on one thread
    (196 s on two). Its eigenvalues are exact to about ``n eps s_max^2``, so
    directions whose singular value is below ``sqrt(n eps) s_max`` count
    as zero variance (the thin SVD would keep them down to ``max(n, d) eps s_max``).
    """
    n, d = Vc.shape
    eps = float(np.finfo(np.float64).eps)
    if d <= n:
        W = whitener(Vc.T @ Vc / (n - 1), reg, float(np.sum(Vc * Vc)) / ((n - 1) * d))
        return Vc @ W, lambda A: W @ A
    gram = Vc @ Vc.T
    evals, U = scipy.linalg.eigh(gram)
    top = evals[-1]
    keep = evals > max(top, 0.0) * n * eps if top > 0 else np.zeros(n, bool)
    evals, U = evals[keep][::-1], U[:, keep][:, ::-1]
    s = np.sqrt(evals)
    variances = evals / (n - 1)
    mean_var = float(np.trace(gram)) / ((n - 1) * d)
    denominator = np.sqrt((1.0 - reg) * variances + reg * mean_var)
    return U * (s / denominator), lambda A: Vc.T @ (U @ (A / (s * denominator)[:, None]))


def _unpaired_labels(labels: Any, name: str, V: np.ndarray | None, data_name: str) -> np.ndarray | None:
    if labels is None:
        return None
    if V is None:
        raise InputError(f"{name} were given without {data_name}: they label its rows")
    return check_labels(labels, len(V), name=name)


def _class_means(labels, labels_x, labels_y, n_pairs: int, n_images: int, n_texts: int):
    """Per-class mean operators of every image and every text (paired rows first), or ``(None, None)``.

    ``labels`` label the ``n_pairs`` paired rows of both views, ``labels_x``
    the unpaired images (rows ``n_pairs:`` of the ``n_images``) and
    ``labels_y`` the unpaired texts; any of them may be ``None``. Returns
    ``class_x`` (n_images, C) and ``class_y`` (n_texts, C): column ``c`` is
    the indicator of the rows of category ``c`` divided by their number,
    for the categories that have both an image and a text; rows without a
    label are zero.
    """
    parts = [p for p in (labels, labels_x, labels_y) if p is not None]
    if not parts:
        return None, None
    if len({p.ndim for p in parts}) > 1 or len({p.shape[1] for p in parts if p.ndim == 2}) > 1:
        raise InputError(
            "labels, X_unpaired_labels and Y_unpaired_labels must use one coding: all 1-D "
            "categories or all indicator matrices with the same number of columns"
        )
    if parts[0].ndim == 1:
        classes = np.unique(np.concatenate(parts))
        width = len(classes)

        def indicator(p, rows):
            out = np.zeros((rows, width))
            if p is not None:
                out[np.arange(rows), np.searchsorted(classes, p)] = 1.0
            return out
    else:
        width = parts[0].shape[1]

        def indicator(p, rows):
            return np.zeros((rows, width)) if p is None else p.astype(np.float64)

    paired = indicator(labels, n_pairs)
    Ix = np.vstack([paired, indicator(labels_x, n_images - n_pairs)])
    Iy = np.vstack([paired, indicator(labels_y, n_texts - n_pairs)])
    count_x, count_y = Ix.sum(axis=0), Iy.sum(axis=0)
    both = (count_x > 0) & (count_y > 0)
    if not both.any():
        return None, None
    return Ix[:, both] / count_x[both], Iy[:, both] / count_y[both]


class MMDKernel(TransformerMixin, ClassicxEstimator):
    """Random Fourier features of a mean of RBF kernels whose bandwidths follow the data.

    The characteristic kernel :class:`MMDAlignment` measures the distance
    between projected distributions with: the mean of the RBF kernels with
    ``gamma = gamma0 * s`` for ``s`` in ``bandwidth_scales``, where
    ``gamma0 = 1 / (2 median ||u_i - u_j||^2)`` over the rows given to
    :meth:`fit` (the median heuristic, :func:`median_heuristic_gamma`).
    Each kernel is approximated by ``n_random_features`` random Fourier
    features (Rahimi & Recht 2007), all scaled by
    ``sqrt(2 / (n_random_features * len(bandwidth_scales)))``, so that
    inner products of the features approximate the mean kernel and the
    squared distance of two feature means approximates MMD^2.

    Parameters
    ----------
    bandwidth_scales : tuple of float, default=(0.5, 1.0, 2.0)
        Multipliers of the median-heuristic ``gamma``.
    n_random_features : int, default=256
        Random features per bandwidth.
    random_state : int, RandomState or None, default=None
        Seeds the median-heuristic sample and the random features.

    Attributes
    ----------
    gammas_ : list of float
        RBF bandwidths, one per scale.
    random_weights_ : ndarray of shape (n_features_in_, n_random_features * len(bandwidth_scales))
    random_offset_ : ndarray of shape (n_random_features * len(bandwidth_scales),)
    n_features_in_ : int

    See Also
    --------
    MMDAlignment : the aligner that uses it.
    rbf_mmd2 : the exact statistic, for checking.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import MMDKernel, rbf_mmd2
    >>> rng = np.random.default_rng(0)
    >>> P, Q = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1.0
    >>> kernel = MMDKernel(bandwidth_scales=(1.0,), n_random_features=2000, random_state=0)
    >>> F, G = kernel.fit(np.vstack([P, Q])).transform(P), kernel.transform(Q)
    >>> estimate = float(np.sum((F.mean(0) - G.mean(0)) ** 2))
    >>> bool(abs(estimate - rbf_mmd2(P, Q, kernel.gammas_)) < 0.05)
    True
    """

    def __init__(
        self,
        bandwidth_scales: tuple = (0.5, 1.0, 2.0),
        n_random_features: int = 256,
        random_state: Any = None,
    ) -> None:
        self.bandwidth_scales = bandwidth_scales
        self.n_random_features = n_random_features
        self.random_state = random_state

    _parameter_constraints: dict = {
        "bandwidth_scales": ["array-like"],
        "n_random_features": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "random_weights_")

    def fit(self, X: Any, y: Any = None) -> MMDKernel:
        """Choose the bandwidths from the rows ``X`` and draw the random features.

        Returns
        -------
        self
        """
        validate_params(self)
        scales = np.atleast_1d(np.asarray(self.bandwidth_scales, dtype=float))
        if scales.ndim != 1 or scales.size == 0 or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise InputError(f"bandwidth_scales must be positive numbers; got {self.bandwidth_scales!r}")
        X = validate_data(self, X, dtype=np.float64)
        D = self.n_random_features
        rng = check_random_state(self.random_state)
        gamma0 = median_heuristic_gamma(X, "rbf", random_state=rng)
        self.gammas_ = [float(gamma0 * s) for s in scales]
        d = X.shape[1]
        self.random_weights_ = np.hstack(
            [rng.normal(size=(d, int(D))) * np.sqrt(2.0 * g) for g in self.gammas_]
        )
        self.random_offset_ = rng.uniform(0.0, 2.0 * np.pi, size=self.random_weights_.shape[1])
        self.n_features_in_ = int(d)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The random features of ``X``, shape (n_samples, n_random_features * len(bandwidth_scales))."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scale = np.sqrt(2.0 / self.random_weights_.shape[1])
        return scale * np.cos(X @ self.random_weights_ + self.random_offset_)


class MMDAlignment(BaseAligner):
    """Shared subspace that keeps pairs together and makes image and text distributions match under MMD.

    With centred views ``X`` (images) and ``Y`` (texts), regularised
    covariances ``C~_xx = (1 - reg) C_xx + reg * trace(C_xx)/d_x * I`` (as
    :class:`RegularizedCCA`; means and covariances over every image, paired
    or not, and every text) and cross-covariance ``C_xy`` (over the pairs), the projections
    ``A`` (d_x, k) and ``B`` (d_y, k) solve::

        minimise    - trace(A' C_xy B) / k
                    + mmd_weight * ( MMD^2(A'x over all images, B'y over all texts)
                                     + label_weight * mean_c MMD^2(A'x | class c, B'y | class c) )
        subject to  A' C~_xx A = I,  B' C~_yy B = I        (whitened orthonormality)

    The first term is the CCA objective: minus the mean (regularised)
    correlation of the ``k`` projected pairs; with ``reg=0`` it equals, up
    to a constant, half the mean squared distance between projected pairs
    divided by ``k``, so it keeps pairs together. MMD is
    the kernel two-sample statistic of Gretton et al. (2012) measured on the
    projected points with a characteristic kernel, ``kernel`` (an
    :class:`MMDKernel`: by default the mean of RBF kernels with bandwidths
    ``gamma0 * s`` for ``s`` in ``(0.5, 1, 2)``, where
    ``gamma0 = 1 / (2 median ||u_i - u_j||^2)`` over the CCA projections,
    the median heuristic). "All images" are the paired images plus
    ``X_unpaired``, "all texts" the paired texts plus ``Y_unpaired``, so
    unpaired data shapes the shared space, through the whitening and the
    MMD terms. The class-conditional terms (one per category that has both
    an image and a text) compare the labelled images of a class with the
    labelled texts of the same class: the paired rows with ``labels``, and
    the unpaired rows with ``X_unpaired_labels`` / ``Y_unpaired_labels``.

    With ``mmd_weight=0`` and no unpaired rows the problem is CCA and the
    solution is exactly :class:`RegularizedCCA`'s (with unpaired rows, CCA
    whitened by every image and every text). Otherwise it is solved by Riemannian gradient
    descent on the product of two Stiefel manifolds in whitened coordinates,
    warm-started at CCA: each step moves along the negative tangent gradient
    and is retracted onto the constraint (polar retraction), with an Armijo
    backtracking line search, so the objective (recorded in ``objective_``)
    never increases; the step grows only after a step accepted at its first
    try. The MMD terms use the kernel's fixed random Fourier features
    (Rahimi & Recht 2007), evaluated in float32 (their rounding is far
    below the random-feature estimate's own error), so no ``n x n`` kernel
    matrix is formed and each step costs O(n k (r + n_random_features))
    (``r <= min(n, d)`` the whitened dimension): linear in the number of
    rows ``n`` for a view of fixed dimension, such as a Nystroem map of
    fixed rank; for a view with more features than rows ``r = n`` and the
    projection of the rows costs O(n^2 k) per step. The cosines of the
    value and the sines of the gradient are most of a step, computed once
    per evaluation. The whitening is one eigendecomposition of the
    ``d x d`` covariance, or, when there are more features than rows, of
    the ``n x n`` Gram matrix of the centred rows (O(n^2 d) instead of
    O(d^3)). The fit runs on one BLAS thread (its products are thin).

    Parameters
    ----------
    n_components : int, default=2
        Dimension ``k`` of the shared space.
    mmd_weight : float, default=1.0
        Weight of the MMD terms (``0`` gives CCA).
    label_weight : float, default=1.0
        Weight of the class-conditional MMD terms relative to the marginal
        one (used only when ``labels`` are given).
    reg, reg_y : float, default=1e-3, None
        Covariance shrinkage in [0, 1], as in :class:`RegularizedCCA`.
    kernel : MMDKernel, optional
        The MMD kernel and its random features, cloned and fitted on the CCA
        projections; ``None`` means ``MMDKernel()`` (bandwidth scales 0.5, 1
        and 2, 256 random features per bandwidth). Without a
        ``random_state`` of its own it is seeded by ``random_state``.
    max_iter : int, default=200
        Maximum number of gradient steps.
    tol : float, default=1e-7
        Stop when a step decreases the objective by less than ``tol`` (relative).
    random_state : int, RandomState or None, default=None
        Seeds the kernel's random features and median-heuristic sample.
    verbose : bool, default=True
        Show a progress bar over the gradient steps.

    Attributes
    ----------
    x_weights_, y_weights_ : ndarray of shape (n_features, n_components)
        Projections applied to the centred views.
    x_mean_, y_mean_ : ndarray
        Means of every training image and every text (paired and unpaired rows).
    correlations_ : ndarray of shape (n_components,)
        Regularised correlation ``a_j' C_xy b_j`` of each projected pair.
    objective_ : list of float
        Objective after each accepted step (first entry: the start); non-increasing.
    mmd_gammas_ : list of float
        RBF bandwidths of the MMD kernel.
    mmd2_ : float
        Final (random-feature) MMD^2 between all projected images and texts.
    class_mmd2_ : float
        Final (random-feature) mean class-conditional MMD^2 (0 without labels).
    n_iter_ : int
        Number of accepted gradient steps.
    n_features_in_, n_features_y_in_ : int

    Notes
    -----
    Directions along which the paired data never varies (constant or
    duplicate columns) get zero weight, as in :class:`RegularizedCCA`. The
    components are not ordered by correlation: the objective is invariant to
    rotating both projections together, so only the subspace is determined.

    What the MMD terms do, measured (issue #14; webnews, RBF Nystroem maps
    of 500 landmarks per view, 1,130 training pairs, a held-out third of the
    training split, ``n_components=16``, ``reg=0.3``; benchmarks/RESULTS.md,
    section "Kernel-MMD and Gram alignment"):

    * When every training item is paired, the pairing term has already made
      the projected distributions match: at the CCA warm start the mean
      regularised correlation of the training pairs is 1.02 (500 + 500
      kernel dimensions for 1,130 pairs: the pairs are fitted almost
      exactly), the marginal MMD^2 is 0.0012 and the class-conditional
      MMD^2 0.0065. With ``mmd_weight`` 0.1 or 1 (the old benchmark grid)
      the MMD terms weigh 1e-4 to 1e-3 against a pairing term of about 1,
      the descent stops after 7-22 steps, the subspace does not move
      (smallest cosine of the principal angles between the warm-start and
      final subspaces 0.999-1.000) and held-out MAP equals CCA's: the
      learner was CCA on kernel maps.
    * The terms do not fight the pairing: with ``mmd_weight=10`` they fall
      15-fold (marginal 0.0012 to 8e-5, class-conditional 0.0065 to
      0.0005) while the mean correlation only falls from 1.018 to 1.010
      (smallest cosine 0.991). But held-out MAP falls too (0.194 / 0.183 to
      0.182 / 0.176 image->text / text->image; 0.180 / 0.175 after 140
      steps, at convergence): the class-conditional term pulls the right
      way for itself (the training images and texts of a class overlap
      more) but not for retrieval, since it tightens on the training rows
      what the pairs already tie, and nothing in it separates two classes.
    * When every item is paired, what helps is the shrinkage and the
      semantic stage: with ``reg`` searched by CV (0.3 or 0.9; CV chose
      0.9) MMD with semantic matching on top is level with three-view CCA
      on the webnews test split (0.341 / 0.291 MAP against 0.338 / 0.290)
      and MMD alone below it (0.271 / 0.248; benchmarks/RESULTS.md,
      section 2).
    * Partially paired (``benchmarks/bench_partial.py``; 10 %, 25 % and
      50 % of the webnews pairs, the rest unpaired images and texts,
      hyperparameters by CV over the pairs): MMD with semantic matching on
      top beats every learner trained on the pairs alone when the unpaired
      items are labelled (10 %: 0.344 / 0.274 MAP against 0.329 / 0.263,
      0.381 / 0.289 with a wider grid; 25 %: 0.385 / 0.298 against
      0.368 / 0.283, 0.386 / 0.298 with the wider grid), but not by the
      issue's 0.03 in both directions, and CV chose ``mmd_weight=0`` every
      time: the gain comes from whitening with every image and text
      (covariances of 932 and 1,060 rows instead of 169 and 424 pairs, with
      strong shrinkage, ``reg`` 0.99-0.999) and from the labels of the
      unpaired items in the semantic stage, not from matching the
      distributions. Per candidate, with every item labelled, ``mmd_weight``
      10 instead of 0 raises MMD alone's CV MAP (10 %: +0.014 to +0.016)
      and lowers MMD with semantic matching on top (-0.008 to -0.048): a
      semantic stage on the same labels uses them better than the
      class-conditional term. With few pairs the pairing term overfits the kernel
      maps, and the MMD terms, which any projection of two similar
      distributions nearly satisfies, do not say which directions carry the
      categories. Semantic matching on every labelled image and text, which
      needs no pairs, scores as high or higher text->image (10 %: 0.363 /
      0.307; 25 %: 0.389 / 0.301).
    * In the fully paired case the label information is better used by
      semantic matching on top (``SemanticCorrelationMatching(aligner=
      MMDAlignment(...))``) or by :class:`KernelTargetAlignment`.

    See Also
    --------
    RegularizedCCA : the ``mmd_weight=0`` special case and the warm start.
    rbf_mmd2 : exact MMD^2, for checking the result.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import MMDAlignment, MMDKernel
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(200, 2))
    >>> X = np.hstack([z, rng.normal(size=(200, 3))])
    >>> Y = np.hstack([z + 0.3 * rng.normal(size=(200, 2)), rng.normal(size=(200, 2))])
    >>> kernel = MMDKernel(n_random_features=64)
    >>> mmd = MMDAlignment(n_components=2, kernel=kernel, random_state=0, verbose=False).fit(X, Y)
    >>> bool(np.all(np.diff(mmd.objective_) <= 0))
    True
    >>> mmd.transform(X).shape
    (200, 2)
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        mmd_weight: float = 1.0,
        label_weight: float = 1.0,
        reg: float = 1e-3,
        reg_y: float | None = None,
        kernel: MMDKernel | None = None,
        max_iter: int = 200,
        tol: float = 1e-7,
        random_state: Any = None,
        verbose: bool = True,
    ) -> None:
        self.n_components = n_components
        self.mmd_weight = mmd_weight
        self.label_weight = label_weight
        self.reg = reg
        self.reg_y = reg_y
        self.kernel = kernel
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "mmd_weight": [Interval(Real, 0, None, closed="left")],
        "label_weight": [Interval(Real, 0, None, closed="left")],
        "reg": [Interval(Real, 0, 1, closed="both")],
        "reg_y": [Interval(Real, 0, 1, closed="both"), None],
        "kernel": [MMDKernel, None],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    # Labels add the class-conditional MMD terms: requested by default from a Pipeline or a search.
    __metadata_request__fit = {"labels": True}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_weights_")

    def fit(
        self,
        X: Any,
        Y: Any,
        labels: Any = None,
        X_unpaired: Any = None,
        Y_unpaired: Any = None,
        X_unpaired_labels: Any = None,
        Y_unpaired_labels: Any = None,
    ) -> MMDAlignment:
        """Fit on the pairs ``(X[i], Y[i])``, plus optional unpaired images and texts.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Paired images.
        Y : array-like of shape (n_samples, n_features_y)
            Paired texts.
        labels : array-like of shape (n_samples,) or (n_samples, n_categories), optional
            Categories of the pairs; add one class-conditional MMD term per category.
        X_unpaired : array-like of shape (n_unpaired_images, n_features), optional
            Images without a text: they enter the image mean and covariance
            (the whitening) and the MMD terms.
        Y_unpaired : array-like of shape (n_unpaired_texts, n_features_y), optional
            Texts without an image, likewise.
        X_unpaired_labels : array-like of shape (n_unpaired_images,) or (n_unpaired_images, n_categories), optional
            Categories of the unpaired images (the same coding as ``labels``):
            they join the class-conditional terms.
        Y_unpaired_labels : array-like of shape (n_unpaired_texts,) or (n_unpaired_texts, n_categories), optional
            Categories of the unpaired texts.

        Returns
        -------
        self

        Notes
        -----
        Only ``labels`` is requested as fit metadata. Pass the unpaired
        arrays to ``fit`` directly rather than routing them through a
        cross-validation search: scikit-learn splits every fit parameter
        with as many rows as ``X`` along with ``X``, so unpaired sets that
        happen to have ``n_samples`` rows would be cut into folds.
        """
        X, Y = self._validate_pair(X, Y, dtype=np.float64)
        reg_x = float(self.reg)
        reg_y = reg_x if self.reg_y is None else float(self.reg_y)
        n = X.shape[0]
        labels = optional_labels(labels, n)
        Xu = self._check_unpaired(X_unpaired, "X_unpaired", X.shape[1])
        Yu = self._check_unpaired(Y_unpaired, "Y_unpaired", Y.shape[1])
        lx = _unpaired_labels(X_unpaired_labels, "X_unpaired_labels", Xu, "X_unpaired")
        ly = _unpaired_labels(Y_unpaired_labels, "Y_unpaired_labels", Yu, "Y_unpaired")
        rng = check_random_state(self.random_state)

        # One BLAS thread: every product here is thin (n x r by r x k, k small) or a single
        # n x n eigendecomposition, which two threads speed up little on an idle machine and
        # slow down several-fold on a busy one (measured on webnews, 2 cores at load 11:
        # 196 s instead of 27 s for the thin SVD of the 1,696 x 8,320 images).
        with limit_threads(blas=1):
            # Means and covariances from every image and every text (paired or not): unpaired
            # rows estimate each view's distribution, which is all the whitening needs.
            X_all = X if Xu is None else np.vstack([X, Xu])
            Y_all = Y if Yu is None else np.vstack([Y, Yu])
            self.x_mean_, self.y_mean_ = X_all.mean(axis=0), Y_all.mean(axis=0)
            Xall, x_weights = _whiten(X_all - self.x_mean_, reg_x)
            Yall, y_weights = _whiten(Y_all - self.y_mean_, reg_y)
            k = check_n_components(
                self.n_components,
                min(Xall.shape[1], Yall.shape[1]),
                f"the centred X has rank {Xall.shape[1]} and the centred Y has rank {Yall.shape[1]} "
                "(constant or duplicate columns add no rank)",
            )
            Xp, Yp = Xall[:n] - Xall[:n].mean(axis=0), Yall[:n] - Yall[:n].mean(axis=0)
            T = Xp.T @ Yp / (n - 1)
            U, _, Vt = scipy.linalg.svd(T, full_matrices=False)
            A, B = U[:, :k], Vt[:k].T

            kernel = MMDKernel() if self.kernel is None else clone(self.kernel)
            if kernel.random_state is None:
                # The aligner's generator itself, so that one random_state fixes the whole fit.
                kernel.set_params(random_state=rng)
            kernel.fit(np.vstack([Xall @ A, Yall @ B]))
            self.mmd_gammas_ = kernel.gammas_
            class_x, class_y = _class_means(labels, lx, ly, n, len(Xall), len(Yall))
            problem = _Problem(
                T,
                Xall,
                Yall,
                class_x,
                class_y,
                float(self.mmd_weight),
                float(self.label_weight),
                kernel.random_weights_,
                kernel.random_offset_,
                dtype=np.float32,
            )
            A, B, history = self._descend(problem, A, B)
            logger.debug(
                "MMDAlignment: %d steps, objective %.6g -> %.6g", len(history) - 1, history[0], history[-1]
            )

            self.x_weights_, self.y_weights_ = flip_signs(x_weights(A), y_weights(B))
            self.correlations_ = np.einsum("ij,ij->j", A, T @ B)
            self.objective_ = history
            self.n_iter_ = len(history) - 1
            terms = problem.terms(A, B)
            self.mmd2_, self.class_mmd2_ = terms["mmd2"], terms["class_mmd2"]
        self.n_features_in_, self.n_features_y_in_ = int(X.shape[1]), int(Y.shape[1])
        return self

    def _check_unpaired(self, V: Any, name: str, width: int) -> np.ndarray | None:
        if V is None:
            return None
        V = check_array(V, name=name, estimator=self, dtype=np.float64)
        if V.shape[1] != width:
            raise ShapeMismatchError(f"{name} has {V.shape[1]} features, but the paired view has {width}")
        return V

    def _descend(self, problem: _Problem, A: np.ndarray, B: np.ndarray) -> tuple:
        value, state = problem.evaluate(A, B)
        gA, gB = problem.gradient(A, B, state)
        history = [float(value)]
        step = 1.0
        for _ in progress(range(int(self.max_iter)), desc="MMD alignment", verbose=self.verbose):
            xiA, xiB = _tangent(A, gA), _tangent(B, gB)
            slope = float(np.sum(xiA * xiA) + np.sum(xiB * xiB))
            if slope <= 1e-24:
                break
            for halvings in range(_MAX_HALVINGS):
                A_new, B_new = _retract(A - step * xiA), _retract(B - step * xiB)
                new_value, new_state = problem.evaluate(A_new, B_new)
                if new_value <= value - _ARMIJO * step * slope:
                    break
                step *= 0.5
            else:
                break
            decrease = value - new_value
            A, B, value = A_new, B_new, new_value
            gA, gB = problem.gradient(A, B, new_state)
            history.append(float(value))
            # Grow the step only after a step accepted at its first try: doubling a step that
            # had to be halved retries the size that just failed, which on webnews failed again
            # at nearly every step (two evaluations of the objective per step instead of one).
            if not halvings:
                step *= 2.0
            if decrease <= self.tol * max(1.0, abs(value)):
                break
        return A, B, history

    def _transform_x(self, X: np.ndarray) -> np.ndarray:
        return (X - self.x_mean_) @ self.x_weights_

    def _transform_y(self, Y: np.ndarray) -> np.ndarray:
        return (Y - self.y_mean_) @ self.y_weights_
