"""Shared machinery of the two-view aligners: the base class, input checks and label helpers.

Every aligner of :mod:`classicx.subspace` learns, from paired rows of an
image view ``X`` and a text view ``Y``, one projection per view into a shared
space. They share the contract implemented here:

* ``fit(X, Y, labels=None)`` returns ``self``; ``Y`` may be 1-D (a single
  feature), as for scikit-learn's ``CCA``; aligners that use ``labels``
  request them as fit metadata, so that a ``Pipeline`` or ``GridSearchCV``
  routes them with ``sklearn.set_config(enable_metadata_routing=True)``;
  the others accept and ignore them;
* ``transform(X, Y=None)`` returns ``X`` projected, or the tuple
  ``(X_projected, Y_projected)`` when ``Y`` is given (as scikit-learn's
  ``CCA``);
* ``transform_y(Y)`` returns ``Y`` projected;
* ``fit_transform(X, Y, labels=...)`` is ``fit(X, Y, labels=...).transform(X)``,
  as for every scikit-learn transformer (so that an aligner can be an
  intermediate step of a ``Pipeline``); ``fit(X, Y).transform(X, Y)`` gives
  the projected pair.

A subclass declares ``_parameter_constraints``, implements ``fit`` (calling
:meth:`BaseAligner._validate_pair`, which checks the parameters and both
views and sets ``n_features_in_`` and ``n_features_y_in_``), ``_transform_x``
and ``_transform_y`` (which receive arrays already checked for width and
finiteness) and ``__sklearn_is_fitted__``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin

from ..base import ClassicxEstimator
from ..distributed import dask_transform, is_dask_collection
from ..exceptions import InputError, ParameterError, ShapeMismatchError
from ..utils.validation import (
    check_array,
    check_is_fitted,
    check_labels,
    validate_data,
    validate_params,
)

__all__ = ["BaseAligner", "labels_to_indicator", "optional_labels", "resolve_dtype"]

_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype: str | None, *arrays: Any) -> type:
    """Return the float type to compute in.

    ``dtype=None`` keeps float32 when every array is float32 and uses float64
    otherwise; ``"float32"`` or ``"float64"`` force that type. Strings (not
    numpy type objects) are used so that the parameter can be saved as JSON.
    """
    if dtype is None:
        kinds = [a.dtype if sp.issparse(a) or hasattr(a, "dtype") else np.asarray(a).dtype for a in arrays]
        return np.float32 if kinds and all(k == np.float32 for k in kinds) else np.float64
    if isinstance(dtype, str) and dtype in _FLOAT_DTYPES:
        return _FLOAT_DTYPES[dtype]
    raise ParameterError(f"dtype must be None, 'float32' or 'float64'; got {dtype!r}")


def optional_labels(labels: Any, n_samples: int) -> np.ndarray | None:
    """``None``, or ``labels`` validated for ``n_samples`` pairs (see :func:`classicx.utils.validation.check_labels`)."""
    return None if labels is None else check_labels(labels, n_samples)


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


def _as_2d(Y: Any) -> Any:
    # A 1-D second view is one feature, as in scikit-learn's CCA.
    return Y.reshape(-1, 1) if Y.ndim == 1 else Y


class BaseAligner(TransformerMixin, ClassicxEstimator):
    """Base class of the two-view aligners (see the module docstring for the contract)."""

    # Dense-only aligners densify sparse input (documented per class);
    # kernel aligners keep it sparse.
    _keeps_sparse = False
    # Labels reach an aligner one way: as fit metadata. Aligners that use them
    # request them by default ({"labels": True}); the others declare them not
    # requested, so that a Pipeline or a search routing labels to its other
    # consumers (supervised steps, a scorer) neither sends them here nor asks
    # for a set_fit_request call.
    __metadata_request__fit = {"labels": False}

    def _validate_pair(
        self,
        X: Any,
        Y: Any,
        *,
        dtype: Any = (np.float64, np.float32),
        copy: bool = False,
        min_samples: int = 2,
        reset: bool = True,
    ) -> tuple[Any, Any]:
        """Check the parameters (when ``reset``) and a pair of views, paired row by row.

        Sets ``n_features_in_`` and ``n_features_y_in_`` when ``reset``, and
        otherwise checks the widths against them. Sparse views are densified
        unless the aligner keeps them sparse.
        """
        if reset:
            validate_params(self)
        if Y is None:
            raise InputError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(Y is required: a two-view aligner is fitted on paired rows of X and Y)"
            )
        X, Y = validate_data(self, X, Y, reset=reset, dtype=dtype, accept_sparse="csr", copy=copy)
        Y = _as_2d(Y)
        if not self._keeps_sparse:
            X, Y = (V.toarray() if sp.issparse(V) else V for V in (X, Y))
        if X.shape[0] < min_samples:
            raise InputError(
                f"{type(self).__name__}: at least {min_samples} paired rows are needed; got n_samples = {X.shape[0]}"
            )
        if reset:
            self.n_features_y_in_ = int(Y.shape[1])
        else:
            self._check_y_width(Y)
        return X, Y

    def _check_y_width(self, Y: Any) -> None:
        if Y.shape[1] != self.n_features_y_in_:
            raise ShapeMismatchError(
                f"Y has {Y.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_y_in_} features as input"
            )

    def _check_view(self, V: Any, which: str) -> Any:
        accept = "csr"
        if which == "X":
            V = validate_data(self, V, reset=False, accept_sparse=accept)
        else:
            V = _as_2d(check_array(V, name="Y", estimator=self, accept_sparse=accept, ensure_2d=False))
            self._check_y_width(V)
        if not self._keeps_sparse and sp.issparse(V):
            V = V.toarray()
        return V

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
        check_is_fitted(self)
        if is_dask_collection(X, Y):
            return dask_transform(self, X, Y)
        X_proj = self._transform_x(self._check_view(X, "X"))
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
        check_is_fitted(self)
        if is_dask_collection(Y):
            return dask_transform(self, None, Y)
        return self._transform_y(self._check_view(Y, "Y"))

    def _check_loaded_state(self) -> None:
        """Called by loading: a fitted aligner must project a row of each view (issue #12).

        The persistence layer checks each array's shape, dtype and finiteness
        against the metadata, but not how an aligner's fitted arrays fit
        together: a hand-edited model whose weights are ``null``, or whose
        mean has the wrong length, would load and then fail inside NumPy at
        the first query. Projecting one zero row of each view at load time
        finds all of that at once, whatever the aligner; the ``ValueError`` is
        reported as a :class:`~classicx.exceptions.ModelFormatError` naming
        the model directory.
        """
        if not hasattr(self, "n_features_in_"):
            return  # saved unfitted
        try:
            widths = (int(self.n_features_in_), int(self.n_features_y_in_))
            projected = (self.transform(np.zeros((1, widths[0]))), self.transform_y(np.zeros((1, widths[1]))))
        except Exception as exc:  # any failure means inconsistent fitted state
            raise ValueError(f"cannot project a row of each view ({type(exc).__name__}: {exc})") from None
        for which, P in zip(("X", "Y"), projected):
            if not isinstance(P, np.ndarray) or P.ndim != 2 or P.shape[0] != 1 or not np.all(np.isfinite(P)):
                raise ValueError(f"projecting a row of {which} gives {getattr(P, 'shape', type(P).__name__)}, "
                                 "not one finite row")
        if projected[0].shape[1] != projected[1].shape[1]:
            raise ValueError(f"the views project to {projected[0].shape[1]} and {projected[1].shape[1]} dimensions")

    def _transform_x(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def _transform_y(self, Y: Any) -> np.ndarray:
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        return tags
