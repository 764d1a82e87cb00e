"""The two-view contract shared by the aligners (classicx.subspace._base), through real aligners."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.base import clone as sklearn_clone

from classicx import subspace
from classicx.exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from classicx.subspace import (
    PLSSVD,
    GramAlignment,
    KernelCCA,
    KernelFeatureMap,
    KernelTargetAlignment,
    MMDAlignment,
    MMDKernel,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    ThreeViewCCA,
)
from classicx.subspace._base import labels_to_indicator, optional_labels, resolve_dtype


def _views(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = X[:, 0] + 0.5 * rng.normal(size=n)
    labels = (X[:, 1] > 0).astype(int) + (X[:, 2] > 0)
    return X, y, labels


def _two_view_aligners():
    return [
        RegularizedCCA(n_components=1),
        PLSSVD(n_components=1),
        KernelCCA(n_components=1, kernel=KernelFeatureMap(n_components=20), random_state=0, verbose=False),
        GramAlignment(n_components=1),
        KernelTargetAlignment(n_components=1),
        MMDAlignment(
            n_components=1, kernel=MMDKernel(n_random_features=16), max_iter=3, random_state=0, verbose=False
        ),
        ThreeViewCCA(n_components=1),
        SemanticMatching(),
        SemanticCorrelationMatching(RegularizedCCA(n_components=1)),
    ]


def test_every_public_subspace_class_takes_at_most_ten_parameters():
    classes = [
        getattr(subspace, name)
        for name in subspace.__all__
        if isinstance(getattr(subspace, name), type) and issubclass(getattr(subspace, name), BaseEstimator)
    ]
    assert len(classes) == 12
    for cls in classes:
        params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        assert len(params) <= 10, (cls.__name__, params)


@pytest.mark.parametrize("aligner", _two_view_aligners(), ids=lambda a: type(a).__name__)
def test_a_1d_second_view_is_one_feature(aligner):
    X, y, labels = _views()
    one_d = type(aligner)(**aligner.get_params(deep=False)).fit(X, y, labels=labels)
    two_d = type(aligner)(**aligner.get_params(deep=False)).fit(X, y[:, None], labels=labels)
    assert one_d.n_features_in_ == 4 and one_d.n_features_y_in_ == 1
    np.testing.assert_array_equal(one_d.transform(X), two_d.transform(X))
    np.testing.assert_array_equal(one_d.transform_y(y), two_d.transform_y(y[:, None]))
    P, Q = one_d.transform(X, y)
    np.testing.assert_array_equal(P, two_d.transform(X))
    np.testing.assert_array_equal(Q, two_d.transform_y(y[:, None]))


@pytest.mark.parametrize("aligner", _two_view_aligners(), ids=lambda a: type(a).__name__)
def test_input_errors_are_classicx_errors_in_sklearn_wording(aligner):
    X, y, labels = _views()
    with pytest.raises(ShapeMismatchError, match=r"inconsistent numbers of samples: \[60, 59\]"):
        aligner.fit(X, y[:-1], labels=labels)
    with pytest.raises(InputError, match="requires y to be passed"):
        aligner.fit(X, None, labels=labels)
    with pytest.raises(InputError, match="n_samples = 1"):
        aligner.fit(X[:1], y[:1], labels=labels[:1])
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(NonFiniteError, match="row 7"):
        aligner.fit(bad, y, labels=labels)
    with pytest.raises(EmptyInputError, match="0 feature"):
        aligner.fit(X[:, :0], y, labels=labels)
    with pytest.raises(InputError, match="Complex data not supported"):
        aligner.fit(X + 1j, y, labels=labels)
    with pytest.raises(InputTypeError):
        aligner.fit(np.array([["a"] * 4] * 60), y, labels=labels)
    aligner.fit(X, y, labels=labels)
    with pytest.raises(ShapeMismatchError, match="X has 3 features, but .* is expecting 4 features"):
        aligner.transform(X[:, :3])
    with pytest.raises(ShapeMismatchError, match="Y has 2 features, but .* is expecting 1 features"):
        aligner.transform_y(np.zeros((3, 2)))
    with pytest.raises(ShapeMismatchError, match="Reshape your data"):
        aligner.transform(X[0])


@pytest.mark.parametrize("aligner", _two_view_aligners(), ids=lambda a: type(a).__name__)
def test_bad_parameters_are_parameter_errors_naming_the_parameter(aligner):
    X, y, labels = _views()
    name = "C" if isinstance(aligner, SemanticMatching) else "n_components"
    if isinstance(aligner, SemanticCorrelationMatching):
        name, value = "aligner", "cca"
    else:
        value = 0
    with pytest.raises(ParameterError, match=f"The '{name}' parameter of {type(aligner).__name__}"):
        aligner.set_params(**{name: value}).fit(X, y, labels=labels)


@pytest.mark.parametrize("aligner", _two_view_aligners(), ids=lambda a: type(a).__name__)
def test_sparse_views_give_the_dense_result(aligner):
    X, y, labels = _views()
    Y = np.column_stack([y, np.abs(y)])
    dense = type(aligner)(**aligner.get_params(deep=False)).fit(X, Y, labels=labels)
    sparse = type(aligner)(**aligner.get_params(deep=False)).fit(
        sp.csr_matrix(X), sp.csr_array(Y), labels=labels
    )
    np.testing.assert_allclose(sparse.transform(sp.csr_matrix(X)), dense.transform(X), atol=1e-10)
    np.testing.assert_allclose(sparse.transform_y(sp.csr_matrix(Y)), dense.transform_y(Y), atol=1e-10)


def test_optional_labels():
    assert optional_labels(None, 3) is None
    np.testing.assert_array_equal(optional_labels([2, 0, 2], 3), [2, 0, 2])
    np.testing.assert_array_equal(optional_labels(np.array([1.0, 0.0]), 2), [1, 0])
    assert optional_labels(np.array([[0, 1], [1, 1]]), 2).dtype == bool
    with pytest.raises(ShapeMismatchError, match="2 rows but there are 3"):
        optional_labels([0, 1], 3)
    with pytest.raises(InputError, match=r"labels\[1\]"):
        optional_labels(np.array([0.0, 0.5]), 2)
    with pytest.raises(InputError, match="row 1"):
        optional_labels(np.array([[0, 1], [2, 0]]), 2)
    with pytest.raises(InputTypeError, match="integers"):
        optional_labels(np.array(["cat", "dog"]), 2)


def test_labels_to_indicator():
    indicator, classes = labels_to_indicator(np.array([5, 2, 5]))
    np.testing.assert_array_equal(classes, [2, 5])
    np.testing.assert_array_equal(indicator, [[0, 1], [1, 0], [0, 1]])
    multi = np.array([[1, 1], [0, 1]], dtype=bool)
    indicator, classes = labels_to_indicator(multi)
    assert indicator.dtype == np.float64
    np.testing.assert_array_equal(indicator, multi)
    np.testing.assert_array_equal(classes, [0, 1])


def test_resolve_dtype():
    assert resolve_dtype(None, np.ones(2, np.float32), np.ones(2, np.float32)) is np.float32
    assert resolve_dtype(None, np.ones(2, np.float32), np.ones(2)) is np.float64
    assert resolve_dtype(None, sp.csr_matrix(np.ones((2, 2), np.float32))) is np.float32
    assert resolve_dtype("float32") is np.float32
    with pytest.raises(InputError):
        resolve_dtype(np.float32)


def _composed():
    """(whole set by a nested parameter, the same whole built directly with that part setting)."""
    gram = dict(n_components=1, random_state=0, verbose=False)
    mmd = dict(n_components=1, max_iter=3, random_state=0, verbose=False)
    return [
        (
            GramAlignment(kernel=KernelFeatureMap(n_components=20), **gram),
            {"kernel__gamma": 0.7},
            GramAlignment(kernel=KernelFeatureMap(n_components=20, gamma=0.7), **gram),
        ),
        (
            GramAlignment(kernel_y=KernelFeatureMap(n_components=20), **gram),
            {"kernel_y__method": "icd"},
            GramAlignment(kernel_y=KernelFeatureMap(n_components=20, method="icd"), **gram),
        ),
        (
            MMDAlignment(kernel=MMDKernel(), **mmd),
            {"kernel__n_random_features": 8},
            MMDAlignment(kernel=MMDKernel(n_random_features=8), **mmd),
        ),
        (
            SemanticCorrelationMatching(RegularizedCCA(1), SemanticMatching()),
            {"semantic__C": 0.25, "aligner__reg": 0.5},
            SemanticCorrelationMatching(RegularizedCCA(1, reg=0.5), SemanticMatching(C=0.25)),
        ),
    ]


@pytest.mark.parametrize(("whole", "nested", "direct"), _composed(), ids=lambda v: type(v).__name__)
def test_parts_settings_are_nested_parameters_that_reach_the_fitted_parts(whole, nested, direct):
    X, y, labels = _views()
    Y = np.column_stack([y, y**2])
    assert set(nested) <= set(whole.get_params())
    untouched = sklearn_clone(whole).fit(X, Y, labels=labels)
    # set_params on a clone: the parametrized instance is shared by every run of this test
    # (a second run in one process, as mutmut's, would see it already tuned)
    tuned = sklearn_clone(whole).set_params(**nested).fit(X, Y, labels=labels)
    expected = direct.fit(X, Y, labels=labels)
    np.testing.assert_array_equal(tuned.transform(X), expected.transform(X))
    np.testing.assert_array_equal(tuned.transform_y(Y), expected.transform_y(Y))
    # the nested setting did something: the default part gives another model
    assert not np.allclose(untouched.transform_y(Y), tuned.transform_y(Y))


def test_tags_say_which_input_each_aligner_takes():
    from sklearn.utils import get_tags

    for aligner in _two_view_aligners():
        tags = get_tags(aligner)
        assert tags.target_tags.required and tags.input_tags.sparse and tags.input_tags.two_d_array
    assert not get_tags(KernelCCA()).input_tags.positive_only
    assert get_tags(KernelCCA(kernel_y="chi2")).input_tags.positive_only
    assert get_tags(GramAlignment(kernel=KernelFeatureMap("hellinger"))).input_tags.positive_only
    assert get_tags(KernelFeatureMap("additive_chi2")).input_tags.positive_only
    assert get_tags(PLSSVD()).transformer_tags.preserves_dtype == ["float64", "float32"]
    assert not get_tags(subspace.MultiviewCCA()).input_tags.two_d_array  # a list of views
