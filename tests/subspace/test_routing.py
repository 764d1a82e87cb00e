"""Labels reach aligners one way: scikit-learn metadata routing (and fit(X, Y, labels=...) directly)."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classicx.subspace import (
    PLSSVD,
    GramAlignment,
    KernelCCA,
    KernelFeatureMap,
    MMDAlignment,
    MMDKernel,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    ThreeViewCCA,
)

SUPERVISED = [
    ThreeViewCCA(n_components=2),
    SemanticMatching(),
    SemanticCorrelationMatching(RegularizedCCA(n_components=2)),
    GramAlignment(n_components=2, label_weight=2.0),
    MMDAlignment(
        n_components=2, kernel=MMDKernel(n_random_features=16), max_iter=5, random_state=0, verbose=False
    ),
]
UNSUPERVISED = [
    RegularizedCCA(n_components=2),
    PLSSVD(n_components=2),
    KernelCCA(n_components=2, kernel=KernelFeatureMap(n_components=20), random_state=0, verbose=False),
]


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2], n // 3)
    X = rng.normal(size=(n, 5)) + labels[:, None]
    Y = rng.normal(size=(n, 4)) - labels[:, None]
    return X, Y, labels


def _name(estimator):
    return type(estimator).__name__


@pytest.mark.parametrize("aligner", SUPERVISED + UNSUPERVISED, ids=_name)
def test_requests_labels_by_default_exactly_when_it_uses_them(aligner):
    requested = aligner.get_metadata_routing().fit.requests["labels"]
    assert requested is (aligner in SUPERVISED)


@pytest.mark.parametrize("aligner", SUPERVISED, ids=_name)
def test_pipeline_routes_labels_to_a_supervised_aligner(aligner):
    X, Y, labels = _data()
    direct = sklearn.clone(aligner).fit(StandardScaler().fit_transform(X), Y, labels=labels)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), sklearn.clone(aligner)).fit(X, Y, labels=labels)
    np.testing.assert_allclose(
        pipe.transform(X), direct.transform(StandardScaler().fit_transform(X)), atol=1e-10
    )
    # without the labels the supervised aligner would have fitted another model (or refused)
    if isinstance(aligner, (GramAlignment, MMDAlignment)):
        unsupervised = sklearn.clone(aligner).fit(StandardScaler().fit_transform(X), Y)
        assert not np.allclose(unsupervised.transform(X), direct.transform(X))


@pytest.mark.parametrize("aligner", UNSUPERVISED, ids=_name)
def test_labels_routed_to_a_later_step_skip_an_unsupervised_aligner(aligner):
    # The unsupervised aligner declares labels "not requested": the pipeline routes them to the
    # step that uses them and asks for no set_fit_request call.
    X, Y, labels = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(sklearn.clone(aligner), SemanticMatching()).fit(X, Y, labels=labels)
    first = sklearn.clone(aligner).fit(X, Y)
    second = SemanticMatching().fit(first.transform(X), Y, labels=labels)
    np.testing.assert_allclose(pipe.transform(X), second.transform(first.transform(X)), atol=1e-10)


@pytest.mark.parametrize("aligner", SUPERVISED + UNSUPERVISED, ids=_name)
def test_every_aligner_takes_labels_in_fit(aligner):
    # so that the retriever can call aligner.fit(X, Y, labels=labels) whatever the aligner
    X, Y, labels = _data()
    with_labels = sklearn.clone(aligner).fit(X, Y, labels=labels).transform(X)
    if aligner in UNSUPERVISED:  # accepted, checked for length and ignored
        np.testing.assert_array_equal(with_labels, sklearn.clone(aligner).fit(X, Y).transform(X))
        with pytest.raises(ValueError, match="labels"):
            sklearn.clone(aligner).fit(X, Y, labels=labels[:-1])
    else:
        assert with_labels.shape[0] == len(X) and np.isfinite(with_labels).all()


def _held_out_correlation(estimator, X, Y):
    P, Q = estimator.transform(X, Y)
    return float(np.mean([np.corrcoef(P[:, j], Q[:, j])[0, 1] for j in range(P.shape[1])]))


def test_grid_search_splits_the_labels_with_the_folds():
    X, Y, labels = _data(seed=1)
    rng = np.random.default_rng(2)
    order = rng.permutation(len(X))
    X, Y, labels = X[order], Y[order], labels[order]
    grid = {"reg": [0.01, 0.5]}
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(ThreeViewCCA(n_components=2), grid, scoring=_held_out_correlation, cv=cv)
        search.fit(X, Y, labels=labels)
    for i, reg in enumerate(grid["reg"]):
        expected = np.mean(
            [
                _held_out_correlation(
                    ThreeViewCCA(n_components=2, reg=reg).fit(X[train], Y[train], labels=labels[train]),
                    X[test],
                    Y[test],
                )
                for train, test in cv.split(X)
            ]
        )
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(expected, rel=1e-12)
