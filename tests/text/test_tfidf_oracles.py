"""TfidfFeatures (default settings) against TF-IDF written out from its definition:
sublinear tf ``1 + ln(tf)``, smoothed idf ``ln((1 + n) / (1 + df)) + 1``, l2-normalised rows.

Only ``TfidfFeatures()`` with default arguments is used, through ``fit``/``transform``, since its
constructor is being recomposed (issue #10). Written from the survivors of a mutation run (see
tests/README.md); includes the planted bug of issue #10 where ``transform`` re-resolved
``language="auto"`` per call instead of using the fitted ``language_``.
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
