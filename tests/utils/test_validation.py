"""The one validation layer: scikit-learn's checks underneath, classicx errors naming the item on top."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

from classicx.exceptions import (
    ClassicxError,
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    NotFittedError,
    ParameterError,
    ShapeMismatchError,
)
from classicx.utils.validation import (
    check_array,
    check_choice,
    check_finite,
    check_images,
    check_is_fitted,
    check_labels,
    check_n_components,
    check_paired,
    check_positive_int,
    check_texts,
    validate_data,
    validate_params,
)


class _Toy(BaseEstimator):
    _parameter_constraints = {"k": [Interval(Integral, 1, None, closed="left")], "mode": [StrOptions({"a", "b"})]}

    def __init__(self, k=1, mode="a"):
        self.k = k
        self.mode = mode

    def fit(self, X, y=None):
        validate_params(self)
        validate_data(self, X)
        self.fitted_ = True
        return self


def test_validate_params_raises_a_classicx_error_that_sklearn_recognises():
    validate_params(_Toy())
    with pytest.raises(ParameterError, match=r"The 'k' parameter of _Toy must be an int in the range \[1, inf\)\. Got 0 instead\.") as info:
        validate_params(_Toy(k=0))
    assert isinstance(info.value, InvalidParameterError)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    with pytest.raises(ParameterError, match="'mode' parameter"):
        validate_params(_Toy(mode="c"))


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[1 + 1j, 2]]), InputError, "Complex data not supported"),
        (np.zeros((3, 0)), EmptyInputError, r"gallery: Found array with 0 feature\(s\)"),
        (np.zeros((0, 3)), EmptyInputError, r"Found array with 0 sample\(s\)"),
        (sp.csr_matrix(np.eye(2)), InputTypeError, "Sparse data was passed for gallery"),
        (np.zeros(3), ShapeMismatchError, "Expected 2D array"),
        ([["a", "b"]], InputTypeError, "gallery"),
        (None, InputTypeError, "gallery is None"),
    ],
)
def test_check_array_translates_errors_and_names_the_argument(X, error, message):
    with pytest.raises(error, match=message) as info:
        check_array(X, name="gallery")
    assert isinstance(info.value, ClassicxError)


def test_complex_values_are_refused_not_cast():
    """A complex gallery used to be cast to float, silently losing its imaginary part."""
    with pytest.raises(InputError, match="Complex"):
        check_array(np.array([[1.0, 2.0j]]), name="gallery")
    with pytest.raises(InputError, match="Complex"):
        check_array([[1.0, 2.0j]], name="gallery")


def test_check_array_names_the_first_non_finite_row_dense_and_sparse():
    X = np.zeros((6, 2))
    X[4, 1] = np.nan
    X[5, 0] = -np.inf
    with pytest.raises(NonFiniteError, match=r"X holds NaN or infinity in 2 row\(s\); first at row 4"):
        check_array(X)
    S = sp.csr_array(X)
    with pytest.raises(NonFiniteError, match="first at row 4"):
        check_array(S, accept_sparse="csr")
    with pytest.raises(NonFiniteError, match="first at row 4"):
        check_finite(sp.coo_array(X), "X")
    assert check_array(X, ensure_all_finite=False).shape == (6, 2)


def test_check_array_keeps_sparse_when_accepted_and_prefixes_the_estimator():
    S = sp.random(5, 4, density=0.5, format="csr", random_state=0)
    assert sp.issparse(check_array(S, accept_sparse="csr"))
    with pytest.raises(InputTypeError, match=r"^_Toy: Sparse data"):
        check_array(S, estimator=_Toy())


def test_validate_data_records_and_checks_the_number_of_features():
    toy = _Toy().fit(np.ones((4, 3)))
    assert toy.n_features_in_ == 3
    with pytest.raises(ShapeMismatchError, match="X has 2 features, but _Toy is expecting 3 features as input"):
        validate_data(toy, np.ones((4, 2)), reset=False)


def test_validate_data_second_view():
    toy = _Toy()
    X, Y = validate_data(toy, np.ones((4, 3)), np.arange(4))
    assert Y.shape == (4,)
    with pytest.raises(ShapeMismatchError, match=r"inconsistent numbers of samples: \[4, 3\]"):
        validate_data(toy, np.ones((4, 3)), np.ones((3, 2)))
    with pytest.raises(NonFiniteError, match="Y holds NaN"):
        validate_data(toy, np.ones((2, 3)), np.array([[1.0], [np.nan]]))


def test_check_is_fitted_raises_classicx_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        check_is_fitted(_Toy())
    check_is_fitted(_Toy().fit(np.ones((2, 2))))


def test_check_paired():
    check_paired(3, 3)
    with pytest.raises(ShapeMismatchError, match="got 3 images and 2 texts"):
        check_paired(3, 2)
    with pytest.raises(EmptyInputError):
        check_paired(0, 0)


def test_check_labels_one_behaviour():
    out = check_labels([0, 2.0, 1], 3)
    assert out.dtype == np.int64 and out.tolist() == [0, 2, 1]
    indicator = check_labels(np.array([[1, 0], [0, 1]], dtype=float), 2)
    assert indicator.dtype == bool and indicator.tolist() == [[True, False], [False, True]]
    with pytest.raises(InputError, match=r"labels\[1\] is 0.5"):
        check_labels([0, 0.5], 2)
    with pytest.raises(ShapeMismatchError, match="3 rows but there are 2"):
        check_labels([0, 1, 2], 2)
    with pytest.raises(InputTypeError, match="integers"):
        check_labels(["a", "b"], 2)
    with pytest.raises(InputError, match="row 1"):
        check_labels([[1, 0], [2, 0]], 2)
    with pytest.raises(ShapeMismatchError, match="must be 1-D"):
        check_labels([[1, 0]], 1, allow_multilabel=False)
    with pytest.raises(InputError, match="whole numbers"):
        check_labels([np.nan], 1)


def test_small_parameter_checks():
    assert check_choice("b", ("a", "b"), "mode") == "b"
    with pytest.raises(ParameterError, match=r"'mode' parameter must be one of \['a', 'b'\]\. Got 'c'"):
        check_choice("c", ("a", "b"), "mode")
    with pytest.raises(ParameterError):
        check_choice(["unhashable"], ("a",), "mode")
    assert check_positive_int(np.int64(2), "k") == 2
    for bad in (0, -1, True, 1.5, "3"):
        with pytest.raises(ParameterError, match="'k' parameter must be a positive integer"):
            check_positive_int(bad, "k")
    assert check_n_components(2, 2, "the rank") == 2
    with pytest.raises(InputError, match="n_components=3 is larger than 2, the rank"):
        check_n_components(3, 2, "the rank")


def test_check_texts():
    assert check_texts(("a", "")) == ["a", ""]
    with pytest.raises(InputTypeError, match="single str"):
        check_texts("一个字符串")
    with pytest.raises(InputTypeError, match=r"texts\[1\] is NoneType"):
        check_texts(["a", None])
    with pytest.raises(InputTypeError, match="got None"):
        check_texts(None)
    with pytest.raises(EmptyInputError):
        check_texts([])
    assert check_texts([], allow_empty=True) == []


def test_check_images():
    image = np.zeros((8, 8), np.uint8)
    assert len(check_images([image, "a.jpg", b"\x89PNG"])) == 3
    assert len(check_images(np.zeros((3, 8, 8, 1), np.uint8))) == 3  # a stack of images
    for single in ("a.jpg", b"bytes", image, np.zeros((8, 8, 3), np.uint8)):
        with pytest.raises(InputTypeError, match="wrap one image in a list"):
            check_images(single)
    with pytest.raises(EmptyInputError):
        check_images([])
