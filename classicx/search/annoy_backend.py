"""Approximate search with annoy's random-projection tree forests."""

from __future__ import annotations

import os
import tempfile
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, Options

from ..exceptions import InputError, ModelFormatError
from .approximate import ApproximateSearcher, import_backend, package_version

__all__ = ["AnnoySearcher"]

# classicx metric -> annoy metric
_ANNOY_METRICS = {
    "inner_product": "dot",
    "cosine": "angular",
    "correlation": "angular",
    "cosine_distance": "angular",
    "euclidean": "euclidean",
}


def _annoy() -> Any:
    return import_backend("annoy", "annoy")


class AnnoySearcher(ApproximateSearcher):
    """k-NN search with an annoy forest of random-projection trees.

    annoy cannot add items to a built forest: :meth:`add` raises
    :class:`~classicx.exceptions.InputError`; fit again on all vectors, or use
    :class:`HnswlibSearcher` or :class:`FaissSearcher`, which can grow.

    Parameters
    ----------
    metric : str, default="cosine"
        ``"cosine"``, ``"correlation"`` and ``"cosine_distance"`` use annoy's
        ``angular`` metric, ``"inner_product"`` its ``dot`` metric and
        ``"euclidean"`` its ``euclidean`` metric.
    n_trees : int, default=50
        Trees in the forest (build time, memory and recall grow with it).
    search_k : int, default=-1
        Nodes inspected per query; -1 means annoy's default ``n_trees * k``.
    n_jobs : int, default=1
        Threads for building (-1: all cores). With more than one, the forest
        depends on thread scheduling, so only ``n_jobs=1`` is reproducible.
    random_state : int, default=0
        Seed of the random projections (a non-negative int: annoy takes no
        ``RandomState``).

    Attributes
    ----------
    index_bytes_ : ndarray of uint8
        The forest as written by annoy's ``save`` (see
        :mod:`classicx.search.approximate`).
    backend_version_ : str
    labels_, metric_, n_items_, n_features_in_
        As for :class:`~classicx.search.ExactSearcher`.

    See Also
    --------
    ExactSearcher, FaissSearcher, HnswlibSearcher, make_searcher

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.search import AnnoySearcher
    >>> rng = np.random.default_rng(0)
    >>> gallery = rng.normal(size=(300, 8)).astype(np.float32)
    >>> searcher = AnnoySearcher(metric="euclidean", n_trees=10).fit(gallery)
    >>> searcher.search(gallery[7:8], k=1)[1].item()
    7
    """

    backend = "annoy"

    def __init__(
        self,
        metric: str = "cosine",
        n_trees: int = 50,
        search_k: int = -1,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.metric = metric
        self.n_trees = n_trees
        self.search_k = search_k
        self.n_jobs = n_jobs
        self.random_state = random_state

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **ApproximateSearcher._parameter_constraints,
        "n_trees": [Interval(Integral, 1, None, closed="left")],
        "search_k": [Options(Integral, {-1}), Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Trees built by several threads depend on thread scheduling.
        tags.non_deterministic = self.n_jobs != 1
        return tags

    def _import_backend(self) -> Any:
        return _annoy()

    def _annoy_metric(self) -> str:
        return _ANNOY_METRICS[self.metric]

    def _new_index(self, gallery: np.ndarray) -> Any:
        index = _annoy().AnnoyIndex(gallery.shape[1], self._annoy_metric())
        index.set_seed(int(self.random_state))
        for i, vector in enumerate(gallery):
            index.add_item(i, vector)
        index.build(int(self.n_trees), n_jobs=-1 if self.n_jobs is None else int(self.n_jobs))
        return index

    def _add_to_index(self, index: Any, vectors: np.ndarray, start: int) -> None:
        raise InputError(
            "annoy cannot add vectors to a built index; fit the AnnoySearcher again on all "
            "vectors, or use HnswlibSearcher / FaissSearcher, which accept add()"
        )

    def _query(self, index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        distances = np.zeros((len(queries), k))
        for row, vector in enumerate(queries):
            found, dist = index.get_nns_by_vector(vector, k, int(self.search_k), include_distances=True)
            ids[row, : len(found)] = found
            distances[row, : len(found)] = dist
        return distances, ids

    def _to_scores(self, distances: np.ndarray) -> np.ndarray:
        metric = self.metric
        if metric == "inner_product":
            return distances  # annoy's "dot" reports the inner product itself
        if metric in ("cosine", "correlation"):
            return 1 - distances**2 / 2  # angular distance is sqrt(2 - 2 cos)
        return -distances

    def _index_file(self) -> str:
        # annoy memory-maps its file (save() reloads the index from it), so the
        # file lives in a private temporary directory as long as this searcher.
        if getattr(self, "_tmpdir", None) is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="classicx-annoy-")
        self._n_files = getattr(self, "_n_files", 0) + 1
        return os.path.join(self._tmpdir.name, f"index{self._n_files}.ann")

    def _serialize(self, index: Any) -> bytes:
        path = self._index_file()
        index.save(path)
        with open(path, "rb") as fh:
            return fh.read()

    def _deserialize(self, data: np.ndarray) -> Any:
        index = _annoy().AnnoyIndex(int(self.n_features_in_), self._annoy_metric())
        path = self._index_file()
        np.asarray(data, dtype=np.uint8).tofile(path)
        index.load(path)
        return index

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_tmpdir", None)
        state.pop("_n_files", None)
        return state

    def _check_index(self, index: Any) -> None:
        if index.f != self.n_features_in_ or index.get_n_items() != self.n_items_:
            raise ModelFormatError(
                f"the saved annoy index has {index.f} dimensions and {index.get_n_items()} "
                f"vectors but the metadata says {self.n_features_in_} and {self.n_items_}"
            )

    def _backend_version(self) -> str:
        return package_version("annoy")
