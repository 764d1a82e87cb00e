"""Fused text+image queries: the ends reproduce the single-modality searches exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classicx.exceptions import InputError, InputTypeError
from classicx.serve import fuse_vectors, fused_search, rank_gallery

# (A query of unknown words is refused by both, tests/test_retriever.py and tests/serve/test_refused_queries.py.)
QUERIES = ["a red circle", "large blue star on a striped background", "hexagon"]


@pytest.mark.filterwarnings("ignore::classicx.exceptions.EmptyFeatureWarning")  # the unknown-words query
@pytest.mark.parametrize("text", QUERIES)
def test_weight_0_is_search_text(model, data, text):
    expected = model.search_text(text, k=15)
    assert fused_search(model, text, weight=0.0, k=15) == expected
    # With an image given too, weight 0 ignores it entirely.
    assert fused_search(model, text, data.test.images[3], weight=0.0, target="images", k=15) == expected


@pytest.mark.parametrize("row", [0, 7, 39])
def test_weight_1_is_search_image(model, data, row):
    image = data.test.images[row]
    expected = model.search_image(image, k=15)
    assert fused_search(model, "a red circle", image, weight=1.0, target="texts", k=15) == expected
    assert fused_search(model, image=image, target="texts", k=15) == expected


def test_one_modality_alone_ignores_weight(model, data):
    assert fused_search(model, "a red circle", weight=0.7, k=5) == model.search_text("a red circle", k=5)
    image = data.test.images[1]
    assert fused_search(model, image=image, weight=0.2, target="texts", k=5) == model.search_image(image, k=5)


def test_fused_ranking_matches_an_oracle(model, data):
    """Between the ends: cosine of the gallery with (1-w) t/|t| + w i/|i|, computed here by hand."""
    text, image, weight = "a green square", data.test.images[5], 0.35
    t = model.transform_texts([text])[0].astype(np.float64)
    i = model.transform_images([image])[0].astype(np.float64)
    q = (1 - weight) * t / np.linalg.norm(t) + weight * i / np.linalg.norm(i)
    gallery = model.transform_images(data.train.images).astype(np.float64)
    cosine = gallery @ q / (np.linalg.norm(gallery, axis=1) * np.linalg.norm(q))
    order = np.argsort(-cosine, kind="stable")[:10]
    hits = fused_search(model, text, image, weight=weight, target="images", k=10)
    assert [h.index for h in hits] == order.tolist()
    np.testing.assert_allclose([h.score for h in hits], cosine[order], rtol=1e-4, atol=1e-5)
    assert [h.id for h in hits] == [data.train.ids[j] for j in order]
    assert [h.content for h in hits] == [data.train.descriptions[j] for j in order]


def test_text_to_texts_and_image_to_images(model, data):
    text_hits = fused_search(model, "a red circle", target="texts", k=4)
    assert text_hits == rank_gallery(model, model.transform_texts(["a red circle"]), target="texts", k=4)
    assert text_hits[0].content in data.train.texts
    image_hits = fused_search(model, image=data.train.images[2], target="images", k=1)
    # A gallery image queried against the image gallery finds itself first.
    assert image_hits[0].index == 2 and math.isclose(image_hits[0].score, 1.0, rel_tol=1e-5)


def test_k_larger_than_gallery_returns_the_whole_gallery(model):
    assert len(fused_search(model, "circle", k=10_000)) == len(model.image_ids_)


def test_fuse_vectors_unit_mix_and_ends():
    t, i = np.array([3.0, 0.0, 0.0]), np.array([0.0, 0.0, 2.0])
    np.testing.assert_allclose(fuse_vectors(t, i, 0.25), [[0.75, 0.0, 0.25]])
    assert fuse_vectors(t, i, 0.0) is not None and np.array_equal(fuse_vectors(t, i, 0.0), [t])
    assert np.array_equal(fuse_vectors(t, i, 1.0), [i])
    # A zero text vector (no known words) adds nothing instead of NaN.
    np.testing.assert_allclose(fuse_vectors(np.zeros(3), i, 0.5), [[0.0, 0.0, 0.5]])


@pytest.mark.parametrize("weight", [-0.1, 1.5, float("nan"), float("inf")])
def test_bad_weight_is_refused(model, weight):
    with pytest.raises(InputError, match="weight must lie between 0"):
        fused_search(model, "circle", weight=weight)


@pytest.mark.parametrize("weight", [True, "0.5", None])
def test_weight_of_wrong_type_is_refused(weight):
    with pytest.raises(InputTypeError, match="weight must be a number"):
        fuse_vectors(np.ones(2), np.ones(2), weight)


def test_bad_queries_are_refused(model, data):
    with pytest.raises(InputError, match="needs a text, an image, or both"):
        fused_search(model)
    with pytest.raises(InputError, match="'target' parameter must be one of \\['images', 'texts'\\]"):
        fused_search(model, "circle", target="audio")
    with pytest.raises(InputError, match="'k' parameter must be a positive integer"):
        fused_search(model, "circle", k=0)
    with pytest.raises(InputTypeError, match="text must be one string"):
        fused_search(model, ["circle"])
    with pytest.raises(InputTypeError, match="not a list"):
        fused_search(model, image=[data.test.images[0]])
    with pytest.raises(InputError, match="same length"):
        fuse_vectors(np.ones(3), np.ones(4), 0.5)


@pytest.mark.parametrize("text", QUERIES[:2])
def test_retriever_search_method_is_the_fused_query(model, data, text):
    image = data.test.images[5]
    assert model.search(text=text, image=image, weight=0.0, k=10) == model.search_text(text, k=10)
    assert model.search(text=text, image=image, weight=1.0, target="texts", k=10) == model.search_image(image, k=10)
    assert model.search(text=text, image=image, weight=0.4, target="texts", k=7) == fused_search(
        model, text, image, weight=0.4, target="texts", k=7
    )
