"""Shared machinery of the two-view aligners: input checks and the base class.

Every aligner of :mod:`classicx.subspace` learns, from paired rows of an
image view ``X`` and a text view ``Y``, one projection per view into a shared
space. They share the contract implemented here:

* ``fit(X, Y, labels=None)`` returns ``self``;
* ``transform(X, Y=None)`` returns ``X`` projected, or the tuple
  ``(X_projected, Y_projected)`` when ``Y`` is given (as scikit-learn's
  ``CCA``);
* ``transform_y(Y)`` returns ``Y`` projected;
* ``fit_transform(X, Y, labels=None)`` returns the projected pair.

A subclass implements ``fit`` (calling :func:`check_views` and setting
``n_features_in_`` and ``n_features_y_in_``), ``_transform_x`` and
``_transform_y`` (which receive arrays already checked for width and
finiteness), and, if its fitted state is not detected by the default rule,
``__sklearn_is_fitted__``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.utils.validation import check_is_fitted

from .._utils import check_finite, check_paired
from ..base import ClassicxEstimator
from ..exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    NotFittedError,
    ShapeMismatchError,
)

__all__ = [
    "BaseAligner",
    "check_view",
    "check_views",
    "check_labels",
    "labels_to_indicator",
    "check_n_components",
    "check_reg",
    "resolve_dtype",
]

_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype: str | None, *arrays: Any) -> type:
    """Return the float type to compute in.

    ``dtype=None`` keeps float32 when every array is float32 and uses float64
    otherwise; ``"float32"`` or ``"float64"`` force that type. Strings (not
    numpy type objects) are used so that the parameter can be saved as JSON.
    """
    if dtype is None:
        kinds = [np.asarray(a).dtype if not sp.issparse(a) else a.dtype for a in arrays]
        return np.float32 if kinds and all(k == np.float32 for k in kinds) else np.float64
    if isinstance(dtype, str) and dtype in _FLOAT_DTYPES:
        return _FLOAT_DTYPES[dtype]
    raise InputError(f"dtype must be None, 'float32' or 'float64'; got {dtype!r}")


def check_view(
    X: Any,
    name: str = "X",
    *,
    dtype: type | None = None,
    accept_sparse: bool = False,
    copy: bool = False,
) -> np.ndarray | sp.csr_array:
    """Validate one view: a non-empty 2-D numeric array with finite values.

    Parameters
    ----------
    X : array-like or scipy sparse matrix of shape (n_samples, n_features)
    name : str
        Name used in error messages.
    dtype : numpy float type, optional
        Convert to this type; by default float32 stays float32 and anything
        else becomes float64.
    accept_sparse : bool
        Keep a sparse input sparse (CSR). Otherwise a sparse input is
        converted to a dense array.
    copy : bool
        Return a copy even when no conversion was needed.

    Returns
    -------
    ndarray or scipy.sparse.csr_array

    Raises
    ------
    InputTypeError
        If ``X`` is not numeric.
    InputError
        If ``X`` is not 2-D.
    EmptyInputError
        If ``X`` has no rows or no columns.
    NonFiniteError
        If ``X`` holds NaN or infinity (the message names the first bad row).
    """
    if sp.issparse(X):
        if dtype is None:
            dtype = np.float32 if X.dtype == np.float32 else np.float64
        if X.dtype.kind not in "biuf":
            raise InputTypeError(f"{name} must be numeric; got a sparse matrix of dtype {X.dtype}")
        X = sp.csr_array(X, dtype=dtype, copy=copy)
        if X.ndim != 2:
            raise InputError(f"{name} must be 2-D (n_samples, n_features); got shape {X.shape}")
        bad = np.flatnonzero(~np.isfinite(X.data))
        if len(bad):
            row = int(np.searchsorted(X.indptr, bad[0], side="right") - 1)
            raise NonFiniteError(f"{name} holds NaN or infinity in {len(bad)} value(s); first at row {row}")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise EmptyInputError(f"{name} is empty: shape {X.shape}")
        return X if accept_sparse else X.toarray()
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"{name} cannot be converted to a numeric array: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise InputTypeError(f"{name} must be numeric; got an array of dtype {arr.dtype}")
    if arr.ndim != 2:
        raise InputError(
            f"{name} must be 2-D (n_samples, n_features); got an array of shape {arr.shape}"
            + (" (use X.reshape(-1, 1) for a single feature)" if arr.ndim == 1 else "")
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise EmptyInputError(f"{name} is empty: shape {arr.shape}")
    if dtype is None:
        dtype = np.float32 if arr.dtype == np.float32 else np.float64
    arr = np.array(arr, dtype=dtype, copy=True if copy else None, order="C")
    check_finite(arr, name)
    return arr


def check_views(
    X: Any,
    Y: Any,
    *,
    dtype: type | None = None,
    accept_sparse: bool = False,
    copy: bool = False,
    min_samples: int = 2,
) -> tuple[Any, Any]:
    """Validate a pair of views: both valid (see :func:`check_view`) and paired row by row.

    Raises
    ------
    ShapeMismatchError
        If ``X`` and ``Y`` have different numbers of rows.
    InputError
        If there are fewer than ``min_samples`` pairs.
    """
    if Y is None:
        raise InputError("Y is required: a two-view aligner is fitted on paired rows of X and Y")
    n_x, n_y = _n_rows(X, "X"), _n_rows(Y, "Y")
    check_paired(n_x, n_y, "X rows", "Y rows")
    X = check_view(X, "X", dtype=dtype, accept_sparse=accept_sparse, copy=copy)
    Y = check_view(Y, "Y", dtype=dtype, accept_sparse=accept_sparse, copy=copy)
    if X.shape[0] < min_samples:
        raise InputError(f"at least {min_samples} paired rows are needed; got {X.shape[0]}")
    return X, Y


def _n_rows(X: Any, name: str) -> int:
    if sp.issparse(X) or hasattr(X, "shape"):
        shape = X.shape
        if len(shape) == 0:
            raise InputError(f"{name} must be 2-D (n_samples, n_features); got a scalar")
        return int(shape[0])
    try:
        return len(X)
    except TypeError as exc:
        raise InputTypeError(f"{name} must be an array; got {type(X).__name__}") from exc


def check_labels(labels: Any, n_samples: int) -> np.ndarray | None:
    """Validate labels: ``None``, 1-D integer categories or a 2-D 0/1 indicator matrix.

    Returns
    -------
    ndarray or None
        ``None``, an int64 array of shape (n_samples,), or an int8 array of
        shape (n_samples, n_categories).

    Raises
    ------
    ShapeMismatchError
        If the number of labels differs from ``n_samples``.
    InputError
        If 1-D labels are not integers, or 2-D labels are not 0/1.
    """
    if labels is None:
        return None
    arr = np.asarray(labels)
    if arr.ndim not in (1, 2):
        raise InputError(f"labels must be 1-D categories or a 2-D indicator matrix; got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ShapeMismatchError(
            f"labels must have one row per pair: got {arr.shape[0]} labels for {n_samples} pairs"
        )
    if arr.dtype.kind == "f":
        check_finite(arr if arr.ndim == 2 else arr[:, None], "labels")
        if not np.all(arr == np.round(arr)):
            bad = int(np.flatnonzero((arr != np.round(arr)).reshape(len(arr), -1).any(axis=1))[0])
            raise InputError(f"labels must be integers; row {bad} is {arr[bad]!r}")
    elif arr.dtype.kind not in "biu":
        raise InputError(
            f"labels must be integer categories (map names to integers first); got dtype {arr.dtype}"
        )
    if arr.ndim == 2:
        bad_rows = np.flatnonzero(((arr != 0) & (arr != 1)).any(axis=1))
        if len(bad_rows):
            raise InputError(
                f"a 2-D label indicator matrix must hold only 0 and 1; row {int(bad_rows[0])} does not"
            )
        return arr.astype(np.int8)
    return arr.astype(np.int64)


def labels_to_indicator(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn validated labels into a (n_samples, n_classes) 0/1 float matrix.

    Returns
    -------
    indicator : ndarray of shape (n_samples, n_classes), float64
    classes : ndarray of shape (n_classes,)
        For 1-D labels the sorted distinct categories; for an indicator
        matrix the column indices.
    """
    if labels.ndim == 2:
        return labels.astype(np.float64), np.arange(labels.shape[1])
    classes, codes = np.unique(labels, return_inverse=True)
    indicator = np.zeros((len(labels), len(classes)))
    indicator[np.arange(len(labels)), codes] = 1.0
    return indicator, classes


def check_n_components(n_components: Any, limit: int, reason: str) -> int:
    """Check ``1 <= n_components <= limit``; ``reason`` explains the limit in the error."""
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise InputError(f"n_components must be a positive integer; got {n_components!r}")
    if n_components < 1:
        raise InputError(f"n_components must be at least 1; got {n_components}")
    if n_components > limit:
        raise InputError(f"n_components={n_components} is more than the {limit} allowed: {reason}")
    return int(n_components)


def check_reg(value: Any, name: str) -> float:
    """A shrinkage weight in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number in [0, 1]; got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{name} must be in [0, 1] (a shrinkage weight); got {value}")
    return value


class BaseAligner(TransformerMixin, ClassicxEstimator):
    """Base class of the two-view aligners (see the module docstring for the contract)."""

    # With scikit-learn metadata routing enabled, aligners ask for ``labels``
    # in ``fit`` by default, so that GridSearchCV(...).fit(X, Y, labels=...)
    # routes them (split per fold) without a set_fit_request call.
    __metadata_request__fit = {"labels": True}

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self)
        except _SklearnNotFittedError:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X, Y) before using it"
            ) from None

    def _check_width(self, A: Any, name: str, expected: int, accept_sparse: bool = False) -> Any:
        A = check_view(A, name, accept_sparse=accept_sparse)
        if A.shape[1] != expected:
            raise ShapeMismatchError(
                f"{name} has {A.shape[1]} features, but {type(self).__name__} was fitted with {expected}"
            )
        return A

    def transform(self, X: Any, Y: Any = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Project ``X`` (and ``Y`` if given) into the shared space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
        Y : array-like of shape (n_samples_y, n_features_y_in_), optional

        Returns
        -------
        ndarray of shape (n_samples, n_components), or a tuple of two such
        arrays when ``Y`` is given.
        """
        self._check_fitted()
        X_proj = self._transform_x(self._check_width(X, "X", self.n_features_in_, self._accept_sparse()))
        if Y is None:
            return X_proj
        return X_proj, self.transform_y(Y)

    def transform_y(self, Y: Any) -> np.ndarray:
        """Project ``Y`` (the second view) into the shared space.

        Parameters
        ----------
        Y : array-like of shape (n_samples, n_features_y_in_)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        self._check_fitted()
        return self._transform_y(self._check_width(Y, "Y", self.n_features_y_in_, self._accept_sparse()))

    def fit_transform(self, X: Any, Y: Any = None, labels: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Fit on the pairs ``(X, Y)`` and return both views projected."""
        return self.fit(X, Y, labels=labels).transform(X, Y)

    def _accept_sparse(self) -> bool:
        return False

    def _transform_x(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def _transform_y(self, Y: Any) -> np.ndarray:
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
