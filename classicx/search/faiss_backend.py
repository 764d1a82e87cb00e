"""Approximate (and exact) search with faiss, configured by an ``index_factory`` string."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from ..exceptions import InputError, ModelFormatError, ParameterError
from .approximate import ApproximateSearcher, import_backend

__all__ = ["FaissSearcher"]

logger = logging.getLogger(__name__)


def _faiss() -> Any:
    return import_backend("faiss", "faiss-cpu")


class FaissSearcher(ApproximateSearcher):
    """k-NN search with a faiss index built from an ``index_factory`` spec string.

    Parameters
    ----------
    index : str, default="HNSW32"
        A faiss ``index_factory`` string, for example ``"Flat"`` (exact),
        ``"IVF256,Flat"``, ``"HNSW32"``, ``"IVF256,PQ16"`` (product
        quantisation), ``"IVF256,PQ16,RFlat"`` (re-ranked with exact scores), ``"LSH256r"``
        (random-hyperplane LSH: 256 sign bits of a random rotation, ranked by
        Hamming distance) or ``"LSH256r,RFlat"`` (LSH candidates re-ranked
        exactly; not for ``metric="inner_product"``). Indexes that need training
        (IVF, PQ) are trained on the gallery given to ``fit``.
    metric : str, default="cosine"
        ``"inner_product"``, ``"cosine"`` and ``"correlation"`` use faiss's
        inner-product metric (cosine and correlation on normalised / centred
        vectors); ``"euclidean"`` and ``"cosine_distance"`` its L2 metric.
    search_params : dict, optional
        faiss search-time parameters set through ``faiss.ParameterSpace`` at
        each search (so they can be changed with ``set_params`` after ``fit``),
        e.g. ``{"nprobe": 16}`` for IVF, ``{"efSearch": 128}`` for HNSW or
        ``{"k_factor_rf": 8}`` for the candidates re-ranked by ``RFlat``.
    verbose : bool, default=False
        Let faiss report training progress.

    Attributes
    ----------
    index_bytes_ : ndarray of uint8
        The index as written by ``faiss.serialize_index`` (see
        :mod:`classicx.search.approximate` for the persistence design).
    backend_version_ : str
        faiss version that wrote it.
    labels_, metric_, n_items_, n_features_in_
        As for :class:`~classicx.search.ExactSearcher`.

    Notes
    -----
    Scores: the inner product (or cosine/correlation) for inner-product
    metrics, minus the Euclidean distance for L2 metrics, and minus the
    Hamming distance for a bare ``LSH`` index. faiss uses its own fixed random
    seeds (k-means, rotations), so results are reproducible. Slots an index
    could not fill (e.g. IVF with few probes) hold index -1 and score -inf.

    See Also
    --------
    ExactSearcher : the exact reference.
    make_searcher : ``make_searcher("faiss:IVF256,Flat")``.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.search import FaissSearcher
    >>> rng = np.random.default_rng(0)
    >>> gallery = rng.normal(size=(200, 8)).astype(np.float32)
    >>> searcher = FaissSearcher("Flat", metric="euclidean").fit(gallery)
    >>> scores, indices = searcher.search(gallery[:2], k=1)
    >>> indices.ravel().tolist(), scores.ravel().tolist()
    ([0, 1], [-0.0, -0.0])
    """

    backend = "faiss"

    def __init__(
        self,
        index: str = "HNSW32",
        metric: str = "cosine",
        search_params: dict | None = None,
        verbose: bool = False,
    ) -> None:
        self.index = index
        self.metric = metric
        self.search_params = search_params
        self.verbose = verbose

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **ApproximateSearcher._parameter_constraints,
        "index": [str],
        "search_params": [dict, None],
        "verbose": ["verbose"],
    }

    def _import_backend(self) -> Any:
        return _faiss()

    def _check_params(self) -> None:
        super()._check_params()
        if not self.index:
            raise ParameterError(
                "The 'index' parameter of FaissSearcher must be a faiss index_factory string such as "
                f"'IVF256,Flat'. Got {self.index!r} instead."
            )
        if self._uses_lsh() and self.metric == "inner_product":
            raise ParameterError(
                "LSH ranks by angle, which does not order raw inner products; use metric='cosine' "
                "(or 'correlation', 'euclidean', 'cosine_distance') with an LSH index"
            )

    def _faiss_metric(self) -> int:
        faiss = _faiss()
        # faiss builds LSH only with the L2 metric; on unit vectors (cosine,
        # correlation) L2 ranks like the inner product, so that is used instead.
        if self._kind() == "ip" and not self._uses_lsh():
            return faiss.METRIC_INNER_PRODUCT
        return faiss.METRIC_L2

    def _uses_lsh(self) -> bool:
        return "LSH" in self.index.upper()

    def _is_hamming(self, index: Any) -> bool:
        faiss = _faiss()
        return isinstance(faiss.downcast_index(index), faiss.IndexLSH)

    def _apply_search_params(self, index: Any) -> None:
        faiss = _faiss()
        space = faiss.ParameterSpace()
        for name, value in (self.search_params or {}).items():
            try:
                space.set_index_parameter(index, name, value)
            except RuntimeError as exc:
                raise InputError(
                    f"search parameter {name}={value!r} does not apply to the faiss index "
                    f"{self.index!r}: {str(exc).strip().splitlines()[-1]}"
                ) from exc

    def _new_index(self, gallery: np.ndarray) -> Any:
        faiss = _faiss()
        try:
            index = faiss.index_factory(gallery.shape[1], self.index, self._faiss_metric())
        except RuntimeError as exc:
            raise InputError(
                f"faiss cannot build index {self.index!r} for {gallery.shape[1]} dimensions: "
                f"{str(exc).strip().splitlines()[-1]}"
            ) from exc
        index.verbose = bool(self.verbose)
        if not index.is_trained:
            logger.info("training faiss index %s on %d vectors", self.index, len(gallery))
            try:
                index.train(gallery)
            except RuntimeError as exc:
                raise InputError(
                    f"faiss could not train {self.index!r} on {len(gallery)} vectors (IVF and PQ "
                    f"need at least as many vectors as centroids): {str(exc).strip().splitlines()[-1]}"
                ) from exc
        index.add(gallery)
        self._apply_search_params(index)  # reject parameters that do not fit, at fit time
        return index

    def _add_to_index(self, index: Any, vectors: np.ndarray, start: int) -> None:
        try:
            index.add(vectors)
        except RuntimeError as exc:
            raise InputError(
                f"the faiss index {self.index!r} does not accept new vectors: "
                f"{str(exc).strip().splitlines()[-1]}; fit it again on all vectors"
            ) from exc

    def _query(self, index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        # Applied at every search so that set_params(search_params=...) works on a fitted index.
        self._apply_search_params(index)
        hnsw = faiss.downcast_index(index)
        if not isinstance(hnsw, faiss.IndexHNSW) or hnsw.hnsw.efSearch >= k:
            return index.search(queries, k)
        # faiss's HNSW returns at most about efSearch results, so a large k
        # (e.g. over-fetching for a filter) needs a wider search for this call.
        saved = hnsw.hnsw.efSearch
        hnsw.hnsw.efSearch = k
        try:
            return index.search(queries, k)
        finally:
            hnsw.hnsw.efSearch = saved

    def _to_scores(self, distances: np.ndarray) -> np.ndarray:
        if self._is_hamming(self._live_index()):
            return -distances
        if self._kind() == "ip":
            if self._faiss_metric() == _faiss().METRIC_L2:
                return 1 - distances / 2  # |a - b|^2 = 2 - 2 cos for unit vectors
            return distances
        return -np.sqrt(np.maximum(distances, 0))

    def _serialize(self, index: Any) -> np.ndarray:
        return _faiss().serialize_index(index)

    def _deserialize(self, data: np.ndarray) -> Any:
        return _faiss().deserialize_index(np.ascontiguousarray(data, dtype=np.uint8))

    def _check_index(self, index: Any) -> None:
        if index.d != self.n_features_in_ or index.ntotal != self.n_items_:
            raise ModelFormatError(
                f"the saved faiss index has {index.d} dimensions and {index.ntotal} vectors but "
                f"the metadata says {self.n_features_in_} and {self.n_items_}"
            )
        if not self._is_hamming(index) and index.metric_type != self._faiss_metric():
            raise ModelFormatError(
                f"the saved faiss index does not use the metric the metadata names ({self.metric_!r})"
            )

    def _backend_version(self) -> str:
        return str(_faiss().__version__)
