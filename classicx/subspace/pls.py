"""Partial least squares by SVD of the cross-covariance (PLS-SVD)."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import scipy.linalg
from sklearn.utils._param_validation import Interval

from ..distributed import dask_fit, is_dask_collection
from ..utils.validation import check_n_components
from ._base import BaseAligner, optional_labels
from ._linalg import flip_signs, lapack_threads

__all__ = ["PLSSVD"]


class PLSSVD(BaseAligner):
    """Partial least squares (PLS-SVD): the directions of largest cross-covariance.

    Finds unit-norm weights ``u_k``, ``v_k`` maximising ``u' X_c' Y_c v``
    (the covariance of the projected views) with the previous components
    excluded: they are the leading singular vectors of the cross-covariance
    matrix. A baseline for the shared space, and the ``reg=1`` end of
    :class:`RegularizedCCA`. Results equal scikit-learn's ``PLSSVD``
    (including signs), computed in one SVD.

    Parameters
    ----------
    n_components : int, default=2
        Number of pairs of directions. At most the numerical rank of the
        cross-covariance (at most ``min(n_features, n_features_y, n_samples - 1)``).
    scale : bool, default=True
        Divide each column by its standard deviation first (as scikit-learn;
        constant columns are left unscaled).

    Attributes
    ----------
    x_weights_ : ndarray of shape (n_features_in_, n_components)
        Unit-norm weights applied to the centred (and scaled) ``X``.
    y_weights_ : ndarray of shape (n_features_y_in_, n_components)
    singular_values_ : ndarray of shape (n_components,)
        Covariances ``u_k' C_xy v_k`` of the projected pairs, decreasing.
    x_mean_, y_mean_, x_std_, y_std_ : ndarray
        Centring and scaling of each view.
    n_features_in_, n_features_y_in_ : int

    See Also
    --------
    sklearn.cross_decomposition.PLSSVD : The reference implementation.
    RegularizedCCA : Whitens each view before the SVD.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import PLSSVD
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 3))
    >>> PLSSVD(n_components=2).fit(X, Y).transform(X).shape
    (50, 2)
    """

    def __init__(self, n_components: int = 2, *, scale: bool = True) -> None:
        self.n_components = n_components
        self.scale = scale

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
    }

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_weights_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X: Any, Y: Any, labels: Any = None) -> PLSSVD:
        """Fit on paired rows of ``X`` and ``Y``; ``labels`` is checked for length and otherwise ignored.

        Returns
        -------
        self
        """
        if is_dask_collection(X, Y):
            return dask_fit(self, X, Y, labels=labels)
        X, Y = self._validate_pair(X, Y, copy=True)
        n = X.shape[0]
        optional_labels(labels, n)
        x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        X -= x_mean
        Y -= y_mean
        x_std, y_std = self._std(X), self._std(Y)
        X /= x_std
        Y /= y_std
        return self._fit_cross(X.T @ Y, n, [x_mean, y_mean], [x_std, y_std], X.dtype)

    def _fit_cross(self, cross: np.ndarray, n: int, means: list, stds: list, dtype: Any) -> PLSSVD:
        # The solve from the (scaled) cross-product matrix, shared with the Dask fit
        # (classicx.distributed), which computes that matrix on the workers.
        cross = cross.astype(dtype, copy=False)
        with lapack_threads(max(cross.shape)):
            U, s, Vt = scipy.linalg.svd(cross, full_matrices=False, lapack_driver="gesdd")
        eps = np.finfo(dtype).eps
        rank = int(np.sum(s > s[0] * max(cross.shape[0], cross.shape[1], n) * eps)) if s[0] > 0 else 0
        k = check_n_components(self.n_components, rank, f"the cross-covariance of X and Y has rank {rank}")
        self.x_weights_, self.y_weights_ = flip_signs(U[:, :k], Vt[:k].T)
        self.singular_values_ = s[:k] / (n - 1)
        (self.x_mean_, self.y_mean_), (self.x_std_, self.y_std_) = means, stds
        self.n_features_in_, self.n_features_y_in_ = cross.shape
        return self

    def _std(self, V: np.ndarray) -> np.ndarray:
        if not self.scale:
            return np.ones(V.shape[1], dtype=V.dtype)
        std = V.std(axis=0, ddof=1)
        std[std == 0] = 1.0
        return std

    def _transform_x(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.x_mean_) / self.x_std_) @ self.x_weights_.astype(X.dtype, copy=False)

    def _transform_y(self, Y: np.ndarray) -> np.ndarray:
        return ((Y - self.y_mean_) / self.y_std_) @ self.y_weights_.astype(Y.dtype, copy=False)
