"""Fused queries: a text and an image combined into one query in the shared space.

:meth:`classicx.CrossModalRetriever.search` is :func:`fused_search`; the
search service (:mod:`classicx.serve`) uses the same functions. They use only
the retriever's fitted state (its query projection ``_query_vectors``, which
refuses queries that would rank arbitrarily, the gallery searchers and its
``_hits``, which builds complete :class:`~classicx.Hit` results).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .exceptions import InputError, InputTypeError
from .utils.validation import check_choice, check_positive_int

__all__ = ["TARGETS", "fuse_vectors", "fused_search", "rank_gallery"]

#: The galleries a query can rank: the gallery images or the gallery texts.
TARGETS = ("images", "texts")


def _check_weight(weight: Any) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
        raise InputTypeError(f"weight must be a number between 0 and 1; got {weight!r}")
    weight = float(weight)
    if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
        raise InputError(f"weight must lie between 0 (text only) and 1 (image only); got {weight}")
    return weight


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    # A text without known words (or an image without keypoints) maps to the zero
    # vector; it then adds nothing to the fused query instead of turning it into NaN.
    return vector / norm if norm > 0 else vector


def fuse_vectors(text_vector: Any, image_vector: Any, weight: float = 0.5) -> np.ndarray:
    """One query vector from a text vector and an image vector of the shared space.

    Each vector is scaled to unit length, so that ``weight`` and not the
    vectors' norms decides how much each modality counts, and the two are
    mixed as ``(1 - weight) * text + weight * image``. At ``weight=0`` the
    text vector is returned unchanged and at ``weight=1`` the image vector,
    so those ends rank exactly like a text or an image query.

    Parameters
    ----------
    text_vector, image_vector : array-like of shape (n_components,) or (1, n_components)
        Shared-space vectors, from ``retriever.transform_texts`` and
        ``retriever.transform_images``.
    weight : float, default=0.5
        The image's share, between 0 (text only) and 1 (image only).

    Returns
    -------
    ndarray of shape (1, n_components)

    See Also
    --------
    fused_search : embeds a text and an image and ranks a gallery with their fusion.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.serve import fuse_vectors
    >>> fuse_vectors(np.array([3.0, 0.0]), np.array([0.0, 2.0]), weight=0.5)
    array([[0.5, 0.5]])
    >>> fuse_vectors(np.array([3.0, 0.0]), np.array([0.0, 2.0]), weight=0.0)
    array([[3., 0.]])
    """
    weight = _check_weight(weight)
    t = np.atleast_2d(np.asarray(text_vector))
    i = np.atleast_2d(np.asarray(image_vector))
    if t.shape != i.shape or t.shape[0] != 1:
        raise InputError(
            f"fuse_vectors needs one text vector and one image vector of the same length; "
            f"got shapes {t.shape} and {i.shape}"
        )
    if weight == 0.0:
        return t
    if weight == 1.0:
        return i
    fused = (1.0 - weight) * _unit(t[0]) + weight * _unit(i[0])
    return fused[None, :].astype(np.result_type(t, i), copy=False)


def rank_gallery(retriever: Any, query_vector: Any, *, target: str = "images", k: int = 10) -> list:
    """The ``k`` best gallery items of ``target`` for one shared-space query vector.

    Parameters
    ----------
    retriever : fitted CrossModalRetriever
    query_vector : array-like of shape (1, n_components)
    target : {"images", "texts"}, default="images"
        Which gallery to rank.
    k : int, default=10
        How many results (at most the gallery's size).

    Returns
    -------
    list of classicx.Hit
        Best first; ``content`` is the image's description or the text.

    See Also
    --------
    fused_search : builds the query vector from a text and an image.
    """
    target = check_choice(target, TARGETS, "target")
    k = check_positive_int(k, "k")
    scores, indices = retriever._search_gallery(target, np.atleast_2d(query_vector), k)
    return retriever._hits(target, scores, indices)[0]


def fused_search(
    retriever: Any,
    text: str | None = None,
    image: Any = None,
    *,
    weight: float = 0.5,
    target: str = "images",
    k: int = 10,
) -> list:
    """Rank a gallery for a query made of a text and an image together.

    The text and the image are projected into the retriever's shared space
    and fused there (:func:`fuse_vectors`: unit vectors mixed as
    ``(1 - weight) * text + weight * image``), the fused multimodal query of
    the cross-modal retrieval surveys. ``weight=0`` with ``target="images"``
    gives exactly ``retriever.search_text(text, k)``; ``weight=1`` with
    ``target="texts"`` gives exactly ``retriever.search_image(image, k)``.

    Parameters
    ----------
    retriever : fitted CrossModalRetriever
    text : str, default=None
        The text part of the query.
    image : path, array or encoded bytes, default=None
        The image part of the query (one image).
    weight : float, default=0.5
        The image's share, from 0 (text only) to 1 (image only). When only
        ``text`` or only ``image`` is given, the query is that one and
        ``weight`` is not used.
    target : {"images", "texts"}, default="images"
        Rank the gallery images or the gallery texts.
    k : int, default=10
        How many results.

    Returns
    -------
    list of classicx.Hit
        Best first.

    See Also
    --------
    classicx.CrossModalRetriever.search_text, classicx.CrossModalRetriever.search_image

    Examples
    --------
    >>> from classicx import CrossModalRetriever, datasets
    >>> from classicx.serve import fused_search
    >>> data = datasets.load_synthetic(n_train=120, n_test=40, random_state=0)
    >>> model = CrossModalRetriever(verbose=False, random_state=0)
    >>> model = model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    >>> hits = fused_search(model, "a red circle", data.test.images[0], weight=0.3, k=3)
    >>> [hit.rank for hit in hits]
    [1, 2, 3]
    >>> fused_search(model, "a red circle", weight=0.0, k=3) == model.search_text("a red circle", k=3)
    True
    """
    weight = _check_weight(weight)
    target = check_choice(target, TARGETS, "target")
    k = check_positive_int(k, "k")
    if text is None and image is None:
        raise InputError("a fused query needs a text, an image, or both")
    if text is not None and not isinstance(text, str):
        raise InputTypeError(f"text must be one string; got {type(text).__name__}")
    if isinstance(image, list):
        raise InputTypeError("image must be one image (a path, an array or encoded bytes), not a list")
    # _query_vectors refuses an empty text, a text of unknown words and an image without features.
    if image is None:
        query = retriever._query_vectors("text", [text])
    elif text is None:
        query = retriever._query_vectors("image", [image])
    else:
        query = fuse_vectors(retriever._query_vectors("text", [text]), retriever._query_vectors("image", [image]),
                             weight)
    return rank_gallery(retriever, query, target=target, k=k)
