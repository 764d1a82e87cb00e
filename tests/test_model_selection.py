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


def nuisance_data(n=90, seed=0, nuisance=30.0):
    """Two views whose label signal lives in 2 low-variance columns, next to 2 loud nuisance columns.

    The nuisance columns of X and Y share a factor (correlation 0.5) but carry no
    label information, and their variance is ~1800 times that of the signal. CCA
    (``reg=0``, correlations) finds the signal; shrinking the covariances toward
    the identity (``reg`` near 1, PLS: covariances) finds the loud nuisance
    instead, so label MAP falls to the chance level.
    """
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(3), n // 3)
    centres = 1.5 * rng.normal(size=(3, 2))
    signal = centres[labels]
    x_signal = signal + 0.5 * rng.normal(size=(n, 2))
    y_signal = signal @ rng.normal(size=(2, 2)) + 0.5 * rng.normal(size=(n, 2))
    shared = rng.normal(size=(n, 2))
    x_noise = nuisance * (shared + rng.normal(size=(n, 2)))
    y_noise = nuisance * (shared + rng.normal(size=(n, 2)))
    return np.hstack([x_signal, x_noise]), np.hstack([y_signal, y_noise]), labels


def oracle_chance_ap(n, r):
    """Expected AP of a uniformly random ranking of n items, r relevant, by linearity of expectation:
    rank i is relevant with probability r/n, and then its precision is (1 + (i-1)(r-1)/(n-1)) / i."""
    if n == 1:
        return 1.0
    return sum((1 + (i - 1) * (r - 1) / (n - 1)) / i for i in range(1, n + 1)) / n


def chance_map(labels, cv):
    """The MAP a random ranking scores, averaged over the held-out folds as GridSearchCV averages."""
    per_fold = []
    for _, test in cv.split(labels):
        held_out = labels[test]
        counts = {c: int((held_out == c).sum()) for c in np.unique(held_out)}
        per_fold.append(np.mean([oracle_chance_ap(len(test), counts[c]) for c in held_out]))
    return float(np.mean(per_fold))


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


def oracle_map_at_k(queries, gallery, relevant, k):
    """MAP@k from the definition: precisions at the relevant ranks within the top k, divided by R."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    aps = []
    for i, row in enumerate(q @ g.T):
        order = sorted(range(len(row)), key=lambda j: (-row[j], j))[:k]
        hits, total = 0, 0.0
        for rank, j in enumerate(order, start=1):
            if relevant[i, j]:
                hits += 1
                total += hits / rank
        aps.append(total / relevant[i].sum())
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


@pytest.mark.parametrize("direction", ["image_to_text", "text_to_image"])
@pytest.mark.parametrize("k", [1, 5, 29])
def test_scorer_map_at_k_equals_the_definition(direction, k):
    X, Y, labels = data(n=30, seed=6)
    cca = RegularizedCCA(n_components=2).fit(X, Y)
    Xp, Yp = cca.transform(X, Y)
    rel = labels[:, None] == labels[None, :]
    queries, gallery, rel = (Xp, Yp, rel) if direction == "image_to_text" else (Yp, Xp, rel.T)
    score = RetrievalMAPScorer(direction=direction, k=k)(cca, X, Y, labels=labels)
    assert score == pytest.approx(oracle_map_at_k(queries, gallery, rel, k), abs=1e-12)
    # a cutoff beyond the gallery is the full ranking
    full = RetrievalMAPScorer(direction=direction, k=1000)(cca, X, Y, labels=labels)
    assert full == pytest.approx(oracle_map(queries, gallery, rel), abs=1e-12)


def test_scorer_accepts_whole_float_and_multilabel_labels():
    X, Y, labels = data(seed=7)
    cca = RegularizedCCA(n_components=2).fit(X, Y)
    scorer = RetrievalMAPScorer()
    assert scorer(cca, X, Y, labels=labels.astype(float)) == scorer(cca, X, Y, labels=labels)
    indicators = np.eye(3, dtype=int)[labels]
    indicators[::4, 0] = 1  # every fourth pair also carries category 0
    rel = (indicators @ indicators.T) > 0
    Xp, Yp = cca.transform(X, Y)
    expected = (oracle_map(Xp, Yp, rel) + oracle_map(Yp, Xp, rel.T)) / 2
    assert scorer(cca, X, Y, labels=indicators) == pytest.approx(expected, abs=1e-12)


def test_grid_search_tunes_a_label_using_aligner():
    # SemanticMatching's classifiers see the signal only on standardised features: the
    # informative columns are 100 times smaller than label-free ones, so with
    # standardize=False the L2 penalty silences them and MAP falls to chance.
    X, Y, labels = nuisance_data(seed=2, nuisance=1.0)
    X[:, :2] *= 0.01
    Y[:, :2] *= 0.01
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            SemanticMatching(C=1e-2), {"standardize": [True, False]}, scoring=retrieval_map_scorer(), cv=cv
        )
        search.fit(X, Y, labels=labels)
    chance = chance_map(labels, cv)
    assert chance == pytest.approx(0.4022, abs=1e-4)  # 30 held-out pairs, 10 per category
    assert search.best_params_ == {"standardize": True}
    scores = dict(zip([p["standardize"] for p in search.cv_results_["params"]], search.cv_results_["mean_test_score"]))
    assert scores[True] > chance + 0.4
    assert abs(scores[False] - chance) < 0.03


def test_labels_missing_is_a_clear_error_and_pairs_need_none():
    X, Y, _ = data(seed=3)
    with pytest.raises(InputError, match="enable_metadata_routing"):
        GridSearchCV(
            RegularizedCCA(), {"reg": [0.1]}, scoring=retrieval_map_scorer(), cv=3, error_score="raise"
        ).fit(X, Y)
    cv = KFold(3)
    scorer = retrieval_map_scorer(relevance="pairs")
    search = GridSearchCV(RegularizedCCA(n_components=2), {"reg": [0.1, 0.5]}, scoring=scorer, cv=cv)
    search.fit(X, Y)
    # one relevant item among 30 held-out pairs: chance MAP is the mean of 1/rank
    chance = np.mean(1 / np.arange(1, 31))
    for i, reg in enumerate([0.1, 0.5]):
        manual = []
        for train, test in cv.split(X):
            model = RegularizedCCA(n_components=2, reg=reg).fit(X[train], Y[train])
            Xp, Yp = model.transform(X[test], Y[test])
            pairs = np.eye(len(test), dtype=bool)
            manual.append((oracle_map(Xp, Yp, pairs) + oracle_map(Yp, Xp, pairs)) / 2)
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(manual), abs=1e-12)
    assert search.best_score_ > chance + 0.1


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
    with pytest.raises(InputError, match="'k'"):
        RetrievalMAPScorer(k=0)
    X, Y, labels = data(n=30, seed=8)
    cca = RegularizedCCA(n_components=2).fit(X, Y)
    with pytest.raises(InputError, match="labels"):
        RetrievalMAPScorer()(cca, X, Y, labels=labels[:10])


@pytest.mark.parametrize(
    ("estimator", "grid", "best"),
    [
        (RegularizedCCA(n_components=2), {"reg": [0.0, 0.99]}, {"reg": 0.0}),
        (PLSSVD(n_components=2), {"scale": [True, False]}, {"scale": True}),
        (ThreeViewCCA(n_components=2), {"reg": [1e-3, 0.99]}, {"reg": 1e-3}),
        (
            SemanticCorrelationMatching(aligner=RegularizedCCA(n_components=2)),
            {"aligner__reg": [0.0, 0.99]},
            {"aligner__reg": 0.0},
        ),
    ],
    ids=["RegularizedCCA", "PLSSVD", "ThreeViewCCA", "SemanticCorrelationMatching"],
)
def test_every_two_view_aligner_finds_the_known_best_setting(estimator, grid, best):
    # On nuisance_data the covariance-driven setting (reg near 1, or PLS on unscaled
    # columns) aligns the loud label-free columns, the correlation-driven one the labels.
    X, Y, labels = nuisance_data(seed=5)
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(estimator, grid, scoring=retrieval_map_scorer(), cv=cv, error_score="raise")
        search.fit(X, Y, labels=labels)
    chance = chance_map(labels, cv)
    assert search.best_params_ == best
    worst = float(np.min(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > chance + 0.2
    assert abs(worst - chance) < 0.05, "the nuisance-aligned setting should retrieve at chance level"
    projected = search.best_estimator_.transform(X)
    assert projected.shape[0] == len(X) and np.isfinite(projected).all()
