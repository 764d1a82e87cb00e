"""Vocabularies: defaults, the checks of descriptors to assign and the default ``k`` of
``nearest``, written from the survivors of the session-6 mutation run of
``classicx/image/vocabulary.py`` (see tests/README.md, "Session 6 runs").

Oracles: the documented defaults and messages, and scipy's ``cdist`` for the nearest word.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from classicx.exceptions import InputTypeError, ShapeMismatchError
from classicx.image import BinaryKMeansVocabulary, KMeansVocabulary


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    float_vocabulary = KMeansVocabulary(n_words=3, random_state=0).fit(rng.normal(size=(60, 2)).astype(np.float32))
    codes = rng.integers(0, 256, size=(60, 4), dtype=np.uint8)
    binary_vocabulary = BinaryKMeansVocabulary(n_words=3, random_state=0).fit(codes)
    return float_vocabulary, binary_vocabulary, rng


def test_binary_kmeans_defaults_are_the_documented_ones():
    assert BinaryKMeansVocabulary().get_params() == {
        "n_words": 512, "max_iter": 30, "sample_size": 100_000, "n_jobs": None, "random_state": None,
    }


def test_nearest_gives_one_word_by_default(fitted):
    float_vocabulary, binary_vocabulary, rng = fitted
    X = rng.normal(size=(7, 2))
    idx, dist = float_vocabulary.nearest(X)
    d = cdist(X.astype(np.float32), float_vocabulary.centers_)
    assert idx.shape == dist.shape == (7, 1)
    np.testing.assert_array_equal(idx[:, 0], d.argmin(axis=1))
    np.testing.assert_allclose(dist[:, 0], d.min(axis=1), rtol=1e-4, atol=1e-5)
    codes = rng.integers(0, 256, size=(5, 4), dtype=np.uint8)
    idx, dist = binary_vocabulary.nearest(codes)
    hamming = cdist(np.unpackbits(codes, axis=1), np.unpackbits(binary_vocabulary.centers_, axis=1), "hamming") * 32
    assert idx.shape == dist.shape == (5, 1)
    np.testing.assert_array_equal(dist[:, 0], hamming.min(axis=1))
    np.testing.assert_array_equal(hamming[np.arange(5), idx[:, 0]], hamming.min(axis=1))


def test_descriptors_to_assign_need_the_fitted_feature_count(fitted):
    float_vocabulary, binary_vocabulary, _ = fitted
    message = "KMeansVocabulary: X has 3 features, but KMeansVocabulary is expecting 2 features as input."
    with pytest.raises(ShapeMismatchError, match=f"^{re.escape(message)}$"):
        float_vocabulary.predict(np.ones((3, 3)))
    assert float_vocabulary.n_features_in_ == 2
    message = "BinaryKMeansVocabulary: X has 5 features, but BinaryKMeansVocabulary is expecting 4 features as input."
    with pytest.raises(ShapeMismatchError, match=f"^{re.escape(message)}$"):
        binary_vocabulary.predict(np.ones((3, 5), dtype=np.uint8))
    assert binary_vocabulary.n_features_in_ == 4


def test_binary_descriptors_to_assign_must_be_packed_bits(fitted):
    _, binary_vocabulary, _ = fitted
    message = "BinaryKMeansVocabulary: binary descriptors must be packed uint8 bits, got dtype float64"
    with pytest.raises(InputTypeError, match=f"^{re.escape(message)}$"):
        binary_vocabulary.predict(np.ones((3, 4)))
