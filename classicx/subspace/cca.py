"""Regularised canonical correlation analysis in closed form, with streaming."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.linalg
from sklearn.utils._param_validation import Interval, StrOptions

from ..distributed import dask_fit, is_dask_collection
from ..exceptions import InputError
from ..utils.validation import check_n_components, validate_params
from ._base import BaseAligner, optional_labels, resolve_dtype
from ._linalg import (
    eig_basis,
    flip_signs,
    lapack_threads,
    std_from_covariance,
    svd_basis,
)

__all__ = ["RegularizedCCA"]

logger = logging.getLogger(__name__)


class RegularizedCCA(BaseAligner):
    """Regularised canonical correlation analysis, solved in closed form.

    Finds weight vectors ``a_k`` (for ``X``) and ``b_k`` (for ``Y``) that
    maximise ``a' C_xy b`` subject to ``a' Cr_xx a = b' Cr_yy b = 1`` and to
    being uncorrelated with the previous components, where ``C`` are sample
    covariances and each view's covariance is shrunk toward a multiple of the
    identity::

        Cr_xx = (1 - reg) C_xx + reg * (trace(C_xx) / d_x) I

    The shrinkage is relative to the mean variance ``trace(C)/d``, so ``reg``
    is a unit-free weight in [0, 1] that means the same for any feature
    scale: ``reg=0`` is classical CCA, ``reg=1`` gives the partial least
    squares (PLS-SVD) directions, and values in between trade the two.

    The problem is solved by whitening each view with the eigendecomposition
    of its regularised covariance and taking the SVD of the whitened
    cross-covariance. When a view has more features than samples, the
    eigendecomposition is replaced by a thin SVD of the centred data (the
    dual form), so the cost is ``O(n^2 d)`` instead of ``O(d^3)`` and no
    ``d x d`` matrix is formed. Both forms restrict the weights to the span
    of the centred data; directions along which the data does not vary
    (constant or linearly dependent columns) get zero weight, with any
    ``reg``.

    Parameters
    ----------
    n_components : int, default=2
        Number of canonical pairs. At most the smaller of the ranks of the
        centred views (at most ``n_samples - 1``).
    reg : float, default=1e-3
        Shrinkage of each view's covariance toward ``trace(C)/d * I``, in
        [0, 1]. Also the value for ``Y`` unless ``reg_y`` is given.
    reg_y : float, optional
        Shrinkage of the ``Y`` covariance, if different from ``reg``.
    scale : bool, default=False
        Divide each column by its standard deviation before fitting
        (constant columns are left unscaled). CCA with ``reg=0`` is
        unaffected by scaling; the regularised solution is not.
    weight_power : float, default=0.0
        Multiply the projected dimension ``k`` by ``canonical_correlations_[k]
        ** weight_power`` in :meth:`transform`. ``0`` returns plain canonical
        variates (unit regularised variance); Gong et al. (2014) use ``4``,
        which emphasises the strongly correlated dimensions and usually
        improves retrieval by cosine similarity.
    copy : bool, default=True
        If false, ``fit`` centres (and scales) ``X`` and ``Y`` in place when
        they already have the working dtype, saving one copy of each view.
    dtype : {None, "float32", "float64"}, default=None
        Working precision. ``None`` keeps float32 when both views are
        float32 and uses float64 otherwise. Decompositions of the small
        matrices are always done in float64; the fitted weights and the
        output of :meth:`transform` have the working precision.

    Attributes
    ----------
    x_weights_ : ndarray of shape (n_features_in_, n_components)
        Weights applied to the centred (and scaled) ``X``.
    y_weights_ : ndarray of shape (n_features_y_in_, n_components)
    canonical_correlations_ : ndarray of shape (n_components,)
        The (regularised) canonical correlations ``a_k' C_xy b_k``, in
        decreasing order. With ``reg=0`` these are the sample canonical
        correlations. With ``reg > 0`` they are the values of the
        regularised objective, not the correlations of the projected
        training pairs: they shrink along low-variance directions, can grow
        along high-variance ones (even above 1 when a view has more features
        than samples), and with ``reg=1`` they are covariances divided by
        the mean variances.
    x_mean_, y_mean_ : ndarray
        Column means (float64, so that streaming stays accurate).
    x_std_, y_std_ : ndarray
        Column scales (ones when ``scale=False``).
    x_rank_, y_rank_ : int
        Numerical rank of each centred view (the dimension of the space
        the weights live in).
    n_samples_seen_ : int
        Number of pairs the model was fitted on.
    x_scatter_, y_scatter_, xy_scatter_ : ndarray or None
        Centred sums of products (float64) kept so that :meth:`partial_fit`
        can continue; ``None`` when ``fit`` used the dual form.
    n_features_in_, n_features_y_in_ : int
        Number of columns of ``X`` and ``Y``.
    dtype_ : str
        The working precision, ``"float32"`` or ``"float64"``.

    Notes
    -----
    Component signs are fixed so that the largest-magnitude entry of each
    column of ``x_weights_`` is positive (the ``Y`` weights follow, keeping
    each correlation positive), so repeated fits give identical results.

    See Also
    --------
    sklearn.cross_decomposition.CCA : Iterative (NIPALS) CCA.
    classicx.subspace.PLSSVD : The ``reg=1`` end of this family.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.subspace import RegularizedCCA
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(200, 1))
    >>> X = np.hstack([z, rng.normal(size=(200, 3))])
    >>> Y = np.hstack([rng.normal(size=(200, 2)), z + 0.1 * rng.normal(size=(200, 1))])
    >>> cca = RegularizedCCA(n_components=1, reg=0.0).fit(X, Y)
    >>> round(float(cca.canonical_correlations_[0]), 2)
    0.99
    >>> cca.transform(X, Y)[0].shape
    (200, 1)
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        reg: float = 1e-3,
        reg_y: float | None = None,
        scale: bool = False,
        weight_power: float = 0.0,
        copy: bool = True,
        dtype: str | None = None,
    ) -> None:
        self.n_components = n_components
        self.reg = reg
        self.reg_y = reg_y
        self.scale = scale
        self.weight_power = weight_power
        self.copy = copy
        self.dtype = dtype

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, 1, closed="both")],
        "reg_y": [Interval(Real, 0, 1, closed="both"), None],
        "scale": ["boolean"],
        "weight_power": [Interval(Real, 0, None, closed="left")],
        "copy": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"}), None],
    }

    __metadata_request__partial_fit = {"labels": False}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_weights_")

    def _regs(self) -> tuple[float, float]:
        reg_x = float(self.reg)
        return reg_x, reg_x if self.reg_y is None else float(self.reg_y)

    def fit(self, X: Any, Y: Any, labels: Any = None) -> RegularizedCCA:
        """Fit on paired rows of ``X`` and ``Y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view (e.g. image features). Sparse input is densified. A
            ``dask.array`` (with ``Y`` one too) is fitted on the workers of the
            active Dask client: see :mod:`classicx.distributed`.
        Y : array-like of shape (n_samples, n_features_y) or (n_samples,)
            Second view (e.g. text features), paired row by row with ``X``;
            1-D means one feature.
        labels : array-like, optional
            Ignored (CCA is unsupervised); accepted and checked for length so
            that every aligner has the same ``fit`` signature.

        Returns
        -------
        self
        """
        if is_dask_collection(X, Y):
            return dask_fit(self, X, Y, labels=labels)
        X, Y = self._validate_pair(X, Y, copy=self.copy)
        regs = self._regs()
        dtype = resolve_dtype(self.dtype, X, Y)
        X, Y = X.astype(dtype, copy=False), Y.astype(dtype, copy=False)
        n = X.shape[0]
        optional_labels(labels, n)
        self.dtype_ = np.dtype(dtype).name
        x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        X -= x_mean
        Y -= y_mean
        if X.shape[1] <= n and Y.shape[1] <= n:
            Sxx, Syy, Sxy = X.T @ X, Y.T @ Y, X.T @ Y
            self._set_stats(n, x_mean, y_mean, Sxx, Syy, Sxy)
            self._solve_from_stats(regs, dtype, strict=True)
            return self
        x_std = self._std(X, n)
        y_std = self._std(Y, n)
        X /= x_std
        Y /= y_std
        eps = float(np.finfo(dtype).eps)
        (Qx, lx, mux, Px), (Qy, ly, muy, Py) = (self._dual_basis(V, n, eps) for V in (X, Y))
        cross = (Px.T @ Py).astype(np.float64) / (n - 1)
        self.n_features_in_, self.n_features_y_in_ = X.shape[1], Y.shape[1]
        self.x_mean_, self.y_mean_ = x_mean.astype(np.float64), y_mean.astype(np.float64)
        self.x_std_, self.y_std_ = x_std, y_std
        self.n_samples_seen_ = n
        self.x_scatter_ = self.y_scatter_ = self.xy_scatter_ = None
        self._solve((Qx, lx, mux), (Qy, ly, muy), cross, regs, dtype, strict=True)
        return self

    def partial_fit(self, X: Any, Y: Any, labels: Any = None) -> RegularizedCCA:
        """Update the model with one more batch of pairs (streaming fit).

        Accumulates the means and the centred sums of products of both views
        and their cross-products (merged exactly, as in Chan et al.'s
        pairwise update), then re-solves. After any sequence of batches the
        model equals ``fit`` on their concatenation. Memory is
        ``O(d_x^2 + d_y^2 + d_x d_y)`` whatever the number of rows.

        Until the batches seen so far have enough rank for ``n_components``
        (and at least two rows), only the statistics are updated and the
        model is not yet usable; ``n_components`` above the number of
        features of either view is an error at once.

        Parameters
        ----------
        X, Y, labels
            As in :meth:`fit`.

        Returns
        -------
        self

        Raises
        ------
        InputError
            If the model was last fitted with ``fit`` in the dual form (more
            features than samples), which keeps no covariance statistics.
        """
        started = hasattr(self, "n_samples_seen_")
        if started:
            # The first call validates the parameters in _validate_pair.
            validate_params(self)
        regs = self._regs()
        if started and getattr(self, "x_scatter_", None) is None:
            raise InputError(
                "cannot continue streaming: this model was fitted with fit() in the dual form "
                "(more features than samples), which keeps no covariance statistics; "
                "use partial_fit from the start"
            )
        X, Y = self._validate_pair(X, Y, copy=True, min_samples=1, reset=not started)
        dtype = resolve_dtype(self.dtype_) if started else resolve_dtype(self.dtype, X, Y)
        X, Y = X.astype(dtype, copy=False), Y.astype(dtype, copy=False)
        nb = X.shape[0]
        optional_labels(labels, nb)
        mx, my = X.mean(axis=0), Y.mean(axis=0)
        X -= mx
        Y -= my
        Sxx, Syy, Sxy = (
            (X.T @ X).astype(np.float64),
            (Y.T @ Y).astype(np.float64),
            (X.T @ Y).astype(np.float64),
        )
        mx, my = mx.astype(np.float64), my.astype(np.float64)
        if started:
            na = self.n_samples_seen_
            n = na + nb
            dx = mx - self.x_mean_
            dy = my - self.y_mean_
            w = na * nb / n
            Sxx += self.x_scatter_ + w * np.outer(dx, dx)
            Syy += self.y_scatter_ + w * np.outer(dy, dy)
            Sxy += self.xy_scatter_ + w * np.outer(dx, dy)
            mx = self.x_mean_ + dx * (nb / n)
            my = self.y_mean_ + dy * (nb / n)
        else:
            n = nb
        self._set_stats(n, mx, my, Sxx, Syy, Sxy)
        self.dtype_ = np.dtype(dtype).name
        if n >= 2:
            self._solve_from_stats(regs, dtype, strict=False)
        return self

    def _set_stats(self, n, x_mean, y_mean, Sxx, Syy, Sxy) -> None:
        self.n_features_in_, self.n_features_y_in_ = Sxy.shape
        self.n_samples_seen_ = int(n)
        self.x_mean_, self.y_mean_ = np.asarray(x_mean, np.float64), np.asarray(y_mean, np.float64)
        self.x_scatter_ = np.asarray(Sxx, np.float64)
        self.y_scatter_ = np.asarray(Syy, np.float64)
        self.xy_scatter_ = np.asarray(Sxy, np.float64)

    @staticmethod
    def _dual_basis(V: np.ndarray, n: int, eps: float) -> tuple:
        if V.shape[1] <= n:
            Q, evals, mean_var = eig_basis((V.T @ V) / (n - 1), V.shape[1], eps)
            return Q, evals, mean_var, V @ Q.astype(V.dtype)
        Q, evals, P, mean_var = svd_basis(V, eps)
        return Q, evals, mean_var, P

    def _std(self, V: np.ndarray, n: int) -> np.ndarray:
        if not self.scale:
            return np.ones(V.shape[1], dtype=V.dtype)
        std = np.sqrt(np.einsum("ij,ij->j", V, V) / (n - 1))
        std[std == 0] = 1.0
        return std.astype(V.dtype)

    def _solve_from_stats(self, regs: tuple[float, float], dtype: type, strict: bool) -> None:
        n = self.n_samples_seen_
        covs = [self.x_scatter_ / (n - 1), self.y_scatter_ / (n - 1), self.xy_scatter_ / (n - 1)]
        stds = [std_from_covariance(C, self.scale) for C in covs[:2]]
        if self.scale:
            covs = [
                covs[0] / np.outer(stds[0], stds[0]),
                covs[1] / np.outer(stds[1], stds[1]),
                covs[2] / np.outer(stds[0], stds[1]),
            ]
        self.x_std_, self.y_std_ = stds[0].astype(dtype), stds[1].astype(dtype)
        eps = float(np.finfo(dtype).eps)
        bx = eig_basis(covs[0], covs[0].shape[0], eps)
        by = eig_basis(covs[1], covs[1].shape[0], eps)
        cross = bx[0].T @ covs[2] @ by[0]
        self._solve(bx, by, cross, regs, dtype, strict=strict)

    def _solve(self, bx, by, cross: np.ndarray, regs, dtype: type, strict: bool) -> None:
        (Qx, lx, mux), (Qy, ly, muy) = bx, by
        rank_x, rank_y = len(lx), len(ly)
        limit = min(rank_x, rank_y)
        n_features = min(Qx.shape[0], Qy.shape[0])
        if (
            not strict
            and isinstance(self.n_components, (int, np.integer))
            and limit < self.n_components <= n_features
        ):
            # More rows may still raise the rank; only the number of
            # features is a limit no later batch can lift.
            logger.debug("partial_fit: rank %d so far, waiting for more data", limit)
            return
        k = check_n_components(
            self.n_components,
            limit,
            f"the centred X has rank {rank_x} and the centred Y has rank {rank_y} "
            f"(from {self.n_samples_seen_} pairs; constant or duplicate columns add no rank)",
        )
        dx = np.sqrt((1.0 - regs[0]) * lx + regs[0] * mux)
        dy = np.sqrt((1.0 - regs[1]) * ly + regs[1] * muy)
        T = cross / dx[:, None] / dy[None, :]
        with lapack_threads(max(T.shape)):
            U, s, Vt = scipy.linalg.svd(T, full_matrices=False, lapack_driver="gesdd")
        Wx, Wy = flip_signs(Qx @ (U[:, :k] / dx[:, None]), Qy @ (Vt[:k].T / dy[:, None]))
        self.x_weights_ = Wx.astype(dtype)
        self.y_weights_ = Wy.astype(dtype)
        self.canonical_correlations_ = s[:k].astype(np.float64)
        self.x_rank_, self.y_rank_ = int(rank_x), int(rank_y)

    def _project(self, V: np.ndarray, mean: np.ndarray, std: np.ndarray, W: np.ndarray) -> np.ndarray:
        V = V.astype(W.dtype, copy=False)
        out = ((V - mean.astype(W.dtype)) / std) @ W
        if self.weight_power:
            out *= (np.clip(self.canonical_correlations_, 0.0, None) ** self.weight_power).astype(W.dtype)
        return out

    def _transform_x(self, X: np.ndarray) -> np.ndarray:
        return self._project(X, self.x_mean_, self.x_std_, self.x_weights_)

    def _transform_y(self, Y: np.ndarray) -> np.ndarray:
        return self._project(Y, self.y_mean_, self.y_std_, self.y_weights_)
