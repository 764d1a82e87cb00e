"""The validation layer's plain-array fast paths (issue #15) give what scikit-learn's functions give."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array as sk_check_array

from classicx.exceptions import NonFiniteError, NotFittedError, ShapeMismatchError
from classicx.search import ExactSearcher
from classicx.utils.validation import (
    _finite_within_limit,
    _plain_float_target,
    check_array,
    check_finite,
    check_is_fitted,
    check_magnitude,
    magnitude_limit,
    validate_data,
)

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


def _passes_both_full_checks(X) -> bool:
    try:
        check_finite(X)
        check_magnitude(X)
    except NonFiniteError:
        return False
    return True


@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf, 1e200, -1e200, 3.0])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", ["dense", "csr", "csc", "coo"])
def test_one_bound_test_agrees_with_the_finite_and_magnitude_checks(bad, dtype, kind):
    import scipy.sparse as sp

    X = np.asarray(np.random.default_rng(1).normal(size=(5, 4)), dtype=np.float64)
    if bad is not None:
        X[3, 2] = bad
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    if kind != "dense":
        if dtype == np.float16:
            pytest.skip("scipy.sparse has no float16")
        X = getattr(sp, f"{kind}_matrix")(X)
    expected = _passes_both_full_checks(X)
    if kind == "coo":
        assert not _finite_within_limit(X)  # COO may hold duplicates: always the full checks
    else:
        assert _finite_within_limit(X) is expected
    # check_array refuses exactly what the two checks refuse.
    if expected:
        check_array(X, accept_sparse=True, dtype=None)
    else:
        with pytest.raises(NonFiniteError, match="row 3"):
            check_array(X, accept_sparse=True, dtype=None)


def test_the_bound_test_sits_exactly_at_the_magnitude_limit():
    limit = magnitude_limit(np.float64, 2, 3)
    X = np.zeros((2, 3))
    X[1, 1] = limit
    assert _finite_within_limit(X) and _passes_both_full_checks(X)
    X[1, 1] = np.nextafter(limit, np.inf)
    assert not _finite_within_limit(X) and not _passes_both_full_checks(X)
    X[1, 1] = -np.nextafter(limit, np.inf)
    assert not _finite_within_limit(X)


def test_integer_complex_and_empty_arrays_in_the_bound_test():
    assert _finite_within_limit(np.ones((2, 2), dtype=np.int64))
    assert _finite_within_limit(np.zeros((0, 3)))
    assert not _finite_within_limit(np.ones((2, 2), dtype=np.complex128))  # the full checks decide
    assert not _finite_within_limit(np.ma.ones((2, 2)))  # a subclass: the full checks decide


class _Tagged(BaseEstimator):
    """Estimators for the fitted test: no fitted attribute, one, or their own ``__sklearn_is_fitted__``."""

    def fit(self, X=None, y=None):
        self.coef_ = 1
        return self


class _SaysNotFitted(_Tagged):
    def __sklearn_is_fitted__(self):
        return False


@pytest.mark.parametrize("attributes", [None, "coef_", ["coef_"], ("coef_", "other_"), ["missing_"]])
@pytest.mark.parametrize("make", [lambda: _Tagged(), lambda: _Tagged().fit(), lambda: _SaysNotFitted().fit()])
def test_check_is_fitted_agrees_with_scikit_learn_on_every_kind_of_attributes(attributes, make):
    from sklearn.exceptions import NotFittedError as SkNotFitted
    from sklearn.utils.validation import check_is_fitted as sk_check_is_fitted

    estimator = make()
    try:
        sk_check_is_fitted(estimator, attributes)
        theirs = True
    except SkNotFitted:
        theirs = False
    if theirs:
        check_is_fitted(estimator, attributes)
    else:
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator, attributes)
