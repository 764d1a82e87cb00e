"""The single-text TF-IDF path (issue #15) against scikit-learn's fitted TfidfVectorizer, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

WORDS = [f"w{i}" for i in range(40)]


def _texts(rng: np.random.Generator, n: int) -> list[str]:
    texts = []
    for _ in range(n):
        length = int(rng.integers(1, 30))
        # Zipf-like repeats, and words never seen at fit time (oov*).
        words = [WORDS[min(int(rng.zipf(1.3)), len(WORDS)) - 1] for _ in range(length)]
        words += [f"oov{int(rng.integers(5))}" for _ in range(int(rng.integers(0, 3)))]
        texts.append(" ".join(rng.permutation(words)))
    return texts


@pytest.mark.parametrize("sublinear_tf", [True, False])
@pytest.mark.parametrize("norm", ["l2", "l1", None])
def test_one_text_is_scikit_learns_row_to_the_last_bit(sublinear_tf, norm):
    rng = np.random.default_rng(7)
    train = _texts(rng, 60)
    features = TfidfFeatures(tokenizer=Tokenizer(language="english"), sublinear_tf=sublinear_tf, norm=norm,
                             verbose=False).fit(train)
    reference = features._fitted_vectorizer()
    queries = _texts(rng, 40) + ["oov1 oov2", "w3", "w3 w3 w3 w0"]
    for query in queries:
        mine = features.transform([query])
        theirs = reference.transform([query]).tocsr()
        assert isinstance(mine, sp.csr_matrix) and mine.shape == theirs.shape
        np.testing.assert_array_equal(mine.indptr, theirs.indptr)
        np.testing.assert_array_equal(mine.indices, theirs.indices)
        assert mine.data.dtype == theirs.data.dtype == np.float64
        np.testing.assert_array_equal(mine.data, theirs.data), query
    # And a batch through scikit-learn gives the same rows as one text at a time.
    batch = features.transform(queries)
    stacked = sp.vstack([features.transform([q]) for q in queries]).tocsr()
    assert (batch != stacked).nnz == 0


def test_lsa_of_one_text_equals_its_row_in_a_batch():
    rng = np.random.default_rng(3)
    train = _texts(rng, 80)
    lsa = TfidfLSA(n_components=5, random_state=0, verbose=False).fit(train)
    queries = _texts(rng, 10)
    batch = lsa.transform(queries)
    for i, query in enumerate(queries):
        np.testing.assert_allclose(lsa.transform([query])[0], batch[i], rtol=1e-12, atol=1e-15)
