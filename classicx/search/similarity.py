"""Similarity and distance measures used by the searchers, as "higher is better" scores.

Every measure is split into three steps so that the exact searcher can scan a
large gallery through one BLAS matrix product per block:

``prepare_gallery`` / ``prepare_queries``
    Done once per vector (unit-normalise for cosine, centre then normalise for
    correlation, take logarithms for KL, ...).
``block``
    A *ranking key* for a block of queries against a block of the gallery.
    The key orders gallery items exactly as the final score does, but is
    cheaper (for Euclidean distance it omits the query norm and the square
    root).
``finalize``
    Turns the keys of the selected items into the documented score.

Scores (all higher-is-better; distances and divergences are negated):

=================== =========================================================
``inner_product``   ``q . g``
``cosine``          ``q . g / (|q| |g|)`` (an all-zero vector scores 0)
``correlation``     cosine of the mean-centred vectors (Pearson correlation
                    across dimensions, the "normalised correlation" of the
                    classic cross-modal retrieval papers; a constant vector
                    scores 0)
``euclidean``       ``-|q - g|``
``cosine_distance`` ``-sqrt(2 (1 - cos(q, g)))`` (the Euclidean distance
                    between the unit-normalised vectors)
``kl``              ``-KL(q || g)`` in nats, for probability vectors; the
                    gallery is smoothed by ``KL_EPS`` so that a zero gallery
                    entry gives a large finite penalty rather than infinity
``jensenshannon``   ``-JS(q, g)``, the Jensen-Shannon *distance* (square root
                    of the divergence, natural logarithm), as
                    :func:`scipy.spatial.distance.jensenshannon`
=================== =========================================================

For ``kl`` and ``jensenshannon`` the vectors must be non-negative with a
positive sum; each is divided by its sum (so raw counts are accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import xlogy

from ..exceptions import InputError, ShapeMismatchError
from ..utils.validation import check_array

__all__ = ["KL_EPS", "SIMILARITY_METRICS", "pairwise_scores"]

KL_EPS = 1e-10


def _normalize(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    # Zero vectors stay zero (score 0 against everything) instead of becoming NaN.
    norms[norms == 0] = 1
    return X / norms


def _centre_normalize(X: np.ndarray) -> np.ndarray:
    return _normalize(X - X.mean(axis=1, keepdims=True))


def _probabilities(X: np.ndarray, name: str) -> np.ndarray:
    negative = np.flatnonzero((X < 0).any(axis=1))
    if len(negative):
        raise InputError(
            f"{name} must hold probability vectors (non-negative entries) for this metric; "
            f"row {int(negative[0])} has a negative entry"
        )
    sums = X.sum(axis=1, keepdims=True)
    empty = np.flatnonzero(sums[:, 0] <= 0)
    if len(empty):
        raise InputError(
            f"{name} must hold probability vectors with a positive sum for this metric; "
            f"row {int(empty[0])} sums to 0"
        )
    return X / sums


def _kl_gallery(X: np.ndarray, name: str) -> np.ndarray:
    P = _probabilities(X, name)
    return np.log((P + KL_EPS) / (1 + KL_EPS * P.shape[1]))


def _identity(X: np.ndarray, name: str) -> np.ndarray:
    return X


@dataclass(frozen=True)
class _Measure:
    name: str
    prepare_gallery: Callable[[np.ndarray, str], np.ndarray]
    prepare_queries: Callable[[np.ndarray, str], np.ndarray]
    # block(Q, G, out) -> ranking keys (len(Q), len(G)); may write into ``out``.
    block: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]
    # finalize(keys, Q) -> scores, where Q are the prepared queries of those rows.
    finalize: Callable[[np.ndarray, np.ndarray], np.ndarray]
    uses_matmul: bool = True


def _dot_block(Q: np.ndarray, G: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    return np.matmul(Q, G.T, out=out)


def _euclid_block(Q: np.ndarray, G: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    # 2 q.g - |g|^2 ranks like -|q - g|^2 (the |q|^2 term is constant per query).
    keys = np.matmul(Q, G.T, out=out)
    keys *= 2
    keys -= np.einsum("ij,ij->i", G, G)[None, :]
    return keys


def _euclid_final(keys: np.ndarray, Q: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", Q, Q)[:, None] - keys
    return -np.sqrt(np.maximum(sq, 0))


def _cosdist_final(keys: np.ndarray, Q: np.ndarray) -> np.ndarray:
    return -np.sqrt(np.maximum(2 * (1 - keys), 0))


def _kl_final(keys: np.ndarray, Q: np.ndarray) -> np.ndarray:
    return keys - xlogy(Q, Q).sum(axis=1, keepdims=True).astype(keys.dtype)


def _js_block(Q: np.ndarray, G: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    # JS does not factor into a matrix product; scipy's cdist computes it in C.
    keys = -cdist(Q, G, "jensenshannon")
    if out is None:
        return keys.astype(Q.dtype, copy=False)
    out[...] = keys
    return out


def _same(keys: np.ndarray, Q: np.ndarray) -> np.ndarray:
    return keys


def _prep(func: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, str], np.ndarray]:
    return lambda X, name: func(X)


_MEASURES: dict[str, _Measure] = {
    m.name: m
    for m in [
        _Measure("inner_product", _identity, _identity, _dot_block, _same),
        _Measure("cosine", _prep(_normalize), _prep(_normalize), _dot_block, _same),
        _Measure("correlation", _prep(_centre_normalize), _prep(_centre_normalize), _dot_block, _same),
        _Measure("euclidean", _identity, _identity, _euclid_block, _euclid_final),
        _Measure("cosine_distance", _prep(_normalize), _prep(_normalize), _dot_block, _cosdist_final),
        _Measure("kl", _kl_gallery, _probabilities, _dot_block, _kl_final),
        _Measure("jensenshannon", _probabilities, _probabilities, _js_block, _same, uses_matmul=False),
    ]
}

SIMILARITY_METRICS: tuple[str, ...] = tuple(_MEASURES)
"""Names of the similarity measures, for ``metric=`` of the searchers and of
:func:`pairwise_scores` (see the module docstring for their definitions)."""


def get_measure(metric: str) -> _Measure:
    """The measure called ``metric``, or an :class:`InputError` listing the known ones."""
    try:
        return _MEASURES[metric]
    except (KeyError, TypeError):
        raise InputError(f"unknown metric {metric!r}; expected one of {sorted(_MEASURES)}") from None


def pairwise_scores(queries: np.ndarray, gallery: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """All query-gallery scores (higher is better) as one dense matrix.

    A direct, unchunked implementation of the measures used by
    :class:`~classicx.search.ExactSearcher`; handy for small problems and as
    a reference.

    Parameters
    ----------
    queries : ndarray of shape (n_queries, n_features)
    gallery : ndarray of shape (n_gallery, n_features)
    metric : str, default="cosine"
        One of :data:`SIMILARITY_METRICS` (see :mod:`classicx.search.similarity`).

    Returns
    -------
    ndarray of shape (n_queries, n_gallery), float64

    See Also
    --------
    ExactSearcher : the same scores, chunked, with top-k selection.
    SIMILARITY_METRICS : the metric names.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.search import pairwise_scores
    >>> pairwise_scores(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), "euclidean")
    array([[-5.]])
    >>> from classicx.search import SIMILARITY_METRICS
    >>> SIMILARITY_METRICS
    ('inner_product', 'cosine', 'correlation', 'euclidean', 'cosine_distance', 'kl', 'jensenshannon')
    """
    measure = get_measure(metric)
    Q = measure.prepare_queries(check_array(queries, name="queries", dtype=np.float64), "queries")
    G = measure.prepare_gallery(check_array(gallery, name="gallery", dtype=np.float64), "gallery")
    if Q.shape[1] != G.shape[1]:
        raise ShapeMismatchError(f"queries have {Q.shape[1]} features but the gallery has {G.shape[1]}")
    return measure.finalize(measure.block(Q, G, None), Q)
