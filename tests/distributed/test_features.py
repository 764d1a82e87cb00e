"""Text and image features from dask bags equal the in-memory features."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
db = pytest.importorskip("dask.bag")

from classicx.exceptions import EmptyInputError, InputTypeError
from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

WORDS = [f"w{i}" for i in range(60)]


@pytest.fixture(scope="module")
def corpus():
    # Three topics of twenty words, each text mostly from one: a spectrum with clear gaps.
    rng = np.random.default_rng(0)
    texts = []
    for i in range(400):
        topic = i % 3
        own = rng.choice(WORDS[20 * topic : 20 * topic + 20], size=12)
        other = rng.choice(WORDS, size=3)
        texts.append(" ".join([*own, *other]))
    texts[7] = "zzz unique rare"
    return texts


@pytest.mark.parametrize(
    "make",
    [
        lambda: TfidfFeatures(verbose=False),
        lambda: TfidfFeatures(min_df=2, max_df=0.9, max_features=30, smooth_idf=False, verbose=False),
        lambda: TfidfFeatures(tokenizer=Tokenizer(ngram_range=(1, 2)), min_df=0.01, verbose=False),
    ],
    ids=["default", "limits", "bigrams"],
)
def test_tfidf_from_a_bag_equals_in_memory(thread_client, corpus, make):
    ref = make().fit(corpus)
    bag = db.from_sequence(corpus, npartitions=5)
    est = make().fit(bag)
    assert est.vocabulary_ == ref.vocabulary_
    np.testing.assert_allclose(est.idf_, ref.idf_, rtol=1e-12)
    assert est.tokenizer_.language_ == ref.tokenizer_.language_
    X = est.transform(bag)
    assert isinstance(X, da.Array) and X.shape == (len(corpus), len(ref.vocabulary_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ref.transform(corpus).toarray()
    np.testing.assert_allclose(X.compute().toarray(), expected, rtol=1e-12)


def test_lsa_by_randomised_svd_on_the_workers(thread_client, corpus):
    # Threads only: the text stage in worker processes is exercised by the preset fit on local:2.
    import scipy.sparse.linalg

    bag = db.from_sequence(corpus, npartitions=4)
    lsa = TfidfLSA(n_components=3, n_iter=8, random_state=0, verbose=False).fit(bag)
    tfidf = TfidfFeatures(verbose=False).fit(corpus)
    assert lsa.tfidf_.vocabulary_ == tfidf.vocabulary_
    X = tfidf.transform(corpus)
    # Oracle: the exact top singular triplets of the same TF-IDF matrix.
    _, s, Vt = scipy.sparse.linalg.svds(X, k=3)
    order = np.argsort(s)[::-1]
    np.testing.assert_allclose(lsa.singular_values_, s[order], rtol=1e-6)
    overlap = np.abs(lsa.components_ @ Vt[order].T)
    np.testing.assert_allclose(np.diag(overlap), 1.0, atol=1e-6)
    # The explained variance ratios match scikit-learn's definition on the same components.
    Z = X @ lsa.components_.T
    total = X.toarray().var(axis=0).sum()
    np.testing.assert_allclose(lsa.explained_variance_ratio_, Z.var(axis=0) / total, rtol=1e-6)
    out = lsa.transform(bag)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), lsa.transform(corpus), rtol=1e-10, atol=1e-12)


def test_bad_bags_are_refused(thread_cluster):
    from distributed import Client

    with Client(thread_cluster):
        with pytest.raises(InputTypeError, match="text 1 of partition 1 is int"):
            TfidfFeatures(verbose=False).fit(db.from_sequence(["a b", "c d", "e", 5], npartitions=2))
        with pytest.raises(EmptyInputError, match="no tokens"):
            TfidfFeatures(verbose=False).fit(db.from_sequence(["", "  "], npartitions=2))


@pytest.mark.integration
def test_image_encoder_on_a_bag_of_paths(thread_client, webnews_dir):
    from classicx.image import BagOfVisualWords

    paths = sorted(str(p) for p in (webnews_dir / "images").rglob("*.jpg"))[:8]
    encoder = BagOfVisualWords(vocabulary=16, random_state=0, verbose=False).fit(paths[:4])
    out = encoder.transform(db.from_sequence(paths, npartitions=3))
    assert isinstance(out, da.Array) and out.shape == (8, encoder.n_features_out_)
    np.testing.assert_array_equal(out.compute(), encoder.transform(paths))


def test_image_encoder_on_a_bag_of_bytes(thread_cluster):
    import cv2
    from distributed import Client

    from classicx.image import BagOfVisualWords

    rng = np.random.default_rng(0)
    images = [cv2.imencode(".png", rng.integers(0, 255, size=(64, 64), dtype=np.uint8))[1].tobytes() for _ in range(6)]
    encoder = BagOfVisualWords(vocabulary=8, random_state=0, verbose=False).fit(images)
    with Client(thread_cluster):
        out = encoder.transform(db.from_sequence(images, npartitions=2)).compute()
    np.testing.assert_array_equal(out, encoder.transform(images))
