"""Cross-modal retrieval evaluation: rank both directions exactly and score them.

:func:`evaluate_retrieval` is the one place where classicx turns projected
image and text vectors into retrieval numbers: every image queries all texts
and every text queries all images with an exact searcher, relevance comes from
the pairs or from category labels, and the result is a :class:`RetrievalReport`.
The retriever's ``evaluate``, the model-selection scorer and the benchmarks
all call it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..exceptions import InputError, ShapeMismatchError
from ..search import SIMILARITY_METRICS, ExactSearcher
from ..utils.validation import (
    check_array,
    check_choice,
    check_labels,
    check_paired,
    check_positive_int,
)
from .ndcg import ndcg
from .ranking import (
    average_precision,
    chance_average_precision,
    map_at_r,
    precision_at_k,
    recall_at_k,
)
from .relevance import relevance_from_labels

__all__ = ["EXTRA_METRICS", "RetrievalReport", "evaluate_retrieval"]

DIRECTIONS = ("image_to_text", "text_to_image")

#: Optional measures of :func:`evaluate_retrieval` (``extra=``) and their table labels.
EXTRA_METRICS = {
    "map_at_k": "MAP@{k}",
    "map_at_r": "MAP@R",
    "recall_at_k": "R@{k}",
    "ndcg_at_k": "NDCG@{k}",
}


@dataclass
class RetrievalReport:
    """Retrieval quality in both directions, as returned by :func:`evaluate_retrieval`.

    Attributes
    ----------
    map_image_to_text, map_text_to_image : float
        Mean average precision over the full ranking of the other modality.
    precision_image_to_text, precision_text_to_image : float
        Precision at ``k``.
    chance_image_to_text, chance_text_to_image : float
        The MAP a uniformly random ranking has on the same relevance
        (:func:`chance_average_precision`).
    k : int
        The cutoff of precision (and of the ``*_at_k`` extras), at most the
        number of pairs.
    n_queries : int
        Queries in each direction (the number of pairs).
    relevance : str
        What counts as relevant: ``"the paired item"``, ``"same label"`` or
        (multi-label indicators) ``"shared label"``.
    extra : dict
        The measures asked for with ``extra=``, keyed
        ``"<name>_image_to_text"`` and ``"<name>_text_to_image"``.

    See Also
    --------
    evaluate_retrieval : computes it.

    Examples
    --------
    >>> from classicx.metrics import RetrievalReport
    >>> report = RetrievalReport(0.5, 0.25, 0.2, 0.1, 0.1, 0.1, k=10, n_queries=40, relevance="same label")
    >>> report.to_dict()["map_image_to_text"]
    0.5
    """

    map_image_to_text: float
    map_text_to_image: float
    precision_image_to_text: float
    precision_text_to_image: float
    chance_image_to_text: float
    chance_text_to_image: float
    k: int
    n_queries: int
    relevance: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as a plain dict (JSON-serialisable)."""
        return asdict(self)

    def to_table(self) -> str:
        """The report as a small fixed-width table (one row per measure, one column per direction)."""
        rows = [
            ("", "image→text", "text→image"),
            ("MAP", f"{self.map_image_to_text:.4f}", f"{self.map_text_to_image:.4f}"),
            (f"P@{self.k}", f"{self.precision_image_to_text:.4f}", f"{self.precision_text_to_image:.4f}"),
            ("chance MAP", f"{self.chance_image_to_text:.4f}", f"{self.chance_text_to_image:.4f}"),
        ]
        for name, label in EXTRA_METRICS.items():
            i2t, t2i = (self.extra.get(f"{name}_{d}") for d in DIRECTIONS)
            if i2t is not None and t2i is not None:
                rows.append((label.format(k=self.k), f"{i2t:.4f}", f"{t2i:.4f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        lines.append(f"({self.n_queries} queries each way; relevant = {self.relevance})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_table()


def _extra_scores(name: str, ranking: np.ndarray, relevance: np.ndarray, k: int) -> float:
    if name == "map_at_k":
        return average_precision(ranking, relevance, k=k)
    if name == "map_at_r":
        return map_at_r(ranking, relevance)
    if name == "recall_at_k":
        return recall_at_k(ranking, relevance, k)
    return ndcg(ranking, relevance, k=k)


def evaluate_retrieval(
    image_vectors: Any,
    text_vectors: Any,
    labels: Any = None,
    *,
    metric: str = "cosine",
    k: int = 10,
    extra: Collection[str] = (),
    dtype: str = "float64",
) -> RetrievalReport:
    """Score image→text and text→image retrieval between paired vectors of a shared space.

    Row ``i`` of ``image_vectors`` and row ``i`` of ``text_vectors`` are a
    pair. Every image vector queries all text vectors and every text vector
    all image vectors; both rankings are exact and cover the whole gallery
    (:class:`~classicx.search.ExactSearcher`), since MAP over the full ranking
    needs every item ranked, which approximate indexes do not promise.

    Parameters
    ----------
    image_vectors : array-like of shape (n_pairs, n_components)
        Images projected into the shared space (e.g. ``aligner.transform(X)``).
    text_vectors : array-like of shape (n_pairs, n_components)
        Their texts, projected into the same space.
    labels : array-like of shape (n_pairs,) or (n_pairs, n_categories), optional
        Category of each pair, or 0/1 indicator rows for multi-label data.
        With labels an item is relevant when its category equals the query's
        (indicator rows: when they share a category); without, only the
        query's own pair is relevant (MAP is then the mean reciprocal rank of
        the partner).
    metric : str, default="cosine"
        Similarity of the ranking, one of
        :data:`classicx.search.SIMILARITY_METRICS` (``"correlation"`` is the
        centred correlation of Rasiwasia et al., 2010).
    k : int, default=10
        Cutoff of precision@k (and of the ``*_at_k`` extras); reduced to the
        number of pairs when larger.
    extra : collection of str, default=()
        Further measures for ``report.extra``, from :data:`EXTRA_METRICS`:
        ``"map_at_k"`` (AP of the top ``k``, denominator ``R``),
        ``"map_at_r"`` (:func:`map_at_r`), ``"recall_at_k"``
        (:func:`recall_at_k`) and ``"ndcg_at_k"`` (binary :func:`ndcg`).
    dtype : {"float64", "float32"}, default="float64"
        Precision of the similarity products (``"float32"`` is faster and may
        order near-ties differently).

    Returns
    -------
    RetrievalReport
        MAP, precision@k and chance MAP in both directions, ``k``,
        ``n_queries``, the kind of relevance and the extras.

    See Also
    --------
    classicx.model_selection.RetrievalMAPScorer : the same MAP as a scikit-learn scorer.
    mean_average_precision, precision_at_k, chance_average_precision : the measures themselves.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.metrics import evaluate_retrieval
    >>> images = np.array([[1.0, 0.1], [0.9, 0.3], [0.1, 1.0], [0.2, 0.8]])
    >>> texts = np.array([[0.8, 0.5], [1.0, 0.0], [0.0, 1.0], [0.4, 1.0]])
    >>> report = evaluate_retrieval(images, texts, k=1)  # pairs 0 and 1 are swapped
    >>> report.map_image_to_text, report.precision_image_to_text, report.relevance
    (0.75, 0.5, 'the paired item')
    >>> report = evaluate_retrieval(images, texts, labels=[0, 0, 1, 1], k=1, extra=["map_at_r"])
    >>> print(report)
                image→text  text→image
    MAP             1.0000      1.0000
    P@1             1.0000      1.0000
    chance MAP      0.6806      0.6806
    MAP@R           1.0000      1.0000
    (4 queries each way; relevant = same label)
    """
    check_choice(metric, SIMILARITY_METRICS, "metric")
    check_choice(dtype, ("float64", "float32"), "dtype")
    k = check_positive_int(k, "k")
    image_vectors = check_array(image_vectors, name="image_vectors")
    text_vectors = check_array(text_vectors, name="text_vectors")
    check_paired(len(image_vectors), len(text_vectors), "image_vectors", "text_vectors")
    if image_vectors.shape[1] != text_vectors.shape[1]:
        raise ShapeMismatchError(
            f"image_vectors have {image_vectors.shape[1]} features but text_vectors have "
            f"{text_vectors.shape[1]}: both must live in the same shared space"
        )
    if isinstance(extra, str):
        raise InputError(f"extra must be a collection of measure names such as [{extra!r}], not a string")
    for name in extra:
        check_choice(name, tuple(EXTRA_METRICS), "extra")
    n = len(image_vectors)
    if labels is None:
        relevance = np.eye(n, dtype=bool)
        kind = "the paired item"
    else:
        labels = check_labels(labels, n)
        relevance = relevance_from_labels(labels, labels)
        kind = "same label" if labels.ndim == 1 else "shared label"
    k = min(k, n)
    searcher = ExactSearcher(metric=metric, dtype=dtype)
    # gallery, queries, relevance of each direction
    directions = {
        "image_to_text": (text_vectors, image_vectors, relevance),
        "text_to_image": (image_vectors, text_vectors, relevance.T),
    }
    scores: dict[str, dict[str, float]] = {}
    extras: dict[str, float] = {}
    for direction, (gallery, queries, rel) in directions.items():
        _, ranking = searcher.fit(gallery).search(queries, k=None)
        scores[direction] = {
            "map": average_precision(ranking, rel),
            "precision": precision_at_k(ranking, rel, k),
            "chance": chance_average_precision(rel),
        }
        for name in extra:
            extras[f"{name}_{direction}"] = _extra_scores(name, ranking, rel, k)
    return RetrievalReport(
        **{f"{m}_{d}": float(scores[d][m]) for d in DIRECTIONS for m in ("map", "precision", "chance")},
        k=k,
        n_queries=n,
        relevance=kind,
        extra=extras,
    )
