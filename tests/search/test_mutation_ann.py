"""The approximate searchers (faiss, hnswlib, annoy) and their shared base: tests written from the
survivors of the session-5 mutation run of ``search/approximate.py`` and the three backends (see
tests/README.md, "Session 5").

The main oracle: on small data, each backend with settings that make it exhaustive (faiss
``Flat``, IVF probing every list, HNSW / hnswlib with a candidate list as large as the gallery,
LSH re-ranking every item, annoy inspecting every node) must return exactly
:class:`ExactSearcher`'s neighbours and scores, with and without filters. A few tests of how
parameters reach the libraries use small recording stand-ins for the library objects.
"""

from __future__ import annotations

import copy
import pickle
from importlib import metadata

import numpy as np
import pytest

from classicx import persistence
from classicx.exceptions import BackendUnavailableError, InputError, ModelFormatError, NonFiniteError, ParameterError
from classicx.search import ExactSearcher
from classicx.search.approximate import APPROXIMATE_METRICS, import_backend, package_version

faiss = pytest.importorskip("faiss")
hnswlib = pytest.importorskip("hnswlib")
annoy = pytest.importorskip("annoy")

from classicx.search import AnnoySearcher, FaissSearcher, HnswlibSearcher  # noqa: E402
from classicx.search import annoy_backend, hnswlib_backend  # noqa: E402

METRICS = ["inner_product", "cosine", "correlation", "euclidean", "cosine_distance"]
N = 150


def _data(n=N, nq=9, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype(np.float32), rng.normal(size=(nq, d)).astype(np.float32)


def _exhaustive(name, metric):
    """A searcher of backend ``name`` whose settings make it exact on N items."""
    return {
        "faiss-flat": lambda: FaissSearcher("Flat", metric=metric),
        "faiss-ivf": lambda: FaissSearcher("IVF4,Flat", metric=metric, search_params={"nprobe": 4}),
        "faiss-hnsw": lambda: FaissSearcher("HNSW32", metric=metric, search_params={"efSearch": 2 * N}),
        "faiss-lsh-rerank": lambda: FaissSearcher("LSH16r,RFlat", metric=metric, search_params={"k_factor_rf": N}),
        "hnswlib": lambda: HnswlibSearcher(metric=metric, M=16, ef_search=2 * N),
        "annoy": lambda: AnnoySearcher(metric=metric, n_trees=5, search_k=100 * N),
    }[name]()


EXHAUSTIVE = ["faiss-flat", "faiss-ivf", "faiss-hnsw", "faiss-lsh-rerank", "hnswlib", "annoy"]


def _cases():
    for name in EXHAUSTIVE:
        for metric in METRICS:
            if name == "faiss-lsh-rerank" and metric == "inner_product":
                continue  # refused: LSH does not order raw inner products
            yield name, metric


def _assert_same(result, reference, atol=2e-5):
    (scores, indices), (ref_scores, ref_indices) = result, reference
    assert indices.dtype == np.int64 and scores.dtype == np.float32
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_allclose(scores, ref_scores, atol=atol, rtol=0)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name,metric", list(_cases()))
def test_exhaustive_settings_return_the_exact_neighbours_and_scores(name, metric):
    G, Q = _data()
    exact = ExactSearcher(metric=metric, dtype="float64").fit(G)
    searcher = _exhaustive(name, metric).fit(G)
    assert len(searcher) == N and searcher.metric_ == metric and searcher.n_features_in_ == 6
    for k in (1, 7):
        _assert_same(searcher.search(Q, k=k), exact.search(Q, k=k))


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", EXHAUSTIVE)
def test_filtered_search_equals_the_exact_filtered_search(name):
    G, Q = _data(seed=1)
    labels = np.arange(N) % 10
    exact = ExactSearcher(metric="cosine", dtype="float64").fit(G, labels=labels)
    searcher = _exhaustive(name, "cosine").fit(G, labels=labels)
    # a selective filter (one item in ten, then 4 of 150) makes the search over-fetch and double
    for kwargs in ({"allow_labels": 3}, {"allow_labels": [1, 2]}, {"allow_ids": [4, 50, 51, 149]},
                   {"allow_ids": [4, 50, 51, 149, 33], "allow_labels": [0, 1]},
                   {"allow_ids": [0, 1, 77]}, {"allow_labels": 0}):  # gallery item 0 is an item like any other
        _assert_same(searcher.search(Q, k=6, **kwargs), exact.search(Q, k=6, **kwargs))


@pytest.mark.filterwarnings("ignore")
def test_slots_an_index_cannot_fill_are_minus_one_and_minus_infinity_at_the_end():
    G, Q = _data(n=200, seed=2)
    searcher = FaissSearcher("IVF16,Flat", metric="euclidean", search_params={"nprobe": 1}).fit(G)
    scores, indices = searcher.search(Q, k=60)
    exact = ExactSearcher(metric="euclidean", dtype="float64").fit(G)
    full_scores, full_indices = exact.search(Q, k=None)
    missing = indices < 0
    assert missing.any() and not missing.all(axis=1).any()
    for row in range(len(Q)):
        found = indices[row][~missing[row]]
        n_found = len(found)
        assert np.all(missing[row, n_found:]) and np.all(np.isneginf(scores[row, n_found:]))
        # the found items are ranked by their true scores, best first, ties by the smaller index
        true = {int(j): float(s) for j, s in zip(full_indices[row], full_scores[row])}
        np.testing.assert_allclose(scores[row, :n_found], [true[int(j)] for j in found], atol=2e-5)
        assert np.all(np.diff(scores[row, :n_found]) <= 0)
    # with a filter the unfilled slots are still -1 / -inf
    s2, i2 = searcher.search(Q, k=20, allow_ids=np.arange(0, 200, 2))
    assert np.all(np.isneginf(s2[i2 < 0])) and np.all(i2[i2 >= 0] % 2 == 0)


@pytest.mark.filterwarnings("ignore")
def test_annoy_reports_unfound_slots_as_missing():
    G, Q = _data(n=200, seed=3)
    scores, indices = AnnoySearcher(metric="euclidean", n_trees=1, search_k=1).fit(G).search(Q, k=50)
    assert (indices < 0).any()
    assert np.all(np.isneginf(scores[indices < 0])) and np.all(np.isfinite(scores[indices >= 0]))


def test_the_metric_table():
    assert APPROXIMATE_METRICS == {
        "inner_product": "ip", "cosine": "ip", "correlation": "ip", "euclidean": "l2", "cosine_distance": "l2",
    }


@pytest.mark.parametrize("cls,backend", [(FaissSearcher, "faiss"), (HnswlibSearcher, "hnswlib"), (AnnoySearcher, "annoy")])
def test_metrics_an_index_cannot_use_are_refused_with_the_backend_name(cls, backend):
    with pytest.raises(ParameterError) as info:
        cls(metric="jensenshannon").fit(np.full((4, 3), 0.25))
    assert str(info.value) == (
        f"The 'metric' parameter of {cls.__name__} must be one of ['correlation', 'cosine', "
        "'cosine_distance', 'euclidean', 'inner_product']: 'jensenshannon' is not available with the "
        f"{backend} backend; use ExactSearcher for it"
    )


def test_import_backend_and_package_version():
    assert import_backend("json", "json").dumps([1]) == "[1]"
    with pytest.raises(BackendUnavailableError) as info:
        import_backend("classicx_no_such_module", "no-such-package")
    assert str(info.value) == (
        "this searcher needs 'no-such-package', which is not installed: "
        "pip install 'classicx[ann]' (or pip install no-such-package)"
    )
    assert isinstance(info.value.__cause__, ImportError)
    assert package_version("classicx-no-such-distribution") == "unknown"
    assert package_version("numpy") == np.__version__


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    "searcher,version",
    [
        (FaissSearcher("Flat"), lambda: faiss.__version__),
        (HnswlibSearcher(), lambda: metadata.version("hnswlib")),
        (AnnoySearcher(n_trees=3), lambda: metadata.version("annoy")),
    ],
)
def test_fitted_state_names_the_backend_and_holds_the_index_bytes(searcher, version, tmp_path):
    G, Q = _data()
    searcher.fit(G)
    assert searcher.backend_ == type(searcher).backend and searcher.backend_version_ == version()
    assert searcher.index_bytes_.dtype == np.uint8 and searcher.index_bytes_.flags.writeable
    before = searcher.search(Q, k=4)
    for state in (searcher.__getstate__(), copy.deepcopy(searcher).__dict__):
        assert "_index" not in state
    copied = pickle.loads(pickle.dumps(searcher))
    loaded = persistence.load(searcher.save(tmp_path / "s"))
    for other in (copied, copy.deepcopy(searcher), loaded):
        assert getattr(other, "_index", None) is None  # rebuilt from index_bytes_ on first use
        _assert_same(other.search(Q, k=4), before, atol=0)


@pytest.mark.filterwarnings("ignore")
def test_grown_indexes_equal_an_exact_search_of_everything():
    G, Q = _data(seed=4)
    exact = ExactSearcher(metric="euclidean", dtype="float64").fit(G)
    for searcher in (_exhaustive("faiss-flat", "euclidean"), _exhaustive("hnswlib", "euclidean")):
        before = searcher.fit(G[:100]).index_bytes_.copy()
        searcher.add(G[100:130]).add(G[130:])
        assert len(searcher) == N and len(searcher.index_bytes_) > len(before)  # refreshed after add
        _assert_same(searcher.search(Q, k=5), exact.search(Q, k=5))
        del searcher._index  # the stored bytes hold the grown index
        _assert_same(searcher.search(Q, k=5), exact.search(Q, k=5))


# -- faiss ------------------------------------------------------------------------------------


def _faiss_error(call):
    """The last line of the RuntimeError faiss raises for ``call()``: what the messages quote."""
    try:
        call()
    except RuntimeError as exc:
        return str(exc).strip().splitlines()[-1]
    raise AssertionError("faiss accepted it")


def test_faiss_parameter_errors():
    G, _ = _data()
    with pytest.raises(ParameterError) as info:
        FaissSearcher("").fit(G)
    assert str(info.value) == (
        "The 'index' parameter of FaissSearcher must be a faiss index_factory string such as "
        "'IVF256,Flat'. Got '' instead."
    )
    with pytest.raises(ParameterError) as info:
        FaissSearcher("lsh64r", metric="inner_product").fit(G)  # "LSH" found whatever the case
    assert str(info.value) == (
        "LSH ranks by angle, which does not order raw inner products; use metric='cosine' "
        "(or 'correlation', 'euclidean', 'cosine_distance') with an LSH index"
    )
    with pytest.raises(InputError) as info:
        FaissSearcher("NoSuchIndex").fit(G)
    reason = _faiss_error(lambda: faiss.index_factory(6, "NoSuchIndex", faiss.METRIC_INNER_PRODUCT))
    assert str(info.value) == f"faiss cannot build index 'NoSuchIndex' for 6 dimensions: {reason}"
    with pytest.raises(InputError) as info:
        FaissSearcher("IVF512,Flat").fit(G)
    reason = _faiss_error(lambda: faiss.index_factory(6, "IVF512,Flat", faiss.METRIC_INNER_PRODUCT).train(G))
    assert str(info.value) == (
        "faiss could not train 'IVF512,Flat' on 150 vectors (IVF and PQ need at least as many vectors "
        f"as centroids): {reason}"
    )
    with pytest.raises(InputError) as info:
        FaissSearcher("HNSW16", search_params={"nprobe": 4}).fit(G)
    hnsw = faiss.index_factory(6, "HNSW16", faiss.METRIC_INNER_PRODUCT)
    reason = _faiss_error(lambda: faiss.ParameterSpace().set_index_parameter(hnsw, "nprobe", 4))
    assert reason and str(info.value) == (
        f"search parameter nprobe=4 does not apply to the faiss index 'HNSW16': {reason}"
    )


def test_faiss_training_is_logged_and_verbose_reaches_the_index(caplog):
    import logging

    G, _ = _data()
    with caplog.at_level(logging.INFO, logger="classicx.search.faiss_backend"):
        quiet = FaissSearcher("IVF4,Flat").fit(G)
    assert [r.getMessage() for r in caplog.records if r.name == "classicx.search.faiss_backend"] == [
        "training faiss index IVF4,Flat on 150 vectors"
    ]
    assert quiet._index.verbose is False
    assert FaissSearcher("Flat", verbose=True).fit(G)._index.verbose is True


@pytest.mark.parametrize(
    "cls,module,package",
    [(FaissSearcher, "faiss", "faiss-cpu"), (HnswlibSearcher, "hnswlib", "hnswlib"), (AnnoySearcher, "annoy", "annoy")],
)
def test_a_missing_library_names_its_pip_package(monkeypatch, cls, module, package):
    import sys

    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(BackendUnavailableError) as info:
        cls().fit(np.ones((3, 2)))
    assert str(info.value) == (
        f"this searcher needs {package!r}, which is not installed: "
        f"pip install 'classicx[ann]' (or pip install {package})"
    )


@pytest.mark.parametrize("metric,expected", [("inner_product", 0), ("cosine", 0), ("correlation", 0), ("euclidean", 1), ("cosine_distance", 1)])
def test_faiss_index_metric(metric, expected):
    # faiss.METRIC_INNER_PRODUCT is 0 and METRIC_L2 is 1; LSH always uses L2
    assert (faiss.METRIC_INNER_PRODUCT, faiss.METRIC_L2) == (0, 1)
    G, _ = _data()
    assert FaissSearcher("Flat", metric=metric).fit(G)._live_index().metric_type == expected
    if metric != "inner_product":
        assert FaissSearcher("LSH16r,RFlat", metric=metric).fit(G)._live_index().metric_type == faiss.METRIC_L2


def test_faiss_hnsw_widens_its_candidate_list_for_one_large_search_only():
    G, Q = _data()
    searcher = FaissSearcher("HNSW16", metric="euclidean", search_params={"efSearch": 8}).fit(G)
    scores, indices = searcher.search(Q, k=N)  # more than efSearch: every item must come back
    assert np.all(indices >= 0) and all(len(set(row)) == N for row in indices.tolist())
    assert faiss.downcast_index(searcher._live_index()).hnsw.efSearch == 8  # restored
    exact = ExactSearcher(metric="euclidean", dtype="float64").fit(G)
    np.testing.assert_allclose(scores, exact.search(Q, k=N)[0], atol=2e-5)


def test_faiss_search_params_apply_after_fit():
    G, Q = _data(seed=5)
    searcher = FaissSearcher("IVF8,Flat", search_params={"nprobe": 1}).fit(G)
    assert (searcher.search(Q, k=40)[1] < 0).any()
    searcher.set_params(search_params={"nprobe": 8})
    _assert_same(searcher.search(Q, k=40), ExactSearcher(dtype="float64").fit(G).search(Q, k=40))


def test_faiss_refused_add_names_the_index():
    class Refusing:
        def add(self, vectors):
            raise RuntimeError("Error in some faiss file\n  more context\nadd not implemented for this type of index ")

    with pytest.raises(InputError) as info:
        FaissSearcher("Flat")._add_to_index(Refusing(), np.ones((1, 2), np.float32), 0)
    assert str(info.value) == (
        "the faiss index 'Flat' does not accept new vectors: add not implemented for this type of index; "
        "fit it again on all vectors"
    )


def test_faiss_restored_index_must_match_the_metadata():
    G, Q = _data()
    searcher = FaissSearcher("Flat", metric="cosine").fit(G)
    searcher.metric = searcher.metric_ = "euclidean"  # metadata that contradicts the saved index
    del searcher._index
    with pytest.raises(ModelFormatError) as info:
        searcher.search(Q, k=3)
    assert str(info.value) == "the saved faiss index does not use the metric the metadata names ('euclidean')"
    searcher = FaissSearcher("Flat").fit(G)
    searcher.n_items_ = N + 1
    del searcher._index
    with pytest.raises(ModelFormatError) as info:
        searcher.search(Q, k=3)
    assert str(info.value) == (
        f"the saved faiss index has 6 dimensions and {N} vectors but the metadata says 6 and {N + 1}"
    )
    lsh = FaissSearcher("LSH16r").fit(G)  # a Hamming index has no metric of its own to check
    del lsh._index
    assert lsh.search(Q, k=2)[1].shape == (len(Q), 2)


def test_faiss_unreadable_bytes_name_the_backend_and_versions():
    G, Q = _data()
    searcher = FaissSearcher("Flat").fit(G)
    searcher.index_bytes_ = searcher.index_bytes_[:20].copy()
    del searcher._index
    with pytest.raises(ModelFormatError) as info:
        searcher.search(Q, k=3)
    assert str(info.value).startswith(
        f"cannot read the saved faiss index (written by faiss {faiss.__version__}, this is {faiss.__version__}): "
    )


# -- hnswlib ----------------------------------------------------------------------------------


def test_hnswlib_passes_its_parameters_to_the_graph():
    G, Q = _data()
    searcher = HnswlibSearcher(M=7, ef_construction=33, ef_search=11).fit(G)
    index = searcher._live_index()
    assert (index.M, index.ef_construction, index.max_elements, index.element_count) == (7, 33, N, N)
    assert (index.space, index.dim) == ("ip", 6)
    searcher.search(Q, k=3)
    assert index.ef == 11
    searcher.search(Q, k=20)
    assert index.ef == 20  # at least k
    assert HnswlibSearcher(metric="euclidean").fit(G)._live_index().space == "l2"
    assert HnswlibSearcher(metric="cosine_distance").fit(G)._live_index().space == "l2"
    searcher.add(G[:5])
    assert (index.max_elements, index.element_count) == (N + 5, N + 5)
    assert sorted(index.get_ids_list()) == list(range(N + 5))


def test_hnswlib_and_annoy_seeds_fix_the_index():
    G, _ = _data()
    for cls in (HnswlibSearcher, AnnoySearcher):
        a = cls(random_state=3).fit(G).index_bytes_
        b = cls(random_state=3).fit(G).index_bytes_
        c = cls(random_state=4).fit(G).index_bytes_
        assert np.array_equal(a, b) and not np.array_equal(a, c), cls.__name__


@pytest.mark.parametrize("n_jobs,threads", [(1, 1), (2, 2), (-1, -1), (None, -1), (-2, -2)])
def test_n_jobs_reach_the_libraries(monkeypatch, n_jobs, threads):
    calls = []

    class Recorder:
        def __init__(self, *args, **kwargs):
            calls.append(("new", args, kwargs))

        def __getattr__(self, name):
            return lambda *args, **kwargs: calls.append((name, args, kwargs))

    class Module:
        Index = AnnoyIndex = Recorder

    monkeypatch.setattr(hnswlib_backend, "_hnswlib", lambda: Module)
    monkeypatch.setattr(annoy_backend, "_annoy", lambda: Module)
    G = np.ones((3, 2), np.float32)
    HnswlibSearcher(n_jobs=n_jobs, random_state=5)._new_index(G)
    HnswlibSearcher(n_jobs=n_jobs)._add_to_index(Recorder(), G, 3)
    AnnoySearcher(n_jobs=n_jobs, n_trees=4, random_state=6)._new_index(G)
    by_name = {}
    for name, args, kwargs in calls:
        by_name.setdefault(name, []).append((args, kwargs))
    assert by_name["init_index"] == [((), {"max_elements": 3, "M": 16, "ef_construction": 200, "random_seed": 5})]
    assert [kw["num_threads"] for _, kw in by_name["add_items"]] == [threads, threads]
    np.testing.assert_array_equal(by_name["add_items"][1][0][1], [3, 4, 5])
    assert by_name["resize_index"] == [((6,), {})]
    assert by_name["set_seed"] == [((6,), {})]
    assert by_name["build"] == [((4,), {"n_jobs": threads})]
    assert [args[0] for args, _ in by_name["add_item"]] == [0, 1, 2]
    tags = HnswlibSearcher(n_jobs=n_jobs).__sklearn_tags__(), AnnoySearcher(n_jobs=n_jobs).__sklearn_tags__()
    assert [t.non_deterministic for t in tags] == [n_jobs != 1] * 2


def test_hnswlib_retries_a_refused_query_with_a_wider_candidate_list():
    efs, calls = [], []

    class Index:
        def set_ef(self, ef):
            efs.append(ef)

        def knn_query(self, queries, k, num_threads):
            calls.append((queries, k, num_threads))
            if len(efs) == 1:
                raise RuntimeError("Cannot return the results in a contiguous 2D array")
            return np.zeros((len(queries), k), np.uint64), np.zeros((len(queries), k), np.float32)

    Q = np.ones((2, 3), np.float32)
    distances, ids = HnswlibSearcher(ef_search=10, n_jobs=2)._query(Index(), Q, 5)
    assert efs == [10, 20] and ids.dtype == np.int64 and ids.shape == (2, 5)
    assert [(q is Q, k, t) for q, k, t in calls] == [(True, 5, 2), (True, 5, 2)]
    efs.clear()
    HnswlibSearcher(ef_search=30)._query(Index(), Q, 5)
    assert efs == [30, 30]


def test_hnswlib_restored_index_must_match_the_metadata():
    G, Q = _data()
    searcher = HnswlibSearcher().fit(G)
    searcher.n_items_ = N - 1
    del searcher._index
    with pytest.raises(ModelFormatError) as info:
        searcher.search(Q, k=3)
    assert str(info.value) == (
        f"the saved hnswlib index has 6 dimensions and {N} vectors but the metadata says 6 and {N - 1}"
    )
    searcher = HnswlibSearcher().fit(G)
    searcher.index_bytes_ = searcher.index_bytes_[:47].copy()
    del searcher._index
    with pytest.raises(ModelFormatError, match="cannot read the saved hnswlib index.*47 bytes is too short"):
        searcher.search(Q, k=3)
    searcher = HnswlibSearcher().fit(G)
    searcher.index_bytes_ = searcher.index_bytes_[:48].copy()  # a whole header, no data
    del searcher._index
    with pytest.raises(ModelFormatError, match="cannot read the saved hnswlib index") as info:
        searcher.search(Q, k=3)
    assert "too short" not in str(info.value)  # 48 bytes hold the header: hnswlib itself refuses


# -- annoy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric,annoy_metric",
    [("inner_product", "dot"), ("cosine", "angular"), ("correlation", "angular"),
     ("cosine_distance", "angular"), ("euclidean", "euclidean")],
)
def test_annoy_metric_and_forest(metric, annoy_metric):
    assert annoy_backend._ANNOY_METRICS[metric] == annoy_metric
    G, _ = _data()
    index = AnnoySearcher(metric=metric, n_trees=4).fit(G)._live_index()
    assert (index.f, index.get_n_items(), index.get_n_trees()) == (6, N, 4)


def test_annoy_refuses_add_with_the_whole_message():
    G, _ = _data()
    searcher = AnnoySearcher(n_trees=2).fit(G)
    with pytest.raises(InputError) as info:
        searcher.add(G[:2])
    assert str(info.value) == (
        "annoy cannot add vectors to a built index; fit the AnnoySearcher again on all "
        "vectors, or use HnswlibSearcher / FaissSearcher, which accept add()"
    )


def test_annoy_copies_get_their_own_index_files():
    G, Q = _data()
    searcher = AnnoySearcher(n_trees=3).fit(G)
    state = searcher.__getstate__()
    assert not {"_index", "_tmpdir", "_n_files"} & set(state)
    assert pickle.loads(pickle.dumps(AnnoySearcher())).get_params() == AnnoySearcher().get_params()  # unfitted
    copied = copy.deepcopy(searcher)
    _assert_same(copied.search(Q, k=3), searcher.search(Q, k=3), atol=0)
    assert copied._tmpdir.name != searcher._tmpdir.name and copied._n_files == 1


def test_annoy_restored_index_must_match_the_metadata():
    G, Q = _data()
    searcher = AnnoySearcher(n_trees=2).fit(G)
    searcher.n_items_ = N + 2  # only the number of items contradicts the saved forest
    del searcher._index
    with pytest.raises(ModelFormatError) as info:
        searcher.search(Q, k=3)
    assert str(info.value) == (
        f"the saved annoy index has 6 dimensions and {N} vectors but the metadata says 6 and {N + 2}"
    )


def test_annoy_index_files_live_in_one_private_directory_as_long_as_the_searcher():
    import gc
    import os

    G, Q = _data()
    searcher = AnnoySearcher(n_trees=2).fit(G)
    directory = searcher._tmpdir.name
    assert os.path.basename(directory).startswith("classicx-annoy-")
    assert os.listdir(directory) == ["index1.ann"]
    before = searcher.search(Q, k=3)
    del searcher._index  # rebuilt from the bytes into a second file of the same directory
    _assert_same(searcher.search(Q, k=3), before, atol=0)
    assert searcher._tmpdir.name == directory
    assert sorted(os.listdir(directory)) == ["index1.ann", "index2.ann"]
    del searcher
    gc.collect()
    assert not os.path.exists(directory)


@pytest.mark.filterwarnings("ignore")
def test_serialising_writes_nothing_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    G, Q = _data()
    for searcher in (HnswlibSearcher().fit(G).add(G[:3]), AnnoySearcher(n_trees=2).fit(G), FaissSearcher("Flat").fit(G)):
        del searcher._index  # read back from the bytes
        searcher.search(Q, k=2)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cls", [FaissSearcher, HnswlibSearcher, AnnoySearcher])
def test_values_beyond_float32_are_refused_not_silently_infinite(cls):
    """The ANN indexes hold float32: input is validated in float32, so a value that overflows
    it is a clear error at fit and at search, not an infinite coordinate inside the index."""
    G, Q = _data()
    big = G.astype(np.float64)
    big[3, 1] = 1e39
    with pytest.raises(NonFiniteError, match="gallery holds NaN or infinity.*row 3.*float32"):
        cls().fit(big)
    searcher = cls().fit(G)
    with pytest.raises(NonFiniteError, match="queries holds NaN or infinity.*row 3.*float32"):
        searcher.search(big[:5])
