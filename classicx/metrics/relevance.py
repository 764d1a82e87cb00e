"""Relevance matrices: which gallery items are relevant to which query."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import EmptyInputError, ShapeMismatchError
from ..utils.validation import check_labels

__all__ = ["relevance_from_labels", "relevance_from_pairs"]


def _labels(labels: Any, name: str) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim in (1, 2) and len(arr) == 0:
        raise EmptyInputError(f"{name} is empty")
    # Categories as int64 (whole floats accepted), or 0/1 indicator rows as bool.
    return check_labels(arr, arr.shape[0] if arr.ndim else 0, name=name)


def relevance_from_labels(query_labels: Any, gallery_labels: Any, graded: bool = False) -> np.ndarray:
    """Relevance of every gallery item to every query, from category labels.

    Parameters
    ----------
    query_labels : array-like of shape (n_queries,) or (n_queries, n_categories)
        One integer category per query (floats with whole values are
        accepted), or a 0/1 indicator row per query (multi-label data).
    gallery_labels : array-like of shape (n_gallery,) or (n_gallery, n_categories)
        The same for the gallery; must have the same form as ``query_labels``.
    graded : bool, default=False
        If false, a bool matrix: 1-D labels are relevant when equal, indicator
        rows when they share at least one category. If true, an int matrix
        counting the shared categories (1-D labels give 0 or 1), for graded
        metrics such as :func:`ndcg`.

    Returns
    -------
    ndarray of shape (n_queries, n_gallery), bool (or int64 when graded)

    See Also
    --------
    relevance_from_pairs : relevance from explicit pair ids.

    Examples
    --------
    >>> from classicx.metrics import relevance_from_labels
    >>> relevance_from_labels([0, 1], [1, 0, 1]).astype(int)
    array([[0, 1, 0],
           [1, 0, 1]])
    >>> relevance_from_labels([[1, 1, 0]], [[1, 1, 0], [0, 0, 1], [0, 1, 1]], graded=True)
    array([[2, 0, 1]])
    """
    q = _labels(query_labels, "query_labels")
    g = _labels(gallery_labels, "gallery_labels")
    if q.ndim != g.ndim:
        raise ShapeMismatchError(
            f"query_labels and gallery_labels must both be 1-D or both 2-D; got shapes "
            f"{q.shape} and {g.shape}"
        )
    if q.ndim == 1:
        rel = q[:, None] == g[None, :]
        return rel.astype(np.int64) if graded else rel
    if q.shape[1] != g.shape[1]:
        raise ShapeMismatchError(
            f"query_labels have {q.shape[1]} categories but gallery_labels have {g.shape[1]}"
        )
    shared = (q != 0).astype(np.int64) @ (g != 0).astype(np.int64).T
    return shared if graded else shared > 0


def relevance_from_pairs(query_ids: Any, gallery_ids: Any) -> np.ndarray:
    """Relevance from explicit pair ids: a gallery item is relevant when its id equals the query's.

    Use this for caption datasets (Flickr30k, COCO) where each image has several
    captions: give each caption the id of its image.

    Parameters
    ----------
    query_ids : array-like of shape (n_queries,)
        Any hashable-valued 1-D array (ints or strings).
    gallery_ids : array-like of shape (n_gallery,)

    Returns
    -------
    ndarray of shape (n_queries, n_gallery), bool

    See Also
    --------
    relevance_from_labels : relevance from category labels.

    Examples
    --------
    >>> from classicx.metrics import relevance_from_pairs
    >>> relevance_from_pairs(["a", "b"], ["a", "a", "b"]).astype(int)
    array([[1, 1, 0],
           [0, 0, 1]])
    """
    q, g = np.asarray(query_ids), np.asarray(gallery_ids)
    for arr, name in ((q, "query_ids"), (g, "gallery_ids")):
        if arr.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1-D; got shape {arr.shape}")
        if len(arr) == 0:
            raise EmptyInputError(f"{name} is empty")
    return q[:, None] == g[None, :]
