"""Tests for caption-retrieval R@K and median rank (Flickr30k/COCO convention)."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import InputError
from classicx.metrics import (
    bidirectional_caption_recall,
    caption_recall,
    first_relevant_rank,
)
from classicx.search import ExactSearcher


def test_first_relevant_rank_and_recall_hand_computed():
    rel = np.eye(5, dtype=bool)
    ranking = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2], [3, 4, 0], [0, 1, 2]])
    np.testing.assert_array_equal(first_relevant_rank(ranking, rel), [1, 2, 3, 1, np.inf])
    out = caption_recall(ranking, rel, ks=(1, 3))
    assert out["R@1"] == pytest.approx(40.0)
    assert out["R@3"] == pytest.approx(80.0)
    assert out["median_rank"] == 2.0
    assert out["mean_rank"] == np.inf
    with pytest.raises(InputError, match="ranking width 3"):
        caption_recall(ranking, rel, ks=(5,))


def test_bidirectional_with_five_captions_per_image():
    # 4 images with 5 captions each; captions are noisy copies of their image vector.
    rng = np.random.default_rng(0)
    images = rng.normal(size=(4, 8))
    image_ids = np.arange(4)
    text_ids = np.repeat(image_ids, 5)
    texts = images[text_ids] + 0.01 * rng.normal(size=(20, 8))
    texts[0] = images[3]  # caption 0 of image 0 describes image 3 instead
    _, i2t = ExactSearcher().fit(texts).search(images, k=None)
    _, t2i = ExactSearcher().fit(images).search(texts, k=None)
    out = bidirectional_caption_recall(i2t, t2i, image_ids, text_ids, ks=(1, 5, 10))
    # image 3's best match is caption 0 (of image 0); its own captions come next
    assert out["image_to_text"]["R@1"] == 75.0
    assert out["image_to_text"]["mean_rank"] == pytest.approx((1 + 1 + 1 + 2) / 4)
    assert out["text_to_image"]["R@1"] == pytest.approx(95.0)  # 19 of 20 captions
    assert out["text_to_image"]["median_rank"] == 1.0
    assert out["text_to_image"]["R@5"] == 100.0
    ranks = first_relevant_rank(t2i, (text_ids[:, None] == image_ids[None, :]))
    assert ranks[0] > 1 and np.all(ranks[1:] == 1)
    assert out["rsum"] == pytest.approx(sum(out[d][f"R@{k}"] for d in ("image_to_text", "text_to_image") for k in (1, 5, 10)))
