"""Input checks shared by the aligners (classicx.subspace._base)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from classicx.exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    ShapeMismatchError,
)
from classicx.subspace._base import (
    check_labels,
    check_n_components,
    check_view,
    check_views,
    labels_to_indicator,
    resolve_dtype,
)


def test_check_view_dtypes_and_copy():
    X32 = np.ones((3, 2), dtype=np.float32)
    assert check_view(X32).dtype == np.float32
    assert check_view(np.ones((3, 2), dtype=int)).dtype == np.float64
    assert check_view(X32, copy=True) is not X32
    X64 = np.ones((3, 2))
    assert check_view(X64) is X64
    assert check_view(X64, dtype=np.float32).dtype == np.float32


def test_check_view_errors_name_the_row():
    X = np.zeros((5, 3))
    X[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match="row 3"):
        check_view(X, "images")
    S = sp.csr_matrix(np.eye(5))
    S.data[4] = np.inf
    with pytest.raises(NonFiniteError, match="row 4"):
        check_view(S)
    with pytest.raises(InputError, match="reshape"):
        check_view(np.zeros(4))
    with pytest.raises(EmptyInputError):
        check_view(np.zeros((0, 3)))
    with pytest.raises(InputTypeError):
        check_view(np.array([["a"]]))
    with pytest.raises(InputTypeError):
        check_view(sp.csr_matrix(np.eye(2, dtype=complex)))


def test_sparse_views_are_kept_or_densified():
    S = sp.csr_matrix(np.eye(3))
    assert sp.issparse(check_view(S, accept_sparse=True))
    np.testing.assert_array_equal(check_view(S), np.eye(3))


def test_check_views_pairs_rows():
    with pytest.raises(ShapeMismatchError, match="4 X rows and 3 Y rows"):
        check_views(np.zeros((4, 2)), np.zeros((3, 2)))
    with pytest.raises(InputError, match="at least 2"):
        check_views(np.zeros((1, 2)), np.zeros((1, 2)))


def test_check_labels():
    assert check_labels(None, 3) is None
    np.testing.assert_array_equal(check_labels([2, 0, 2], 3), [2, 0, 2])
    np.testing.assert_array_equal(check_labels(np.array([1.0, 0.0]), 2), [1, 0])
    assert check_labels(np.array([[0, 1], [1, 1]]), 2).dtype == np.int8
    with pytest.raises(ShapeMismatchError, match="2 labels for 3 pairs"):
        check_labels([0, 1], 3)
    with pytest.raises(InputError, match="row 1"):
        check_labels(np.array([0.0, 0.5]), 2)
    with pytest.raises(InputError, match="row 1"):
        check_labels(np.array([[0, 1], [2, 0]]), 2)
    with pytest.raises(InputError, match="integer"):
        check_labels(np.array(["cat", "dog"]), 2)


def test_labels_to_indicator():
    indicator, classes = labels_to_indicator(np.array([5, 2, 5]))
    np.testing.assert_array_equal(classes, [2, 5])
    np.testing.assert_array_equal(indicator, [[0, 1], [1, 0], [0, 1]])
    multi = np.array([[1, 1], [0, 1]], dtype=np.int8)
    indicator, classes = labels_to_indicator(multi)
    np.testing.assert_array_equal(indicator, multi)
    np.testing.assert_array_equal(classes, [0, 1])


def test_check_n_components_and_dtype():
    assert check_n_components(3, 3, "") == 3
    with pytest.raises(InputError, match="because"):
        check_n_components(4, 3, "because")
    with pytest.raises(InputError):
        check_n_components(0, 3, "")
    with pytest.raises(InputError):
        check_n_components(True, 3, "")
    assert resolve_dtype(None, np.ones(2, np.float32), np.ones(2, np.float32)) is np.float32
    assert resolve_dtype(None, np.ones(2, np.float32), np.ones(2)) is np.float64
    assert resolve_dtype("float32") is np.float32
    with pytest.raises(InputError):
        resolve_dtype(np.float32)
