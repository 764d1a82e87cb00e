"""Semantic matching (SM) and semantic correlation matching (SCM)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import InputError, NotFittedError, ParameterError, ShapeMismatchError
from classicx.subspace import PLSSVD, RegularizedCCA, SemanticCorrelationMatching, SemanticMatching


def labelled(n_per=30, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n_per)
    centres_x = rng.normal(size=(n_classes, 6)) * 2
    centres_y = rng.normal(size=(n_classes, 5)) * 2
    X = centres_x[labels] + rng.normal(size=(len(labels), 6))
    Y = centres_y[labels] + rng.normal(size=(len(labels), 5))
    return X, Y, labels


@pytest.mark.parametrize("n_classes", [2, 4])
def test_posteriors_equal_sklearn_logistic_regression(n_classes):
    X, Y, labels = labelled(n_classes=n_classes, seed=n_classes)
    sm = SemanticMatching(C=0.5, C_y=2.0).fit(X, Y, labels=labels)
    for V, C, out in ((X, 0.5, sm.transform(X)), (Y, 2.0, sm.transform_y(Y))):
        Vs = StandardScaler().fit_transform(V)
        ref = LogisticRegression(C=C, max_iter=1000).fit(Vs, labels).predict_proba(Vs)
        np.testing.assert_allclose(out, ref, atol=1e-6)
    assert sm.n_components_ == n_classes
    np.testing.assert_array_equal(sm.classes_, np.arange(n_classes))


def test_multilabel_indicator_uses_one_binary_model_per_category():
    X, Y, labels = labelled(seed=5)
    indicator = np.zeros((len(labels), 3), dtype=int)
    indicator[np.arange(len(labels)), labels] = 1
    indicator[::4, 0] = 1
    sm = SemanticMatching().fit(X, Y, labels=indicator)
    assert sm.multilabel_
    Xs = StandardScaler().fit_transform(X)
    for j in range(3):
        ref = LogisticRegression(max_iter=1000).fit(Xs, indicator[:, j]).predict_proba(Xs)[:, 1]
        np.testing.assert_allclose(sm.transform(X)[:, j], ref, atol=1e-6)


def test_bad_labels():
    X, Y, labels = labelled(seed=6)
    with pytest.raises(InputError, match="at least two classes"):
        SemanticMatching().fit(X, Y, labels=np.full(len(X), 3))
    with pytest.raises(InputError, match="needs labels"):
        SemanticMatching().fit(X, Y)
    with pytest.raises(ShapeMismatchError, match="labels"):
        SemanticMatching().fit(X, Y, labels=labels[:-1])
    indicator = np.zeros((len(X), 2), dtype=int)
    indicator[: len(X) // 2, 0] = 1
    with pytest.raises(InputError, match="category column 1"):
        SemanticMatching().fit(X, Y, labels=indicator)
    with pytest.raises(InputError, match="needs labels"):
        SemanticCorrelationMatching().fit(X, Y)
    with pytest.raises(NotFittedError):
        SemanticMatching().transform(X)


def test_scm_is_semantic_matching_on_the_aligner_output():
    X, Y, labels = labelled(seed=7)
    scm = SemanticCorrelationMatching(
        aligner=RegularizedCCA(n_components=3, reg=0.1), semantic=SemanticMatching(C=0.3)
    ).fit(X, Y, labels=labels)
    cca = RegularizedCCA(n_components=3, reg=0.1).fit(X, Y)
    Xp, Yp = cca.transform(X, Y)
    sm = SemanticMatching(C=0.3).fit(Xp, Yp, labels=labels)
    np.testing.assert_allclose(scm.transform(X), sm.transform(Xp), atol=1e-10)
    np.testing.assert_allclose(scm.transform_y(Y), sm.transform_y(Yp), atol=1e-10)
    other = SemanticCorrelationMatching(aligner=PLSSVD(n_components=2)).fit(X, Y, labels=labels)
    assert isinstance(other.aligner_, PLSSVD)
    pls = PLSSVD(n_components=2).fit(X, Y)
    sm_pls = SemanticMatching().fit(pls.transform(X), pls.transform_y(Y), labels=labels)
    np.testing.assert_allclose(other.transform(X), sm_pls.transform(pls.transform(X)), atol=1e-10)


def test_scm_default_aligner_and_nested_params():
    X, Y, labels = labelled(seed=8)
    X = np.hstack([X, X[:, :5] ** 2])
    Y = np.hstack([Y, Y[:, :5] ** 2])
    scm = SemanticCorrelationMatching().fit(X, Y, labels=labels)
    assert scm.aligner_.n_components == 10
    tuned = clone(SemanticCorrelationMatching(aligner=RegularizedCCA())).set_params(aligner__reg=0.5)
    assert tuned.get_params()["aligner__reg"] == 0.5


def test_semantic_space_matches_pairs_of_the_same_class():
    X, Y, labels = labelled(seed=9)
    sm = SemanticMatching().fit(X, Y, labels=labels)
    Xp, Yp = sm.transform(X, Y)
    assert np.mean(Xp.argmax(1) == labels) > 0.9
    assert np.mean(Yp.argmax(1) == labels) > 0.9


def test_save_load_round_trips(tmp_path):
    X, Y, labels = labelled(seed=10)
    sm = SemanticMatching().fit(X, Y, labels=labels)
    np.testing.assert_array_equal(
        SemanticMatching.load(sm.save(tmp_path / "sm")).transform_y(Y), sm.transform_y(Y)
    )
    scm = SemanticCorrelationMatching(aligner=RegularizedCCA(n_components=2)).fit(X, Y, labels=labels)
    loaded = SemanticCorrelationMatching.load(scm.save(tmp_path / "scm"))
    np.testing.assert_array_equal(loaded.transform(X), scm.transform(X))
    assert loaded.aligner.get_params() == scm.aligner.get_params()


def test_constant_columns_are_harmless():
    X, Y, labels = labelled(seed=11)
    Xc = np.hstack([X, np.full((len(X), 1), 5.0)])
    with_const = SemanticMatching().fit(Xc, Y, labels=labels)
    without = SemanticMatching().fit(X, Y, labels=labels)
    np.testing.assert_allclose(with_const.x_coef_[:, -1], 0.0, atol=1e-12)
    np.testing.assert_allclose(with_const.transform(Xc), without.transform(X), atol=1e-6)


def test_scm_accepts_kernel_cca_as_first_stage(tmp_path):
    from classicx.subspace import KernelCCA

    X, Y, labels = labelled(seed=12)
    kcca = KernelCCA(n_components=3, kernel="rbf", verbose=False)
    scm = SemanticCorrelationMatching(aligner=kcca).fit(X, Y, labels=labels)
    stage = clone(kcca).fit(X, Y)
    expected = SemanticMatching().fit(*stage.transform(X, Y), labels=labels)
    np.testing.assert_allclose(scm.transform(X), expected.transform(stage.transform(X)), atol=1e-8)
    loaded = SemanticCorrelationMatching.load(scm.save(tmp_path / "kscm"))
    np.testing.assert_allclose(loaded.transform_y(Y), scm.transform_y(Y), rtol=1e-10, atol=1e-12)


def unequal(seed=13):
    """Three classes of 60, 15 and 10 pairs whose features are not standardised (scales 1 to 100)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2], [60, 15, 10])
    scales = np.array([1.0, 10.0, 100.0, 1.0, 5.0])
    X = (rng.normal(size=(3, 5))[labels] + rng.normal(size=(len(labels), 5))) * scales
    Y = rng.normal(size=(3, 4))[labels] + rng.normal(size=(len(labels), 4))
    return X, Y, labels


@pytest.mark.parametrize("standardize", [True, False])
def test_balanced_posteriors_equal_sklearn(standardize):
    X, Y, labels = unequal()
    sm = SemanticMatching(C=0.7, standardize=standardize, class_weight="balanced").fit(X, Y, labels=labels)
    for V, out in ((X, sm.transform(X)), (Y, sm.transform_y(Y))):
        Vs = StandardScaler().fit_transform(V) if standardize else V
        ref = LogisticRegression(C=0.7, max_iter=1000, class_weight="balanced").fit(Vs, labels)
        np.testing.assert_allclose(out, ref.predict_proba(Vs), atol=1e-5)
    if not standardize:
        np.testing.assert_array_equal(sm.x_mean_, 0.0)
        np.testing.assert_array_equal(sm.x_std_, 1.0)


def test_balancing_raises_the_posteriors_of_small_classes():
    X, Y, labels = unequal(seed=14)
    plain = SemanticMatching(C=0.1).fit(X, Y, labels=labels).transform(X)
    balanced = SemanticMatching(C=0.1, class_weight="balanced").fit(X, Y, labels=labels).transform(X)
    small = labels > 0
    assert balanced[small][:, 1:].mean() > plain[small][:, 1:].mean()
    assert balanced[:, 0].mean() < plain[:, 0].mean()


def test_unstandardized_differs_from_standardized_on_scaled_features():
    X, Y, labels = unequal(seed=15)
    a = SemanticMatching(C=0.01).fit(X, Y, labels=labels).transform(X)
    b = SemanticMatching(C=0.01, standardize=False).fit(X, Y, labels=labels).transform(X)
    assert np.abs(a - b).max() > 0.05


def test_balanced_multilabel_uses_balanced_binary_models():
    X, Y, labels = unequal(seed=16)
    indicator = np.zeros((len(labels), 3), dtype=int)
    indicator[np.arange(len(labels)), labels] = 1
    indicator[::7, 2] = 1
    sm = SemanticMatching(standardize=False, class_weight="balanced").fit(X, Y, labels=indicator)
    for j in range(3):
        ref = LogisticRegression(max_iter=1000, class_weight="balanced").fit(X, indicator[:, j])
        np.testing.assert_allclose(sm.transform(X)[:, j], ref.predict_proba(X)[:, 1], atol=1e-5)


def test_bad_class_weight_and_standardize():
    X, Y, labels = labelled(seed=17)
    with pytest.raises(InputError, match="class_weight"):
        SemanticMatching(class_weight={0: 2.0}).fit(X, Y, labels=labels)
    with pytest.raises(InputError, match="class_weight"):
        SemanticMatching(class_weight="balance").fit(X, Y, labels=labels)
    with pytest.raises(InputError, match="standardize"):
        SemanticMatching(standardize="no").fit(X, Y, labels=labels)
    # the second stage's settings are checked before the (possibly expensive) first stage runs:
    # this first stage would fail with its own error (too many components)
    scm = SemanticCorrelationMatching(RegularizedCCA(n_components=500), SemanticMatching(class_weight="auto"))
    with pytest.raises(ParameterError, match="'class_weight' parameter of SemanticMatching"):
        scm.fit(X, Y, labels=labels)
    assert not hasattr(scm, "aligner_")


def test_scm_passes_the_classifier_options_on(tmp_path):
    X, Y, labels = unequal(seed=18)
    scm = SemanticCorrelationMatching(
        aligner=RegularizedCCA(n_components=3, reg=0.1),
        semantic=SemanticMatching(C=0.3, standardize=False, class_weight="balanced"),
    ).fit(X, Y, labels=labels)
    Xp, Yp = RegularizedCCA(n_components=3, reg=0.1).fit(X, Y).transform(X, Y)
    sm = SemanticMatching(C=0.3, standardize=False, class_weight="balanced").fit(Xp, Yp, labels=labels)
    np.testing.assert_allclose(scm.transform_y(Y), sm.transform_y(Yp), atol=1e-10)
    loaded = SemanticCorrelationMatching.load(scm.save(tmp_path / "scm"))
    assert loaded.get_params()["semantic__class_weight"] == "balanced"
    assert loaded.get_params()["semantic__standardize"] is False
    np.testing.assert_array_equal(loaded.transform(X), scm.transform(X))
