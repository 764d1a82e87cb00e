"""Exact search and the similarity measures against independent oracles: scipy's ``cdist`` and
``entropy``, formulas written out per pair, and a brute-force ranking with ties broken by index.

These tests were written from the survivors of a mutation run (see tests/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist, jensenshannon
from scipy.stats import entropy

from classicx.search import ExactSearcher, pairwise_scores
from classicx.search.similarity import KL_EPS

METRICS = ["inner_product", "cosine", "correlation", "euclidean", "cosine_distance", "kl", "jensenshannon"]


def oracle_scores(Q, G, metric):
    """Higher-is-better scores, one pair at a time, from the documented definitions."""
    Q, G = np.asarray(Q, np.float64), np.asarray(G, np.float64)
    out = np.empty((len(Q), len(G)))
    for i, q in enumerate(Q):
        for j, g in enumerate(G):
            if metric == "inner_product":
                out[i, j] = q @ g
            elif metric in ("cosine", "correlation", "cosine_distance"):
                a, b = (q - q.mean(), g - g.mean()) if metric == "correlation" else (q, g)
                na, nb = np.linalg.norm(a), np.linalg.norm(b)
                cos = 0.0 if na == 0 or nb == 0 else a @ b / (na * nb)
                out[i, j] = cos if metric != "cosine_distance" else -np.sqrt(max(2 * (1 - cos), 0.0))
            elif metric == "euclidean":
                out[i, j] = -np.linalg.norm(q - g)
            elif metric == "kl":
                p = q / q.sum()
                r = g / g.sum()
                r = (r + KL_EPS) / (1 + KL_EPS * len(r))
                out[i, j] = -entropy(p, r)
            elif metric == "jensenshannon":
                out[i, j] = -jensenshannon(q / q.sum(), g / g.sum())
    return out


def vectors(metric, n, d, rng):
    if metric in ("kl", "jensenshannon"):
        X = rng.random((n, d))
        X[X < 0.2] = 0.0  # zero entries: smoothing (KL) and xlogy's 0 log 0 = 0 matter
        X[:, 0] += 0.1
        return X * rng.integers(1, 5, size=(n, 1))  # unnormalised counts
    return rng.normal(size=(n, d)) + (1.5 if metric == "correlation" else 0.0)


def brute_force(scores, k):
    """Best k per row, ties broken by the smaller index (a stable sort of the negated scores)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), order


@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_scores_equal_the_definitions(metric):
    rng = np.random.default_rng(0)
    Q, G = vectors(metric, 5, 7, rng), vectors(metric, 9, 7, rng)
    np.testing.assert_allclose(pairwise_scores(Q, G, metric), oracle_scores(Q, G, metric), rtol=1e-10, atol=1e-12)


def test_pairwise_scores_match_scipy_cdist():
    rng = np.random.default_rng(1)
    Q, G = rng.normal(size=(4, 6)), rng.normal(size=(8, 6))
    np.testing.assert_allclose(pairwise_scores(Q, G, "euclidean"), -cdist(Q, G), rtol=1e-12)
    np.testing.assert_allclose(pairwise_scores(Q, G, "cosine"), 1 - cdist(Q, G, "cosine"), rtol=1e-12)
    np.testing.assert_allclose(pairwise_scores(Q, G, "correlation"), 1 - cdist(Q, G, "correlation"), rtol=1e-10)
    P, R = np.abs(Q), np.abs(G)
    np.testing.assert_allclose(pairwise_scores(P, R, "jensenshannon"), -cdist(P, R, "jensenshannon"), rtol=1e-12)


def test_zero_and_constant_vectors_score_zero_for_cosine_and_correlation():
    G = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 4.0, 4.0]])
    Q = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -1.0]])
    cos = pairwise_scores(Q, G, "cosine")
    np.testing.assert_array_equal(cos[0], 0.0)
    assert cos[1, 1] == 0.0
    corr = pairwise_scores(Q, G, "correlation")
    np.testing.assert_array_equal(corr[:, 2], 0.0)
    np.testing.assert_array_equal(corr[0], 0.0)
    assert corr[1, 0] == pytest.approx(-1.0)


def test_kl_of_identical_distributions_is_zero_and_a_zero_gallery_entry_costs_a_finite_penalty():
    p = np.array([[0.5, 0.5, 0.0]])
    g = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    s = pairwise_scores(p, g, "kl")
    assert s[0, 0] == pytest.approx(0.0, abs=1e-8)
    penalty = -(0.5 * np.log(0.5 / 1.0) + 0.5 * np.log(0.5 / KL_EPS))
    assert np.isfinite(s[0, 1]) and s[0, 1] == pytest.approx(penalty, rel=1e-6)


@pytest.mark.parametrize("metric", ["kl", "jensenshannon"])
def test_probability_metrics_refuse_negative_entries_and_zero_sums(metric):
    good = np.array([[1.0, 1.0]])
    with pytest.raises(ValueError, match="row 1 has a negative entry"):
        pairwise_scores(good, np.array([[1.0, 0.0], [-0.1, 1.0]]), metric)
    with pytest.raises(ValueError, match="row 0 sums to 0"):
        pairwise_scores(np.array([[0.0, 0.0]]), good, metric)
    np.testing.assert_allclose(pairwise_scores(good, np.array([[0.0, 3.0]]), metric), oracle_scores(good, [[0.0, 3.0]], metric))


def test_unknown_metric_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown metric 'manhattan'.*cosine"):
        pairwise_scores(np.ones((1, 2)), np.ones((1, 2)), "manhattan")
    with pytest.raises(ValueError, match="metric.*cosine"):
        ExactSearcher(metric="manhattan").fit(np.ones((3, 2)))


# --------------------------------------------------------------------------- ExactSearcher


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 3, 40])
def test_search_equals_brute_force_for_every_metric(metric, k):
    rng = np.random.default_rng(2)
    G, Q = vectors(metric, 40, 6, rng), vectors(metric, 11, 6, rng)
    searcher = ExactSearcher(metric=metric, dtype="float64").fit(G)
    scores, idx = searcher.search(Q, k=k)
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, metric), k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 3, 9, 40])
def test_one_query_at_a_time_equals_brute_force_for_every_metric(metric, k):
    # The single-query path: one row's selection, and no second sort when keys are the scores.
    rng = np.random.default_rng(12)
    G, Q = vectors(metric, 40, 6, rng), vectors(metric, 11, 6, rng)
    searcher = ExactSearcher(metric=metric, dtype="float64").fit(G)
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, metric), k)
    for i, q in enumerate(Q):
        scores, idx = searcher.search(q[None, :], k=k)
        np.testing.assert_array_equal(idx[0], ref_idx[i])
        np.testing.assert_allclose(scores[0], ref_scores[i], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("chunk_size", [1, 3, 100])
@pytest.mark.parametrize("k", [1, 2, 4, 12])
def test_one_query_with_ties_is_ordered_by_index(chunk_size, k):
    rng = np.random.default_rng(4)
    G = rng.integers(0, 2, size=(12, 3)).astype(float)
    searcher = ExactSearcher(metric="inner_product", chunk_size=chunk_size).fit(G)
    for q in rng.integers(0, 2, size=(6, 3)).astype(float):
        scores, idx = searcher.search(q[None, :], k=k)
        ref_scores, ref_idx = brute_force((q @ G.T)[None, :], k)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_array_equal(scores, ref_scores)


@pytest.mark.parametrize("metric", ["inner_product", "euclidean", "cosine_distance", "kl"])
@pytest.mark.parametrize("chunk_size, batch_size", [(1, 1), (3, 2), (7, 5), (64, 64)])
@pytest.mark.parametrize("k", [1, 2, 5, 30])
def test_chunked_and_full_row_scans_equal_brute_force(metric, chunk_size, batch_size, k):
    # k small against the chunk takes the running top-k merge; large k sorts whole rows.
    rng = np.random.default_rng(3)
    G, Q = vectors(metric, 30, 4, rng), vectors(metric, 9, 4, rng)
    searcher = ExactSearcher(metric=metric, chunk_size=chunk_size, batch_size=batch_size, dtype="float64").fit(G)
    scores, idx = searcher.search(Q, k=k)
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, metric), k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("k", [1, 2, 4, 12])
def test_ties_are_broken_by_the_smaller_index_whatever_the_chunking(chunk_size, k):
    # Many exactly equal inner products (integer vectors): the order must be by index.
    rng = np.random.default_rng(4)
    G = rng.integers(0, 2, size=(12, 3)).astype(float)
    Q = rng.integers(0, 2, size=(6, 3)).astype(float)
    searcher = ExactSearcher(metric="inner_product", chunk_size=chunk_size, batch_size=2).fit(G)
    scores, idx = searcher.search(Q, k=k)
    ref_scores, ref_idx = brute_force(Q @ G.T, k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(scores, ref_scores)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_masked_search_equals_brute_force_over_the_allowed_items(k):
    rng = np.random.default_rng(5)
    G, Q = rng.normal(size=(25, 5)), rng.normal(size=(7, 5))
    labels = rng.integers(0, 3, 25)
    allowed = np.flatnonzero(labels != 1)
    for chunk_size in (4, 1000):
        searcher = ExactSearcher(metric="euclidean", chunk_size=chunk_size, dtype="float64").fit(G, labels=labels)
        for kwargs in ({"allow_ids": allowed}, {"allow_labels": [0, 2]}):
            scores, idx = searcher.search(Q, k=k, **kwargs)
            ref_scores, ref_pos = brute_force(oracle_scores(Q, G[allowed], "euclidean"), k)
            np.testing.assert_array_equal(idx, allowed[ref_pos])
            np.testing.assert_allclose(scores, ref_scores, rtol=1e-10)


def test_k_none_ranks_the_whole_gallery_and_large_k_is_reduced():
    rng = np.random.default_rng(6)
    G, Q = rng.normal(size=(9, 3)), rng.normal(size=(4, 3))
    searcher = ExactSearcher(metric="cosine", dtype="float64").fit(G)
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, "cosine"), 9)
    for k in (None, 9, 50):
        scores, idx = searcher.search(Q, k=k)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-10)


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_threads_give_the_same_result_as_one_scan(n_jobs):
    rng = np.random.default_rng(7)
    G, Q = rng.normal(size=(50, 4)), rng.normal(size=(13, 4))
    one = ExactSearcher(metric="euclidean", chunk_size=8, batch_size=4, dtype="float64").fit(G).search(Q, k=3)
    many = ExactSearcher(metric="euclidean", chunk_size=8, batch_size=4, dtype="float64", n_jobs=n_jobs).fit(G).search(Q, k=3)
    np.testing.assert_array_equal(one[1], many[1])
    np.testing.assert_array_equal(one[0], many[0])
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, "euclidean"), 3)
    np.testing.assert_array_equal(many[1], ref_idx)


@pytest.mark.parametrize("bad", [0, 1.5, "2"])
def test_bad_n_jobs_is_refused(bad):
    with pytest.raises((ValueError, TypeError), match="n_jobs"):
        ExactSearcher(n_jobs=bad).fit(np.ones((3, 2)))


@pytest.mark.parametrize("name", ["chunk_size", "batch_size"])
def test_non_positive_chunk_or_batch_size_is_refused(name):
    with pytest.raises((ValueError, TypeError), match=name):
        ExactSearcher(**{name: 0}).fit(np.ones((3, 2)))


def test_integer_dtype_is_refused():
    with pytest.raises((ValueError, TypeError), match="dtype"):
        ExactSearcher(dtype="int32").fit(np.ones((3, 2)))


@pytest.mark.parametrize("metric", ["cosine", "correlation", "kl", "jensenshannon", "euclidean"])
def test_added_vectors_are_prepared_like_the_fitted_gallery(metric):
    rng = np.random.default_rng(8)
    G, Q = vectors(metric, 20, 5, rng), vectors(metric, 6, 5, rng)
    grown = ExactSearcher(metric=metric, dtype="float64").fit(G[:12]).add(G[12:])
    whole = ExactSearcher(metric=metric, dtype="float64").fit(G)
    np.testing.assert_allclose(grown.gallery_, whole.gallery_, rtol=1e-12)
    assert len(grown) == 20
    scores, idx = grown.search(Q, k=5)
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, metric), 5)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-9, atol=1e-9)


def test_float32_search_stores_float32_and_agrees_with_float64():
    rng = np.random.default_rng(9)
    G, Q = rng.normal(size=(30, 8)), rng.normal(size=(5, 8))
    searcher = ExactSearcher(metric="euclidean").fit(G)
    assert searcher.gallery_.dtype == np.float32
    scores, idx = searcher.search(Q, k=4)
    assert scores.dtype == np.float32 and idx.dtype == np.int64
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, "euclidean"), 4)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5)


def test_euclidean_score_of_a_query_equal_to_a_gallery_item_is_exactly_zero_not_nan():
    # Round-off can make |q|^2 - (2 q.g - |g|^2) slightly negative: it is clipped at 0.
    rng = np.random.default_rng(10)
    G = rng.normal(size=(6, 16)) * 1e3
    scores, idx = ExactSearcher(metric="euclidean").fit(G).search(G, k=1)
    np.testing.assert_array_equal(idx[:, 0], np.arange(6))
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    # float32 cancellation: |score| is at most about sqrt(eps) * |g|, far below the norms (~4000).
    assert np.all(np.abs(scores[:, 0]) <= 1e-3 * np.linalg.norm(G, axis=1))
    cos_scores, _ = ExactSearcher(metric="cosine_distance").fit(G).search(G, k=1)
    assert np.all(np.isfinite(cos_scores)) and np.all(cos_scores <= 0)


# --------------------------------------------------------------------------- second round (survivors)


@pytest.mark.parametrize("metric", ["kl", "jensenshannon"])
def test_probability_errors_name_the_array_at_fault(metric):
    good = np.array([[1.0, 2.0], [2.0, 1.0]])
    bad = np.array([[1.0, 2.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"^gallery must hold probability vectors"):
        ExactSearcher(metric=metric).fit(bad)
    searcher = ExactSearcher(metric=metric).fit(good)
    with pytest.raises(ValueError, match=r"^queries must hold probability vectors"):
        searcher.search(bad, k=1)
    with pytest.raises(ValueError, match=r"^vectors must hold probability vectors"):
        searcher.add(bad)
    with pytest.raises(ValueError, match=r"^queries must hold"):
        pairwise_scores(bad, good, metric)
    with pytest.raises(ValueError, match=r"^gallery must hold"):
        pairwise_scores(good, bad, metric)


def test_small_euclidean_distances_are_exact():
    Q = np.array([[0.0, 0.0]])
    G = np.array([[0.3, 0.4], [0.0, 0.1], [3.0, 4.0]])
    np.testing.assert_allclose(pairwise_scores(Q, G, "euclidean"), [[-0.5, -0.1, -5.0]], rtol=1e-12)
    scores, idx = ExactSearcher(metric="euclidean", dtype="float64").fit(G).search(Q, k=3)
    np.testing.assert_array_equal(idx, [[1, 0, 2]])
    np.testing.assert_allclose(scores, [[-0.1, -0.5, -5.0]], rtol=1e-12)


def test_default_metric_is_cosine():
    rng = np.random.default_rng(11)
    Q, G = rng.normal(size=(3, 4)) * 5, rng.normal(size=(6, 4))
    np.testing.assert_allclose(pairwise_scores(Q, G), oracle_scores(Q, G, "cosine"), rtol=1e-12)
    scores, idx = ExactSearcher().fit(G).search(Q, k=6)
    ref_scores, ref_idx = brute_force(oracle_scores(Q, G, "cosine"), 6)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_pairwise_scores_are_float64_whatever_the_input(metric, dtype):
    rng = np.random.default_rng(12)
    Q = (vectors(metric, 3, 5, rng) * 10).astype(dtype) + 1
    G = (vectors(metric, 4, 5, rng) * 10).astype(dtype) + 1
    scores = pairwise_scores(Q, G, metric)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, oracle_scores(Q, G, metric), rtol=1e-10, atol=1e-12)


def test_added_vectors_keep_the_searchers_precision():
    rng = np.random.default_rng(13)
    for metric in ("cosine", "kl"):
        G = np.abs(rng.normal(size=(10, 3))) + 0.1
        searcher = ExactSearcher(metric=metric).fit(G[:5]).add(G[5:])
        assert searcher.gallery_.dtype == np.float32
        wide = ExactSearcher(metric=metric, dtype="float64").fit(G[:5]).add(G[5:])
        assert wide.gallery_.dtype == np.float64


@pytest.mark.parametrize("metric", ["inner_product", "cosine", "euclidean"])
@pytest.mark.parametrize("n_queries", [1, 6])
def test_search_of_a_gallery_of_ten_thousand_equals_brute_force(metric, n_queries):
    # Long rows: the selection threshold comes from block maxima (classicx/search/_topk.py).
    rng = np.random.default_rng(21)
    if metric == "cosine":  # normalising rounds: no exact ties to test
        G, Q = rng.normal(size=(10_003, 4)), rng.normal(size=(n_queries, 4))
    else:  # small integers: exact products and squared distances, many exact ties between items
        G, Q = (rng.integers(-3, 4, size=(n, 4)).astype(float) for n in (10_003, n_queries))
    searcher = ExactSearcher(metric=metric, dtype="float64").fit(G)
    for k in (1, 10, 200):
        scores, idx = searcher.search(Q, k=k)
        ref_scores, ref_idx = brute_force(pairwise_scores(Q, G, metric), k)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-9, atol=1e-9)
