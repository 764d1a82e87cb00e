"""A gallery split over the Dask workers, searched where it lives (``ShardedSearcher``)."""

from __future__ import annotations

import copy
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval

from ..exceptions import InputError
from ..search import BaseSearcher, ExactSearcher
from ..utils.validation import (
    check_labels,
    check_positive_int,
    validate_data,
    validate_params,
)
from . import is_dask_collection
from ._compute import active_client

__all__ = ["ShardedSearcher"]

# Sorts after every real gallery index, so that the empty slots of approximate
# backends (index -1, score -inf) come last among equal scores.
_EMPTY = np.iinfo(np.int64).max


def _build(searcher: BaseSearcher, part: Any) -> BaseSearcher:
    return searcher.fit(np.asarray(part))


def _extend(searcher: BaseSearcher, vectors: np.ndarray) -> BaseSearcher:
    # A new object: a task must not change the value of another task's result.
    return copy.deepcopy(searcher).add(vectors)


def _search_shard(searcher: BaseSearcher, queries: np.ndarray, k: int, mask: np.ndarray | None):
    if mask is not None and not mask.any():
        return np.empty((len(queries), 0), np.float64), np.empty((len(queries), 0), np.int64)
    return searcher.search(queries, k=k, allow_ids=mask)


def merge_top_k(parts: list[tuple[np.ndarray, np.ndarray]], offsets: list[int], k: int):
    """Merge per-shard results into the global top ``k``: score descending, then global index ascending.

    The order of :class:`~classicx.search.ExactSearcher`: each shard returns its
    own top ``k`` with local indices, so the global top ``k`` is among them.
    """
    scores = np.concatenate([s for s, _ in parts], axis=1)
    local = [np.where(i < 0, _EMPTY, i + off) for (_, i), off in zip(parts, offsets)]
    indices = np.concatenate(local, axis=1)
    order = np.lexsort((indices, -scores.astype(np.float64)), axis=1)[:, :k]
    top_s = np.take_along_axis(scores, order, axis=1)
    top_i = np.take_along_axis(indices, order, axis=1)
    top_i[top_i == _EMPTY] = -1
    return top_s, top_i


class ShardedSearcher(BaseSearcher):
    """A searcher whose gallery is split into shards held by the Dask workers.

    The gallery rows are cut into ``n_shards`` contiguous shards; each shard is
    a copy of ``searcher`` fitted on its rows, built and kept on a worker
    (built from the workers' own blocks when the gallery is a dask array, so
    the gallery never passes through the client). A search sends the queries
    to every shard, searches each shard where it lives and merges the
    per-shard top ``k`` on the client: with exact shards the result is the
    exact top ``k`` of the whole gallery, ties broken by the smaller global
    index, identical to one :class:`~classicx.search.ExactSearcher` over the
    whole gallery. With approximate shards (``FaissSearcher`` ...) each shard
    answers as that backend does.

    Without an active ``distributed.Client`` the shards are built and searched
    in this process (useful for tests and small galleries).

    Parameters
    ----------
    searcher : BaseSearcher, optional
        The searcher of every shard (cloned once per shard); ``None`` means
        ``ExactSearcher()``. Its ``metric`` is the metric of the whole.
    n_shards : int, optional
        Number of shards; ``None`` means one per worker of the active client
        (one without a client).

    Attributes
    ----------
    shards_ : list
        The fitted shard searchers: ``distributed.Future`` objects on a
        cluster, searchers otherwise.
    offsets_ : list of int
        Global index of the first row of each shard.
    shard_sizes_ : list of int
    n_items_, n_features_in_, labels_, metric_
        As for every searcher.

    Notes
    -----
    The shards live in the workers' memory: a fitted ``ShardedSearcher`` is
    not saved by :mod:`classicx.persistence` (save the gallery instead). If a
    worker dies, Dask rebuilds its shard from the gallery blocks it was built
    from.

    See Also
    --------
    classicx.search.ExactSearcher : the single-process reference.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.distributed import ShardedSearcher
    >>> from classicx.search import ExactSearcher
    >>> G = np.random.default_rng(0).normal(size=(100, 8))
    >>> sharded = ShardedSearcher(ExactSearcher(), n_shards=3).fit(G)
    >>> one = ExactSearcher().fit(G)
    >>> bool((sharded.search(G[:5], k=4)[1] == one.search(G[:5], k=4)[1]).all())
    True
    """

    def __init__(self, searcher: BaseSearcher | None = None, n_shards: int | None = None) -> None:
        self.searcher = searcher
        self.n_shards = n_shards

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "searcher": [HasMethods(["fit", "add", "search"]), None],
        "n_shards": [Interval(Integral, 1, None, closed="left"), None],
    }

    @property
    def metric(self) -> str:
        """The metric of the shard searcher."""
        return getattr(self._template(), "metric", "cosine")

    def _template(self) -> BaseSearcher:
        return ExactSearcher() if self.searcher is None else self.searcher

    def _dtype(self) -> np.dtype:
        return np.dtype(getattr(self._template(), "dtype", "float32"))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self.metric in ("kl", "jensenshannon")
        return tags

    def _shard_count(self, client: Any, n: int) -> int:
        if self.n_shards is not None:
            wanted = int(self.n_shards)
        elif client is not None:
            wanted = max(1, len(client.scheduler_info().get("workers", {})))
        else:
            wanted = 1
        return max(1, min(wanted, n))

    def fit(self, gallery: Any, y: Any = None, *, labels: Any = None) -> ShardedSearcher:
        """Split ``gallery`` (a numpy or dask array) into shards and index each on a worker.

        Parameters
        ----------
        gallery : array-like or dask array of shape (n_gallery, n_features)
        y : ignored
        labels : array-like of shape (n_gallery,) or (n_gallery, n_categories), optional
            Kept on the client, for ``allow_labels``.

        Returns
        -------
        self
        """
        validate_params(self)
        template = self._template()
        validate_params(template)
        client = active_client()
        if is_dask_collection(gallery):
            from ._arrays import check_dask_views

            (gallery,) = check_dask_views([gallery], ["gallery"], self, min_samples=1)
            n, d = (int(v) for v in gallery.shape)
            self.n_features_in_ = d
        else:
            gallery = validate_data(self, gallery, x_name="gallery", dtype=self._dtype())
            n = len(gallery)
        labels = None if labels is None else check_labels(labels, n)
        n_shards = self._shard_count(client, n)
        bounds = np.linspace(0, n, n_shards + 1).astype(int)
        self.offsets_ = [int(b) for b in bounds[:-1]]
        self.shard_sizes_ = [int(b - a) for a, b in zip(bounds[:-1], bounds[1:])]
        parts = [gallery[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.shards_ = self._map(client, _build, [(clone(template), part) for part in parts])
        if client is not None:
            from distributed import wait

            wait(self.shards_)
            for future in self.shards_:
                if future.status == "error":
                    future.result()  # raises the shard's own error
        self.metric_ = self.metric
        self.n_items_ = n
        self.labels_ = labels
        return self

    def _map(self, client: Any, func: Any, arguments: list[tuple]) -> list:
        if client is None:
            return [func(*(a.compute() if is_dask_collection(a) else a for a in args)) for args in arguments]
        import dask

        workers = list(client.scheduler_info().get("workers", {}))
        futures = []
        for i, args in enumerate(arguments):
            where = {"workers": [workers[i % len(workers)]], "allow_other_workers": True} if workers else {}
            if any(is_dask_collection(a) for a in args):
                futures.append(client.compute(dask.delayed(func)(*args), **where))
            else:
                futures.append(client.submit(func, *args, pure=False, **where))
        return futures

    def _extend(self, vectors: np.ndarray) -> None:
        client = active_client() if not isinstance(self.shards_[-1], BaseSearcher) else None
        last = self.shards_[-1]
        if client is None:
            self.shards_[-1] = _extend(last, vectors)
        else:
            self.shards_[-1] = client.submit(_extend, last, vectors, pure=False)
            self.shards_[-1].result()
        self.shard_sizes_[-1] += len(vectors)

    def _search(self, queries: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        local = isinstance(self.shards_[0], BaseSearcher)
        masks = [None if mask is None else mask[o : o + s] for o, s in zip(self.offsets_, self.shard_sizes_)]
        if local:
            parts = [_search_shard(s, queries, min(k, n), m) for s, n, m in zip(self.shards_, self.shard_sizes_, masks)]
        else:
            client = self.shards_[0].client
            # Sent once to every worker, not once per shard.
            sent = client.scatter(queries, broadcast=True, hash=False)
            futures = [
                client.submit(_search_shard, s, sent, min(k, n), m, pure=False)
                for s, n, m in zip(self.shards_, self.shard_sizes_, masks)
            ]
            parts = client.gather(futures)
        return merge_top_k(parts, self.offsets_, k)

    def search(self, queries: Any, k: int | None = 10, *, allow_ids: Any = None, allow_labels: Any = None):
        """Find the ``k`` best gallery items for each query, over every shard.

        Parameters and results are those of :meth:`BaseSearcher.search`; the
        indices are global gallery indices.
        """
        if k is not None:
            check_positive_int(k, "k")
        return super().search(queries, k, allow_ids=allow_ids, allow_labels=allow_labels)

    def gather(self) -> BaseSearcher:
        """One in-memory searcher over the whole gallery (the shards' galleries concatenated)."""
        self._check_fitted()
        local = isinstance(self.shards_[0], BaseSearcher)
        shards = self.shards_ if local else self.shards_[0].client.gather(self.shards_)
        if not all(hasattr(s, "gallery_") for s in shards):
            raise InputError("gather() needs shards that keep their gallery (ExactSearcher)")
        whole = copy.deepcopy(shards[0])
        for shard in shards[1:]:
            whole.gallery_ = np.concatenate([whole.gallery_, shard.gallery_])
        whole.n_items_ = self.n_items_
        whole.labels_ = self.labels_
        return whole
