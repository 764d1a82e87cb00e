"""Precision-based ranking metrics: AP, MAP (full, @k, @R), precision@k, recall@k.

Every function takes ``ranking``, an ``(n_queries, k)`` int array of gallery
indices best first (what a searcher returns; ``-1`` marks an empty slot and
counts as a non-relevant item), and ``relevance``, an ``(n_queries,
n_gallery)`` bool array (see :func:`relevance_from_labels`). The number of
relevant items ``R`` of a query is counted in ``relevance``, so it includes
items the ranking did not return.

Every per-query metric takes ``average``: ``True`` (the default) returns the
mean over queries as a float, ``False`` one value per query as an array.

Names used here, since papers use "MAP@R" for two different things:

* **MAP** (``mean_average_precision(ranking, relevance)``): AP over the
  whole ranking divided by ``R``; with a ranking of the full gallery this is
  the classic MAP (and each AP equals scikit-learn's
  ``average_precision_score``).
* **MAP@k** (``mean_average_precision(ranking, relevance, k=k)``): AP of the
  top ``k`` only. The denominator is chosen by ``denominator``: ``R``
  (``"relevant"``, the TREC convention), the relevant items within the top
  ``k`` (``"retrieved"``, the convention of most cross-modal hashing papers,
  e.g. "MAP@50"), or ``min(R, k)`` (``"min"``).
* **MAP@R** (:func:`map_at_r`): the cutoff is each query's own ``R``
  (Musgrave et al., "A Metric Learning Reality Check", 2020).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..exceptions import ClassicxWarning, InputError, InputTypeError, ShapeMismatchError
from ..utils.validation import check_positive_int

__all__ = [
    "average_precision",
    "chance_average_precision",
    "map_at_r",
    "mean_average_precision",
    "precision_at_k",
    "recall_at_k",
]

_DENOMINATORS = ("relevant", "retrieved", "min")


def check_relevance(relevance: Any, graded: bool = False) -> np.ndarray:
    """Validate a 2-D relevance matrix (bool, or non-negative numbers when ``graded``)."""
    rel = np.asarray(relevance)
    if rel.ndim != 2:
        raise ShapeMismatchError(
            f"relevance must be a 2-D (n_queries, n_gallery) array; got shape {rel.shape}"
        )
    if graded:
        if rel.dtype.kind not in "biuf":
            raise InputTypeError(f"relevance must be numeric; got {rel.dtype}")
        bad = np.argwhere(~np.isfinite(rel) | (rel < 0)) if rel.dtype.kind == "f" else np.argwhere(rel < 0)
        if len(bad):
            raise InputError(
                f"graded relevance must be finite and non-negative; relevance[{bad[0][0]}, "
                f"{bad[0][1]}] = {rel[tuple(bad[0])]}"
            )
        return rel
    if rel.dtype != bool:
        if rel.dtype.kind not in "iu" or not np.isin(rel, (0, 1)).all():
            raise InputTypeError(
                "relevance must be a bool (or 0/1) matrix; use graded metrics such as ndcg "
                "for graded relevance"
            )
        rel = rel.astype(bool)
    return rel


def check_ranking(ranking: Any, n_queries: int, n_gallery: int) -> np.ndarray:
    """Validate an (n_queries, k) int ranking; -1 marks empty slots."""
    ranking = np.asarray(ranking)
    if ranking.ndim != 2:
        raise ShapeMismatchError(f"ranking must be a 2-D (n_queries, k) array; got shape {ranking.shape}")
    if ranking.dtype.kind not in "iu":
        raise InputTypeError(f"ranking must hold integer gallery indices; got {ranking.dtype}")
    if len(ranking) != n_queries:
        raise ShapeMismatchError(
            f"ranking has {len(ranking)} rows but relevance has {n_queries} queries"
        )
    bad = np.argwhere((ranking < -1) | (ranking >= n_gallery))
    if len(bad):
        r, c = bad[0]
        raise InputError(
            f"ranking[{r}, {c}] = {ranking[r, c]} is not a gallery index (0 to {n_gallery - 1}, "
            "or -1 for an empty slot)"
        )
    width = ranking.shape[1]
    if width > 1 and width * np.log2(width) < n_gallery:
        s = np.sort(ranking, axis=1)
        dup = np.argwhere((s[:, 1:] == s[:, :-1]) & (s[:, 1:] >= 0))
        if len(dup):
            r = dup[0][0]
            raise InputError(f"ranking row {r} lists gallery item {s[r, dup[0][1]]} twice")
    elif width > 1:
        # Rankings of (nearly) the whole gallery: counting is cheaper than sorting rows.
        for r, row in enumerate(ranking):
            counts = np.bincount(row[row >= 0], minlength=n_gallery)
            if counts.max(initial=0) > 1:
                raise InputError(f"ranking row {r} lists gallery item {int(counts.argmax())} twice")
    return ranking


def hits(ranking: Any, relevance: Any, graded: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The relevance of each ranked item, (n_queries, k), and the validated relevance matrix."""
    rel = check_relevance(relevance, graded)
    ranking = check_ranking(ranking, rel.shape[0], rel.shape[1])
    gathered = np.take_along_axis(rel, np.maximum(ranking, 0), axis=1)
    return np.where(ranking >= 0, gathered, 0).astype(rel.dtype), rel


def _warn_no_relevant(n_relevant: np.ndarray, stacklevel: int = 3) -> None:
    empty = np.flatnonzero(n_relevant == 0)
    if len(empty):
        warnings.warn(
            f"{len(empty)} quer{'y has' if len(empty) == 1 else 'ies have'} no relevant gallery "
            f"item (first: row {int(empty[0])}); their score counts as 0",
            ClassicxWarning,
            stacklevel=stacklevel,
        )


def _hits_and_n_relevant(ranking: Any, relevance: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hits` and each query's number of relevant items, warning about queries without any."""
    h, rel = hits(ranking, relevance)
    n_relevant = rel.sum(axis=1)
    # One frame deeper than a direct call: point at the caller's caller.
    _warn_no_relevant(n_relevant, stacklevel=4)
    return h, n_relevant


def _check_k(k: Any, width: int) -> int:
    k = check_positive_int(k, "k")
    if k > width:
        raise InputError(f"k={k} but the ranking holds only {width} items per query")
    return int(k)


def _mean_or_all(per_query: np.ndarray, average: bool) -> float | np.ndarray:
    """The mean over queries as a float, or the per-query array itself."""
    return float(per_query.mean()) if average else per_query


def _ap(h: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    ranks = np.arange(1, h.shape[1] + 1)
    precision = np.cumsum(h, axis=1) / ranks
    total = (precision * h).sum(axis=1)
    return np.divide(total, denominator, out=np.zeros(len(h)), where=denominator > 0)


def average_precision(
    ranking: Any,
    relevance: Any,
    k: int | None = None,
    denominator: str = "relevant",
    average: bool = True,
) -> float | np.ndarray:
    """Average precision of each query's ranking, averaged over queries by default (MAP).

    ``AP = (1/D) * sum over ranks i <= k with a relevant item of precision@i``.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
        Gallery indices best first; -1 marks an empty slot.
    relevance : array-like of bool, shape (n_queries, n_gallery)
    k : int, optional
        Only the top ``k`` of the ranking count (default: all of it).
    denominator : {"relevant", "retrieved", "min"}, default="relevant"
        ``D``: the number ``R`` of relevant gallery items; the number of
        relevant items within the top ``k``; or ``min(R, k)``.
    average : bool, default=True
        Return the mean over queries (MAP, a float) rather than one AP per query.

    Returns
    -------
    float or ndarray of shape (n_queries,)
        A query with ``D = 0`` scores 0 (with a :class:`ClassicxWarning` when
        it has no relevant item at all).

    See Also
    --------
    mean_average_precision : the same mean, under its usual name.
    map_at_r : AP truncated at each query's own number of relevant items.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import average_precision
    >>> relevance = np.array([[True, False, True, False], [False, True, False, False]])
    >>> average_precision([[2, 1, 0, 3], [2, 1, 0, 3]], relevance, average=False)  # (1/1 + 2/3) / 2, 1/2
    array([0.83333333, 0.5       ])
    >>> round(average_precision([[2, 1, 0, 3], [2, 1, 0, 3]], relevance), 4)
    0.6667
    """
    if denominator not in _DENOMINATORS:
        raise InputError(f"denominator must be one of {_DENOMINATORS}; got {denominator!r}")
    h, rel = hits(ranking, relevance)
    if k is not None:
        h = h[:, : _check_k(k, h.shape[1])]
    n_relevant = rel.sum(axis=1)
    _warn_no_relevant(n_relevant)
    if denominator == "relevant":
        d = n_relevant
    elif denominator == "retrieved":
        d = h.sum(axis=1)
    else:
        d = np.minimum(n_relevant, h.shape[1])
    return _mean_or_all(_ap(h, d), average)


def mean_average_precision(
    ranking: Any, relevance: Any, k: int | None = None, denominator: str = "relevant"
) -> float:
    """MAP (``k=None``) or MAP@k: the mean of :func:`average_precision` over queries.

    ``mean_average_precision(ranking, relevance)`` equals
    ``average_precision(ranking, relevance)`` (whose ``average=True`` is the
    default); it is kept under the name the literature uses. See the module
    docstring for MAP versus MAP@k, and :func:`map_at_r` for MAP@R with ``R``
    the number of relevant items.

    Parameters
    ----------
    ranking, relevance, k, denominator
        As for :func:`average_precision`.

    Returns
    -------
    float

    See Also
    --------
    average_precision : the same, with ``average=False`` for one AP per query.
    map_at_r : AP truncated at each query's own ``R``.
    evaluate_retrieval : MAP of both directions of a cross-modal pair set.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import mean_average_precision
    >>> relevance = np.array([[True, False, True], [False, True, False]])
    >>> ranking = np.array([[0, 1, 2], [0, 1, 2]])
    >>> round(mean_average_precision(ranking, relevance), 4)  # ((1 + 2/3)/2 + 1/2) / 2
    0.6667
    >>> mean_average_precision(ranking, relevance, k=1, denominator="retrieved")
    0.5
    """
    return float(average_precision(ranking, relevance, k=k, denominator=denominator, average=True))


def map_at_r(ranking: Any, relevance: Any, average: bool = True) -> float | np.ndarray:
    """MAP@R: mean over queries of AP truncated at that query's ``R`` (its number of relevant items).

    ``AP@R = (1/R) * sum over i <= R with a relevant item of precision@i``
    (Musgrave et al., 2020). The ranking must hold at least ``R`` items for
    every query. For "MAP@R" meaning a fixed cutoff, use
    ``mean_average_precision(..., k=R)``.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
    relevance : array-like of bool, shape (n_queries, n_gallery)
    average : bool, default=True
        Return the mean over queries rather than each query's AP@R.

    Returns
    -------
    float or ndarray of shape (n_queries,)

    See Also
    --------
    mean_average_precision : MAP, or MAP@k with a fixed cutoff.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import map_at_r
    >>> relevance = np.array([[True, False, True, False]])  # R = 2
    >>> map_at_r([[0, 1, 2, 3]], relevance)  # (1/1 + 0) / 2
    0.5
    """
    h, n_relevant = _hits_and_n_relevant(ranking, relevance)
    short = np.flatnonzero(n_relevant > h.shape[1])
    if len(short):
        q = int(short[0])
        raise InputError(
            f"MAP@R needs the top R items of each query, but query {q} has R={int(n_relevant[q])} "
            f"relevant items and the ranking holds {h.shape[1]}; search with a larger k (or k=None)"
        )
    h = h & (np.arange(h.shape[1])[None, :] < n_relevant[:, None])
    return _mean_or_all(_ap(h, n_relevant), average)


def precision_at_k(ranking: Any, relevance: Any, k: int, average: bool = True) -> float | np.ndarray:
    """Fraction of the top ``k`` that is relevant.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
    relevance : array-like of bool, shape (n_queries, n_gallery)
    k : int
        At most the ranking's width. Empty slots (-1) count as non-relevant.
    average : bool, default=True
        Return the mean over queries (a float) rather than one value per query.

    Returns
    -------
    float or ndarray of shape (n_queries,)

    See Also
    --------
    recall_at_k : the fraction of the relevant items found in the top ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import precision_at_k
    >>> precision_at_k([[2, 1, 0]], np.array([[True, False, True]]), k=2)
    0.5
    """
    h, _ = hits(ranking, relevance)
    p = h[:, : _check_k(k, h.shape[1])].sum(axis=1) / k
    return _mean_or_all(p, average)


def recall_at_k(ranking: Any, relevance: Any, k: int, average: bool = True) -> float | np.ndarray:
    """Fraction of each query's relevant items found in the top ``k``.

    Queries without relevant items score 0 (with a :class:`ClassicxWarning`).
    For the caption-retrieval "R@K" (a hit if *any* relevant item is in the
    top K) see :func:`caption_recall`.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
    relevance : array-like of bool, shape (n_queries, n_gallery)
    k : int
    average : bool, default=True
        Return the mean over queries rather than one value per query.

    Returns
    -------
    float or ndarray of shape (n_queries,)

    See Also
    --------
    precision_at_k : the fraction of the top ``k`` that is relevant.
    caption_recall : the caption-retrieval R@K (any relevant item in the top K).

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import recall_at_k
    >>> recall_at_k([[2, 1, 0]], np.array([[True, False, True]]), k=2)
    0.5
    """
    h, n_relevant = _hits_and_n_relevant(ranking, relevance)
    found = h[:, : _check_k(k, h.shape[1])].sum(axis=1)
    r = np.divide(found, n_relevant, out=np.zeros(len(h)), where=n_relevant > 0)
    return _mean_or_all(r, average)


def chance_average_precision(relevance: Any, average: bool = True) -> float | np.ndarray:
    """Exact expected AP of a uniformly random ranking of the whole gallery.

    For a gallery of ``N`` items of which ``R`` are relevant (Bestgen, 2015):

    ``E[AP] = (1/N) * (H_N + (R - 1) / (N - 1) * (N - H_N))``, with ``H_N``
    the N-th harmonic number (and ``E[AP] = 1`` when ``N = 1``). It is close
    to, but above, the fraction ``R/N`` of relevant items; report it next to
    MAP as the chance level.

    Parameters
    ----------
    relevance : array-like of bool, shape (n_queries, n_gallery)
    average : bool, default=True
        Return the mean over queries (the chance level of MAP) rather than
        each query's expected AP.

    Returns
    -------
    float or ndarray of shape (n_queries,)
        Queries without relevant items get 0 (as in :func:`average_precision`).

    See Also
    --------
    average_precision : the AP of an actual ranking.
    evaluate_retrieval : reports it next to MAP in both directions.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import chance_average_precision
    >>> chance_average_precision(np.array([[True, False]]))  # rankings AB, BA: (1 + 1/2) / 2
    0.75
    >>> chance_average_precision(np.array([[True, False], [True, True]]), average=False)
    array([0.75, 1.  ])
    """
    rel = check_relevance(relevance)
    n = rel.shape[1]
    r = rel.sum(axis=1).astype(np.float64)
    _warn_no_relevant(r)
    harmonic = float(np.sum(1.0 / np.arange(1, n + 1)))
    if n == 1:
        expected = r.copy()
    else:
        expected = (harmonic + (r - 1) / (n - 1) * (n - harmonic)) / n
    expected[r == 0] = 0.0
    return _mean_or_all(expected, average)
