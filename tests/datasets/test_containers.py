"""Tests of Split and Dataset (classicx.datasets._containers)."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.datasets import Dataset, Split
from classicx.exceptions import ShapeMismatchError


def make_split(n=4, labels="1d"):
    lab = {"1d": np.arange(n) % 2, "2d": np.eye(n, 3, dtype=int), None: None}[labels]
    return Split(images=[f"{i}.jpg" for i in range(n)], texts=[f"t{i}" for i in range(n)], labels=lab,
                 ids=[str(i) for i in range(n)], image_ids=[f"i{i}" for i in range(n)],
                 descriptions=[f"d{i}" for i in range(n)])


def test_len_and_subset_keeps_rows_aligned():
    split = make_split(5)
    sub = split.subset([4, 1])
    assert len(sub) == 2
    assert sub.images == ["4.jpg", "1.jpg"] and sub.texts == ["t4", "t1"] and sub.ids == ["4", "1"]
    assert sub.image_ids == ["i4", "i1"] and sub.descriptions == ["d4", "d1"]
    np.testing.assert_array_equal(sub.labels, [0, 1])
    mask = np.array([True, False, True, False, False])
    assert split.subset(mask).ids == ["0", "2"]
    assert len(split.subset([])) == 0


def test_subset_multilabel_and_unlabelled():
    sub = make_split(4, "2d").subset([1])
    assert sub.is_multilabel and sub.labels.shape == (1, 3)
    assert make_split(3, None).subset([0, 2]).labels is None


def test_mismatched_fields_raise():
    with pytest.raises(ShapeMismatchError, match="3 texts but 2 images"):
        Split(images=["a", "b"], texts=["x", "y", "z"], labels=None, ids=["1", "2", "3"],
              image_ids=["a", "b", "c"], descriptions=["", "", ""])
    with pytest.raises(ShapeMismatchError, match="labels must have shape"):
        Split(images=["a"], texts=["x"], labels=np.array([0, 1]), ids=["1"], image_ids=["a"], descriptions=[""])
    with pytest.raises(ShapeMismatchError, match="boolean mask"):
        make_split(3).subset(np.array([True, False]))


def test_dataset_repr():
    data = Dataset(train=make_split(4), test=make_split(2), categories=["a", "b"], name="toy")
    assert repr(data) == "Dataset(name='toy', train=4 pairs, test=2 pairs, categories=2, skipped=0)"
    assert data.skipped_ids == []
