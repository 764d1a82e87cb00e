"""Tests for classicx.metrics.relevance."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    ShapeMismatchError,
)
from classicx.metrics import relevance_from_labels, relevance_from_pairs


def test_single_labels():
    rel = relevance_from_labels([2, 0], [0, 2, 2, 1])
    assert rel.dtype == bool
    np.testing.assert_array_equal(rel, [[0, 1, 1, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(relevance_from_labels([2], [2, 1], graded=True), [[1, 0]])


def test_multi_labels_share_and_graded():
    q = np.array([[1, 0, 1], [0, 0, 0]])
    g = np.array([[1, 0, 1], [0, 1, 0], [0, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(relevance_from_labels(q, g), [[1, 0, 1, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(relevance_from_labels(q, g, graded=True), [[2, 0, 1, 2], [0, 0, 0, 0]])
    # bool indicators behave like 0/1
    np.testing.assert_array_equal(relevance_from_labels(q.astype(bool), g.astype(bool), graded=True)[0], [2, 0, 1, 2])


def test_whole_float_labels_are_categories():
    np.testing.assert_array_equal(relevance_from_labels([2.0, 0.0], [0, 2, 2, 1]), relevance_from_labels([2, 0], [0, 2, 2, 1]))


def test_pairs():
    rel = relevance_from_pairs([10, 11], [10, 10, 11, 12])
    np.testing.assert_array_equal(rel, [[1, 1, 0, 0], [0, 0, 1, 0]])


def test_errors():
    with pytest.raises(ShapeMismatchError, match="both be 1-D or both 2-D"):
        relevance_from_labels([1, 2], [[1, 0]])
    with pytest.raises(ShapeMismatchError, match="3 categories"):
        relevance_from_labels([[1, 0, 1]], [[1, 0]])
    with pytest.raises(InputError, match=r"query_labels\[0\] is 0.5"):
        relevance_from_labels([0.5], [1.0])
    with pytest.raises(InputTypeError, match="gallery_labels must hold integers"):
        relevance_from_labels([1], ["a"])
    with pytest.raises(InputError, match="0/1 indicator"):
        relevance_from_labels([[1, 2]], [[1, 0]])
    with pytest.raises(ShapeMismatchError):
        relevance_from_labels(1, [1])
    with pytest.raises(EmptyInputError):
        relevance_from_labels([], [1])
    with pytest.raises(ShapeMismatchError):
        relevance_from_pairs([[1]], [1])
