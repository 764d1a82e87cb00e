"""Precision-recall curves of rankings: the full curve and the 11-point interpolated one."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.validation import check_positive_int
from .ranking import _hits_and_n_relevant

__all__ = ["interpolated_precision_recall", "precision_recall_curve"]

# Recall levels are fractions such as 3/10; compare them with some slack so that
# a query reaching recall 0.3 counts for the level linspace(0, 1, 11)[3] = 0.30000000000000004.
_RECALL_SLACK = 1e-9


def _curve(ranking: Any, relevance: Any) -> tuple[np.ndarray, np.ndarray]:
    h, n_relevant = _hits_and_n_relevant(ranking, relevance)
    found = np.cumsum(h, axis=1)
    precision = found / np.arange(1, h.shape[1] + 1)
    recall = np.divide(found, n_relevant[:, None], out=np.zeros(found.shape), where=n_relevant[:, None] > 0)
    return precision, recall


def precision_recall_curve(
    ranking: Any, relevance: Any, average: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall after each rank: the full precision-recall curve.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
        Gallery indices best first (-1 for an empty slot).
    relevance : array-like of bool, shape (n_queries, n_gallery)
    average : bool, default=True
        Average the curves over queries at each rank (the "precision-scope"
        curve of the cross-modal literature); otherwise one curve per query.

    Returns
    -------
    precision, recall : ndarray of shape (n_ranked,) or (n_queries, n_ranked)
        Entry ``n - 1`` is precision@n and recall@n (recall divided by the
        number of relevant gallery items, so it reaches 1 only if the ranking
        holds them all).

    See Also
    --------
    interpolated_precision_recall : the 11-point interpolated curve.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import precision_recall_curve
    >>> p, r = precision_recall_curve([[2, 1, 0]], np.array([[True, False, True]]))
    >>> p, r
    (array([1.        , 0.5       , 0.66666667]), array([0.5, 0.5, 1. ]))
    """
    precision, recall = _curve(ranking, relevance)
    if average:
        return precision.mean(axis=0), recall.mean(axis=0)
    return precision, recall


def interpolated_precision_recall(
    ranking: Any, relevance: Any, n_points: int = 11, average: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated precision at evenly spaced recall levels (11-point curve by default).

    The interpolated precision at recall level ``r`` is the highest precision
    reached at any rank whose recall is at least ``r`` (0 if the ranking never
    reaches ``r``), as in TREC and the classic cross-modal papers.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
    relevance : array-like of bool, shape (n_queries, n_gallery)
    n_points : int, default=11
        Recall levels ``linspace(0, 1, n_points)``.
    average : bool, default=True
        Average over queries; otherwise one row per query.

    Returns
    -------
    recall_levels : ndarray of shape (n_points,)
    precision : ndarray of shape (n_points,) or (n_queries, n_points)

    See Also
    --------
    precision_recall_curve : the raw curve.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import interpolated_precision_recall
    >>> levels, p = interpolated_precision_recall([[2, 1, 0]], np.array([[True, False, True]]), n_points=3)
    >>> levels, p
    (array([0. , 0.5, 1. ]), array([1.        , 1.        , 0.66666667]))
    """
    if check_positive_int(n_points, "n_points") < 2:
        raise InputError(f"The 'n_points' parameter must be an integer >= 2. Got {n_points!r} instead.")
    precision, recall = _curve(ranking, relevance)
    levels = np.linspace(0.0, 1.0, n_points)
    # Best precision from each rank onwards; recall never decreases with rank,
    # so the ranks reaching level r form a suffix starting at `first`.
    best_after = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    best_after = np.concatenate([best_after, np.zeros((len(precision), 1))], axis=1)
    first = (recall[:, None, :] < levels[None, :, None] - _RECALL_SLACK).sum(axis=2)
    interp = np.take_along_axis(best_after, first, axis=1)
    return levels, interp.mean(axis=0) if average else interp
