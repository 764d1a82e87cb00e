"""Tests for the approximate backends (faiss, hnswlib, annoy, LSH) against ExactSearcher."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from classicx import persistence
from classicx.exceptions import (
    BackendUnavailableError,
    InputError,
    ModelFormatError,
    NotFittedError,
    ParameterError,
    ShapeMismatchError,
)
from classicx.search import (
    AnnoySearcher,
    ExactSearcher,
    FaissSearcher,
    HnswlibSearcher,
    make_searcher,
    pairwise_scores,
)

APPROX_METRICS = ["inner_product", "cosine", "correlation", "euclidean", "cosine_distance"]


def _clustered(n=1200, nq=40, d=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, d)) * 3
    G = centres[rng.integers(20, size=n)] + rng.normal(size=(n, d))
    Q = centres[rng.integers(20, size=nq)] + rng.normal(size=(nq, d))
    return G.astype(np.float32), Q.astype(np.float32)


def _recall(found, truth):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth)])


def _searcher(name, metric="cosine"):
    if name.startswith(("faiss", "lsh")):
        pytest.importorskip("faiss")
    elif name.startswith("hnswlib"):
        pytest.importorskip("hnswlib")
    elif name.startswith("annoy"):
        pytest.importorskip("annoy")
    return make_searcher(name, metric=metric)


BACKENDS = [
    "faiss:Flat",
    "faiss:HNSW32;efSearch=128",
    "faiss:IVF16,Flat;nprobe=16",
    "faiss:IVF16,PQ8x4,RFlat;nprobe=16,k_factor_rf=16",
    "hnswlib:ef_search=128",
    "annoy:n_trees=30,search_k=20000",
    "lsh:nbits=256,rerank=20",
]


@pytest.mark.parametrize("spec", BACKENDS)
@pytest.mark.parametrize("metric", APPROX_METRICS)
def test_high_recall_and_true_scores(spec, metric):
    if spec.startswith("lsh") and metric == "inner_product":
        pytest.skip("LSH does not order raw inner products")
    G, Q = _clustered()
    _ref_scores, ref = ExactSearcher(metric=metric).fit(G).search(Q, k=10)
    scores, indices = _searcher(spec, metric).fit(G).search(Q, k=10)
    assert scores.shape == indices.shape == (len(Q), 10)
    assert _recall(indices, ref) >= 0.9
    # the scores are the metric's own scores of the returned items, best first
    true = np.take_along_axis(pairwise_scores(Q, G, metric), np.maximum(indices, 0), axis=1)
    found = indices >= 0
    np.testing.assert_allclose(scores[found], true[found], rtol=1e-3, atol=1e-3)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


@pytest.mark.parametrize("metric", APPROX_METRICS)
def test_faiss_flat_equals_exact(metric):
    pytest.importorskip("faiss")
    G, Q = _clustered()
    s_exact, i_exact = ExactSearcher(metric=metric).fit(G).search(Q, k=7)
    s_flat, i_flat = FaissSearcher("Flat", metric=metric).fit(G).search(Q, k=7)
    assert (i_flat == i_exact).mean() > 0.99  # float32 rounding may swap near-ties
    np.testing.assert_allclose(s_flat, s_exact, atol=1e-4)


def test_plain_lsh_ranks_by_hamming_distance():
    pytest.importorskip("faiss")
    G, Q = _clustered()
    scores, indices = make_searcher("lsh:nbits=512").fit(G).search(Q, k=10)
    assert np.all(scores <= 0) and np.all(scores == np.round(scores))  # minus Hamming distances
    _, ref = ExactSearcher().fit(G).search(Q, k=10)
    assert _recall(indices, ref) > 0.3  # far above chance (10 / 1200)
    with pytest.raises(InputError, match="LSH"):
        make_searcher("lsh", metric="inner_product").fit(G)


@pytest.mark.parametrize("spec", ["faiss:HNSW16", "faiss:IVF8,Flat;nprobe=8", "hnswlib", "lsh:rerank=10"])
def test_add_after_build(spec):
    G, _Q = _clustered()
    grown = _searcher(spec).fit(G[:800]).add(G[800:1000]).add(G[1000:])
    assert len(grown) == len(G)
    _, indices = grown.search(G[[5, 900, 1100]], k=1)
    np.testing.assert_array_equal(indices[:, 0], [5, 900, 1100])


def test_annoy_refuses_add():
    G, _ = _clustered(n=100)
    searcher = _searcher("annoy:n_trees=5").fit(G)
    with pytest.raises(InputError, match="annoy cannot add"):
        searcher.add(G[:3])
    assert len(searcher) == 100


@pytest.mark.parametrize("spec", ["faiss:IVF16,PQ8x4;nprobe=4", "faiss:HNSW16", "hnswlib", "annoy:n_trees=5", "lsh"])
def test_save_load_round_trip_and_metadata(tmp_path, spec):
    G, Q = _clustered(n=600)
    labels = np.arange(len(G)) % 5
    searcher = _searcher(spec, "euclidean").fit(G, labels=labels)
    before = searcher.search(Q, k=5, allow_labels=[1, 2])
    path = searcher.save(tmp_path / "idx")
    meta = json.loads((path / "classicx.json").read_text())
    state = meta["root"]["state"]
    assert meta["classicx_version"]
    assert state["backend_"] == searcher.backend and state["backend_version_"]
    assert state["n_features_in_"] == 16 and state["metric_"] == "euclidean"
    loaded = persistence.load(path)
    assert type(loaded) is type(searcher) and len(loaded) == len(G)
    after = loaded.search(Q, k=5, allow_labels=[1, 2])
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_allclose(before[0], after[0])
    if spec != "annoy:n_trees=5":
        loaded.add(G[:4], labels=labels[:4])
        assert len(loaded) == len(G) + 4


@pytest.mark.parametrize("spec", ["faiss:HNSW16", "hnswlib", "annoy:n_trees=5"])
def test_damaged_or_inconsistent_saved_index(tmp_path, spec):
    G, Q = _clustered(n=300)
    path = _searcher(spec).fit(G).save(tmp_path / "idx")
    meta_path = path / "classicx.json"
    meta = json.loads(meta_path.read_text())
    meta["root"]["state"]["n_features_in_"] = 8
    meta_path.write_text(json.dumps(meta))
    loaded = persistence.load(path)
    # annoy itself may notice first that the file does not fit the dimension
    with pytest.raises(ModelFormatError, match="dimensions|cannot read"):
        loaded.search(Q[:, :8], k=3)

    broken = _searcher(spec).fit(G)
    broken.index_bytes_ = broken.index_bytes_[:100].copy()
    path = broken.save(tmp_path / "broken")
    with pytest.raises(ModelFormatError, match="cannot read the saved"):
        persistence.load(path).search(Q, k=3)


@pytest.mark.parametrize("spec", ["faiss:HNSW16", "hnswlib", "annoy:n_trees=10"])
def test_filtering(spec):
    G, Q = _clustered()
    labels = np.arange(len(G)) % 10
    searcher = _searcher(spec).fit(G, labels=labels)
    exact = ExactSearcher().fit(G, labels=labels)
    _, indices = searcher.search(Q, k=10, allow_labels=3)
    _, ref = exact.search(Q, k=10, allow_labels=3)
    assert np.all(labels[indices] == 3)
    assert _recall(indices, ref) >= 0.8
    allowed = np.array([4, 50, 51, 700])
    scores, indices = searcher.search(Q, k=10, allow_ids=allowed)
    assert indices.shape == (len(Q), 4)
    found = indices >= 0
    assert np.isin(indices[found], allowed).all()
    assert np.all(np.isneginf(scores[~found]))


def test_errors():
    pytest.importorskip("faiss")
    pytest.importorskip("hnswlib")
    G, Q = _clustered(n=300)
    with pytest.raises(ParameterError, match="not available with the faiss backend"):
        FaissSearcher(metric="kl").fit(np.abs(G))
    with pytest.raises(InputError, match="faiss cannot build"):
        FaissSearcher("NoSuchIndex").fit(G)
    with pytest.raises(InputError, match="nprobe"):
        FaissSearcher("HNSW16", search_params={"nprobe": 4}).fit(G)
    failed = FaissSearcher("IVF1024,Flat")
    with pytest.raises(InputError, match="could not train"):
        failed.fit(G)
    with pytest.raises(NotFittedError):  # a fit that failed while building leaves it unfitted
        failed.search(Q)
    searcher = HnswlibSearcher().fit(G)
    with pytest.raises(ShapeMismatchError, match="features"):
        searcher.search(Q[:, :5])
    searcher.set_params(metric="euclidean")
    with pytest.raises(InputError, match="fitted with metric='cosine'"):
        searcher.search(Q)
    with pytest.raises(ParameterError, match="'M' parameter of HnswlibSearcher"):
        HnswlibSearcher(M=0).fit(G)
    with pytest.raises(ParameterError, match="'random_state' parameter"):
        HnswlibSearcher(random_state=np.random.RandomState(0)).fit(G)
    with pytest.raises(ParameterError, match="LSH ranks by angle"):
        FaissSearcher("LSH64r", metric="inner_product").fit(G)
    with pytest.raises(ParameterError, match="'search_params' parameter"):
        FaissSearcher(search_params=[("nprobe", 4)]).fit(G)


@pytest.mark.parametrize(
    "module,cls", [("faiss", FaissSearcher), ("hnswlib", HnswlibSearcher), ("annoy", AnnoySearcher)]
)
def test_missing_backend_names_the_extra(monkeypatch, module, cls):
    monkeypatch.setitem(sys.modules, module, None)  # makes "import module" fail
    with pytest.raises(BackendUnavailableError, match=r"classicx\[ann\]"):
        cls().fit(np.ones((3, 2)))


def test_make_searcher_specs():
    assert isinstance(make_searcher(), ExactSearcher)
    exact = make_searcher("exact:chunk_size=128,dtype=float64", metric="euclidean")
    assert (exact.chunk_size, exact.dtype, exact.metric) == (128, "float64", "euclidean")
    faiss_s = make_searcher("faiss:IVF256,PQ16;nprobe=32", metric="cosine")
    assert faiss_s.index == "IVF256,PQ16" and faiss_s.search_params == {"nprobe": 32}
    assert make_searcher("faiss").index == "HNSW32"
    lsh = make_searcher("lsh:nbits=128,rerank=8")
    assert lsh.index == "LSH128r,RFlat" and lsh.search_params == {"k_factor_rf": 8}
    assert make_searcher("hnswlib:M=8", ef_search=20).get_params()["ef_search"] == 20
    assert make_searcher("annoy:n_trees=7").n_trees == 7
    with pytest.raises(InputError, match="unknown searcher backend"):
        make_searcher("scann")
    with pytest.raises(InputError, match="name=value"):
        make_searcher("hnswlib:32")
    with pytest.raises(InputError, match="unexpected keyword"):
        make_searcher("hnswlib:efs=3")


def test_search_params_change_after_fit():
    pytest.importorskip("faiss")
    G, Q = _clustered()
    _, ref = ExactSearcher().fit(G).search(Q, k=10)
    searcher = FaissSearcher("IVF8,Flat", search_params={"nprobe": 1}).fit(G)
    _, narrow = searcher.search(Q, k=10)
    searcher.set_params(search_params={"nprobe": 8})  # every list probed: exact
    _, full = searcher.search(Q, k=10)
    assert _recall(full, ref) == 1.0
    assert _recall(narrow, ref) <= _recall(full, ref)
