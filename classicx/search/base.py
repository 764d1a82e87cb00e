"""The searcher interface shared by the exact and the approximate backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._utils import check_finite
from ..base import ClassicxEstimator
from ..exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NotFittedError,
    ShapeMismatchError,
)

__all__ = ["BaseSearcher"]


def check_vectors(X: Any, name: str, dtype: Any, n_features: int | None = None) -> np.ndarray:
    """Validate a dense 2-D finite array of vectors and cast it to ``dtype``."""
    if sp.issparse(X):
        raise InputTypeError(
            f"{name} must be a dense array; got a sparse matrix (project sparse features "
            "into a dense space first, e.g. with classicx.text.TfidfLSA)"
        )
    try:
        X = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"{name} must be a numeric array: {exc}") from exc
    if X.ndim != 2:
        raise ShapeMismatchError(
            f"{name} must be a 2-D array (n_vectors, n_features); got {X.ndim} dimension(s) "
            f"with shape {X.shape} (use X.reshape(1, -1) for a single vector)"
        )
    if len(X) == 0:
        raise EmptyInputError(f"{name} is empty: at least one vector is needed")
    check_finite(X, name)
    if n_features is not None and X.shape[1] != n_features:
        raise ShapeMismatchError(
            f"{name} have {X.shape[1]} features but the searcher was fitted on {n_features}"
        )
    return X


def check_positive_int(value: Any, name: str) -> None:
    """Raise :class:`InputError` unless ``value`` is an integer (not a bool) of at least 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be a positive integer; got {value!r}")


def check_labels(labels: Any, n: int, name: str = "labels") -> np.ndarray | None:
    """Validate optional gallery labels: 1-D ints or a 2-D 0/1 indicator array of ``n`` rows."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim not in (1, 2) or len(labels) != n:
        raise ShapeMismatchError(
            f"{name} must be a 1-D array or a 2-D indicator array with one row per gallery "
            f"vector ({n}); got shape {labels.shape}"
        )
    if labels.dtype.kind not in "iub":
        raise InputTypeError(f"{name} must hold integers (or 0/1 indicators); got dtype {labels.dtype}")
    return labels.astype(np.int64 if labels.ndim == 1 else bool)


class BaseSearcher(ClassicxEstimator):
    """k-nearest-neighbour search over a gallery of vectors.

    Subclasses implement ``_build(gallery)``, ``_extend(vectors)`` and
    ``_search(queries, k, allowed)``; this class validates inputs, keeps
    optional gallery labels for filtering and defines the public interface:

    ``fit(gallery, labels=None)``, ``add(vectors, labels=None)``,
    ``search(queries, k=10, allow_ids=None, allow_labels=None)`` and
    ``len(searcher)``.

    Search results are two ``(n_queries, k)`` arrays ``(scores, indices)``,
    best first; scores are higher-is-better for every metric.
    """

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(gallery) first"
            )
        if self.metric != self.metric_:
            raise InputError(
                f"this {type(self).__name__} was fitted with metric={self.metric_!r} but its "
                f"metric parameter is now {self.metric!r}; fit it again"
            )

    def __bool__(self) -> bool:
        # len() is the gallery size; an empty or unfitted searcher is still a searcher.
        return True

    def __len__(self) -> int:
        self._check_fitted()
        return int(self.n_items_)

    def _dtype(self) -> np.dtype:
        return np.dtype(getattr(self, "dtype", "float32"))

    def fit(self, gallery: Any, y: Any = None, *, labels: Any = None) -> BaseSearcher:
        """Index ``gallery``.

        Parameters
        ----------
        gallery : array-like of shape (n_gallery, n_features)
        y : ignored
            Accepted for scikit-learn compatibility; pass gallery labels as
            ``labels``.
        labels : array-like of shape (n_gallery,) or (n_gallery, n_categories), optional
            Category labels (or 0/1 indicators) used by ``allow_labels`` at search time.

        Returns
        -------
        self
        """
        gallery = check_vectors(gallery, "gallery", self._dtype())
        labels = check_labels(labels, len(gallery))
        self._validate_params()
        self._build(gallery)
        self.metric_ = self.metric
        self.n_features_in_ = int(gallery.shape[1])
        self.n_items_ = len(gallery)
        self.labels_ = labels
        return self

    def add(self, vectors: Any, *, labels: Any = None) -> BaseSearcher:
        """Append ``vectors`` to the gallery; they get the next indices.

        Parameters
        ----------
        vectors : array-like of shape (n_new, n_features)
        labels : array-like, optional
            Their labels; required if the searcher was fitted with labels and
            refused otherwise.

        Returns
        -------
        self
        """
        self._check_fitted()
        vectors = check_vectors(vectors, "vectors", self._dtype(), self.n_features_in_)
        labels = check_labels(labels, len(vectors))
        if (labels is None) != (self.labels_ is None):
            raise InputError(
                "labels must be given to add() exactly when the searcher was fitted with labels"
            )
        if labels is not None and labels.shape[1:] != self.labels_.shape[1:]:
            raise ShapeMismatchError(
                f"labels have shape {labels.shape[1:]} per item but the gallery labels have "
                f"{self.labels_.shape[1:]}"
            )
        self._extend(vectors)
        self.n_items_ = int(self.n_items_ + len(vectors))
        if labels is not None:
            self.labels_ = np.concatenate([self.labels_, labels])
        return self

    def _allowed_mask(self, allow_ids: Any, allow_labels: Any) -> np.ndarray | None:
        n = self.n_items_
        mask = None
        if allow_ids is not None:
            ids = np.asarray(allow_ids)
            if ids.dtype == bool:
                if ids.shape != (n,):
                    raise ShapeMismatchError(
                        f"a boolean allow_ids must have one entry per gallery item ({n}); "
                        f"got shape {ids.shape}"
                    )
                mask = ids.copy()
            else:
                ids = ids.reshape(-1)
                if ids.dtype.kind not in "iu":
                    raise InputTypeError(f"allow_ids must hold integer gallery indices; got {ids.dtype}")
                bad = np.flatnonzero((ids < 0) | (ids >= n))
                if len(bad):
                    raise InputError(
                        f"allow_ids[{int(bad[0])}] = {int(ids[bad[0]])} is not a gallery index "
                        f"(0 to {n - 1})"
                    )
                mask = np.zeros(n, dtype=bool)
                mask[ids] = True
        if allow_labels is not None:
            if self.labels_ is None:
                raise InputError("allow_labels needs gallery labels: pass labels= to fit()")
            wanted = np.atleast_1d(np.asarray(allow_labels)).reshape(-1)
            if self.labels_.ndim == 1:
                by_label = np.isin(self.labels_, wanted)
            else:
                bad = np.flatnonzero((wanted < 0) | (wanted >= self.labels_.shape[1]))
                if len(bad):
                    raise InputError(
                        f"allow_labels holds {int(wanted[bad[0]])}, not a column of the "
                        f"{self.labels_.shape[1]}-column label indicators"
                    )
                by_label = self.labels_[:, wanted].any(axis=1)
            mask = by_label if mask is None else mask & by_label
        return mask

    def search(
        self,
        queries: Any,
        k: int | None = 10,
        *,
        allow_ids: Sequence[int] | np.ndarray | None = None,
        allow_labels: int | Sequence[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Find the ``k`` best gallery items for each query.

        Parameters
        ----------
        queries : array-like of shape (n_queries, n_features)
        k : int or None, default=10
            Number of results per query; ``None`` ranks the whole gallery.
            ``k`` larger than the number of searchable items is reduced to it.
        allow_ids : array-like of int, or bool array of shape (n_gallery,), optional
            Only these gallery items may be returned (an allow-list).
        allow_labels : int or sequence of int, optional
            Only gallery items carrying one of these labels may be returned
            (needs ``labels`` at fit). Combined with ``allow_ids`` by "and".

        Returns
        -------
        scores : ndarray of shape (n_queries, k)
            Higher is better, best first.
        indices : ndarray of shape (n_queries, k), int64
            Gallery indices; ties are broken by the smaller index. Approximate
            backends may find fewer than ``k`` items; the missing slots hold
            index -1 and score -inf.
        """
        self._check_fitted()
        queries = check_vectors(queries, "queries", self._dtype(), self.n_features_in_)
        mask = self._allowed_mask(allow_ids, allow_labels)
        n_allowed = self.n_items_ if mask is None else int(mask.sum())
        if k is None:
            k = n_allowed
        elif isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k must be a positive integer or None; got {k!r}")
        k = min(int(k), n_allowed)
        if k == 0:
            return np.empty((len(queries), 0), self._dtype()), np.empty((len(queries), 0), np.int64)
        return self._search(queries, k, mask)

    # Hooks for subclasses.
    def _validate_params(self) -> None:
        """Check constructor parameters (called by fit)."""

    def _build(self, gallery: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extend(self, vectors: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _search(
        self, queries: np.ndarray, k: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError
