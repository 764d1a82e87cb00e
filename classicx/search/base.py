"""The searcher interface shared by the exact and the approximate backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ..base import ClassicxEstimator
from ..exceptions import InputError, InputTypeError, ShapeMismatchError
from ..utils.validation import (
    check_is_fitted,
    check_labels,
    check_positive_int,
    validate_data,
    validate_params,
)
from .similarity import SIMILARITY_METRICS

__all__ = ["BaseSearcher"]

# Metrics whose vectors must be non-negative (probability vectors or counts).
_POSITIVE_METRICS = ("kl", "jensenshannon")


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

    Input is validated by :mod:`classicx.utils.validation`: galleries and
    queries must be dense, real, finite 2-D arrays with at least one row and
    one column (sparse input is refused rather than densified: project sparse
    features into a dense space first, e.g. with ``classicx.text.TfidfLSA``).
    Constructor parameters are checked by ``_parameter_constraints`` at the
    start of ``fit``; subclasses add checks that need several parameters in
    ``_check_params``.

    Parameters
    ----------
    metric : str
        Every searcher takes one of :data:`~classicx.search.SIMILARITY_METRICS`.

    See Also
    --------
    ExactSearcher : the exact reference implementation.
    ApproximateSearcher : the base of the ANN backends.
    make_searcher : build a searcher from a spec string.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.search import BaseSearcher, ExactSearcher
    >>> searcher = ExactSearcher().fit(np.eye(3), labels=[0, 1, 1])
    >>> isinstance(searcher, BaseSearcher), searcher.search(np.ones((1, 3)), k=3, allow_labels=1)[1]
    (True, array([[1, 2]]))
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {"metric": [StrOptions(set(SIMILARITY_METRICS))]}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.input_tags.positive_only = getattr(self, "metric", None) in _POSITIVE_METRICS
        tags.requires_fit = True
        tags.target_tags.required = False
        return tags

    def _check_fitted(self) -> None:
        # metric_ is set last by fit: a fit that failed while building counts as not fitted.
        check_is_fitted(self, ["n_features_in_", "metric_"])
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
        validate_params(self)
        self._check_params()
        gallery = validate_data(self, gallery, x_name="gallery", dtype=self._dtype())
        labels = None if labels is None else check_labels(labels, len(gallery))
        self._build(gallery)
        self.metric_ = self.metric
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
        vectors = validate_data(self, vectors, reset=False, x_name="vectors", dtype=self._dtype())
        labels = None if labels is None else check_labels(labels, len(vectors))
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
        queries = validate_data(self, queries, reset=False, x_name="queries", dtype=self._dtype())
        mask = self._allowed_mask(allow_ids, allow_labels)
        n_allowed = self.n_items_ if mask is None else int(mask.sum())
        k = n_allowed if k is None else min(check_positive_int(k, "k"), n_allowed)
        if k == 0:
            return np.empty((len(queries), 0), self._dtype()), np.empty((len(queries), 0), np.int64)
        return self._search(queries, k, mask)

    # Hooks for subclasses.
    def _check_params(self) -> None:
        """Checks beyond ``_parameter_constraints`` (called by ``fit`` after them)."""

    def _build(self, gallery: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extend(self, vectors: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _search(
        self, queries: np.ndarray, k: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError
