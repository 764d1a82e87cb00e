"""SemanticMatching: tests written from the survivors of the session-3 mutation run of
``subspace/semantic.py`` (see tests/README.md, "Session 3")."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from classicx.exceptions import InputError
from classicx.subspace import RegularizedCCA, SemanticCorrelationMatching, SemanticMatching


def labelled(n_per=30, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n_per)
    X = rng.normal(size=(n_classes, 4))[labels] * 1.5 + rng.normal(size=(len(labels), 4))
    Y = rng.normal(size=(n_classes, 3))[labels] * 1.5 + rng.normal(size=(len(labels), 3))
    return X, Y, labels


def test_documented_defaults():
    params = SemanticMatching().get_params()
    assert params == {"C": 1.0, "C_y": None, "max_iter": 1000, "standardize": True, "class_weight": None}


def test_constant_columns_are_left_unscaled():
    """Documented: constant columns keep std 1 (not another value) and their mean; the oracle is
    ``numpy``'s mean/std of the other columns and scikit-learn's model on the standardised
    non-constant columns (a constant column gets a zero coefficient)."""
    X, Y, labels = labelled()
    X = np.hstack([X, np.full((len(X), 1), 7.0)])
    sm = SemanticMatching().fit(X, Y, labels=labels)
    assert sm.x_std_[-1] == 1.0
    assert sm.x_mean_[-1] == 7.0
    np.testing.assert_allclose(sm.x_std_[:-1], X[:, :-1].std(axis=0))
    # A query whose constant column differs from the training value: the posterior does not
    # depend on that column (zero coefficient), whatever its scale.
    Z = (X[:, :-1] - X[:, :-1].mean(0)) / X[:, :-1].std(0)
    ref = LogisticRegression(max_iter=1000).fit(Z, labels)
    query = X.copy()
    query[:, -1] = -3.0
    np.testing.assert_allclose(sm.transform(query), ref.predict_proba(Z), atol=1e-6)


def test_missing_labels_message_names_the_call():
    X, Y, _ = labelled()
    message = "semantic matching needs labels: fit(X, Y, labels=...)"
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        SemanticMatching().fit(X, Y)


@pytest.mark.parametrize("max_iter", [1000, 4])
def test_n_iter_is_the_largest_of_the_two_classifiers(max_iter):
    """Oracle: scikit-learn's ``n_iter_`` of the two classifiers on the standardised views
    (max_iter=4 stops lbfgs early, so both are at the cap)."""
    import warnings

    X, Y, labels = labelled()
    X = X * [1.0, 30.0, 0.1, 5.0]  # views that need different numbers of lbfgs steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = SemanticMatching(max_iter=max_iter, C=50.0, C_y=0.01).fit(X, Y, labels=labels)
        n_iter = [
            int(np.max(LogisticRegression(C=C, max_iter=max_iter).fit((V - V.mean(0)) / V.std(0), labels).n_iter_))
            for V, C in ((X, 50.0), (Y, 0.01))
        ]
    assert sm.n_iter_ == max(n_iter)
    assert isinstance(sm.n_iter_, int)


def _tight(V, labels, C=1.0):
    Z = (V - V.mean(0)) / V.std(0)
    return Z, LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(Z, labels)


def _synchronous():
    # No thread pool: the fit is deterministic, and safe in a forked process (mutmut forks
    # one per mutant; a threaded scheduler inherited across fork can spin until its time limit).
    import dask

    return dask.config.set(scheduler="synchronous")


@pytest.mark.parametrize("which", ["X", "Y"])
def test_one_dask_view_is_enough_to_fit_on_chunks(which):
    """A fit with only one of the two views a dask array runs on the chunks (as with both):
    the same fitted arrays as the all-dask fit, bit for bit, and the tightly converged
    scikit-learn optimum (the oracle) on each view."""
    da = pytest.importorskip("dask.array")
    X, Y, labels = labelled()
    Xd, Yd = da.from_array(X, chunks=(45, -1)), da.from_array(Y, chunks=(45, -1))
    with _synchronous():
        both = SemanticMatching().fit(Xd, Yd, labels=labels)
        one = SemanticMatching().fit(Xd if which == "X" else X, Yd if which == "Y" else Y, labels=labels)
    for name in ("x_coef_", "x_intercept_", "y_coef_", "y_intercept_", "x_mean_", "y_std_"):
        np.testing.assert_array_equal(getattr(one, name), getattr(both, name), err_msg=name)
    for V, out in ((X, one.transform(X)), (Y, one.transform_y(Y))):
        Z, model = _tight(V, labels)
        np.testing.assert_allclose(out, model.predict_proba(Z), atol=2e-5)


@pytest.mark.parametrize("which", ["X", "Y"])
def test_scm_with_one_dask_view_fits_on_chunks(which):
    """SemanticCorrelationMatching with one dask view: the same as with both views on dask."""
    da = pytest.importorskip("dask.array")
    X, Y, labels = labelled()
    Xd, Yd = da.from_array(X, chunks=(45, -1)), da.from_array(Y, chunks=(45, -1))
    make = lambda: SemanticCorrelationMatching(RegularizedCCA(n_components=2), SemanticMatching())  # noqa: E731
    with _synchronous():
        both = make().fit(Xd, Yd, labels=labels)
        one = make().fit(Xd if which == "X" else X, Yd if which == "Y" else Y, labels=labels)
    np.testing.assert_array_equal(one.transform(X), both.transform(X))
    np.testing.assert_array_equal(one.transform_y(Y), both.transform_y(Y))
    # Oracle for the second stage: scikit-learn on the standardised CCA projections.
    ref_cca = RegularizedCCA(n_components=2).fit(X, Y)
    Z, model = _tight(ref_cca.transform(X), labels)
    np.testing.assert_allclose(one.transform(X), model.predict_proba(Z), atol=2e-5)
