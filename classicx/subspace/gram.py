"""Gram-matrix alignment: projections whose Gram matrices have maximal centred alignment."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.linalg
from sklearn.utils._param_validation import Interval

from ..utils.validation import check_n_components
from ._kernel_aligner import KERNEL_MAP_CONSTRAINTS, MomentAligner
from ._linalg import flip_signs, std_from_covariance, top_eigenvectors
from ._lowrank import KernelFeatureMap

__all__ = ["GramAlignment", "centered_alignment"]

logger = logging.getLogger(__name__)


def centered_alignment(K: np.ndarray, L: np.ndarray) -> float:
    """Centred kernel alignment of two Gram matrices (Cortes, Mohri & Rostamizadeh 2012).

    ``<HKH, HLH>_F / (||HKH||_F ||HLH||_F)`` with ``H = I - 11'/n``. Forms
    ``n x n`` matrices: a reference for small samples.

    Parameters
    ----------
    K, L : ndarray of shape (n, n)
        Gram matrices of the same ``n`` items.

    Returns
    -------
    float

    See Also
    --------
    GramAlignment : projections that maximise this alignment, without forming ``n x n`` matrices.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import centered_alignment
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> round(centered_alignment(X @ X.T, 2.0 * X @ X.T + 5.0), 6)
    1.0
    """
    n = len(K)
    H = np.eye(n) - 1.0 / n
    Kc, Lc = H @ K @ H, H @ L @ H
    return float(np.sum(Kc * Lc) / (np.linalg.norm(Kc) * np.linalg.norm(Lc)))


class GramAlignment(MomentAligner):
    """Orthonormal projections maximising the centred alignment of the projected Gram matrices.

    Each view is mapped to features :math:`\\phi` (the raw columns for the
    kernel name ``"linear"``, otherwise a :class:`KernelFeatureMap`, as in
    :class:`KernelCCA`), centred, and optionally scaled to unit
    variance. With projections ``A`` (m_x, k) and ``B`` (m_y, k), the
    projected Gram matrices are ``K_a = Phi_x A A' Phi_x'`` and
    ``K_b = Phi_y B B' Phi_y'``; the label Gram matrix is ``K_l = L L'`` for
    the 0/1 category indicator ``L``. The estimator solves::

        maximise    <H K_a H, H K_b H>_F
                    + label_weight * (<H K_a H, H K_l H>_F + <H K_b H, H K_l H>_F)
        subject to  A' A = I,  B' B = I

    i.e. the numerators of the centred kernel alignments of Cortes, Mohri &
    Rostamizadeh (2012) (the label terms only when ``labels`` are given).
    Up to ``(n-1)^2`` the first term is ``||A' C_xy B||_F^2``, so without
    labels the optimum is the top-``k`` singular pair of the cross-covariance:
    with the linear kernel this is exactly PLS-SVD
    (:class:`sklearn.cross_decomposition.PLSSVD`). With labels, each
    projection has a closed form given the other (the top eigenvectors of
    ``C_xy B B' C_yx + label_weight * C_xl C_lx``), and the two are
    alternated from the PLS-SVD solution; every half-step maximises exactly,
    so the objective (``objective_``) never decreases.

    Only ``m x m`` moments of the features are formed (streamed over rows),
    never an ``n x n`` Gram matrix.

    Parameters
    ----------
    n_components : int, default=2
    kernel : str or KernelFeatureMap, default="linear"
        Feature map of ``X``: ``"linear"`` uses the raw columns; another
        kernel name (see :mod:`classicx.subspace.kernels`) means
        ``KernelFeatureMap(kernel, method="nystrom")`` (500 landmarks,
        median-heuristic bandwidth); a :class:`KernelFeatureMap` sets the
        method, rank and kernel parameters (cloned at fit; tunable as
        ``kernel__gamma``).
    kernel_y : str or KernelFeatureMap, optional
        Feature map of ``Y``; ``None`` uses the same specification as ``kernel``.
    scale : bool, default=False
        Divide every feature by its standard deviation (zero-variance features
        are left unscaled), as ``PLSSVD(scale=True)``.
    label_weight : float, default=1.0
        Weight of the alignment with the label Gram matrix (when ``labels`` are given).
    max_iter : int, default=100
        Maximum alternations with labels.
    tol : float, default=1e-10
        Stop alternating when the relative increase is below ``tol``.
    random_state : int, RandomState or None, default=None
        Seeds the feature maps that have no ``random_state`` of their own.
    verbose : bool, default=True

    Attributes
    ----------
    x_map_, y_map_ : KernelFeatureMap or None
        Feature maps (``None`` for the linear kernel).
    x_weights_, y_weights_ : ndarray of shape (m, n_components) or None
        Projections applied to the features, scaling folded in; ``None`` with a
        feature map, whose output the projection is folded into (``x_map_``).
    x_offset_, y_offset_ : ndarray of shape (n_components,)
        Projected training feature means (the centring).
    objective_ : list of float
        Objective (divided by ``(n-1)^2``) after each alternation; non-decreasing.
    n_iter_ : int
        Number of solves: the closed-form start, plus the alternations with labels.
    alignment_ : float
        Centred kernel alignment (normalised, in [0, 1]) between the
        projected Gram matrices of the training views.
    n_features_in_, n_features_y_in_ : int

    Notes
    -----
    Why the label terms help little here, measured (issue #14; webnews,
    RBF Nystroem maps of 500 landmarks per view, 1,130 training pairs, a
    held-out third of the training split, ``n_components=16``;
    benchmarks/RESULTS.md, section "Kernel-MMD and Gram alignment"): the
    constraint ``A' A = I`` on unwhitened features makes every term grow
    with the variance of a direction as much as with its alignment. With
    the 0/1 label Gram matrix the label terms are 10-20 times the cross term
    at ``label_weight=1`` (4e-4 for images and 1.3e-3 for texts against
    6e-5), so ``label_weight`` 1 and 10 give the same projections (the
    ``n_classes - 1`` label directions are all taken); yet the share of the
    projected image variance explained by the class means only rises from
    0.105 to 0.138 (texts 0.24 to 0.38), because the high-variance
    directions of the image features carry little category information,
    and the mean correlation of the projected pairs falls from 0.61 to 0.50.
    Held-out MAP: 0.241 / 0.214 without labels, 0.251 / 0.225 with.
    :class:`KernelTargetAlignment` maximises the same HSIC terms under the
    whitening constraint, which makes them the normalised centred
    alignments and removes the variance bias. On the webnews test split
    (hyperparameters by CV on the training split) Gram alignment with labels
    scores 0.278 / 0.246 MAP, below three-view CCA (0.338 / 0.290);
    kernel-target alignment with semantic matching scores 0.409 / 0.324.

    See Also
    --------
    KernelTargetAlignment : the same objective with whitened projections (supervised).
    sklearn.cross_decomposition.PLSSVD : the linear, unsupervised case.
    KernelCCA : same feature maps, correlation instead of alignment.
    centered_alignment : the alignment of two explicit Gram matrices.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import GramAlignment, KernelFeatureMap
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 5))
    >>> Y = X[:, :2] @ rng.normal(size=(2, 4)) + 0.1 * rng.normal(size=(100, 4))
    >>> gram = GramAlignment(n_components=2).fit(X, Y)
    >>> round(gram.alignment_, 3)
    0.805
    >>> rbf = KernelFeatureMap("rbf", method="nystrom", n_components=50)
    >>> GramAlignment(n_components=2, kernel=rbf, random_state=0, verbose=False).fit(X, Y).transform(X).shape
    (100, 2)
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        kernel: str | KernelFeatureMap = "linear",
        kernel_y: str | KernelFeatureMap | None = None,
        scale: bool = False,
        label_weight: float = 1.0,
        max_iter: int = 100,
        tol: float = 1e-10,
        random_state: Any = None,
        verbose: bool = True,
    ) -> None:
        self.n_components = n_components
        self.kernel = kernel
        self.kernel_y = kernel_y
        self.scale = scale
        self.label_weight = label_weight
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints: dict = {
        **KERNEL_MAP_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
        "label_weight": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def fit(self, X: Any, Y: Any, labels: Any = None) -> GramAlignment:
        """Fit on the pairs ``(X[i], Y[i])``; ``labels`` add the label-alignment terms.

        Parameters
        ----------
        X : array-like or sparse of shape (n_samples, n_features)
        Y : array-like or sparse of shape (n_samples, n_features_y)
        labels : array-like of shape (n_samples,) or (n_samples, n_categories), optional

        Returns
        -------
        self
        """
        X, Y, moments = self._moments(X, Y, labels)
        weight = self.label_weight
        n = moments.n
        cov_xx, cov_yy, cov_xy = moments.cov_xx, moments.cov_yy, moments.cov_xy
        std_x, std_y = (std_from_covariance(cov, self.scale) for cov in (cov_xx, cov_yy))
        cov_xx, cov_yy = cov_xx / np.outer(std_x, std_x), cov_yy / np.outer(std_y, std_y)
        cov_xy = cov_xy / np.outer(std_x, std_y)
        supervised = moments.cov_xl is not None
        k = check_n_components(
            self.n_components,
            min(cov_xy.shape[0], cov_xy.shape[1], n),
            f"X has {cov_xy.shape[0]} features, Y has {cov_xy.shape[1]} and there are {n} pairs",
        )
        U, s, Vt = scipy.linalg.svd(cov_xy, full_matrices=False)
        # Directions past the views' rank carry nothing: refuse them (as the other linear
        # learners do) instead of returning all-zero components.
        eps = np.finfo(np.float64).eps * max(cov_xy.shape[0], cov_xy.shape[1], n)
        if not supervised:
            rank = int(np.sum(s > s[0] * eps)) if s[0] > 0 else 0
            reason = f"the cross-covariance of X and Y has rank {rank}"
        else:
            ranks = [int(np.sum(e > e.max() * eps)) for e in (np.linalg.eigvalsh(cov_xx), np.linalg.eigvalsh(cov_yy))]
            rank = min(ranks)
            reason = f"X has rank {ranks[0]} and Y rank {ranks[1]}"
        k = check_n_components(k, rank, reason)
        A, B = U[:, :k], Vt[:k].T
        if supervised:
            cov_xl = moments.cov_xl / std_x[:, None]
            cov_yl = moments.cov_yl / std_y[:, None]
            A, B, history = self._alternate(A, B, cov_xy, cov_xl, cov_yl, float(weight))
            logger.debug("GramAlignment: %d alternations with labels", len(history) - 1)
            # The objective is unchanged by rotating A and B separately, so the alternation
            # leaves the two projections in unrelated coordinate frames and coordinate i of
            # an image would not match coordinate i of its text. Rotating both onto the
            # singular vectors of A' C_xy B pairs the coordinates (as in the unsupervised
            # closed form) and keeps the objective and the orthonormality.
            P, _, Qt = scipy.linalg.svd(A.T @ cov_xy @ B)
            A, B = A @ P, B @ Qt.T
        else:
            history = [self._objective(A, B, cov_xy, None, None, 0.0)]
        A, B = flip_signs(A, B)
        self.objective_ = history
        self.n_iter_ = len(history)
        self.alignment_ = float(
            np.sum((A.T @ cov_xy @ B) ** 2)
            / (np.linalg.norm(A.T @ cov_xx @ A) * np.linalg.norm(B.T @ cov_yy @ B))
        )
        self._set_projection(moments, A / std_x[:, None], B / std_y[:, None], X, Y)
        return self

    @staticmethod
    def _objective(A, B, cov_xy, cov_xl, cov_yl, weight) -> float:
        value = float(np.sum((A.T @ cov_xy @ B) ** 2))
        if cov_xl is not None:
            value += weight * float(np.sum((A.T @ cov_xl) ** 2) + np.sum((B.T @ cov_yl) ** 2))
        return value

    def _alternate(self, A, B, cov_xy, cov_xl, cov_yl, weight):
        k = A.shape[1]
        label_xx, label_yy = weight * cov_xl @ cov_xl.T, weight * cov_yl @ cov_yl.T
        history = [self._objective(A, B, cov_xy, cov_xl, cov_yl, weight)]
        for _ in range(int(self.max_iter)):
            CB = cov_xy @ B
            A_new = top_eigenvectors(CB @ CB.T + label_xx, k)
            CA = cov_xy.T @ A_new
            B_new = top_eigenvectors(CA @ CA.T + label_yy, k)
            value = self._objective(A_new, B_new, cov_xy, cov_xl, cov_yl, weight)
            # Each half-step maximises exactly; a lower value can only come from rounding
            # at convergence, so the previous iterate is kept and the loop ends.
            if value < history[-1]:
                break
            A, B = A_new, B_new
            history.append(value)
            if value - history[-2] <= self.tol * max(1.0, abs(value)):
                break
        return A, B, history
