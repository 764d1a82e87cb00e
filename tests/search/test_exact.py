"""Tests for classicx.search.ExactSearcher against dense reference scores."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.spatial.distance import cdist, jensenshannon
from scipy.stats import entropy
from sklearn.base import clone

from classicx.exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    NotFittedError,
    ParameterError,
    ShapeMismatchError,
)
from classicx.search import SIMILARITY_METRICS, ExactSearcher, pairwise_scores
from classicx.search.similarity import KL_EPS

PROB_METRICS = ("kl", "jensenshannon")


def _data(metric, n=300, nq=17, d=12, seed=0):
    rng = np.random.default_rng(seed)
    G, Q = rng.normal(size=(n, d)), rng.normal(size=(nq, d))
    if metric in PROB_METRICS:
        G, Q = rng.dirichlet(np.ones(d), size=n), rng.dirichlet(np.ones(d), size=nq)
        G[0, :3] = 0  # zero entries must stay finite for KL
        G /= G.sum(axis=1, keepdims=True)
    return G, Q


def _oracle(Q, G, metric):
    """Scores computed independently of classicx.search.similarity."""
    if metric == "inner_product":
        return Q @ G.T
    if metric == "cosine":
        return 1 - cdist(Q, G, "cosine")
    if metric == "correlation":
        return 1 - cdist(Q, G, "correlation")
    if metric == "euclidean":
        return -cdist(Q, G, "euclidean")
    if metric == "cosine_distance":
        return -np.sqrt(2 * cdist(Q, G, "cosine"))
    if metric == "kl":
        Gs = (G + KL_EPS) / (1 + KL_EPS * G.shape[1])
        return -np.array([[entropy(q, g) for g in Gs] for q in Q])
    if metric == "jensenshannon":
        return -np.array([[jensenshannon(q, g) for g in G] for q in Q])
    raise AssertionError(metric)


def _reference_ranking(scores, k):
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_pairwise_scores_match_independent_oracle(metric):
    G, Q = _data(metric, n=40, nq=5)
    np.testing.assert_allclose(pairwise_scores(Q, G, metric), _oracle(Q, G, metric), atol=1e-9)


@functools.cache
def _data_and_oracle(metric):
    G, Q = _data(metric)
    return G, Q, _oracle(Q, G, metric)


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
@pytest.mark.parametrize("chunk_size,batch_size", [(7, 5), (64, 1024), (4096, 3)])
@pytest.mark.parametrize("k", [1, 10, None])
def test_search_matches_brute_force(metric, chunk_size, batch_size, k):
    G, Q, ref = _data_and_oracle(metric)
    searcher = ExactSearcher(metric=metric, chunk_size=chunk_size, batch_size=batch_size, dtype="float64")
    scores, indices = searcher.fit(G).search(Q, k=k)
    width = len(G) if k is None else k
    assert scores.shape == indices.shape == (len(Q), width)
    np.testing.assert_array_equal(indices, _reference_ranking(ref, width))
    np.testing.assert_allclose(scores, np.take_along_axis(ref, indices, axis=1), atol=1e-7)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_float32_default_agrees_with_float64():
    G, Q = _data("cosine", n=500)
    s32, i32 = ExactSearcher().fit(G).search(Q, k=5)
    s64, i64 = ExactSearcher(dtype="float64").fit(G).search(Q, k=5)
    assert s32.dtype == np.float32
    np.testing.assert_allclose(s32, s64, atol=1e-5)
    assert (i32 == i64).mean() > 0.99


@pytest.mark.parametrize("chunk_size", [1, 3, 4, 1000])
@pytest.mark.parametrize("k", [1, 2, 5, None])
def test_ties_are_broken_by_smaller_gallery_index(chunk_size, k):
    # Many exact duplicates spread over chunks: tied items must come out in index order.
    base = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    G = base[[0, 1, 2, 0, 2, 1, 0, 0, 2, 1, 0]]
    Q = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    scores, indices = ExactSearcher("inner_product", chunk_size=chunk_size).fit(G).search(Q, k=k)
    for row in range(len(Q)):
        s, i = scores[row], indices[row]
        for a in range(len(s) - 1):
            assert s[a] > s[a + 1] or (s[a] == s[a + 1] and i[a] < i[a + 1])
    # query [1, 0] scores 1 for every [1, 0] and [1, 1] item: indices 0, 2, 3, 4, 6, 7, 8, 10
    expected = np.array([0, 2, 3, 4, 6, 7, 8, 10, 1, 5, 9])
    np.testing.assert_array_equal(indices[0], expected[: indices.shape[1]])
    # the all-zero query ties everything: plain index order
    np.testing.assert_array_equal(indices[2], np.arange(indices.shape[1]))


def test_add_appends_with_next_indices_and_matches_fit_on_all():
    G, Q = _data("euclidean", n=200)
    full = ExactSearcher("euclidean", chunk_size=32).fit(G)
    grown = ExactSearcher("euclidean", chunk_size=32).fit(G[:50]).add(G[50:120]).add(G[120:])
    assert len(grown) == len(full) == 200
    for a, b in zip(full.search(Q, k=7), grown.search(Q, k=7)):
        np.testing.assert_array_equal(a, b)
    _, idx = grown.search(G[150:151], k=1)
    assert idx[0, 0] == 150


def test_k_larger_than_gallery_is_clipped():
    G, Q = _data("cosine", n=6)
    _scores, indices = ExactSearcher().fit(G).search(Q, k=50)
    assert indices.shape == (len(Q), 6)
    assert sorted(indices[0]) == list(range(6))


def test_filter_by_ids_and_labels():
    G, Q = _data("cosine", n=120)
    labels = np.arange(120) % 4
    searcher = ExactSearcher(chunk_size=16).fit(G, labels=labels)
    ref = _oracle(Q, G, "cosine")

    allowed = np.array([5, 17, 33, 34, 90, 119])
    _scores, indices = searcher.search(Q, k=4, allow_ids=allowed)
    masked = np.where(np.isin(np.arange(120), allowed), ref, -np.inf)
    np.testing.assert_array_equal(indices, _reference_ranking(masked, 4))

    _, indices = searcher.search(Q, k=None, allow_labels=[1, 3])
    assert indices.shape == (len(Q), 60)
    assert set(np.unique(labels[indices])) == {1, 3}
    masked = np.where(labels % 2 == 1, ref, -np.inf)
    np.testing.assert_array_equal(indices, _reference_ranking(masked, 60))

    mask = np.zeros(120, dtype=bool)
    mask[[2, 6, 10]] = True  # all label 2
    _, indices = searcher.search(Q, k=10, allow_ids=mask, allow_labels=2)
    assert indices.shape == (len(Q), 3)
    _, indices = searcher.search(Q, k=10, allow_ids=mask, allow_labels=0)
    assert indices.shape == (len(Q), 0)


def test_filter_by_multilabel_indicators():
    G, Q = _data("cosine", n=30)
    labels = np.zeros((30, 3), dtype=int)
    labels[np.arange(30), np.arange(30) % 3] = 1
    labels[0, 2] = 1
    searcher = ExactSearcher().fit(G, labels=labels)
    _, indices = searcher.search(Q, k=None, allow_labels=2)
    assert set(indices[0]) == set(np.flatnonzero(labels[:, 2]))
    with pytest.raises(InputError, match="column"):
        searcher.search(Q, allow_labels=5)


def test_filter_errors():
    G, Q = _data("cosine", n=20)
    searcher = ExactSearcher().fit(G)
    with pytest.raises(InputError, match="labels"):
        searcher.search(Q, allow_labels=1)
    with pytest.raises(InputError, match="allow_ids\\[1\\] = 20"):
        searcher.search(Q, allow_ids=[3, 20])
    with pytest.raises(ShapeMismatchError):
        searcher.search(Q, allow_ids=np.ones(5, dtype=bool))


def test_input_errors():
    G, Q = _data("cosine", n=20, d=4)
    with pytest.raises(NotFittedError):
        ExactSearcher().search(Q)
    with pytest.raises(NotFittedError):
        len(ExactSearcher())
    assert bool(ExactSearcher())
    searcher = ExactSearcher().fit(G)
    with pytest.raises(ShapeMismatchError, match="X has 3 features, but ExactSearcher is expecting 4"):
        searcher.search(Q[:, :3])
    with pytest.raises(ShapeMismatchError, match="X has 3 features, but ExactSearcher is expecting 4"):
        searcher.add(G[:2, :3])
    with pytest.raises(ShapeMismatchError, match="queries: Expected 2D array, got 1D array"):
        searcher.search(Q[0])
    bad = Q.copy()
    bad[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match="queries.*row 2"):
        searcher.search(bad)
    with pytest.raises(EmptyInputError, match="gallery.*0 sample"):
        ExactSearcher().fit(np.empty((0, 4)))
    for k in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="'k' parameter must be a positive integer"):
            searcher.search(Q, k=k)
    with pytest.raises(ParameterError, match="'metric' parameter of ExactSearcher"):
        ExactSearcher(metric="manhattan").fit(G)
    with pytest.raises(ParameterError, match="'chunk_size' parameter of ExactSearcher"):
        ExactSearcher(chunk_size=0).fit(G)
    with pytest.raises(ParameterError, match="'dtype' parameter"):
        ExactSearcher(dtype="int32").fit(G)
    with pytest.raises(InputError, match="negative"):
        ExactSearcher(metric="kl").fit(G)
    with pytest.raises(InputError, match="row 1 sums to 0"):
        ExactSearcher(metric="jensenshannon").fit(np.array([[1.0, 0.0], [0.0, 0.0]]))
    searcher.set_params(metric="euclidean")
    with pytest.raises(InputError, match="fitted with metric='cosine'"):
        searcher.search(Q)
    with pytest.raises(InputError, match="labels must be given"):
        ExactSearcher().fit(G, labels=np.arange(20)).add(G[:2])


def test_clone_and_params():
    searcher = ExactSearcher(metric="euclidean", chunk_size=10)
    twin = clone(searcher)
    assert twin.get_params() == searcher.get_params()
    assert not hasattr(twin, "gallery_")


@pytest.mark.parametrize("metric", ["cosine", "kl"])
def test_save_load_round_trip(tmp_path, metric):
    G, Q = _data(metric, n=50)
    labels = np.arange(50) % 3
    searcher = ExactSearcher(metric=metric, chunk_size=8).fit(G, labels=labels)
    loaded = ExactSearcher.load(searcher.save(tmp_path / "s"))
    assert len(loaded) == 50 and loaded.metric == metric
    for a, b in zip(searcher.search(Q, k=5, allow_labels=1), loaded.search(Q, k=5, allow_labels=1)):
        np.testing.assert_array_equal(a, b)
    loaded.add(G[:3], labels=labels[:3])
    assert len(loaded) == 53


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "jensenshannon"])
@pytest.mark.parametrize("k", [3, None])
def test_threads_give_identical_results(metric, k):
    G, Q, _ = _data_and_oracle(metric)
    one = ExactSearcher(metric=metric, chunk_size=50, batch_size=4).fit(G).search(Q, k=k)
    two = ExactSearcher(metric=metric, chunk_size=50, batch_size=4, n_jobs=2).fit(G).search(Q, k=k)
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(one[0], two[0])
    with pytest.raises(ParameterError, match="'n_jobs' parameter"):
        ExactSearcher(n_jobs=0).fit(G)


@pytest.mark.parametrize("searcher", [ExactSearcher(), ExactSearcher(dtype="float64")], ids=["float32", "float64"])
def test_complex_gallery_and_queries_are_refused_not_cast(searcher):
    # Casting to float would drop the imaginary part silently (and rank by the real part only).
    G, Q = _data("cosine", n=20, d=4)
    with pytest.raises(InputError, match="Complex data not supported"):
        searcher.fit(G + 1j * G[::-1])
    searcher.fit(G)
    with pytest.raises(InputError, match="Complex data not supported"):
        searcher.search(Q.astype(complex))
    with pytest.raises(InputError, match="Complex data not supported"):
        searcher.add(G[:2].astype(complex))
    assert len(searcher) == 20
    with pytest.raises(InputError, match="Complex data not supported"):
        pairwise_scores(Q.astype(complex), G)


def test_zero_features_are_refused():
    # An empty feature space would score every item 0 and "rank" the gallery by index.
    with pytest.raises(EmptyInputError, match="gallery.*0 feature"):
        ExactSearcher().fit(np.ones((3, 0)))
    with pytest.raises(EmptyInputError, match="0 feature"):
        pairwise_scores(np.ones((1, 0)), np.ones((3, 0)))


@pytest.mark.parametrize("kind", ["csr_matrix", "csr_array", "coo_matrix"])
def test_sparse_input_is_refused_explicitly(kind):
    import scipy.sparse as sp

    G, Q = _data("cosine", n=20, d=4)
    sparse = getattr(sp, kind)
    searcher = ExactSearcher()
    assert searcher.__sklearn_tags__().input_tags.sparse is False
    with pytest.raises(InputTypeError, match="Sparse data was passed for gallery, but dense data is required"):
        searcher.fit(sparse(G))
    searcher.fit(G)
    with pytest.raises(InputTypeError, match="Sparse data was passed for queries"):
        searcher.search(sparse(Q))
    with pytest.raises(InputTypeError, match="Sparse data"):
        pairwise_scores(sparse(Q), G)


def test_tags_say_what_the_searcher_takes():
    tags = ExactSearcher().__sklearn_tags__()
    assert tags.input_tags.two_d_array and not tags.input_tags.allow_nan
    assert tags.requires_fit and not tags.target_tags.required and not tags.non_deterministic
    assert not tags.input_tags.positive_only
    assert ExactSearcher(metric="kl").__sklearn_tags__().input_tags.positive_only


def test_whole_float_labels_are_accepted_and_others_refused():
    G, Q = _data("cosine", n=6, d=4)
    searcher = ExactSearcher().fit(G, labels=[0.0, 1.0, 1.0, 2.0, 0.0, 1.0])
    assert searcher.labels_.dtype == np.int64
    _, idx = searcher.search(Q, k=None, allow_labels=1)
    assert set(idx[0]) == {1, 2, 5}
    with pytest.raises(InputError, match="whole numbers"):
        ExactSearcher().fit(G, labels=[0.5] * 6)
    with pytest.raises(ShapeMismatchError, match="labels has 2 rows"):
        ExactSearcher().fit(G, labels=[0, 1])


def test_one_query_does_not_look_up_the_core_count(monkeypatch):
    # Issue #15: joblib reads the cgroup files for the core count (0.1 ms); one query is one
    # batch whatever n_jobs, so it must not ask. Several queries with n_jobs=-1 still do.
    import classicx.search.exact as exact_module

    rng = np.random.default_rng(0)
    G, Q = rng.standard_normal((300, 8)), rng.standard_normal((5, 8))
    searcher = ExactSearcher(metric="inner_product", n_jobs=-1).fit(G)
    expected = searcher.search(Q, k=3)
    calls = []
    real = exact_module.effective_n_jobs
    monkeypatch.setattr(exact_module, "effective_n_jobs", lambda n: calls.append(n) or real(n))
    one = searcher.search(Q[:1], k=3)
    assert calls == []
    np.testing.assert_array_equal(one[1], expected[1][:1])
    np.testing.assert_allclose(one[0], expected[0][:1], rtol=1e-6)
    searcher.search(Q, k=3)
    assert calls == [-1]
