"""Retrieval scorers, so that aligners can be tuned with scikit-learn's ``GridSearchCV``.

A scorer is called as ``scorer(estimator, X, Y, labels=None)`` on a held-out
fold: it projects both views with the fitted aligner, ranks the whole other
view for every query by similarity in the shared space and returns the mean
average precision (higher is better, as ``GridSearchCV`` expects), all through
:func:`classicx.metrics.evaluate_retrieval`, the evaluation the retriever and
the benchmarks use as well.

How the labels reach the scorer
-------------------------------
``GridSearchCV`` gives a scorer only the held-out ``X`` and ``Y``. Category
labels travel through scikit-learn's metadata routing, which splits them
per fold exactly as it splits ``X`` and ``Y``::

    import sklearn
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(RegularizedCCA(), {"reg": [1e-3, 1e-1]},
                              scoring=retrieval_map_scorer(), cv=3)
        search.fit(X, Y, labels=labels)

classicx aligners request ``labels`` in ``fit`` by default, and the scorer
requests them too, so nothing else is needed. Without routing (or with
``relevance="pairs"``) the relevant item of a query is only its own pair,
which needs no labels: MAP is then the mean reciprocal rank of the true
partner, a label-free measure of how well the two views are aligned.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRequest

from .exceptions import InputError
from .metrics import evaluate_retrieval
from .utils.validation import check_choice, check_positive_int

__all__ = ["RetrievalMAPScorer", "retrieval_map_scorer"]

_DIRECTIONS = ("both", "image_to_text", "text_to_image")
_RELEVANCE = ("labels", "pairs")


def _project(estimator: Any, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project both views; a Pipeline transforms ``X`` through all its steps and ``Y`` through the last."""
    if isinstance(estimator, Pipeline):
        return estimator.transform(X), estimator[-1].transform_y(Y)
    return estimator.transform(X), estimator.transform_y(Y)


class RetrievalMAPScorer:
    """Cross-modal retrieval MAP as a scikit-learn scorer.

    Parameters
    ----------
    direction : {"both", "image_to_text", "text_to_image"}, default="both"
        ``"image_to_text"`` uses the projected ``X`` rows as queries and the
        projected ``Y`` rows as the gallery; ``"both"`` averages the two
        directions.
    relevance : {"labels", "pairs"}, default="labels"
        ``"labels"``: a gallery item is relevant when it shares a category
        with the query (:func:`classicx.metrics.relevance_from_labels`);
        needs ``labels`` (see the module docstring). ``"pairs"``: only the
        query's own pair is relevant.
    metric : str, default="cosine"
        Similarity of :class:`classicx.search.ExactSearcher` (for instance
        ``"correlation"``, the centred correlation of Rasiwasia et al.).
    k : int, optional
        MAP@k (AP of the top ``k``, divided by the number of relevant items)
        instead of MAP over the full ranking; reduced to the number of
        held-out pairs when larger.

    See Also
    --------
    retrieval_map_scorer : the same, as a function for ``GridSearchCV(scoring=...)``.
    classicx.metrics.evaluate_retrieval : the evaluation behind the score.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.model_selection import RetrievalMAPScorer
    >>> from classicx.subspace import RegularizedCCA
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat([0, 1], 20)
    >>> X = rng.normal(size=(40, 3)) + labels[:, None]
    >>> Y = rng.normal(size=(40, 3)) + labels[:, None]
    >>> cca = RegularizedCCA(n_components=1).fit(X, Y)
    >>> round(RetrievalMAPScorer()(cca, X, Y, labels=labels), 4)  # chance level: 0.5420
    0.7281
    >>> round(RetrievalMAPScorer(relevance="pairs")(cca, X, Y), 4)  # the partner's reciprocal rank
    0.1146
    """

    def __init__(
        self, direction: str = "both", relevance: str = "labels", metric: str = "cosine", k: int | None = None
    ) -> None:
        # Not an estimator (never cloned or tuned): checked at once, where the mistake is made.
        self.direction = check_choice(direction, _DIRECTIONS, "direction")
        self.relevance = check_choice(relevance, _RELEVANCE, "relevance")
        self.metric = metric
        self.k = None if k is None else check_positive_int(k, "k")

    def __repr__(self) -> str:
        return (
            f"RetrievalMAPScorer(direction={self.direction!r}, relevance={self.relevance!r}, "
            f"metric={self.metric!r}, k={self.k!r})"
        )

    def get_metadata_routing(self) -> MetadataRequest:
        """Ask scikit-learn's metadata routing for ``labels`` when they are used."""
        request = MetadataRequest(owner=self)
        if self.relevance == "labels":
            request.score.add_request(param="labels", alias=True)
        return request

    def __call__(self, estimator: Any, X: Any, Y: Any, labels: Any = None) -> float:
        """Return the retrieval MAP of the fitted ``estimator`` on the pairs ``(X, Y)``.

        Both views are projected with ``estimator`` and scored by
        :func:`classicx.metrics.evaluate_retrieval` (exact ranking in float64).
        """
        if self.relevance == "labels" and labels is None:
            raise InputError(
                "relevance='labels' needs the labels of the held-out pairs: call "
                "scorer(estimator, X, Y, labels=...), or inside GridSearchCV enable metadata "
                "routing (sklearn.set_config(enable_metadata_routing=True)) and pass "
                "labels=... to GridSearchCV.fit; or use relevance='pairs'"
            )
        X_proj, Y_proj = _project(estimator, X, Y)
        report = evaluate_retrieval(
            X_proj,
            Y_proj,
            labels if self.relevance == "labels" else None,
            metric=self.metric,
            k=10 if self.k is None else self.k,
            extra=() if self.k is None else ("map_at_k",),
        )
        if self.k is None:
            scores = {"image_to_text": report.map_image_to_text, "text_to_image": report.map_text_to_image}
        else:
            scores = {d: report.extra[f"map_at_k_{d}"] for d in ("image_to_text", "text_to_image")}
        if self.direction == "both":
            return float(np.mean([scores["image_to_text"], scores["text_to_image"]]))
        return float(scores[self.direction])


def retrieval_map_scorer(
    direction: str = "both", relevance: str = "labels", metric: str = "cosine", k: int | None = None
) -> RetrievalMAPScorer:
    """Make a retrieval-MAP scorer for ``GridSearchCV(scoring=...)``.

    See the module docstring for how labels reach it.

    Parameters
    ----------
    direction, relevance, metric, k
        As for :class:`RetrievalMAPScorer`.

    Returns
    -------
    RetrievalMAPScorer

    See Also
    --------
    RetrievalMAPScorer : the scorer itself.
    classicx.metrics.evaluate_retrieval : the evaluation behind the score.

    Examples
    --------
    >>> import numpy as np, sklearn
    >>> from sklearn.model_selection import GridSearchCV
    >>> from classicx.model_selection import retrieval_map_scorer
    >>> from classicx.subspace import RegularizedCCA
    >>> rng = np.random.default_rng(0)
    >>> labels = np.tile([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 4)) + labels[:, None]
    >>> Y = rng.normal(size=(90, 4)) + labels[:, None]
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     search = GridSearchCV(RegularizedCCA(n_components=1), {"reg": [0.0, 0.5]},
    ...                           scoring=retrieval_map_scorer(), cv=3).fit(X, Y, labels=labels)
    >>> sorted(search.best_params_), round(float(search.best_score_), 3)
    (['reg'], 0.592)
    """
    return RetrievalMAPScorer(direction=direction, relevance=relevance, metric=metric, k=k)
