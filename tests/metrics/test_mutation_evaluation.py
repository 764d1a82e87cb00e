"""evaluate_retrieval and RetrievalReport: tests written from the survivors of the session-5
mutation run of ``metrics/evaluation.py`` (see tests/README.md, "Session 5")."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import NonFiniteError, ParameterError
from classicx.metrics import RetrievalReport, evaluate_retrieval


def test_table_is_the_documented_fixed_width_layout():
    report = RetrievalReport(
        0.5, 0.25, 0.125, 0.0625, 0.1, 0.2, k=3, n_queries=12, relevance="same label",
        extra={"map_at_r_image_to_text": 0.75, "map_at_r_text_to_image": 0.5},
    )
    assert report.to_table() == (
        "            image→text  text→image\n"
        "MAP             0.5000      0.2500\n"
        "P@3             0.1250      0.0625\n"
        "chance MAP      0.1000      0.2000\n"
        "MAP@R           0.7500      0.5000\n"
        "(12 queries each way; relevant = same label)"
    )


def test_an_extra_of_one_direction_only_is_not_tabled():
    report = RetrievalReport(
        0.5, 0.25, 0.125, 0.0625, 0.1, 0.2, k=3, n_queries=12, relevance="the paired item",
        extra={"map_at_r_image_to_text": 0.75, "recall_at_k_text_to_image": 0.5},
    )
    assert [line.split()[0] for line in report.to_table().splitlines()[1:-1]] == ["MAP", "P@3", "chance"]


def test_default_cutoff_is_ten():
    rng = np.random.default_rng(0)
    images, texts = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    labels = np.arange(30) % 3
    default = evaluate_retrieval(images, texts, labels)
    assert default.k == 10
    assert default == evaluate_retrieval(images, texts, labels, k=10)
    assert default.precision_image_to_text != evaluate_retrieval(images, texts, labels, k=11).precision_image_to_text


def test_float64_default_separates_what_float32_rounds_to_a_tie():
    # Image 1's partner (text 1) is ahead of text 0 by a cosine of about 1e-10: float64 ranks
    # it first, float32 rounds both cosines to 1.0 and the tie goes to the smaller index.
    images = np.array([[1.0, -1e-5], [1.0, 1e-5]])
    texts = np.array([[1.0, 0.0], [1.0, 1e-5]])
    assert evaluate_retrieval(images, texts).map_image_to_text == 1.0
    assert evaluate_retrieval(images, texts, dtype="float64").map_image_to_text == 1.0
    assert evaluate_retrieval(images, texts, dtype="float32").map_image_to_text == 0.75


def test_messages_name_the_argument():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    with pytest.raises(ParameterError) as info:
        evaluate_retrieval(a, b, dtype="float16")
    assert str(info.value) == "The 'dtype' parameter must be one of ['float64', 'float32']. Got 'float16' instead."
    with pytest.raises(ParameterError) as info:
        evaluate_retrieval(a, b, extra=["map@r"])
    assert str(info.value) == (
        "The 'extra' parameter must be one of ['map_at_k', 'map_at_r', 'recall_at_k', 'ndcg_at_k']. "
        "Got 'map@r' instead."
    )
    bad = a.copy()
    bad[2, 1] = np.nan
    with pytest.raises(NonFiniteError) as info:
        evaluate_retrieval(bad, b)
    assert str(info.value) == "image_vectors holds NaN or infinity in 1 row(s); first at row 2"
    with pytest.raises(NonFiniteError) as info:
        evaluate_retrieval(a, bad)
    assert str(info.value) == "text_vectors holds NaN or infinity in 1 row(s); first at row 2"
