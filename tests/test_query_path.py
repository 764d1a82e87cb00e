"""The single-query path (issue #15) gives the results of the batch path and of independent oracles."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from classicx import CrossModalRetriever, datasets
from classicx.image import BagOfVisualWords
from classicx.image import _base as image_base
from classicx.search import ExactSearcher, pairwise_scores
from classicx.search import exact as exact_module
from classicx.search._topk import top_k
from classicx.text import TfidfFeatures, TfidfLSA

_TEXTS = ["red circle on blue", "blue square", "a red square and a red circle", "green circle",
          "yellow triangle", "blue blue blue square", "circle", "nothing known here"]


def _oracle_tfidf(model: TfidfFeatures, texts) -> sp.csr_matrix:
    vectorizer = TfidfVectorizer(analyzer=model.tokenizer_, vocabulary=model.vocabulary_,
                                 sublinear_tf=model.sublinear_tf, norm=model.norm, smooth_idf=model.smooth_idf)
    vectorizer.idf_ = model.idf_
    return vectorizer.transform(texts)


@pytest.mark.filterwarnings("ignore::classicx.exceptions.EmptyFeatureWarning")
def test_tfidf_kept_vectorizer_equals_a_fresh_one_and_follows_changes():
    model = TfidfFeatures(verbose=False).fit(_TEXTS[:6])
    for text in _TEXTS:
        np.testing.assert_array_equal(model.transform([text]).toarray(), _oracle_tfidf(model, [text]).toarray())
    assert model._fitted_vectorizer() is model._fitted_vectorizer()  # built once
    model.set_params(norm="l1")
    np.testing.assert_array_equal(model.transform(_TEXTS).toarray(), _oracle_tfidf(model, _TEXTS).toarray())
    model.fit(["only new words", "words anew"])
    assert model.transform(["new words"]).shape == (1, len(model.vocabulary_))
    np.testing.assert_array_equal(model.transform(["new words"]).toarray(), _oracle_tfidf(model, ["new words"]).toarray())


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_lsa_components_are_stored_for_the_product_and_equal_scikit_learns(dtype, tol):
    texts = [f"{a} {b} {c}" for a in ("red", "blue", "green") for b in ("circle", "square") for c in ("big", "small")]
    lsa = TfidfLSA(n_components=3, random_state=0, verbose=False, dtype=dtype).fit(texts)
    assert lsa.components_.dtype == np.dtype(dtype)
    assert lsa.components_.flags.f_contiguous and lsa._projection().flags.c_contiguous
    assert lsa._projection().base is not None or lsa._projection() is lsa.components_.T  # a view, no copy
    X = lsa.tfidf_.transform(texts)
    expected = X.toarray().astype(dtype) @ np.ascontiguousarray(lsa.components_).T
    np.testing.assert_allclose(lsa.transform(texts), expected, rtol=tol, atol=tol)
    # A C-ordered components_ (as classicx 0.2 saved it) gives the same vectors, copied once.
    lsa.components_ = np.ascontiguousarray(lsa.components_)
    first = lsa._projection()
    assert first.flags.c_contiguous and lsa._projection() is first
    np.testing.assert_allclose(lsa.transform(texts), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("rows", [6, 1])
@pytest.mark.parametrize("k", [1, 3, 7, 12, 40])
def test_top_k_equals_a_stable_full_sort_with_ties(k, rows):
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 5, size=(6, 50)).astype(np.float32)  # many ties
    keys[2, :10] = -np.inf
    keys = keys[2:2 + rows] if rows == 1 else keys  # one row: the single-query path
    scores, idx = top_k(keys, k)
    order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(scores, np.take_along_axis(keys, order, axis=1))


@pytest.mark.parametrize("rows", [1, 7])
@pytest.mark.parametrize("k", [1, 10, 123, 2500])
@pytest.mark.parametrize("kind", ["normal", "ties", "masked"])
def test_top_k_of_long_rows_by_block_maxima_equals_a_stable_full_sort(k, rows, kind):
    # Rows of 10,007 keys take the threshold from block maxima (a ragged last block too).
    rng = np.random.default_rng(k + rows)
    n = 10_007
    if kind == "ties":
        keys = rng.integers(0, 4, size=(rows, n)).astype(np.float32)
    else:
        keys = rng.normal(size=(rows, n)).astype(np.float32)
    if kind == "masked":
        keys[:, rng.random(n) < 0.97] = -np.inf  # about 300 allowed items: fewer than k in one case
    if kind == "normal":
        keys[0, -1] = keys.max() + 1  # the best key alone in the last, short block
    scores, idx = top_k(keys, k)
    order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(scores, np.take_along_axis(keys, order, axis=1))


def test_the_block_maxima_threshold_is_a_lower_bound_of_the_kth_key():
    from classicx.search._topk import _threshold

    rng = np.random.default_rng(3)
    keys = rng.normal(size=(20, 50_000))
    for k in (1, 5, 50, 600):
        kth = np.sort(keys, axis=1)[:, -k]
        bound = _threshold(keys, k)
        assert (bound <= kth).all()
        # and a useful one: few keys beyond the top k reach it
        assert ((keys >= bound[:, None]).sum(axis=1) <= 4 * k + 20).all()


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "inner_product"])
def test_one_query_on_whole_rows_equals_the_running_merge_exactly(metric):
    rng = np.random.default_rng(1)
    G = rng.normal(size=(5000, 16))
    G[100] = G[4000]  # an exact tie across chunks
    searcher = ExactSearcher(metric=metric, chunk_size=512).fit(G)
    measure = exact_module.get_measure(metric)
    for q in rng.normal(size=(20, 16)):
        Q = np.ascontiguousarray(measure.prepare_queries(q[None], "q"), dtype=np.float32)
        G32 = searcher.gallery_
        full = searcher._full_rows(Q, G32, 10, None, measure)
        merged = searcher._chunked(Q, G32, 10, None, measure)
        np.testing.assert_array_equal(full[1], merged[1])
        np.testing.assert_array_equal(full[0], merged[0])
        scores, idx = searcher.search(q[None], k=10)
        np.testing.assert_array_equal(idx[0], full[1][0])


@pytest.mark.parametrize("metric, calls", [("cosine", 1), ("euclidean", 1), ("kl", 1), ("jensenshannon", 5)])
def test_whole_rows_take_one_product_and_other_measures_keep_to_blocks(metric, calls, monkeypatch):
    rng = np.random.default_rng(4)
    G, q = rng.random(size=(2500, 6)) + 0.01, rng.random(size=(1, 6)) + 0.01
    searcher = ExactSearcher(metric=metric, chunk_size=512, dtype="float64").fit(G)
    measure = exact_module.get_measure(metric)
    sizes = []

    def counted(Q, Gb, out):
        sizes.append(len(Gb))
        return measure.block(Q, Gb, out)

    monkeypatch.setattr(exact_module, "get_measure", lambda name: dataclasses.replace(measure, block=counted))
    scores, idx = searcher.search(q, k=7)
    assert len(sizes) == calls and sum(sizes) == 2500
    # The oracle: a stable sort of the unchunked scores of pairwise_scores (ties by index).
    expected = pairwise_scores(q, G, metric)[0]
    order = np.lexsort((np.arange(len(expected)), -expected))[:7]
    np.testing.assert_array_equal(idx[0], order)
    np.testing.assert_allclose(scores[0], expected[order], rtol=1e-12)


def test_a_single_query_runs_without_a_thread_pool(monkeypatch):
    rng = np.random.default_rng(2)
    gallery, queries = rng.normal(size=(300, 8)), rng.normal(size=(3, 8))
    searcher = ExactSearcher(n_jobs=2).fit(gallery)
    serial = ExactSearcher().fit(gallery)
    expected = [serial.search(queries[i : i + 1], k=4) for i in range(3)]
    np.testing.assert_array_equal(searcher.search(queries, k=4)[1], np.vstack([e[1] for e in expected]))

    def no_pool(*args, **kwargs):
        raise AssertionError("a thread pool was started for one query batch")

    monkeypatch.setattr(exact_module, "ThreadPoolExecutor", no_pool)
    for i in range(3):
        scores, idx = searcher.search(queries[i : i + 1], k=4)
        np.testing.assert_array_equal(idx, expected[i][1])
        np.testing.assert_array_equal(scores, expected[i][0])


@pytest.fixture(scope="module")
def fitted():
    data = datasets.load_synthetic(n_train=60, n_test=12, random_state=0)
    # The 0.2.0 pipeline (BoVW, TF-IDF + LSA, CCA) written out as specs: these tests read its parts.
    model = CrossModalRetriever(image_features="bovw(sift,16)", text_features="lsa(8)", aligner="cca(4)",
                                searcher="exact", n_jobs=2, verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    return model, data


def test_one_image_is_encoded_in_the_calling_thread_as_in_a_batch(fitted, monkeypatch):
    model, data = fitted
    images = list(data.test.images[:4])
    batch = model.image_features_.transform(images)

    def no_pool(*args, **kwargs):
        raise AssertionError("thread_imap was used for one image")

    monkeypatch.setattr(image_base, "thread_imap", no_pool)
    for i, image in enumerate(images):
        np.testing.assert_array_equal(model.image_features_.transform([image])[0], batch[i])


def test_search_text_equals_a_hand_written_minimal_path(fitted):
    """Oracle: scikit-learn's TfidfVectorizer, the LSA and CCA projections written out, numpy cosine ranking."""
    model, data = fitted
    tfidf, lsa, cca = model.text_features_.tfidf_, model.text_features_, model.aligner_
    weights = np.clip(cca.canonical_correlations_, 0, None) ** cca.weight_power
    gallery = model.image_gallery_.gallery_.astype(np.float64)
    for text in data.test.texts:
        x = _oracle_tfidf(tfidf, [text]).toarray() @ np.asarray(lsa.components_).T
        z = ((x - cca.y_mean_) / cca.y_std_) @ cca.y_weights_ * weights
        z = z[0] / (np.linalg.norm(z) or 1.0)
        scores = gallery @ z
        order = np.lexsort((np.arange(len(scores)), -np.round(scores, 5)))[:5]
        hits = model.search_text(text, k=5)
        np.testing.assert_allclose([h.score for h in hits], scores[[h.index for h in hits]], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(sorted(scores[order], reverse=True), [h.score for h in hits], rtol=1e-5, atol=1e-5)


def test_a_loaded_model_answers_single_queries_as_the_fitted_one(fitted, tmp_path):
    model, data = fitted
    model.save(tmp_path / "m")
    loaded = CrossModalRetriever.load(tmp_path / "m")
    for text, image in zip(data.test.texts, data.test.images):
        assert loaded.search_text(text, k=5) == model.search_text(text, k=5)
        assert loaded.search_image(image, k=5) == model.search_image(image, k=5)
    assert isinstance(loaded.image_features_, BagOfVisualWords)
