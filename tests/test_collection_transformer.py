"""CollectionTransformerMixin: the one fit_transform of ColorHistogram, CNNFeatures and SentenceEmbedding."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.base import CollectionTransformerMixin
from classicx.exceptions import InputTypeError
from classicx.image import CNNFeatures, ColorHistogram
from classicx.text import SentenceEmbedding
from classicx.utils.validation import check_images, check_texts


def test_the_three_transformers_share_one_fit_transform():
    for cls, check in ((ColorHistogram, check_images), (CNNFeatures, check_images), (SentenceEmbedding, check_texts)):
        assert issubclass(cls, CollectionTransformerMixin)
        assert "fit_transform" not in vars(cls)
        assert cls._check_collection is check


def test_a_generator_is_read_once_and_gives_what_fit_then_transform_gives():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(5)]
    consumed = []

    def stream():
        for image in images:
            consumed.append(1)
            yield image

    out = ColorHistogram(verbose=False).fit_transform(stream())
    assert len(consumed) == len(images)
    np.testing.assert_array_equal(out, ColorHistogram(verbose=False).fit(images).transform(images))


def test_bad_input_is_refused_by_the_collection_check():
    with pytest.raises(InputTypeError):
        ColorHistogram(verbose=False).fit_transform(3)
