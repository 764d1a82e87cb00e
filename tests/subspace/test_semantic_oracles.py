"""SemanticMatching and SemanticCorrelationMatching against scikit-learn, written from the
survivors of a mutation run (see tests/README.md, "Mutation testing")."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import InputError
from classicx.subspace import SemanticCorrelationMatching, SemanticMatching, ThreeViewCCA


def labelled(n_per=20, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n_per)
    X = rng.normal(size=(n_classes, 5))[labels] * 1.5 + rng.normal(size=(len(labels), 5))
    Y = rng.normal(size=(n_classes, 4))[labels] * 1.5 + rng.normal(size=(len(labels), 4))
    return X, Y, labels


def indicator_of(labels, extra_every=3):
    L = np.zeros((len(labels), labels.max() + 1), dtype=int)
    L[np.arange(len(labels)), labels] = 1
    L[::extra_every, 0] = 1
    return L


@pytest.mark.parametrize("C, max_iter", [(0.05, 1000), (1.0, 3)])
def test_multilabel_models_get_C_and_max_iter(C, max_iter):
    """One binary scikit-learn model per category, with the same C and max_iter
    (max_iter=3 stops lbfgs early: the posteriors then depend on it)."""
    X, Y, labels = labelled(seed=1)
    L = indicator_of(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = SemanticMatching(C=C, max_iter=max_iter).fit(X, Y, labels=L)
        Xs = StandardScaler().fit_transform(X)
        for j in range(L.shape[1]):
            ref = LogisticRegression(C=C, max_iter=max_iter).fit(Xs, L[:, j]).predict_proba(Xs)[:, 1]
            np.testing.assert_allclose(sm.transform(X)[:, j], ref, atol=1e-6)


def test_early_stopping_is_silent_and_leaves_other_filters_alone():
    """lbfgs stopping at max_iter is not reported (documented); the warning filter is scoped."""
    X, Y, labels = labelled(seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any escaping warning fails the test
        SemanticMatching(max_iter=2).fit(X, Y, labels=labels)
        SemanticMatching(max_iter=2).fit(X, Y, labels=indicator_of(labels))


@pytest.mark.parametrize("state", ["on", "off"])
def test_a_constant_category_column_is_named_with_its_state(state):
    X, Y, labels = labelled(seed=3)
    L = indicator_of(labels)
    L[:, 1] = 1 if state == "on" else 0
    with pytest.raises(InputError, match=re.escape(f"category column 1 is {state} for every pair")):
        SemanticMatching().fit(X, Y, labels=L)


def test_scm_passes_the_labels_to_its_first_stage():
    """With ThreeViewCCA (which needs labels) as the aligner, SCM is exactly the composition."""
    X, Y, labels = labelled(n_per=25, n_classes=4, seed=4)
    scm = SemanticCorrelationMatching(aligner=ThreeViewCCA(n_components=3)).fit(X, Y, labels=labels)
    tv = ThreeViewCCA(n_components=3).fit(X, Y, labels=labels)
    Xp, Yp = tv.transform(X, Y)
    sm = SemanticMatching().fit(Xp, Yp, labels=labels)
    np.testing.assert_allclose(scm.transform(X), sm.transform(Xp), atol=1e-10)
    np.testing.assert_allclose(scm.transform_y(Y), sm.transform_y(Yp), atol=1e-10)
    np.testing.assert_array_equal(scm.classes_, np.arange(4))
    assert scm.n_components_ == 4 == scm.transform(X).shape[1]


def test_scm_without_labels_says_how_to_pass_them():
    X, Y, _ = labelled(seed=5)
    with pytest.raises(InputError, match="^" + re.escape("semantic correlation matching needs labels: fit(X, Y, labels=...)") + "$"):
        SemanticCorrelationMatching().fit(X, Y)


@pytest.mark.parametrize("standardize", [False, True])
def test_posteriors_are_scipys_softmax_of_the_decision_scores_bit_for_bit(standardize):
    from scipy.special import softmax

    rng = np.random.default_rng(7)
    labels = np.repeat(np.arange(4), 15)
    X = rng.normal(size=(60, 5)) + labels[:, None]
    Y = rng.normal(size=(60, 3)) * 30 + labels[:, None]  # large scores: the shift by the maximum matters
    sm = SemanticMatching(C=10.0, standardize=standardize).fit(X, Y, labels=labels)
    scores_x = ((X - sm.x_mean_) / sm.x_std_) @ sm.x_coef_.T + sm.x_intercept_
    scores_y = ((Y - sm.y_mean_) / sm.y_std_) @ sm.y_coef_.T + sm.y_intercept_
    np.testing.assert_array_equal(sm.transform(X), softmax(scores_x, axis=1))
    np.testing.assert_array_equal(sm.transform_y(Y), softmax(scores_y, axis=1))
    one = ((X[:1] - sm.x_mean_) / sm.x_std_) @ sm.x_coef_.T + sm.x_intercept_  # BLAS rounds one row its own way
    np.testing.assert_array_equal(sm.transform(X[:1]), softmax(one, axis=1))  # one query
