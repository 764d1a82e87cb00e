"""ExactSearcher's scheduling and pairwise_scores' checks, written from the survivors of the
session-6 mutation run of ``classicx/search/exact.py`` and ``similarity.py`` (see tests/README.md,
"Session 6 runs").

Oracles: the documented thread rule (``n_jobs=None`` or ``1``: no thread pool; ``k`` threads for
``n_jobs=k``; joblib's convention for negative values), a brute-force ranking (scores computed
pair by pair in float64, ties by the smaller index) and the messages of the validation layer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from joblib import effective_n_jobs

import classicx.search.exact as exact_module
from classicx.exceptions import NonFiniteError, ShapeMismatchError
from classicx.search import ExactSearcher, pairwise_scores


def brute_force(Q, G, k):
    """Cosine top-k by hand: scores pair by pair, best first, ties by the smaller index."""
    Q, G = np.asarray(Q, np.float64), np.asarray(G, np.float64)
    S = np.array([[q @ g / (np.linalg.norm(q) * np.linalg.norm(g)) for g in G] for q in Q])
    idx = np.array([sorted(range(len(G)), key=lambda j: (-s[j], j))[:k] for s in S])
    return np.take_along_axis(S, idx, axis=1), idx


class _RecordingPool:
    """Stands in for ThreadPoolExecutor: records the worker count and runs the map serially."""

    created: list[int] = []

    def __init__(self, n_workers):
        _RecordingPool.created.append(n_workers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items):
        return [fn(item) for item in items]


@pytest.mark.parametrize("n_jobs, pool, n_queries", [
    (None, None, 12), (1, None, 12), (2, 2, 12), (3, 3, 12), (-1, "cores", 12), (2, 2, 2), (2, None, 1),
])
def test_threads_follow_n_jobs(monkeypatch, n_jobs, pool, n_queries):
    rng = np.random.default_rng(0)
    G, Q = rng.normal(size=(40, 5)), rng.normal(size=(n_queries, 5))
    monkeypatch.setattr(exact_module, "ThreadPoolExecutor", _RecordingPool)
    _RecordingPool.created = []
    searcher = ExactSearcher(n_jobs=n_jobs, batch_size=2, chunk_size=8, dtype="float64").fit(G)
    scores, idx = searcher.search(Q, k=3)
    expected_scores, expected_idx = brute_force(Q, G, 3)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-12)
    if pool is None:
        assert _RecordingPool.created == []
    else:
        n = max(1, effective_n_jobs(-1)) if pool == "cores" else pool
        assert _RecordingPool.created == ([n] if n > 1 else [])


def test_n_threads_is_joblibs_count():
    assert ExactSearcher()._n_threads() == 1
    assert ExactSearcher(n_jobs=1)._n_threads() == 1
    assert ExactSearcher(n_jobs=2)._n_threads() == 2
    assert ExactSearcher(n_jobs=-1)._n_threads() == max(1, effective_n_jobs(-1))


@pytest.mark.parametrize("bad", ["queries", "gallery"])
def test_pairwise_scores_names_the_bad_argument(bad):
    good = np.ones((2, 3))
    broken = good.copy()
    broken[1, 2] = np.nan
    args = (broken, good) if bad == "queries" else (good, broken)
    with pytest.raises(NonFiniteError, match=f"^{bad} holds NaN or infinity in 1 row\\(s\\); first at row 1$"):
        pairwise_scores(*args)


def test_pairwise_scores_refuses_different_feature_counts_with_both_counts():
    message = "queries have 3 features but the gallery has 2"
    with pytest.raises(ShapeMismatchError, match=f"^{re.escape(message)}$"):
        pairwise_scores(np.ones((1, 3)), np.ones((4, 2)))
    with pytest.raises(ShapeMismatchError, match=r"^queries have 2 features but the gallery has 5$"):
        pairwise_scores(np.ones((1, 2)), np.ones((1, 5)))


@pytest.mark.parametrize("n_queries, n, chunk, batch, k, path, batches", [
    (1, 100, 16, 8, 1, "full", [1]),  # one query: its whole row fits in one batch's memory
    (20, 100, 16, 8, 2, "chunked", [8, 8, 4]),  # many queries, small k: the running merge
    (20, 100, 16, 8, 4, "chunked", [8, 8, 4]),  # 4 k == chunk: still the merge
    (20, 100, 16, 8, 5, "full", [1] * 20),  # 4 k > chunk: whole rows, batch * chunk // n = 1 row each
    (2, 64, 16, 8, 1, "full", [2]),  # exactly batch * chunk scores: one batch of whole rows
])
def test_the_scan_path_and_batches_follow_the_documented_rule(monkeypatch, n_queries, n, chunk, batch, k, path,
                                                                batches):
    """Whole rows when ``4 k > min(chunk, n)`` or all the scores fit in ``batch * chunk``; then
    at most ``batch * chunk // n`` queries (at least one) per batch. Results are brute force's."""
    calls = []
    full, chunked = ExactSearcher._full_rows, ExactSearcher._chunked

    def spy(name, method):
        def wrapped(self, Qb, *args):
            calls.append((name, len(Qb)))
            return method(self, Qb, *args)
        return wrapped

    monkeypatch.setattr(ExactSearcher, "_full_rows", spy("full", full))
    monkeypatch.setattr(ExactSearcher, "_chunked", spy("chunked", chunked))
    rng = np.random.default_rng(3)
    G, Q = rng.normal(size=(n, 6)), rng.normal(size=(n_queries, 6))
    searcher = ExactSearcher(chunk_size=chunk, batch_size=batch, dtype="float64").fit(G)
    scores, idx = searcher.search(Q, k=k)
    assert calls == [(path, b) for b in batches]
    expected_scores, expected_idx = brute_force(Q, G, k)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-12)


@pytest.mark.parametrize("path_k", [2, 5])  # 2: the running merge over chunks; 5: whole rows
def test_an_id_filter_applies_on_both_scan_paths(path_k):
    rng = np.random.default_rng(4)
    G, Q = rng.normal(size=(100, 6)), rng.normal(size=(20, 6))
    allowed = np.sort(rng.choice(100, 30, replace=False))
    searcher = ExactSearcher(chunk_size=16, batch_size=8, dtype="float64").fit(G)
    scores, idx = searcher.search(Q, k=path_k, allow_ids=allowed)
    expected_scores, expected_local = brute_force(Q, G[allowed], path_k)
    np.testing.assert_array_equal(idx, allowed[expected_local])
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-12)


@pytest.mark.parametrize("metric", ["jensenshannon", "euclidean"])
def test_whole_rows_cover_the_whole_gallery(metric):
    """One query scans whole rows; Jensen-Shannon in blocks of ``chunk_size``, matrix-product
    measures in one product. Every gallery item must be scored: scipy's definitions, pair by pair."""
    from scipy.spatial.distance import jensenshannon

    rng = np.random.default_rng(5)
    G, q = rng.random((50, 4)), rng.random((1, 4))
    searcher = ExactSearcher(metric=metric, chunk_size=4, dtype="float64").fit(G)
    scores, idx = searcher.search(q, k=50)
    if metric == "jensenshannon":
        expected = np.array([-jensenshannon(q[0] / q[0].sum(), g / g.sum()) for g in G])
    else:
        expected = -np.linalg.norm(G - q[0], axis=1)
    np.testing.assert_allclose(scores[0], expected[idx[0]], rtol=1e-9, atol=1e-12)
    assert sorted(idx[0]) == list(range(50))
    np.testing.assert_allclose(scores[0], np.sort(expected)[::-1], rtol=1e-9, atol=1e-12)
