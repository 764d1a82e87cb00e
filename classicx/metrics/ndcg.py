"""Normalised discounted cumulative gain for graded relevance."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ranking import _check_k, _mean_or_all, hits

__all__ = ["ndcg"]


def ndcg(ranking: Any, relevance: Any, k: int | None = None, average: bool = True) -> float | np.ndarray:
    """NDCG of each ranking, with linear gains and a ``log2(rank + 1)`` discount.

    ``DCG@k = sum_{i <= k} rel_i / log2(i + 1)`` over the ranked items, divided
    by the DCG of the ideal ordering of the whole gallery; a query whose
    relevance is all zero scores 0. This is the definition of scikit-learn's
    ``ndcg_score``.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
        Gallery indices best first (-1 for an empty slot, gain 0).
    relevance : array-like of shape (n_queries, n_gallery)
        Non-negative gains, e.g. ``relevance_from_labels(..., graded=True)``
        (the number of shared labels); bool relevance gives binary NDCG.
    k : int, optional
        Cut-off (default: the ranking's width).
    average : bool, default=True
        Return the mean over queries rather than one value per query.

    Returns
    -------
    float or ndarray of shape (n_queries,)

    See Also
    --------
    relevance_from_labels : ``graded=True`` gives shared-label counts as gains.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import ndcg
    >>> relevance = np.array([[0, 2, 1]])
    >>> round(ndcg([[2, 1, 0]], relevance), 4)  # (1 + 2/log2(3)) / (2 + 1/log2(3))
    0.8597
    """
    gains, rel = hits(ranking, relevance, graded=True)
    gains = gains.astype(np.float64)
    if k is not None:
        gains = gains[:, : _check_k(k, gains.shape[1])]
    width = gains.shape[1]
    discount = 1.0 / np.log2(np.arange(2, width + 2))
    dcg = gains @ discount
    top = min(width, rel.shape[1])
    ideal = -np.sort(-rel.astype(np.float64), axis=1)[:, :top]
    idcg = ideal @ discount[:top]
    scores = np.divide(dcg, idcg, out=np.zeros(len(dcg)), where=idcg > 0)
    return _mean_or_all(scores, average)
