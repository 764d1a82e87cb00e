"""Regularised kernel canonical correlation analysis, exact or low-rank."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval

from ..distributed import dask_fit, is_dask_collection
from ..exceptions import InputError
from ..utils.validation import check_n_components
from ._base import optional_labels
from ._kernel_aligner import KERNEL_MAP_CONSTRAINTS, KernelMapAligner
from ._linalg import cca_from_covariances, flip_signs, whitener
from ._lowrank import (
    KernelFeatureMap,
    centred_features,
    feature_moments,
    resolve_method,
)

__all__ = ["KernelCCA"]

logger = logging.getLogger(__name__)


def _all_rows_equal(V: Any) -> bool:
    spread = V.max(axis=0) - V.min(axis=0)
    spread = spread.toarray() if sp.issparse(spread) else np.asarray(spread)
    return not np.any(spread)


class KernelCCA(KernelMapAligner):
    """Regularised kernel CCA with an exact or a low-rank (Nyström, incomplete Cholesky, RFF) solver.

    Each view is mapped by a feature map :math:`\\phi` with
    :math:`\\phi(x)^\\top\\phi(x') \\approx k(x, x')` (see
    :class:`KernelFeatureMap`), centred with its training mean, and regularised
    CCA is solved on the features: maximise :math:`a^\\top C_{xy} b` subject to
    :math:`a^\\top \\tilde C_{xx} a = b^\\top \\tilde C_{yy} b = 1`, where::

        C~_xx = (1 - reg) C_xx + reg * trace(C_xx) * I

    and :math:`C` are feature covariances. In the dual this is the classical
    regularised KCCA (Hardoon et al. 2004) with constraint
    :math:`\\alpha^\\top((1-r)K_c^2/(n-1) + r\\,\\bar k\\,K_c)\\alpha = 1`, where
    :math:`K_c` is the centred kernel matrix and :math:`\\bar k = \\mathrm{tr}(K_c)/(n-1)`.
    The shrinkage target :math:`\\mathrm{tr}(C)` (the mean centred self-similarity)
    does not depend on the rank of the approximation, so the same ``reg`` gives
    the same problem for every ``method`` and low-rank solutions converge to
    the exact one as the rank grows.

    Each view's feature map is a :class:`KernelFeatureMap`: ``kernel`` (and
    ``kernel_y``) is a kernel name, resolved at fit to
    ``KernelFeatureMap(name, method="auto")`` with its defaults, or a
    :class:`KernelFeatureMap` that sets everything else (``method``,
    ``n_components`` -- the rank --, ``gamma``, ``degree``, ``coef0``,
    ``batch_size``); it is cloned at fit, never fitted itself, and its
    settings are tunable as ``kernel__gamma``. With ``method="exact"`` (what
    ``"auto"`` chooses up to 2,000 pairs) the feature map is the empirical
    kernel map over all training rows (``O(n^3)`` time, ``n x n`` memory: for
    small ``n``). The low-rank methods never form an ``n x n`` matrix:
    features are produced ``batch_size`` rows at a time and only their
    ``m x m`` moments are kept, so memory is ``O(m^2 + batch_size * m)``
    (plus ``n x m`` for ``"icd"``).

    Kernel centring uses the training feature mean, stored and applied
    identically at :meth:`transform`, so transforming the training data gives
    exactly the fit-time projections (with zero mean).

    Parameters
    ----------
    n_components : int, default=2
        Number of canonical pairs.
    kernel : str or KernelFeatureMap, default="rbf"
        Feature map of ``X``: a kernel name (``"linear"``, ``"rbf"``,
        ``"polynomial"``, ``"cosine"``, ``"chi2"``, ``"additive_chi2"`` or
        ``"hellinger"``, see :mod:`classicx.subspace.kernels`), which means
        ``KernelFeatureMap(kernel, method="auto")``: the exact map up to
        2,000 pairs, 500 Nyström landmarks above, the median-heuristic
        bandwidth. A :class:`KernelFeatureMap` chooses the method, the rank
        and the kernel parameters.
    kernel_y : str or KernelFeatureMap, optional
        Feature map of ``Y``; ``None`` uses the same specification as
        ``kernel`` (a separate clone, fitted on ``Y``).
    reg : float, default=1e-3
        Shrinkage in [0, 1] of each feature covariance toward
        ``trace(C) * I``; ``reg_y`` overrides it for ``Y``. Kernel CCA without
        regularisation overfits (correlations of 1), so keep it positive.
    reg_y : float, optional
    random_state : int, RandomState or None, default=None
        Seeds the feature maps that have no ``random_state`` of their own.
    verbose : bool, default=True
        Show progress bars while featurising large inputs.

    Attributes
    ----------
    x_map_, y_map_ : KernelFeatureMap
        Feature maps with the canonical weights folded in: ``x_map_.transform(X)``
        minus ``x_offset_`` is the projection.
    x_offset_, y_offset_ : ndarray of shape (n_components,)
        Projected training feature means (the kernel centring).
    canonical_correlations_ : ndarray of shape (n_components,)
        Regularised canonical correlations on the training pairs, decreasing.
    method_ : str
        The feature-map method used (``"auto"`` resolved); ``"x/y"`` (for
        example ``"exact/nystrom"``) when the two maps differ.
    x_rank_, y_rank_ : int
        Dimensions of the (numerically non-degenerate) feature spaces.
    n_features_in_, n_features_y_in_ : int

    See Also
    --------
    RegularizedCCA : linear CCA (what the linear kernel reproduces).
    KernelFeatureMap : the feature maps.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import KernelCCA, KernelFeatureMap
    >>> rng = np.random.default_rng(0)
    >>> z = rng.uniform(-1, 1, size=(300, 1))
    >>> X = np.hstack([z, rng.normal(size=(300, 2))])
    >>> Y = np.hstack([z ** 2 + 0.05 * rng.normal(size=(300, 1)), rng.normal(size=(300, 1))])
    >>> nystrom = KernelFeatureMap("rbf", method="nystrom", n_components=100)
    >>> kcca = KernelCCA(n_components=1, kernel=nystrom, reg=1e-3, random_state=0, verbose=False)
    >>> kcca = kcca.fit(X, Y)
    >>> bool(kcca.canonical_correlations_[0] > 0.9)
    True
    >>> kcca.transform(X[:5]).shape
    (5, 1)

    The map's settings are nested parameters, tunable by ``GridSearchCV``
    (``{"kernel__gamma": [0.1, 1.0]}``):

    >>> kcca.set_params(kernel__n_components=50).kernel
    KernelFeatureMap(n_components=50)
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        kernel: str | KernelFeatureMap = "rbf",
        kernel_y: str | KernelFeatureMap | None = None,
        reg: float = 1e-3,
        reg_y: float | None = None,
        random_state: Any = None,
        verbose: bool = True,
    ) -> None:
        self.n_components = n_components
        self.kernel = kernel
        self.kernel_y = kernel_y
        self.reg = reg
        self.reg_y = reg_y
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints: dict = {
        **KERNEL_MAP_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, 1, closed="both")],
        "reg_y": [Interval(Real, 0, 1, closed="both"), None],
    }

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_map_")

    def fit(self, X: Any, Y: Any, labels: Any = None) -> KernelCCA:
        """Fit on the pairs ``(X[i], Y[i])``.

        Parameters
        ----------
        X : array-like or sparse of shape (n_samples, n_features)
        Y : array-like or sparse of shape (n_samples, n_features_y)
        labels : ignored
            Accepted (and validated) for a uniform aligner interface.

        Returns
        -------
        self
        """
        if is_dask_collection(X, Y):
            return dask_fit(self, X, Y, labels=labels)
        X, Y = self._validate_pair(X, Y, dtype=np.float64)
        optional_labels(labels, X.shape[0])
        reg_x = float(self.reg)
        reg_y = reg_x if self.reg_y is None else float(self.reg_y)
        n = X.shape[0]
        for name, view in (("X", X), ("Y", Y)):
            if _all_rows_equal(view):
                raise InputError(f"every row of {name} is the same: the view has no variance")
        map_x, map_y = self._maps()
        methods = [resolve_method(fmap.method, n) for fmap in (map_x, map_y)]
        method = methods[0] if methods[0] == methods[1] else "/".join(methods)
        if method == "exact":
            A, B, corr, mean_x, mean_y, rank_x, rank_y = self._fit_exact(map_x, X, map_y, Y, reg_x, reg_y)
        else:
            A, B, corr, mean_x, mean_y, rank_x, rank_y = self._fit_low_rank(map_x, X, map_y, Y, reg_x, reg_y)
        return self._set_solution(map_x, map_y, (A, B, corr, mean_x, mean_y, rank_x, rank_y), method, X, Y)

    def _set_solution(self, map_x, map_y, solution: tuple, method: str, X: Any, Y: Any) -> KernelCCA:
        A, B, corr, mean_x, mean_y, rank_x, rank_y = solution
        self.x_map_ = map_x.compose(A)
        self.y_map_ = map_y.compose(B)
        self.x_offset_ = mean_x @ A
        self.y_offset_ = mean_y @ B
        self.canonical_correlations_ = corr
        self.method_ = method
        self.x_rank_, self.y_rank_ = int(rank_x), int(rank_y)
        self.n_features_in_, self.n_features_y_in_ = int(X.shape[1]), int(Y.shape[1])
        return self

    def _check_k(self, rank_x: int, rank_y: int, maps: tuple, n: int) -> int:
        x, y = (f"method={m.method!r}, rank={m.n_components}" for m in maps)
        return check_n_components(
            self.n_components,
            min(rank_x, rank_y),
            f"the centred kernel features of X have rank {rank_x} and those of Y rank {rank_y} "
            f"(X map {x}; Y map {y}; {n} pairs)",
        )

    def _fit_low_rank(self, map_x, X, map_y, Y, reg_x, reg_y) -> tuple:
        n = X.shape[0]
        map_x.fit(X)
        map_y.fit(Y)
        logger.debug("KernelCCA: features of dimension %d and %d", map_x.n_components_, map_y.n_components_)
        moments = feature_moments(map_x, X, map_y, Y, batch_size=map_x.batch_size, verbose=self.verbose)
        # Unbiased (n - 1) covariances, as RegularizedCCA, so the linear kernel reproduces it exactly.
        scale = n / (n - 1)
        cov_xx, cov_yy, cov_xy = (moments[k] * scale for k in ("cov_xx", "cov_yy", "cov_xy"))
        covs = (cov_xx, cov_yy, cov_xy, moments["mean_x"], moments["mean_y"])
        return self._solve_covariances(map_x, map_y, n, covs, reg_x, reg_y)

    def _solve_covariances(self, map_x, map_y, n: int, covs: tuple, reg_x: float, reg_y: float) -> tuple:
        # From the feature covariances (n - 1 normalised) and means; shared with the Dask
        # fit (classicx.distributed), which computes them on the workers.
        cov_xx, cov_yy, cov_xy, mean_x, mean_y = covs
        Wx = whitener(cov_xx, reg_x, float(np.trace(cov_xx)))
        Wy = whitener(cov_yy, reg_y, float(np.trace(cov_yy)))
        k = self._check_k(Wx.shape[1], Wy.shape[1], (map_x, map_y), n)
        A, B, corr = cca_from_covariances(Wx, Wy, cov_xy, k)
        return A, B, corr, mean_x, mean_y, Wx.shape[1], Wy.shape[1]

    def _fit_exact(self, map_x, X, map_y, Y, reg_x, reg_y) -> tuple:
        # The exact features U sqrt(s) have a diagonal covariance s / (n - 1): whitening is a
        # rescaling, so only one eigendecomposition per view (of the centred kernel) is needed.
        n = X.shape[0]
        Fx, sx, mean_x = map_x.fit_exact(X)
        Fy, sy, mean_y = map_y.fit_exact(Y)
        var_x, var_y = sx / (n - 1), sy / (n - 1)
        dx = np.sqrt((1.0 - reg_x) * var_x + reg_x * var_x.sum())
        dy = np.sqrt((1.0 - reg_y) * var_y + reg_y * var_y.sum())
        k = self._check_k(len(sx), len(sy), (map_x, map_y), n)
        T = (Fx.T @ Fy) / (n - 1) / dx[:, None] / dy[None, :]
        del Fx, Fy
        U, s, Vt = scipy.linalg.svd(T, full_matrices=False, lapack_driver="gesdd")
        A, B = flip_signs(U[:, :k] / dx[:, None], Vt[:k].T / dy[:, None])
        return A, B, s[:k].astype(np.float64), mean_x, mean_y, len(sx), len(sy)

    def _transform_x(self, X: Any) -> np.ndarray:
        return centred_features(self.x_map_, X, self.x_offset_, verbose=self.verbose)

    def _transform_y(self, Y: Any) -> np.ndarray:
        return centred_features(self.y_map_, Y, self.y_offset_, verbose=self.verbose)
