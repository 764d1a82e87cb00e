"""preset="auto": candidates cross-validated on the training pairs, features computed once, the budget kept."""

from __future__ import annotations

import time

import numpy as np
import pytest

from classicx import CrossModalRetriever, _autoselect, datasets
from classicx.exceptions import ClassicxWarning, ParameterError
from classicx.image import ColorHistogram

CHEAP = (
    ("hsv(4,2,2)", "lsa(20)|l2", "sm(balanced,C=10.0,standardize=false)", True),
    ("hsv(4,2,2)", "lsa(20)|l2", "cca(4,reg=0.3)", False),
    ("hsv(8,2,2)", "lsa(20)|l2", "sm(balanced,C=10.0,standardize=false)", True),
    ("hsv(8,2,2)", "lsa(10)", "cca(4,reg=0.3)", False),
)


@pytest.fixture(scope="module")
def data():
    return datasets.load_synthetic(n_train=90, n_test=30, random_state=2)


@pytest.fixture
def cheap(monkeypatch):
    monkeypatch.setattr(_autoselect, "AUTO_CANDIDATES", CHEAP)
    monkeypatch.setattr(_autoselect, "deep_candidates", lambda texts: ())  # the same candidates with torch or not


def test_auto_keeps_the_best_of_a_leaderboard_and_computes_each_feature_set_once(data, cheap, monkeypatch, capsys):
    calls = []
    original = ColorHistogram.fit_transform
    monkeypatch.setattr(ColorHistogram, "fit_transform",
                        lambda self, X, y=None, **kw: calls.append(self.bins) or original(self, X, y, **kw))
    model = CrossModalRetriever(preset="auto", time_budget="10m", random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    board = model.leaderboard_
    assert [e["status"] for e in board] == ["done"] * 4
    assert [e["rank"] for e in board] == [1, 2, 3, 4]
    assert [e["cv_map"] for e in board] == sorted((e["cv_map"] for e in board), reverse=True)
    for e in board:  # the mean of the two directions
        assert e["cv_map"] == pytest.approx((e["cv_image_to_text"] + e["cv_text_to_image"]) / 2, abs=1e-4)
    best = board[0]
    assert model.preset_stages_ == {"image_features": best["image_features"], "text_features": best["text_features"],
                                    "aligner": best["aligner"], "searcher": best["searcher"]}
    for e in board:  # the searcher follows the aligner: inner product for class posteriors, cosine for CCA
        assert e["searcher"] == ("exact:metric=inner_product" if e["aligner"].startswith("sm(") else "exact")
    assert model.image_gallery_.metric == ("inner_product" if best["aligner"].startswith("sm(") else "cosine")
    # two image feature sets, each computed once; the final model reuses the winner's instead of refitting
    assert sorted(calls) == [(4, 2, 2), (8, 2, 2)]
    assert set(board[0]) >= {"image_features", "text_features", "aligner", "cv_map", "seconds", "status", "rank"}
    err = capsys.readouterr().err
    assert "time left" in err and "leaderboard" in err and "computing image features hsv(4,2,2)" in err
    report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    assert report.map_image_to_text > report.chance_image_to_text


def test_auto_cv_scores_are_the_mean_of_the_held_out_folds(data, cheap, monkeypatch):
    """Oracle: the CV MAP of one candidate recomputed by hand with the same folds and evaluate_retrieval."""
    from sklearn.model_selection import StratifiedKFold

    from classicx.metrics import evaluate_retrieval
    from classicx.spec import build

    monkeypatch.setattr(_autoselect, "AUTO_CANDIDATES", CHEAP[1:2])
    model = CrossModalRetriever(preset="auto", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    X = build("hsv(4,2,2)", "image").set_params(verbose=False).fit_transform(data.train.images)
    Y = build("lsa(20)|l2", "text").set_params(lsa__random_state=0, lsa__verbose=False).fit_transform(data.train.texts)
    labels = np.asarray(data.train.labels)
    maps = []
    for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(X, labels):
        cca = build("cca(4,reg=0.3)", "aligner").fit(X[train], Y[train])
        r = evaluate_retrieval(cca.transform(X[test]), cca.transform_y(Y[test]), labels[test], metric="cosine")
        maps.append((r.map_image_to_text, r.map_text_to_image))
    i2t, t2i = np.mean(maps, axis=0)
    assert model.leaderboard_[0]["cv_image_to_text"] == pytest.approx(i2t, abs=1e-4)
    assert model.leaderboard_[0]["cv_text_to_image"] == pytest.approx(t2i, abs=1e-4)


def test_the_budget_logic_with_a_fake_clock(data, cheap, monkeypatch):
    now = [0.0]

    def clock():  # every reading advances 10 s
        now[0] += 10.0
        return now[0]

    monkeypatch.setattr(_autoselect, "_clock", clock)
    model = CrossModalRetriever(preset="auto", time_budget=45, verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    statuses = [e["status"] for e in model.leaderboard_]
    assert statuses[0] == "done"  # the first candidate always runs
    assert statuses.count("done") < len(CHEAP)
    assert all(s == "done" or s.startswith("skipped: ") for s in statuses)
    assert any("budget spent" in s or "left" in s for s in statuses)


def test_a_tiny_budget_is_honoured_within_the_stated_slack(data, cheap):
    """Stated slack: the first candidate (which always runs) plus the final refit of the winner."""
    model = CrossModalRetriever(preset="auto", time_budget=0.01, verbose=False, random_state=0)
    start = time.perf_counter()
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    elapsed = time.perf_counter() - start
    board = model.leaderboard_
    assert [e["status"] for e in board][0] == "done"
    assert all(e["status"].startswith("skipped") for e in board[1:])
    first = board[0]["seconds"]
    assert elapsed <= 0.01 + first + max(10.0, 2 * first)  # the refit costs less than a 3-fold CV with features


def test_auto_without_labels_tries_only_unsupervised_aligners_and_says_so(data, cheap):
    model = CrossModalRetriever(preset="auto", verbose=False, random_state=0)
    with pytest.warns(ClassicxWarning, match="only unsupervised aligners"):
        model.fit(data.train.images, data.train.texts)
    done = [e for e in model.leaderboard_ if e["status"] == "done"]
    assert done and all(e["aligner"].startswith("cca(") for e in done)
    assert [e["status"] for e in model.leaderboard_].count("skipped: needs labels") == 2
    assert model.supervised_ is False


def test_auto_keeps_the_given_stages(data, cheap):
    model = CrossModalRetriever(aligner="cca(3,reg=0.3)", preset="auto", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    assert {e["aligner"] for e in model.leaderboard_} == {"cca(3,reg=0.3)"}
    assert "aligner" not in model.preset_stages_ and model.aligner_.n_components == 3
    # three distinct (image, text) pairs remain once the aligner is fixed
    assert len(model.leaderboard_) == 3


def test_time_budget_is_for_auto_only_and_parsed(data):
    with pytest.raises(ParameterError, match="time_budget is for preset='auto'"):
        CrossModalRetriever(time_budget=60, verbose=False).fit(data.train.images[:10], data.train.texts[:10])
    with pytest.raises(ParameterError, match="duration"):
        CrossModalRetriever(preset="auto", time_budget="soon", image_features="hsv", text_features="lsa(5)",
                            aligner="cca(2)", searcher="exact", verbose=False).fit(
            data.train.images[:10], data.train.texts[:10])
    given = CrossModalRetriever(preset="auto", time_budget="1m", image_features="hsv(4,2,2)", text_features="lsa(5)",
                                aligner="cca(2)", searcher="exact", verbose=False)
    given.fit(data.train.images[:20], data.train.texts[:20])
    assert given.leaderboard_ == [] and given.preset_stages_ == {}  # nothing left to choose


def test_the_leaderboard_is_a_table_pandas_reads(data, cheap):
    pd = pytest.importorskip("pandas")
    model = CrossModalRetriever(preset="auto", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    frame = pd.DataFrame(model.leaderboard_)
    assert len(frame) == 4 and frame["cv_map"].is_monotonic_decreasing


def test_the_auto_model_saves_and_loads(data, cheap, tmp_path):
    model = CrossModalRetriever(preset="auto", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    back = CrossModalRetriever.load(model.save(tmp_path / "m"))
    assert back.leaderboard_ == model.leaderboard_ and back.preset_stages_ == model.preset_stages_
    query = data.test.texts[0]
    assert [h.index for h in back.search_text(query, k=5)] == [h.index for h in model.search_text(query, k=5)]


def test_relative_costs_add_up_over_the_parts_of_a_concatenation():
    from classicx.presets import FEATURE_COSTS

    assert _autoselect.relative_cost("fisher(rootsift,64)+0.5*hsv") == pytest.approx(
        FEATURE_COSTS["fisher"] + FEATURE_COSTS["hsv"])
    assert _autoselect.relative_cost("lsa(200)|l2") == FEATURE_COSTS["lsa"]
    assert _autoselect.relative_cost("sentence(minilm)") is None  # not in the table
    assert _autoselect.relative_cost("<a repr, not a spec>") is None


def test_a_feature_estimate_scales_the_slowest_measured_rate_by_the_relative_cost(monkeypatch):
    monkeypatch.setattr(_autoselect, "FEATURE_COSTS", {"bovw": 1.0, "fisher": 1.5, "hsv": 0.5, "cnn": 1.2})
    measured = {"bovw(sift,256)+0.5*hsv": 30.0, "fisher(rootsift,64)+0.5*hsv": 100.0}  # 20 and 50 s per unit
    assert _autoselect.feature_estimate("cnn(efficientnet-lite0)", measured) == pytest.approx(1.2 * 50.0)
    assert _autoselect.feature_estimate("hsv", measured) == pytest.approx(0.5 * 50.0)
    # outside the table: the largest measured time, as before
    assert _autoselect.feature_estimate("sentence(minilm)", measured) == 100.0
    assert _autoselect.feature_estimate("cnn(efficientnet-lite0)", {"w2v(100)": 40.0}) == 40.0
    assert _autoselect.feature_estimate("cnn(efficientnet-lite0)", {}) == 0.0


def test_a_cheaper_feature_set_is_not_skipped_for_the_cost_of_a_dearer_one(data, monkeypatch):
    """Fake clock: each histogram costs 10 s. The first candidate's image features (two histograms) took 20 s;
    with 15 s left, a one-histogram feature set (estimated 10 s) still runs, a three-histogram one (30 s) not."""
    now = [0.0]
    monkeypatch.setattr(_autoselect, "_clock", lambda: now[0])
    original = ColorHistogram.fit_transform

    def slow(self, X, y=None, **kw):
        now[0] += 10.0
        return original(self, X, y, **kw)

    monkeypatch.setattr(ColorHistogram, "fit_transform", slow)
    monkeypatch.setattr(_autoselect, "deep_candidates", lambda texts: ())
    monkeypatch.setattr(_autoselect, "AUTO_CANDIDATES", (
        ("hsv(8,2,2)+hsv(4,2,2)", "lsa(20)|l2", "cca(4,reg=0.3)", False),
        ("hsv(4,4,4)", "lsa(20)|l2", "cca(4,reg=0.3)", False),
        ("hsv(2,2,2)+hsv(3,2,2)+hsv(4,2,3)", "lsa(20)|l2", "cca(4,reg=0.3)", False),
    ))
    model = CrossModalRetriever(preset="auto", time_budget=35, verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts)
    status = {e["image_features"]: e["status"] for e in model.leaderboard_}
    assert status["hsv(8,2,2)+hsv(4,2,2)"] == "done"
    assert status["hsv(4,4,4)"] == "done"  # the largest feature time so far (20 s) would have skipped it
    assert status["hsv(2,2,2)+hsv(3,2,2)+hsv(4,2,3)"] == "skipped: needs about 30 s, 5 s left"


def test_a_sparse_text_candidate_is_cross_validated_and_kept(data, monkeypatch):
    """TF-IDF features are sparse: auto scores them and the final model uses them as the other candidates'."""
    import scipy.sparse as sp

    monkeypatch.setattr(_autoselect, "deep_candidates", lambda texts: ())
    monkeypatch.setattr(_autoselect, "AUTO_CANDIDATES", (
        ("hsv(4,2,2)", "tfidf(min_df=2)", "sm(balanced,C=10.0,C_y=100.0,standardize=false)", True),))
    model = CrossModalRetriever(preset="auto", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    (entry,) = model.leaderboard_
    assert entry["status"] == "done" and 0 < entry["cv_map"] <= 1
    assert sp.issparse(model.text_features_.transform(data.test.texts[:2]))
    assert model.preset_stages_["text_features"] == "tfidf(min_df=2)"
    report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    assert 0 < report.map_image_to_text <= 1 and 0 < report.map_text_to_image <= 1
    assert len(model.search_text(data.test.texts[0], k=3)) == 3
