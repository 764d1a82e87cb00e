"""The retrieval-MAP scorer, alone and inside GridSearchCV."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classicx.exceptions import InputError
from classicx.model_selection import RetrievalMAPScorer, retrieval_map_scorer
from classicx.subspace import (
    PLSSVD,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    ThreeViewCCA,
)


def data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(3), n // 3)
    centres_x, centres_y = rng.normal(size=(3, 5)), rng.normal(size=(3, 4))
    z = rng.normal(size=(n, 2))
    X = centres_x[labels] + z @ rng.normal(size=(2, 5)) + rng.normal(size=(n, 5))
    Y = centres_y[labels] + z @ rng.normal(size=(2, 4)) + rng.normal(size=(n, 4))
    return X, Y, labels


def oracle_map(queries, gallery, relevant):
    """MAP written out from the definition: cosine ranking, then precision at each relevant hit."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    aps = []
    for i, row in enumerate(q @ g.T):
        order = sorted(range(len(row)), key=lambda j: (-row[j], j))
        hits, precisions = 0, []
        for rank, j in enumerate(order, start=1):
            if relevant[i, j]:
                hits += 1
                precisions.append(hits / rank)
        aps.append(np.mean(precisions))
    return float(np.mean(aps))


@pytest.mark.parametrize("direction", ["image_to_text", "text_to_image", "both"])
@pytest.mark.parametrize("relevance", ["labels", "pairs"])
def test_scorer_equals_map_from_the_definition(direction, relevance):
    X, Y, labels = data()
    cca = RegularizedCCA(n_components=2).fit(X, Y)
    Xp, Yp = cca.transform(X, Y)
    rel = labels[:, None] == labels[None, :] if relevance == "labels" else np.eye(len(X), dtype=bool)
    expected = {
        "image_to_text": oracle_map(Xp, Yp, rel),
        "text_to_image": oracle_map(Yp, Xp, rel.T),
    }
    expected["both"] = (expected["image_to_text"] + expected["text_to_image"]) / 2
    score = RetrievalMAPScorer(direction=direction, relevance=relevance)(cca, X, Y, labels=labels)
    assert score == pytest.approx(expected[direction], abs=1e-12)


def test_grid_search_routes_labels_per_fold():
    X, Y, labels = data(seed=1)
    grid = {"reg": [0.0, 0.3, 0.9]}
    scorer = retrieval_map_scorer()
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(RegularizedCCA(n_components=2), grid, scoring=scorer, cv=KFold(3)).fit(
            X, Y, labels=labels
        )
    for i, reg in enumerate(grid["reg"]):
        manual = []
        for train, test in KFold(3).split(X):
            model = RegularizedCCA(n_components=2, reg=reg).fit(X[train], Y[train])
            manual.append(scorer(model, X[test], Y[test], labels=labels[test]))
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(manual), abs=1e-12)
    assert search.best_params_["reg"] == grid["reg"][int(np.argmax(search.cv_results_["mean_test_score"]))]


def test_grid_search_tunes_a_label_using_aligner():
    X, Y, labels = data(seed=2)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(SemanticMatching(), {"C": [1e-4, 1.0]}, scoring=retrieval_map_scorer(), cv=3)
        search.fit(X, Y, labels=labels)
    chance = 1 / 3
    assert search.best_score_ > chance + 0.2


def test_labels_missing_is_a_clear_error_and_pairs_need_none():
    X, Y, labels = data(seed=3)
    with pytest.raises(InputError, match="enable_metadata_routing"):
        GridSearchCV(
            RegularizedCCA(), {"reg": [0.1]}, scoring=retrieval_map_scorer(), cv=3, error_score="raise"
        ).fit(X, Y)
    search = GridSearchCV(
        RegularizedCCA(), {"reg": [0.1, 0.5]}, scoring=retrieval_map_scorer(relevance="pairs"), cv=3
    )
    search.fit(X, Y)
    assert 1 / 30 < search.best_score_ <= 1.0


def test_pipeline_is_scored_through_all_steps():
    X, Y, labels = data(seed=4)
    pipe = make_pipeline(StandardScaler(), RegularizedCCA(n_components=2)).fit(X, Y)
    Xs = StandardScaler().fit_transform(X)
    direct = RegularizedCCA(n_components=2).fit(Xs, Y)
    scorer = RetrievalMAPScorer()
    assert scorer(pipe, X, Y, labels=labels) == pytest.approx(scorer(direct, Xs, Y, labels=labels), abs=1e-12)


def test_invalid_arguments():
    with pytest.raises(InputError, match="direction"):
        RetrievalMAPScorer(direction="sideways")
    with pytest.raises(InputError, match="relevance"):
        RetrievalMAPScorer(relevance="vibes")


@pytest.mark.parametrize(
    ("estimator", "grid"),
    [
        (PLSSVD(n_components=2), {"scale": [True, False]}),
        (ThreeViewCCA(n_components=2), {"reg": [1e-3, 0.5]}),
        (SemanticCorrelationMatching(aligner=RegularizedCCA(n_components=2)), {"aligner__reg": [0.0, 0.5]}),
    ],
)
def test_every_two_view_aligner_works_in_grid_search(estimator, grid):
    X, Y, labels = data(seed=5)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(estimator, grid, scoring=retrieval_map_scorer(), cv=3, error_score="raise")
        search.fit(X, Y, labels=labels)
    assert search.best_score_ > 1 / 3
    assert search.best_estimator_.transform(X).shape[0] == len(X)
