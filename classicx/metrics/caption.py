"""Caption-retrieval metrics: R@K and median rank in both directions (Flickr30k/COCO convention).

In caption datasets each image has several captions and the only relevant
items are an image's own captions (image -> text) or a caption's own image
(text -> image). R@K is the percentage of queries with at least one relevant
item in the top K, and the median rank is the median, over queries, of the
1-based rank of the first relevant item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..exceptions import InputError
from .ranking import hits
from .relevance import relevance_from_pairs

__all__ = ["bidirectional_caption_recall", "caption_recall", "first_relevant_rank"]


def first_relevant_rank(ranking: Any, relevance: Any) -> np.ndarray:
    """1-based rank of the first relevant item of each query.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
        Gallery indices best first (-1 for an empty slot).
    relevance : array-like of bool, shape (n_queries, n_gallery)

    Returns
    -------
    ndarray of shape (n_queries,), float
        ``inf`` where the ranking holds no relevant item (search with
        ``k=None`` to rank the whole gallery and avoid it).

    See Also
    --------
    caption_recall : R@K and median rank from these ranks.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import first_relevant_rank
    >>> first_relevant_rank([[2, 0, 1], [1, 2, 0]], np.array([[1, 0, 0], [0, 0, 0]], dtype=bool))
    array([ 2., inf])
    """
    h, _ = hits(ranking, relevance)
    found = h.any(axis=1)
    return np.where(found, h.argmax(axis=1) + 1.0, np.inf)


def caption_recall(ranking: Any, relevance: Any, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """R@K (in percent) for each K in ``ks``, plus the median and mean rank.

    Parameters
    ----------
    ranking : array-like of int, shape (n_queries, n_ranked)
    relevance : array-like of bool, shape (n_queries, n_gallery)
    ks : sequence of int, default=(1, 5, 10)
        Each at most the ranking's width, unless the ranking covers the whole gallery.

    Returns
    -------
    dict
        ``{"R@1": ..., "R@5": ..., "R@10": ..., "median_rank": ..., "mean_rank": ...}``;
        the ranks are ``inf`` when a query's relevant items are not in the
        ranking (pass a full ranking for exact ranks).

    See Also
    --------
    first_relevant_rank : the ranks behind it.
    recall_at_k : the fraction of relevant items found, rather than a hit.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import caption_recall
    >>> ranking = [[0, 1, 2, 3], [1, 0, 2, 3], [0, 2, 1, 3], [0, 1, 2, 3]]  # ranks 1, 1, 2, 4
    >>> caption_recall(ranking, np.eye(4, dtype=bool), ks=(1, 2))
    {'R@1': 50.0, 'R@2': 75.0, 'median_rank': 1.5, 'mean_rank': 2.0}
    """
    ranks = first_relevant_rank(ranking, relevance)
    width = np.asarray(ranking).shape[1]
    # A ranking of the whole gallery answers R@K for any K (e.g. R@10 over 5 images).
    limit = np.inf if width >= np.asarray(relevance).shape[1] else width
    out: dict[str, float] = {}
    for k in ks:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= limit:
            raise InputError(
                f"every K must be an integer from 1 to the ranking width {width} (any K for a "
                f"ranking of the whole gallery); got {k!r}"
            )
        out[f"R@{k}"] = float(100.0 * np.mean(ranks <= k))
    out["median_rank"] = float(np.median(ranks))
    out["mean_rank"] = float(np.mean(ranks))
    return out


def bidirectional_caption_recall(
    image_to_text: Any,
    text_to_image: Any,
    image_ids: Any,
    text_ids: Any,
    ks: Sequence[int] = (1, 5, 10),
) -> dict[str, Any]:
    """Caption-retrieval R@K and median rank for image->text and text->image search.

    Parameters
    ----------
    image_to_text : array-like of int, shape (n_images, n_ranked)
        Text indices ranked for each image query.
    text_to_image : array-like of int, shape (n_texts, n_ranked)
        Image indices ranked for each text query.
    image_ids, text_ids : array-like of shape (n_images,) and (n_texts,)
        Pair ids: a text is a caption of an image when their ids are equal
        (e.g. give each caption the index of its image).
    ks : sequence of int, default=(1, 5, 10)

    Returns
    -------
    dict
        ``{"image_to_text": {...}, "text_to_image": {...}, "rsum": float}`` where
        each direction holds the output of :func:`caption_recall` and ``rsum``
        is the sum of all R@K values (the usual summary on Flickr30k/COCO).

    See Also
    --------
    caption_recall : one direction.
    evaluate_retrieval : MAP and precision@k for category or one-to-one pair relevance.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import bidirectional_caption_recall
    >>> image_ids, text_ids = [0, 1], [0, 0, 1, 1]  # two captions per image
    >>> i2t = [[1, 2, 0, 3], [0, 2, 1, 3]]
    >>> t2i = [[0, 1], [1, 0], [1, 0], [1, 0]]
    >>> r = bidirectional_caption_recall(i2t, t2i, image_ids, text_ids, ks=(1,))
    >>> r["image_to_text"]["R@1"], r["text_to_image"]["R@1"], r["rsum"]
    (50.0, 75.0, 125.0)
    """
    relevance = relevance_from_pairs(image_ids, text_ids)
    i2t = caption_recall(image_to_text, relevance, ks)
    t2i = caption_recall(text_to_image, relevance.T, ks)
    rsum = sum(d[f"R@{k}"] for d in (i2t, t2i) for k in ks)
    return {"image_to_text": i2t, "text_to_image": t2i, "rsum": float(rsum)}
