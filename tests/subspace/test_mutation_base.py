"""The two-view contract of ``subspace/_base.py``: tests written from the survivors of its
session-5 mutation run (see tests/README.md, "Session 5"). The oracles are the documented rules
(dtype resolution, label indicator, messages that name the view and the aligner), the numpy
projection of the same aligner, and the checks ``_check_loaded_state`` documents."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp

from classicx.exceptions import ParameterError, ShapeMismatchError
from classicx.subspace import PLSSVD, RegularizedCCA
from classicx.subspace._base import labels_to_indicator, resolve_dtype


def _views(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    Y = X[:, :3] + 0.1 * rng.normal(size=(n, 3))
    return X, Y


def test_resolve_dtype_keeps_float32_only_when_every_view_is_float32():
    """Documented: ``None`` keeps float32 when every array is float32 (arrays, sparse matrices,
    lists of float32 rows) and uses float64 otherwise; the strings force a type."""
    f32 = np.zeros((3, 2), np.float32)
    rows32 = [np.zeros(2, np.float32) for _ in range(3)]  # a list: its type is the rows' type
    assert resolve_dtype(None, f32, sp.csr_array(f32), rows32) is np.float32
    assert resolve_dtype(None, f32, [[0.0, 1.0]]) is np.float64  # a list of Python floats
    assert resolve_dtype(None, f32, sp.csr_array(f32.astype(np.float64))) is np.float64
    assert resolve_dtype(None, f32, np.zeros((3, 2), np.int32)) is np.float64
    assert resolve_dtype(None) is np.float64
    assert resolve_dtype("float32", np.zeros(2)) is np.float32
    assert resolve_dtype("float64", f32) is np.float64


@pytest.mark.parametrize("bad", ["float16", np.float32, "f4"])
def test_resolve_dtype_refuses_other_values_by_name(bad):
    message = f"dtype must be None, 'float32' or 'float64'; got {bad!r}"
    with pytest.raises(ParameterError, match="^" + re.escape(message) + "$"):
        resolve_dtype(bad, np.zeros(2))


def test_labels_to_indicator_of_categories_and_of_an_indicator_matrix():
    indicator, classes = labels_to_indicator(np.array(["b", "a", "c", "a"]))
    np.testing.assert_array_equal(classes, ["a", "b", "c"])
    np.testing.assert_array_equal(indicator, [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]])
    assert indicator.dtype == np.float64
    matrix = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=np.int8)
    indicator, classes = labels_to_indicator(matrix)
    np.testing.assert_array_equal(indicator, matrix)
    assert indicator.dtype == np.float64
    np.testing.assert_array_equal(classes, [0, 1, 2])


def test_a_wrong_width_of_y_names_the_aligner():
    X, Y = _views()
    model = RegularizedCCA(n_components=2).fit(X, Y)
    message = "Y has 2 features, but RegularizedCCA is expecting 3 features as input"
    with pytest.raises(ShapeMismatchError, match="^" + re.escape(message) + "$"):
        model.transform_y(Y[:, :2])


def test_transform_y_of_a_dask_array_is_lazy_and_equals_the_numpy_projection():
    da = pytest.importorskip("dask.array")
    X, Y = _views()
    model = RegularizedCCA(n_components=2).fit(X, Y)
    lazy = model.transform_y(da.from_array(Y, chunks=(25, 3)))
    assert isinstance(lazy, da.Array)
    computed = lazy.compute(scheduler="synchronous")  # no thread pool: safe in forked workers
    np.testing.assert_allclose(computed, model.transform_y(Y), rtol=1e-12, atol=1e-14)


def _fitted():
    X, Y = _views()
    return RegularizedCCA(n_components=2).fit(X, Y)


@pytest.mark.parametrize("which", ["X", "Y"])
def test_loaded_state_check_names_the_view_whose_projection_is_not_one_finite_row(which):
    """What ``_check_loaded_state`` documents (called by loading): projecting one zero row of each
    view must give one finite row; otherwise the message names the view and what came out."""
    method = "_transform_x" if which == "X" else "_transform_y"
    outputs = {
        "(1, 2)": np.full((1, 2), np.nan),  # not finite
        "(2, 2)": np.zeros((2, 2)),  # two rows
        "(2,)": np.zeros(2),  # not 2-D
        "list": [[0.0, 0.0]],  # not an array
    }
    for shown, output in outputs.items():
        model = _fitted()
        setattr(model, method, lambda V, output=output: output)
        message = f"projecting a row of {which} gives {shown}, not one finite row"
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            model._check_loaded_state()
    _fitted()._check_loaded_state()  # an untouched model passes


def test_loaded_state_check_names_the_two_dimensions_and_the_failing_error():
    model = _fitted()
    model.y_weights_ = model.y_weights_[:, :1]
    with pytest.raises(ValueError, match="^" + re.escape("the views project to 2 and 1 dimensions") + "$"):
        model._check_loaded_state()
    model = _fitted()
    model.x_weights_ = None
    with pytest.raises(ValueError, match=r"^cannot project a row of each view \(AttributeError: "):
        model._check_loaded_state()


def test_transform_of_dask_views_is_lazy_and_equals_the_numpy_projection():
    da = pytest.importorskip("dask.array")
    import dask

    X, Y = _views()
    model = RegularizedCCA(n_components=2).fit(X, Y)
    dX, dY = da.from_array(X, chunks=(25, 5)), da.from_array(Y, chunks=(25, 3))
    expected = model.transform(X, Y)
    with dask.config.set(scheduler="synchronous"):  # no thread pool: safe in forked workers
        lazy = model.transform(dX)
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), expected[0], rtol=1e-12, atol=1e-14)
        for pair in ((dX, Y), (dX, dY), (X, dY)):
            P, Q = model.transform(*pair)
            for got, given, want in ((P, pair[0], expected[0]), (Q, pair[1], expected[1])):
                assert isinstance(got, da.Array) is isinstance(given, da.Array)
                np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-14)


def test_bad_rows_of_y_at_transform_are_named_with_the_aligner_and_the_view():
    X, Y = _views()
    model = RegularizedCCA(n_components=2).fit(X, Y)
    bad = Y.copy()
    bad[4, 1] = np.nan
    message = "RegularizedCCA: Y holds NaN or infinity in 1 row(s); first at row 4"
    for method in (model.transform_y, lambda V: model.transform(X, V)):
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            method(bad)
    # a 1-D Y is one feature (the model has three: refused with the width message)
    with pytest.raises(ShapeMismatchError, match="^Y has 1 features, but RegularizedCCA"):
        model.transform_y(Y[:, 0])


def test_y_is_required_with_a_message_that_names_the_aligner():
    X, _ = _views()
    message = (
        "RegularizedCCA requires y to be passed, but the target y is None "
        "(Y is required: a two-view aligner is fitted on paired rows of X and Y)"
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        RegularizedCCA(n_components=1).fit(X, None)


def test_two_pairs_are_enough_and_one_is_refused_by_name():
    """Documented default: at least 2 paired rows (``min_samples=2``)."""
    X, Y = _views()
    model = RegularizedCCA(n_components=1, reg=0.5).fit(X[:2], Y[:2])
    assert model.transform(X[:2]).shape == (2, 1)
    message = "RegularizedCCA: at least 2 paired rows are needed; got n_samples = 1"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        RegularizedCCA(n_components=1).fit(X[:1], Y[:1])


def test_a_refit_takes_the_new_widths_and_integer_views_are_their_float_values():
    X, Y = _views()
    model = RegularizedCCA(n_components=2).fit(X, Y)
    model.fit(X[:, :4], Y[:, :2])  # fit resets the widths
    assert (model.n_features_in_, model.n_features_y_in_) == (4, 2)
    Xi, Yi = np.round(3 * X).astype(np.int64), np.round(3 * Y).astype(np.int64)
    # the validation layer turns integer views into floats (PLSSVD centres its copy in place)
    for make in (lambda: RegularizedCCA(n_components=2), lambda: PLSSVD(n_components=2)):
        ints = make().fit(Xi, Yi)
        floats = make().fit(Xi.astype(np.float64), Yi.astype(np.float64))
        np.testing.assert_allclose(ints.transform(Xi), floats.transform(Xi), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ints.transform_y(Yi), floats.transform_y(Yi), rtol=1e-12, atol=1e-14)


def test_partial_fit_checks_the_widths_of_later_batches_by_view():
    X, Y = _views()
    model = RegularizedCCA(n_components=2).partial_fit(X[:30], Y[:30])
    with pytest.raises(ShapeMismatchError, match="^" + re.escape(
        "Y has 2 features, but RegularizedCCA is expecting 3 features as input"
    ) + "$"):
        model.partial_fit(X[30:], Y[30:, :2])
    with pytest.raises(ShapeMismatchError, match="X has 4 features, but RegularizedCCA is expecting 5 features"):
        model.partial_fit(X[30:, :4], Y[30:])
    model.partial_fit(X[30:], Y[30:])  # a batch of the right widths is still taken
    np.testing.assert_allclose(
        model.transform(X), RegularizedCCA(n_components=2).fit(X, Y).transform(X), rtol=1e-8, atol=1e-10
    )
