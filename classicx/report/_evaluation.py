"""An evaluation with what a person needs to look at it: PR curves and example queries with their hits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..metrics import RetrievalReport, evaluate_retrieval, precision_recall_curve, relevance_from_labels
from ..search import ExactSearcher
from ..utils.validation import check_images, check_is_fitted, check_labels, check_paired, check_texts

__all__ = ["Example", "EvaluationDetails", "evaluation_details", "pick_examples"]


@dataclass(frozen=True)
class Example:
    """One example query of an evaluation and its best hits among the evaluation pairs."""

    index: int
    id: str
    label: str | None
    text: str
    image: Any
    hits: list


@dataclass
class EvaluationDetails:
    """What :func:`evaluation_details` computes.

    Attributes
    ----------
    report : RetrievalReport
        The same scores as ``retriever.evaluate``.
    curves : dict
        ``"image_to_text"`` / ``"text_to_image"`` -> ``(precision, recall)``
        after each rank, averaged over queries (:func:`classicx.metrics.precision_recall_curve`).
    examples : dict
        Direction -> list of :class:`Example`.
    gallery_images : dict
        Evaluation row -> image, for showing image hits that have no file.
    seed : int
        The seed that chose the examples.
    """

    report: RetrievalReport
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    examples: dict[str, list[Example]] = field(default_factory=dict)
    gallery_images: dict[int, Any] = field(default_factory=dict)
    seed: int = 0


def pick_examples(labels: Any, n: int, seed: int = 0, n_items: int | None = None) -> list[int]:
    """``n`` row indices chosen from ``seed`` alone (never from results), spread over the categories.

    With 1-D labels the rows come from as many different categories as
    possible (categories in a random order, a random row of each); otherwise
    they are a random sample.

    Examples
    --------
    >>> pick_examples([0, 0, 1, 1, 2, 2], 3, seed=0) == pick_examples([0, 0, 1, 1, 2, 2], 3, seed=0)
    True
    >>> sorted({[0, 0, 1, 1, 2, 2][i] for i in pick_examples([0, 0, 1, 1, 2, 2], 3, seed=0)})
    [0, 1, 2]
    """
    rng = np.random.RandomState(seed)
    if labels is None or np.ndim(labels) != 1:
        total = len(labels) if labels is not None else int(n_items or 0)
        return [int(i) for i in rng.permutation(total)[:n]]
    labels = np.asarray(labels)
    categories = rng.permutation(np.unique(labels))
    pools = {c: list(rng.permutation(np.flatnonzero(labels == c))) for c in categories}
    chosen: list[int] = []
    while len(chosen) < min(n, len(labels)):
        for c in categories:
            if pools[c] and len(chosen) < n:
                chosen.append(int(pools[c].pop()))
    return chosen


def _ranking_settings(retriever: Any) -> tuple[str, str]:
    # As CrossModalRetriever.evaluate: the metric and precision of its gallery searchers
    # (tests/test_cli.py checks that the scores agree with evaluate's).
    metric = getattr(retriever.text_gallery_, "metric", "cosine")
    dtype = getattr(retriever.text_gallery_, "dtype", "float32")
    return metric, dtype if dtype in ("float32", "float64") else "float32"


def evaluation_details(
    retriever: Any,
    images: Sequence[Any],
    texts: Sequence[str],
    labels: Any = None,
    *,
    ids: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    k: int = 10,
    n_examples: int = 4,
    n_hits: int = 5,
    seed: int = 0,
) -> EvaluationDetails:
    """Evaluate like ``retriever.evaluate`` and keep the curves and a few example queries.

    Parameters
    ----------
    retriever : fitted CrossModalRetriever
    images, texts, labels :
        The evaluation pairs, as for ``retriever.evaluate``.
    ids : sequence of str, optional
        Pair ids shown with the examples; default the row numbers.
    categories : sequence of str, optional
        Label names.
    k : int, default=10
        Cutoff of precision@k.
    n_examples : int, default=4
        Example queries per direction, chosen by :func:`pick_examples` from ``seed``.
    n_hits : int, default=5
        Hits shown per example.
    seed : int, default=0

    Returns
    -------
    EvaluationDetails
    """
    from ..retriever import Hit, _label_names

    check_is_fitted(retriever, "aligner_")
    images, texts = check_images(images), check_texts(texts)
    check_paired(len(images), len(texts))
    labels = None if labels is None else check_labels(labels, len(texts))
    n = len(texts)
    ids = [str(i) for i in range(n)] if ids is None else [str(i) for i in ids]
    metric, dtype = _ranking_settings(retriever)
    image_vectors = retriever.transform_images(images)
    text_vectors = retriever.transform_texts(texts)
    report = evaluate_retrieval(image_vectors, text_vectors, labels, metric=metric, k=k, dtype=dtype)
    relevance = np.eye(n, dtype=bool) if labels is None else relevance_from_labels(labels, labels)
    names = _label_names(labels, categories)
    files = [str(image) if isinstance(image, str) else None for image in images]
    searcher = ExactSearcher(metric=metric, dtype=dtype)
    chosen = pick_examples(labels, n_examples, seed, n_items=n)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    examples: dict[str, list[Example]] = {}
    for direction, gallery, queries, rel in (
        ("image_to_text", text_vectors, image_vectors, relevance),
        ("text_to_image", image_vectors, text_vectors, relevance.T),
    ):
        scores, ranking = searcher.fit(gallery).search(queries, k=None)
        precision, recall = precision_recall_curve(ranking, rel)
        curves[direction] = (precision, recall)
        examples[direction] = [
            Example(
                index=q, id=ids[q], label=None if names is None else names[q], text=texts[q], image=images[q],
                hits=[
                    Hit(rank=r + 1, index=int(i), id=ids[int(i)], score=float(scores[q, r]),
                        content=texts[int(i)] if direction == "image_to_text" else (files[int(i)] or ids[int(i)]),
                        label=None if names is None else names[int(i)], text=texts[int(i)], file=files[int(i)])
                    for r, i in enumerate(ranking[q, :n_hits])
                ],
            )
            for q in chosen
        ]
    shown = {h.index for e in examples["text_to_image"] for h in e.hits}
    shown |= {e.index for e in examples["image_to_text"]}
    shown |= {h.index for e in examples["image_to_text"] for h in e.hits}
    gallery_images = {i: images[i] for i in shown if files[i] is None}
    return EvaluationDetails(report=report, curves=curves, examples=examples, gallery_images=gallery_images,
                             seed=seed)
