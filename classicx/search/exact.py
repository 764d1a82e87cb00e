"""Exact (brute-force) k-nearest-neighbour search, the reference for every other backend."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from typing import ClassVar

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils.parallel import limit_threads, progress
from ._topk import RunningTopK, sort_rows, top_k
from .base import BaseSearcher
from .similarity import get_measure

__all__ = ["ExactSearcher"]

logger = logging.getLogger(__name__)


class ExactSearcher(BaseSearcher):
    """Exact k-NN search: blocks of queries against blocks of the gallery through BLAS.

    The gallery is scanned in blocks of ``chunk_size`` rows; each block of at
    most ``batch_size`` queries is scored against it with one matrix product
    (one ``scipy.spatial.distance.cdist`` call for Jensen-Shannon) and the
    running top ``k`` is kept by a partial selection. Working memory is
    therefore about ``batch_size * chunk_size`` scores, whatever the sizes of
    the gallery and the query set (``k=None`` needs one full gallery row per
    query in the batch instead).

    Parameters
    ----------
    metric : str, default="cosine"
        ``"inner_product"``, ``"cosine"``, ``"correlation"``, ``"euclidean"``,
        ``"cosine_distance"``, ``"kl"`` or ``"jensenshannon"``; see
        :mod:`classicx.search.similarity` for the definitions. Distances and
        divergences are negated so that every score is higher-is-better.
    chunk_size : int, default=4096
        Gallery rows scored per block.
    batch_size : int, default=1024
        Queries scored per block.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the stored gallery and of the products (``"float64"`` for
        full precision). A string, so that the searcher can be saved.
    n_jobs : int, optional
        Threads scanning separate query batches, each with single-threaded
        BLAS (``None``: one scan using BLAS's own threads; ``-1``: all cores,
        other negative values as in joblib).
        With several threads the selection between matrix products runs in
        parallel as well, which is faster for many queries. A search that
        fits in one batch (a single query, say) runs in the calling thread
        and leaves BLAS's threads as they are.
    verbose : bool, default=False
        Show a progress bar over query batches.

    Attributes
    ----------
    gallery_ : ndarray of shape (n_gallery, n_features)
        The gallery as prepared for the metric (unit-normalised for cosine,
        centred and normalised for correlation, log-probabilities for KL,
        probabilities for Jensen-Shannon, unchanged otherwise).
    labels_ : ndarray or None
        Gallery labels given to ``fit``/``add``.
    metric_ : str
        The metric the gallery was prepared for.
    n_items_ : int
        Gallery size (also ``len(searcher)``).
    n_features_in_ : int
        Dimension of the gallery vectors.

    Notes
    -----
    Ties are broken by gallery index: among items with equal scores the one
    with the smaller index comes first, whatever the chunk size. The scores
    returned for ``euclidean``, ``cosine_distance`` and ``kl`` are computed
    from the ranking key after selection, in ``dtype`` precision.

    See Also
    --------
    classicx.search.FaissSearcher, classicx.search.HnswlibSearcher,
    classicx.search.AnnoySearcher : approximate backends with the same interface.
    classicx.search.make_searcher : build any searcher from a spec string.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.search import ExactSearcher
    >>> gallery = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> searcher = ExactSearcher(metric="cosine").fit(gallery)
    >>> scores, indices = searcher.search(np.array([[2.0, 0.1]]), k=2)
    >>> indices
    array([[0, 2]])
    >>> len(searcher)
    3
    """

    def __init__(
        self,
        metric: str = "cosine",
        chunk_size: int = 4096,
        batch_size: int = 1024,
        dtype: str = "float32",
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.metric = metric
        self.chunk_size = chunk_size
        self.batch_size = batch_size
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.verbose = verbose

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **BaseSearcher._parameter_constraints,
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
    }

    def _dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def _n_threads(self) -> int:
        # None: one scan with BLAS's own threads; negative: joblib's convention (-1 = all cores).
        return 1 if self.n_jobs is None else max(1, effective_n_jobs(int(self.n_jobs)))

    def _build(self, gallery: np.ndarray) -> None:
        measure = get_measure(self.metric)
        self.gallery_ = np.ascontiguousarray(measure.prepare_gallery(gallery, "gallery"), dtype=self._dtype())

    def _extend(self, vectors: np.ndarray) -> None:
        measure = get_measure(self.metric_)
        prepared = measure.prepare_gallery(vectors, "vectors").astype(self._dtype(), copy=False)
        self.gallery_ = np.concatenate([self.gallery_, prepared])

    def _search(
        self, queries: np.ndarray, k: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        measure = get_measure(self.metric_)
        dtype = self._dtype()
        Q = np.ascontiguousarray(measure.prepare_queries(queries, "queries"), dtype=dtype)
        G = self.gallery_.astype(dtype, copy=False)
        n, chunk = len(G), int(self.chunk_size)
        batch = int(self.batch_size)
        # Whole rows of scores and one partial selection per row when they fit in
        # the working memory of one batch (a few queries: no running merge per
        # block), or when a large k makes the running merge costlier anyway.
        full_rows = 4 * k > min(chunk, n) or len(Q) * n <= batch * chunk
        if full_rows:
            batch = max(1, min(batch, (batch * chunk) // n))
        # One query is one batch whatever n_jobs: the core count (joblib reads the cgroup
        # files for it, 0.1 ms) is looked up only when the batches could be split.
        n_jobs = self._n_threads() if len(Q) > 1 else 1
        if n_jobs > 1:
            # Enough batches to keep every thread busy.
            batch = max(1, min(batch, -(-len(Q) // n_jobs)))
        scores = np.empty((len(Q), k), dtype=dtype)
        indices = np.empty((len(Q), k), dtype=np.int64)

        def run(start: int) -> None:
            Qb = Q[start : start + batch]
            if full_rows:
                keys, idx = self._full_rows(Qb, G, k, mask, measure)
            else:
                keys, idx = self._chunked(Qb, G, k, mask, measure)
            out = slice(start, start + len(Qb))
            final = measure.finalize(keys, Qb).astype(dtype, copy=False)
            if final is keys:
                # The keys are the scores (inner product, cosine, ...): the selection already
                # put them best first, ties by the smaller index, as sort_rows would.
                scores[out], indices[out] = keys, idx
            else:
                scores[out], indices[out] = sort_rows(final, idx)

        starts = range(0, len(Q), batch)
        if len(starts) == 1:
            # One batch (a single query, say) runs in this thread with BLAS as it is: a
            # pool, a progress bar or a change of the process-wide BLAS threads would
            # cost more than the products of one query block, which are small.
            run(0)
            return scores, indices
        if n_jobs == 1:
            for start in progress(starts, total=len(starts), desc="search", verbose=self.verbose):
                run(start)
            return scores, indices
        # Threads, not processes: BLAS and numpy's reductions release the GIL, and
        # each thread's BLAS is kept single-threaded so the selection work between
        # products runs in parallel too instead of leaving cores idle.
        with limit_threads(blas=1), ThreadPoolExecutor(n_jobs) as pool:
            done = pool.map(run, starts)
            for _ in progress(done, total=len(starts), desc="search", verbose=self.verbose):
                pass
        return scores, indices

    def _chunked(self, Qb, G, k, mask, measure):
        n, chunk = len(G), int(self.chunk_size)
        top = RunningTopK(len(Qb), k, Qb.dtype)
        buffer = np.empty((len(Qb), min(chunk, n)), dtype=Qb.dtype)
        for g0 in range(0, n, chunk):
            Gc = G[g0 : g0 + chunk]
            keys = measure.block(Qb, Gc, buffer[:, : len(Gc)])
            if mask is not None:
                keys[:, ~mask[g0 : g0 + chunk]] = -np.inf
            top.push(keys, g0)
        return top.scores, top.indices

    def _full_rows(self, Qb, G, k, mask, measure):
        n, chunk = len(G), int(self.chunk_size)
        keys = np.empty((len(Qb), n), dtype=Qb.dtype)
        # The rows fit in the batch's working memory already (see _search). A matrix product
        # writes straight into them, so it runs over the whole gallery at once: one call
        # instead of n / chunk_size (25 for 100,000 items, 2.5x the time of one, issue #15).
        # Other measures make temporaries of their own, so they keep to blocks.
        step = n if measure.uses_matmul else chunk
        for g0 in range(0, n, step):
            measure.block(Qb, G[g0 : g0 + step], keys[:, g0 : g0 + step])
        if mask is not None:
            keys[:, ~mask] = -np.inf
        return top_k(keys, k)
