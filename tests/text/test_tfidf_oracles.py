"""TfidfFeatures (default settings) against TF-IDF written out from its definition:
sublinear tf ``1 + ln(tf)``, smoothed idf ``ln((1 + n) / (1 + df)) + 1``, l2-normalised rows.

The TF-IDF tests use ``TfidfFeatures()`` with default arguments (written while its constructor
was being recomposed, issue #10); the ``TfidfLSA`` tests, added once the constructors were final,
compare it with scikit-learn's ``TruncatedSVD`` on the matrix of its own TF-IDF step. Written from
the survivors of mutation runs (see tests/README.md); includes the planted bug of issue #10 where
``transform`` re-resolved ``language="auto"`` per call instead of using the fitted ``language_``.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from classicx.exceptions import EmptyFeatureWarning
from classicx.text import TfidfFeatures

# Words chosen so that the default English tokenizer keeps each of them as one token.
TRAIN = [
    "red circle red circle red",
    "blue square",
    "red square green",
    "green circle blue blue",
]


def oracle(train_tokens, test_tokens):
    """Default TF-IDF by hand: (terms in column order, idf, rows of the test matrix)."""
    terms = sorted({t for doc in train_tokens for t in doc})
    n = len(train_tokens)
    df = {t: sum(t in doc for doc in train_tokens) for t in terms}
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in terms])
    rows = []
    for doc in test_tokens:
        counts = Counter(t for t in doc if t in df)
        row = np.array([(1 + math.log(counts[t])) if counts[t] else 0.0 for t in terms]) * idf
        norm = np.linalg.norm(row)
        rows.append(row / norm if norm else row)
    return terms, idf, np.array(rows)


def fitted_language(tf):
    """The language fixed at fit: ``language_`` before issue #10, ``tokenizer_.language_`` after."""
    return getattr(tf, "language_", None) or tf.tokenizer_.language_


def tokens(texts):
    return [t.lower().split() for t in texts]


def test_fit_transform_equals_the_definition():
    tf = TfidfFeatures().fit(TRAIN)
    test = ["red red red blue", "circle", "Square SQUARE green", "red circle red circle red"]
    terms, idf, expected = oracle(tokens(TRAIN), tokens(test))
    assert list(tf.get_feature_names_out()) == terms
    assert tf.vocabulary_ == {t: i for i, t in enumerate(terms)}
    np.testing.assert_allclose(tf.idf_, idf, rtol=1e-12)
    X = tf.transform(test)
    assert sp.issparse(X) and X.format == "csr" and X.dtype == np.float64
    np.testing.assert_allclose(X.toarray(), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tf.fit_transform(TRAIN).toarray(), oracle(tokens(TRAIN), tokens(TRAIN))[2], rtol=1e-12)
    assert fitted_language(tf) == "english"


def test_unseen_words_are_ignored_and_a_text_without_known_terms_is_a_zero_row_with_one_warning():
    tf = TfidfFeatures().fit(TRAIN)
    with pytest.warns(EmptyFeatureWarning, match="2 of 3 texts"):
        X = tf.transform(["purple hexagon", "red octagon", ""])
    dense = X.toarray()
    np.testing.assert_array_equal(dense[0], 0.0)
    np.testing.assert_array_equal(dense[2], 0.0)
    np.testing.assert_allclose(dense[1], oracle(tokens(TRAIN), [["red"]])[2][0])
    assert np.diff(X.indptr).tolist() == [0, 1, 0]


def test_no_warning_when_every_text_has_a_known_term():
    tf = TfidfFeatures().fit(TRAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.transform(["red", "blue square"])
        tf.fit_transform(TRAIN)


def test_fit_transform_warns_about_empty_training_rows():
    # 3 texts but 5 terms: the count is of texts (rows), not of terms.
    with pytest.warns(EmptyFeatureWarning, match="1 of 3 texts"):
        X = TfidfFeatures().fit_transform(["red circle square", "   ", "blue green"])
    assert X.shape == (3, 5)
    np.testing.assert_array_equal(X.toarray()[1], 0.0)


def test_a_corpus_without_any_token_is_refused():
    with pytest.raises(ValueError, match="no tokens"):
        TfidfFeatures().fit(["", "   ", "\n"])


def test_transform_before_fit_is_refused():
    with pytest.raises(ValueError, match="not fitted"):
        TfidfFeatures().transform(["red"])
    with pytest.raises(ValueError, match="not fitted"):
        TfidfFeatures().get_feature_names_out()


def test_transform_uses_the_fitted_language_not_a_new_guess():
    """Planted bug of issue #10: ``transform`` tokenising with ``language`` ("auto") again."""
    train = ["猫狗跑了", "狗追猫", "鸟飞猫看", "狗和猫是朋友"]
    tf = TfidfFeatures().fit(train)
    assert fitted_language(tf) == "chinese"
    assert "猫狗" in tf.vocabulary_  # character bigram of the Chinese segmenter
    # Mostly Latin text: a fresh guess would say "english" and drop the CJK bigrams.
    text = "a long sentence in plain english words about animals and more words 猫狗"
    X = tf.transform([text]).toarray()[0]
    assert X[tf.vocabulary_["猫狗"]] > 0
    # Same vector as a Chinese-language corpus text holding the same CJK tokens.
    np.testing.assert_allclose(X, tf.transform(["猫狗"]).toarray()[0], rtol=1e-12)


def test_feature_names_follow_the_column_order():
    tf = TfidfFeatures().fit(["zeta alpha", "mu alpha", "beta"])
    names = tf.get_feature_names_out()
    assert names.dtype == object
    for term, column in tf.vocabulary_.items():
        assert names[column] == term
    assert sorted(names) == list(names)  # scikit-learn sorts the vocabulary


# -- TfidfLSA: scikit-learn's TruncatedSVD on the TF-IDF matrix of its tfidf step -------------------

def outside_classicx(filename):
    """A warning points at the caller: outside the package (at this file in a plain run; under
    mutmut, whose trampoline adds a frame, at the trampoline)."""
    import os

    import classicx

    return not os.path.abspath(filename).startswith(os.path.dirname(os.path.abspath(classicx.__file__)))


LSA_TRAIN = [
    "red circle red circle red",
    "blue square blue",
    "red square green",
    "green circle blue blue",
    "yellow star yellow",
    "star circle green red",
]


@pytest.mark.parametrize("sublinear", [True, False])
def test_lsa_is_truncated_svd_of_its_tfidf_step(sublinear):
    from sklearn.decomposition import TruncatedSVD

    from classicx.text import TfidfLSA

    tfidf = TfidfFeatures(sublinear_tf=sublinear, verbose=False)
    lsa = TfidfLSA(3, tfidf=tfidf, n_iter=7, random_state=4, dtype="float64").fit(LSA_TRAIN)
    X = TfidfFeatures(sublinear_tf=sublinear, verbose=False).fit_transform(LSA_TRAIN)
    svd = TruncatedSVD(3, n_iter=7, random_state=4)
    Z = svd.fit_transform(X)
    np.testing.assert_allclose(lsa.components_, svd.components_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lsa.singular_values_, svd.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(lsa.explained_variance_ratio_, svd.explained_variance_ratio_, rtol=1e-10)
    test = ["red circle", "blue star star", "square"]
    X_test = TfidfFeatures(sublinear_tf=sublinear, verbose=False).fit(LSA_TRAIN).transform(test)
    np.testing.assert_allclose(lsa.transform(test), svd.transform(X_test), rtol=1e-10, atol=1e-12)
    exact = TfidfLSA(3, tfidf=tfidf, n_iter=7, random_state=4, dtype="float64")
    np.testing.assert_allclose(exact.fit_transform(LSA_TRAIN), Z, rtol=1e-10, atol=1e-12)
    assert lsa.n_components_ == 3
    assert list(lsa.get_feature_names_out()) == ["tfidflsa0", "tfidflsa1", "tfidflsa2"]
    assert lsa.get_feature_names_out().dtype == object


def test_lsa_defaults_are_truncated_svds_and_the_tfidf_defaults():
    """``n_iter=5`` is TruncatedSVD's default, ``tfidf=None`` means ``TfidfFeatures()``."""
    import inspect

    from sklearn.decomposition import TruncatedSVD

    from classicx.text import TfidfLSA

    params = TfidfLSA().get_params()  # what the constructor stores when given nothing
    assert params["n_components"] == 100  # documented: "n_components : int, default=100"
    assert params["verbose"] is True  # documented: "verbose : bool, default=True"
    assert params["dtype"] == "float32"  # documented: 'dtype : {"float32", "float64"}, default="float32"'
    assert params["n_iter"] == inspect.signature(TruncatedSVD).parameters["n_iter"].default
    lsa = TfidfLSA(3, random_state=0, verbose=False).fit(LSA_TRAIN)
    svd = TruncatedSVD(3, random_state=0).fit(TfidfFeatures().fit_transform(LSA_TRAIN))
    np.testing.assert_allclose(lsa.singular_values_, svd.singular_values_, rtol=1e-10)
    assert lsa.tfidf_.get_params() == TfidfFeatures(verbose=False).get_params()
    assert lsa.tfidf is None  # the parameter is never replaced by the fitted part


def test_float32_lsa_keeps_the_float64_svd_rounded_and_multiplies_in_float32():
    """dtype="float32": the components are the float64 SVD's rounded to float32 (bit for bit),
    transform is the float32 product of the TF-IDF rows with them, returned as float64."""
    from classicx.text import TfidfLSA

    test = ["red circle", "blue star star", "square"]
    exact = TfidfLSA(3, n_iter=7, random_state=4, verbose=False, dtype="float64").fit(LSA_TRAIN)
    lsa = TfidfLSA(3, n_iter=7, random_state=4, verbose=False).fit(LSA_TRAIN)
    assert lsa.components_.dtype == np.float32 and lsa.components_.flags.f_contiguous
    np.testing.assert_array_equal(lsa.components_, exact.components_.astype(np.float32))
    np.testing.assert_array_equal(lsa.singular_values_, exact.singular_values_)
    X = lsa.tfidf_.transform(test).astype(np.float32)
    expected = (X @ lsa.components_.T).astype(np.float64)
    got = lsa.transform(test)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got, exact.transform(test), rtol=0, atol=1e-6)
    # a batch and one text give the same rows
    np.testing.assert_allclose(lsa.transform(test[:1]), got[:1], rtol=1e-6, atol=1e-7)


def test_lsa_seed_is_passed_to_the_svd():
    from sklearn.decomposition import TruncatedSVD

    from classicx.text import TfidfLSA

    rng = np.random.default_rng(0)
    words = [f"w{a}{b}" for a in "abcdefgh" for b in "abcdefgh"]  # 64 terms
    texts = [" ".join(rng.choice(words, size=6)) for _ in range(80)]
    X = TfidfFeatures().fit_transform(texts)
    # n_iter=0 on a rank-64 matrix: the randomized range finder alone, so the seed matters
    for seed in (0, 1):
        lsa = TfidfLSA(3, n_iter=0, random_state=seed, verbose=False, dtype="float64").fit(texts)
        svd = TruncatedSVD(3, n_iter=0, random_state=seed).fit(X)
        np.testing.assert_allclose(lsa.components_, svd.components_, rtol=1e-10, atol=1e-12)
    a = TfidfLSA(3, n_iter=0, random_state=0, verbose=False).fit(texts).singular_values_
    b = TfidfLSA(3, n_iter=0, random_state=1, verbose=False).fit(texts).singular_values_
    assert np.abs(a - b).max() > 1e-6


def test_lsa_caps_n_components_at_the_rank_bound_without_a_warning(caplog):
    """Issue #11: a preset's lsa(200) on a small caption collection is normal data, not a mistake.

    The cap is min(n_texts, n_terms) (documented on ``n_components``), and the capped LSA is the
    truncated SVD of that many components: the same as asking for exactly that many.
    """
    import logging

    from sklearn.decomposition import TruncatedSVD

    from classicx.text import TfidfLSA

    texts = ["red circle", "blue square", "red square"]  # 3 texts, 4 terms
    with warnings.catch_warnings(), caplog.at_level(logging.INFO, logger="classicx.text.tfidf"):
        warnings.simplefilter("error")
        lsa = TfidfLSA(10, random_state=0, verbose=False).fit(texts)
    assert lsa.n_components_ == 3 == lsa.components_.shape[0]
    assert "n_components=10 capped at 3" in caplog.text and "min(n_texts=3, n_terms=4)" in caplog.text
    X = TfidfFeatures(verbose=False).fit_transform(texts)
    svd = TruncatedSVD(3, random_state=0).fit(X)
    np.testing.assert_allclose(lsa.singular_values_, svd.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(lsa.transform(["red"]), TfidfLSA(3, random_state=0, verbose=False)
                               .fit(texts).transform(["red"]), rtol=1e-10, atol=1e-12)
    wide = ["red circle big", "blue square"]  # 2 texts, 5 terms: the texts bound the rank
    assert TfidfLSA(10, random_state=0, verbose=False).fit(wide).n_components_ == 2
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="classicx.text.tfidf"):
        TfidfLSA(3, random_state=0, verbose=False).fit(texts)  # exactly the bound: nothing to say
    assert "capped" not in caplog.text


def test_default_preset_text_stage_does_not_warn_on_the_demo_captions():
    """The default preset's text stage on ``classicx demo``'s captions (fewer than 200 terms)."""
    from classicx.datasets import load_synthetic
    from classicx.presets import default_stages

    texts = load_synthetic(n_train=60, n_test=0, image_size=32, random_state=0).train.texts
    text_stage = default_stages()["text_features"].set_params(lsa__verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = text_stage.fit_transform(texts)
    lsa = text_stage.transformers_[0][1]
    n_terms = len(lsa.tfidf_.vocabulary_)
    assert n_terms < 200 and Z.shape == (60, lsa.n_components_) == (60, min(60, n_terms))


def test_lsa_fit_transform_warns_once_about_empty_training_texts():
    from classicx.text import TfidfLSA

    texts = LSA_TRAIN + ["   "]
    with pytest.warns(EmptyFeatureWarning) as record:
        Z = TfidfLSA(2, random_state=0, verbose=False).fit_transform(texts)
    assert [str(r.message).split(" texts")[0] for r in record] == [f"1 of {len(texts)}"]
    assert outside_classicx(record[0].filename)
    np.testing.assert_array_equal(Z[-1], 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TfidfLSA(2, random_state=0, verbose=False).fit(texts)  # fit alone does not warn


def test_lsa_verbose_false_silences_its_tfidf_step():
    from classicx.text import TfidfLSA

    lsa = TfidfLSA(2, tfidf=TfidfFeatures(verbose=True), random_state=0, verbose=False).fit(LSA_TRAIN)
    assert lsa.tfidf_.verbose is False
    assert lsa.tfidf.verbose is True  # the user's part is not touched
    loud = TfidfLSA(2, tfidf=TfidfFeatures(verbose=True), random_state=0, verbose=True).fit(LSA_TRAIN)
    assert loud.tfidf_.verbose is True
