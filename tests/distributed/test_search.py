"""ShardedSearcher: the gallery split over the workers gives the single-process top-k."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

from classicx.distributed import ShardedSearcher
from classicx.distributed._search import merge_top_k
from classicx.exceptions import ShapeMismatchError
from classicx.search import ExactSearcher


@pytest.fixture(scope="module")
def gallery():
    rng = np.random.default_rng(0)
    G = rng.normal(size=(3000, 12)).astype(np.float32)
    G[2500] = G[10]  # a tie across shards: the smaller global index must come first
    G[11] = G[10]  # and one inside a shard
    Q = rng.normal(size=(40, 12)).astype(np.float32)
    Q[0] = G[10]
    labels = rng.integers(0, 4, size=len(G))
    return G, Q, labels


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_sharded_equals_exact_on_a_cluster(client, gallery, metric):
    G, Q, labels = gallery
    one = ExactSearcher(metric=metric, chunk_size=256).fit(G, labels=labels)
    sharded = ShardedSearcher(ExactSearcher(metric=metric, chunk_size=256)).fit(
        da.from_array(G, chunks=(700, -1)), labels=labels
    )
    assert len(sharded.shards_) == 2 and len(sharded) == len(G)
    for kwargs in ({"k": 10}, {"k": 5, "allow_labels": [1, 3]}, {"k": 3, "allow_ids": np.arange(1400, 1600)}):
        ref_s, ref_i = one.search(Q, **kwargs)
        s, i = sharded.search(Q, **kwargs)
        np.testing.assert_array_equal(ref_i, i)
        np.testing.assert_allclose(ref_s, s, rtol=1e-5, atol=1e-5)
    if metric == "cosine":
        np.testing.assert_array_equal(sharded.search(Q[:1], k=3)[1][0], [10, 11, 2500])


def test_sharded_in_process_and_numpy_gallery(gallery):
    G, Q, _ = gallery
    # The whole ranking, in float64: in float32, scores one rounding apart (computed in
    # matrix products of other shapes) may swap two near-tied items.
    one = ExactSearcher(dtype="float64").fit(G)
    sharded = ShardedSearcher(ExactSearcher(dtype="float64"), n_shards=5).fit(G)
    assert sharded.shard_sizes_ == [600] * 5
    np.testing.assert_array_equal(one.search(Q, k=None)[1], sharded.search(Q, k=None)[1])
    sharded.add(G[:7])
    one.add(G[:7])
    np.testing.assert_array_equal(one.search(Q, k=8)[1], sharded.search(Q, k=8)[1])
    np.testing.assert_array_equal(sharded.gather().gallery_, one.gallery_)
    with pytest.raises(ShapeMismatchError):
        sharded.search(Q[:, :5])


def test_more_shards_than_the_top_k_can_fill(client, gallery):
    G, Q, _ = gallery
    small = G[:9]
    sharded = ShardedSearcher(n_shards=4).fit(small)
    np.testing.assert_array_equal(ExactSearcher().fit(small).search(Q, k=9)[1], sharded.search(Q, k=50)[1])


def test_merge_puts_the_empty_slots_of_approximate_shards_last():
    scores = [np.array([[0.9, -np.inf]]), np.array([[0.9, 0.5]])]
    indices = [np.array([[1, -1]]), np.array([[0, 1]])]
    s, i = merge_top_k(list(zip(scores, indices)), [0, 10], 3)
    np.testing.assert_array_equal(i, [[1, 10, 11]])
    s, i = merge_top_k([(scores[0], indices[0])], [0], 2)
    np.testing.assert_array_equal(i, [[1, -1]])


def test_faiss_shards(thread_cluster, gallery):
    pytest.importorskip("faiss")
    from distributed import Client

    from classicx.search import FaissSearcher

    G, Q, _ = gallery
    with Client(thread_cluster):
        sharded = ShardedSearcher(FaissSearcher(index="Flat", metric="inner_product")).fit(G)
        _, i = sharded.search(Q, k=5)
    _, ref = ExactSearcher(metric="inner_product").fit(G).search(Q, k=5)
    # A flat faiss index is exact up to float32 rounding of ties.
    assert np.mean(i == ref) > 0.99
