from __future__ import annotations

import numpy as np
import pytest

from classicx._utils import check_finite, check_paired, parallel_map
from classicx.exceptions import EmptyInputError, NonFiniteError, ShapeMismatchError


def test_check_paired():
    check_paired(3, 3)
    with pytest.raises(ShapeMismatchError, match="got 3 images and 2 texts"):
        check_paired(3, 2)
    with pytest.raises(EmptyInputError):
        check_paired(0, 0)


def test_check_finite_names_first_bad_row():
    X = np.zeros((5, 3))
    check_finite(X)
    X[3, 1] = np.nan
    X[4, 0] = np.inf
    with pytest.raises(NonFiniteError, match="2 row.*first at row 3"):
        check_finite(X, "X")


def test_parallel_map_keeps_order():
    items = list(range(20))
    assert parallel_map(np.square, items, n_jobs=2, verbose=False) == [i * i for i in items]
    assert parallel_map(np.square, items, n_jobs=1, verbose=False) == [i * i for i in items]
