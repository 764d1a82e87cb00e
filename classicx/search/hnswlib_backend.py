"""Approximate search with hnswlib's HNSW graphs."""

from __future__ import annotations

import os
import tempfile
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval

from ..exceptions import ModelFormatError
from .approximate import ApproximateSearcher, import_backend, package_version

__all__ = ["HnswlibSearcher"]


def _hnswlib() -> Any:
    return import_backend("hnswlib", "hnswlib")


class HnswlibSearcher(ApproximateSearcher):
    """k-NN search with an hnswlib HNSW graph; vectors can be added after building.

    Parameters
    ----------
    metric : str, default="cosine"
        ``"inner_product"``, ``"cosine"``, ``"correlation"`` (hnswlib's
        ``ip`` space, on normalised / centred vectors for the last two),
        ``"euclidean"`` or ``"cosine_distance"`` (its ``l2`` space).
    M : int, default=16
        Graph degree (memory and recall grow with it).
    ef_construction : int, default=200
        Candidate list size while building.
    ef_search : int, default=64
        Candidate list size while searching (at least ``k`` is used);
        the recall/speed trade-off.
    n_jobs : int, default=1
        Threads for building and searching. With more than one, the graph
        depends on thread scheduling, so only ``n_jobs=1`` is reproducible.
    random_state : int, default=0
        Seed of the level assignment (a non-negative int: hnswlib takes no
        ``RandomState``).

    Attributes
    ----------
    index_bytes_ : ndarray of uint8
        The graph as written by hnswlib's ``save_index`` (see
        :mod:`classicx.search.approximate`).
    backend_version_ : str
    labels_, metric_, n_items_, n_features_in_
        As for :class:`~classicx.search.ExactSearcher`.

    See Also
    --------
    ExactSearcher, FaissSearcher, make_searcher

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.search import HnswlibSearcher
    >>> rng = np.random.default_rng(0)
    >>> gallery = rng.normal(size=(300, 8)).astype(np.float32)
    >>> searcher = HnswlibSearcher(metric="cosine").fit(gallery[:200]).add(gallery[200:])
    >>> len(searcher), searcher.search(gallery[250:251], k=1)[1].item()
    (300, 250)
    """

    backend = "hnswlib"

    def __init__(
        self,
        metric: str = "cosine",
        M: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.metric = metric
        self.M = M
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.n_jobs = n_jobs
        self.random_state = random_state

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **ApproximateSearcher._parameter_constraints,
        "M": [Interval(Integral, 1, None, closed="left")],
        "ef_construction": [Interval(Integral, 1, None, closed="left")],
        "ef_search": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # With several threads the graph depends on thread scheduling.
        tags.non_deterministic = self.n_jobs != 1
        return tags

    def _import_backend(self) -> Any:
        return _hnswlib()

    def _space(self) -> str:
        return "ip" if self._kind() == "ip" else "l2"

    def _threads(self) -> int:
        return -1 if self.n_jobs in (None, -1) else int(self.n_jobs)

    def _new_index(self, gallery: np.ndarray) -> Any:
        index = _hnswlib().Index(space=self._space(), dim=gallery.shape[1])
        index.init_index(
            max_elements=len(gallery), M=int(self.M), ef_construction=int(self.ef_construction),
            random_seed=int(self.random_state),
        )
        index.add_items(gallery, np.arange(len(gallery)), num_threads=self._threads())
        return index

    def _add_to_index(self, index: Any, vectors: np.ndarray, start: int) -> None:
        index.resize_index(start + len(vectors))
        index.add_items(vectors, np.arange(start, start + len(vectors)), num_threads=self._threads())

    def _query(self, index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        index.set_ef(max(int(self.ef_search), k))
        try:
            ids, distances = index.knn_query(queries, k=k, num_threads=self._threads())
        except RuntimeError:
            # hnswlib refuses when it finds fewer than k items; ask with a wider search.
            index.set_ef(max(int(self.ef_search), 4 * k))
            ids, distances = index.knn_query(queries, k=k, num_threads=self._threads())
        return distances, ids.astype(np.int64)

    def _to_scores(self, distances: np.ndarray) -> np.ndarray:
        if self._space() == "ip":
            return 1 - distances  # hnswlib's ip space reports 1 - <q, g>
        return -np.sqrt(np.maximum(distances, 0))

    def _serialize(self, index: Any) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "index.hnsw")
            index.save_index(path)
            with open(path, "rb") as fh:
                return fh.read()

    def _deserialize(self, data: np.ndarray) -> Any:
        self._check_header(np.asarray(data, dtype=np.uint8))
        index = _hnswlib().Index(space=self._space(), dim=int(self.n_features_in_))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "index.hnsw")
            np.asarray(data, dtype=np.uint8).tofile(path)
            index.load_index(path, max_elements=int(self.n_items_))
        return index

    def _check_header(self, data: np.ndarray) -> None:
        # hnswlib's load_index trusts the dimension it is given, so read it from
        # the file header (HierarchicalNSW::saveIndex: six size_t fields, the
        # vector bytes lying between offsetData and label_offset).
        if len(data) < 48:
            raise ValueError(f"{len(data)} bytes is too short for an hnswlib index")
        _, _, count, _, label_offset, data_offset = data[:48].view("<u8").tolist()
        dim = (label_offset - data_offset) // 4
        if dim != self.n_features_in_ or count != self.n_items_:
            raise ModelFormatError(
                f"the saved hnswlib index has {dim} dimensions and {count} vectors but the "
                f"metadata says {self.n_features_in_} and {self.n_items_}"
            )

    def _backend_version(self) -> str:
        return package_version("hnswlib")
