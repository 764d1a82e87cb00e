"""The validation layer's plain-array fast paths (issue #15) give what scikit-learn's functions give."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.validation import check_array as sk_check_array

from classicx.exceptions import NonFiniteError, NotFittedError, ShapeMismatchError
from classicx.search import ExactSearcher
from classicx.utils.validation import _plain_float_target, check_array, check_is_fitted, validate_data

DTYPES = ["numeric", None, np.float32, np.float64, [np.float64, np.float32], [np.float32, np.float64], (np.float32,)]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("given", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_plain_float_arrays_come_back_as_scikit_learn_returns_them(dtype, given, order):
    X = np.asarray(np.random.default_rng(0).normal(size=(4, 3)), dtype=given, order=order)
    assert _plain_float_target(X, dtype, 1, 1, False) is not None  # the fast path is taken
    mine, theirs = check_array(X, dtype=dtype), sk_check_array(X, dtype=dtype)
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
    np.testing.assert_array_equal(mine, theirs)
    assert (mine is X) == (theirs is X)


@pytest.mark.parametrize("X", [
    np.zeros((2, 3), dtype=np.int64),            # integers: converted by scikit-learn
    np.zeros((2, 3, 1)),                         # n-D
    np.zeros(3),                                 # 1-D
    np.ma.zeros((2, 3)),                         # an ndarray subclass
])
def test_other_inputs_take_scikit_learns_path(X):
    assert _plain_float_target(X, "numeric", 1, 1, False) is None


def test_copy_and_too_few_rows_take_scikit_learns_path():
    X = np.zeros((1, 3))
    assert _plain_float_target(X, "numeric", 1, 1, True) is None
    assert _plain_float_target(X, "numeric", 2, 1, False) is None
    assert _plain_float_target(X, [np.int32], 1, 1, False) is None


def test_the_fast_path_still_refuses_nan_and_huge_values_naming_the_row():
    X = np.ones((3, 2))
    X[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match="row 2"):
        check_array(X, name="queries")
    big = np.ones((3, 2))
    big[1, 0] = 1e200
    with pytest.raises(NonFiniteError, match="row 1"):
        check_array(big, name="queries")
    # A cast to float32 that overflows is reported, with the conversion named.
    with pytest.raises(NonFiniteError, match="float32"):
        check_array(np.full((2, 2), 1e300), dtype=np.float32)


def test_validate_data_fast_path_raises_scikit_learns_message():
    searcher = ExactSearcher().fit(np.eye(4, dtype=np.float32))
    assert validate_data(searcher, np.ones((2, 4)), reset=False).shape == (2, 4)
    with pytest.raises(ShapeMismatchError, match="X has 3 features, but ExactSearcher is expecting 4 features"):
        validate_data(searcher, np.ones((2, 3)), reset=False)


def test_check_is_fitted_fast_path_agrees_with_scikit_learn():
    searcher = ExactSearcher()
    with pytest.raises(NotFittedError):
        check_is_fitted(searcher, "gallery_")
    searcher.fit(np.eye(3, dtype=np.float32))
    check_is_fitted(searcher, "gallery_")
    with pytest.raises(TypeError):
        check_is_fitted(ExactSearcher, "fit")  # a class, as scikit-learn says
