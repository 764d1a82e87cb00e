"""Shared machinery of the approximate (ANN) backends: metrics, persistence, filtering.

Persistence design
------------------
An ANN index is not an array, but :mod:`classicx.persistence` stores only
arrays and JSON. Each backend therefore serialises its index with its *own*
writer (``faiss.serialize_index``, hnswlib's ``save_index``, annoy's ``save``)
into a ``uint8`` array kept as the fitted attribute ``index_bytes_``; it is
refreshed after ``fit`` and every ``add``. ``searcher.save(dir)`` then writes
those bytes to ``arrays.npz`` (read back without pickle) next to
``classicx.json``, which records the backend, its version, the metric, the
dimension and the classicx version. On load the live index is rebuilt from
the bytes on first use, and a dimension or metric that does not match the
metadata raises :class:`~classicx.exceptions.ModelFormatError`.

This keeps one saved file format for every estimator (a retriever holding a
searcher saves as one directory) and avoids rebuilding (or re-training) the
index on load, at the cost of holding one serialised copy of the index in
memory next to the live one.

Filtering
---------
``allow_ids``/``allow_labels`` are applied by over-fetching: the backend is
asked for about ``k / fraction_allowed`` neighbours (doubling until every
query has ``k`` allowed results or the whole gallery was requested) and the
disallowed ones are dropped. Very selective filters thus cost more; for a
small allowed subset an :class:`~classicx.search.ExactSearcher` fitted on the
subset is exact and fast.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any

import numpy as np

from ..exceptions import BackendUnavailableError, ModelFormatError, ParameterError
from ._topk import sort_rows
from .base import BaseSearcher
from .similarity import get_measure

__all__ = ["APPROXIMATE_METRICS", "ApproximateSearcher", "import_backend"]

# metric -> (kind of native search, how native results become scores)
#   "ip": the backend ranks by inner product; "l2": by (squared or plain) Euclidean distance.
APPROXIMATE_METRICS = {
    "inner_product": "ip",
    "cosine": "ip",
    "correlation": "ip",
    "euclidean": "l2",
    "cosine_distance": "l2",
}


def import_backend(module: str, package: str) -> Any:
    """Import an optional backend lazily, or raise :class:`BackendUnavailableError`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailableError(
            f"this searcher needs {package!r}, which is not installed: "
            f"pip install 'classicx[ann]' (or pip install {package})"
        ) from exc


def package_version(package: str) -> str:
    """The installed version of the distribution ``package``, or ``"unknown"``."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


class ApproximateSearcher(BaseSearcher):
    """Base of the ANN backends; subclasses wrap one library's index.

    Subclasses set ``backend`` (a name) and implement ``_import_backend()``
    (called by ``fit``, so a missing library is reported before any work),
    ``_new_index(gallery)``, ``_add_to_index(index, vectors, start)``,
    ``_query(index, queries, k)`` returning native ``(distances, ids)``,
    ``_to_scores(distances)``, ``_serialize(index)``, ``_deserialize(data)``
    and ``_backend_version()``.

    Parameters
    ----------
    metric : str
        One of ``"inner_product"``, ``"cosine"``, ``"correlation"``,
        ``"euclidean"``, ``"cosine_distance"``; ``kl`` and ``jensenshannon``
        need :class:`~classicx.search.ExactSearcher`.

    See Also
    --------
    FaissSearcher, HnswlibSearcher, AnnoySearcher : the backends.
    ExactSearcher : the exact reference they are measured against.

    Examples
    --------
    >>> from classicx.search import ApproximateSearcher, HnswlibSearcher
    >>> issubclass(HnswlibSearcher, ApproximateSearcher)
    True
    """

    backend = ""
    dtype = "float32"

    def _check_params(self) -> None:
        # Every similarity metric passes the constraints; this says which ones an ANN index can use.
        if self.metric not in APPROXIMATE_METRICS:
            raise ParameterError(
                f"The 'metric' parameter of {type(self).__name__} must be one of "
                f"{sorted(APPROXIMATE_METRICS)}: {self.metric!r} is not available with the "
                f"{self.backend} backend; use ExactSearcher for it"
            )
        self._import_backend()

    def _import_backend(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _kind(self) -> str:
        return APPROXIMATE_METRICS[self.metric]

    def _prepare(self, X: np.ndarray, name: str) -> np.ndarray:
        prepared = get_measure(self.metric).prepare_gallery(X, name)
        return np.ascontiguousarray(prepared, dtype=np.float32)

    # -- persistence ------------------------------------------------------------------
    def _store(self, index: Any) -> None:
        self._index = index
        self.index_bytes_ = np.frombuffer(self._serialize(index), dtype=np.uint8).copy()
        self.backend_ = self.backend
        self.backend_version_ = self._backend_version()

    def _live_index(self) -> Any:
        index = getattr(self, "_index", None)
        if index is None:
            try:
                index = self._deserialize(self.index_bytes_)
            except ModelFormatError:
                raise
            except (RuntimeError, OSError, ValueError) as exc:
                raise ModelFormatError(
                    f"cannot read the saved {self.backend_} index (written by {self.backend_} "
                    f"{self.backend_version_}, this is {self._backend_version()}): {exc}"
                ) from exc
            self._check_index(index)
            self._index = index
        return index

    def _check_index(self, index: Any) -> None:
        """Raise ModelFormatError if a restored index contradicts the saved metadata."""

    def __getstate__(self) -> dict:
        # The live index is a C++ object; copies and pickles rebuild it from index_bytes_.
        state = self.__dict__.copy()
        state.pop("_index", None)
        return state

    # -- BaseSearcher hooks ----------------------------------------------------------
    def _build(self, gallery: np.ndarray) -> None:
        self._store(self._new_index(self._prepare(gallery, "gallery")))

    def _extend(self, vectors: np.ndarray) -> None:
        index = self._live_index()
        self._add_to_index(index, self._prepare(vectors, "vectors"), self.n_items_)
        self._store(index)

    def _search(self, queries: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        index = self._live_index()
        Q = self._prepare(queries, "queries")
        n = self.n_items_
        if mask is None:
            return self._finish(*self._query(index, Q, k))
        fraction = mask.sum() / n
        fetch = min(n, int(np.ceil(1.5 * k / fraction)))
        while True:
            distances, ids = self._query(index, Q, fetch)
            ok = (ids >= 0) & mask[np.maximum(ids, 0)]
            if fetch >= n or (ok.sum(axis=1) >= k).all():
                break
            fetch = min(n, 2 * fetch)
        # Keep the allowed results, in their order, in the first k slots.
        order = np.argsort(~ok, axis=1, kind="stable")[:, :k]
        ids = np.where(np.take_along_axis(ok, order, axis=1), np.take_along_axis(ids, order, axis=1), -1)
        distances = np.take_along_axis(distances, order, axis=1)
        return self._finish(distances, ids)

    def _finish(self, distances: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64)
        missing = ids < 0
        scores = np.where(missing, -np.inf, self._to_scores(np.asarray(distances, dtype=np.float64)))
        scores, ids = sort_rows(scores.astype(np.float32), np.where(missing, np.iinfo(np.int64).max, ids))
        return scores, np.where(ids == np.iinfo(np.int64).max, -1, ids)

    # -- backend hooks ----------------------------------------------------------------
    def _new_index(self, gallery: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _add_to_index(self, index: Any, vectors: np.ndarray, start: int) -> None:  # pragma: no cover
        raise NotImplementedError

    def _query(self, index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def _to_scores(self, distances: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _serialize(self, index: Any) -> bytes | np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _deserialize(self, data: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backend_version(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError
