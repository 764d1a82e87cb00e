"""CrossModalRetriever: the composed pipeline, its gallery, evaluation, persistence and sklearn fit."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from classicx import CrossModalRetriever, datasets
from classicx.exceptions import (
    ClassicxWarning,
    EmptyInputError,
    ModelFormatError,
    NotFittedError,
    ShapeMismatchError,
)
from classicx.image import BagOfVisualWords, KMeansVocabulary
from classicx.subspace import RegularizedCCA
from classicx.text import TfidfLSA


def _small_model(**kw) -> CrossModalRetriever:
    return CrossModalRetriever(
        image_features=BagOfVisualWords(descriptor="sift", vocabulary=64),
        text_features=TfidfLSA(n_components=30),
        aligner=RegularizedCCA(n_components=8),
        verbose=False,
        random_state=0,
        **kw,
    )


@pytest.fixture(scope="module")
def data():
    return datasets.load_synthetic(n_train=240, n_test=80, random_state=3)


@pytest.fixture(scope="module")
def fitted(data):
    return _small_model().fit(
        data.train.images, data.train.texts, labels=data.train.labels,
        ids=data.train.ids, descriptions=data.train.descriptions,
    )


def test_retrieval_beats_chance_in_both_directions(fitted, data):
    report = fitted.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    assert report.map_image_to_text > report.chance_image_to_text + 0.05
    assert report.map_text_to_image > report.chance_text_to_image + 0.05
    assert report.map_image_to_text < 0.99  # the synthetic data is not trivially easy
    assert report.n_queries == len(data.test)
    assert "MAP" in report.to_table() and "chance" in report.to_table()


def test_chance_level_matches_closed_form(fitted, data):
    report = fitted.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    # E[AP] of a uniformly random ranking of N items, R relevant:
    # (R - 1) / (N - 1) + (N - R) / (N (N - 1)) * H_N
    n = len(data.test)
    r = np.bincount(data.test.labels)[data.test.labels]
    harmonic = np.sum(1 / np.arange(1, n + 1))
    expected = np.mean((r - 1) / (n - 1) + (n - r) / (n * (n - 1)) * harmonic)
    assert report.chance_image_to_text == pytest.approx(expected, rel=1e-6)
    assert report.chance_text_to_image == pytest.approx(expected, rel=1e-6)


def test_pair_relevance_without_labels(fitted, data):
    report = fitted.evaluate(data.test.images[:40], data.test.texts[:40])
    assert report.relevance == "the paired item"
    assert report.chance_text_to_image == pytest.approx(np.mean([sum(1 / np.arange(1, 41)) / 40]), rel=0.05)


def test_search_text_returns_ranked_gallery_images(fitted, data):
    hits = fitted.search_text(data.train.texts[0], k=5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert {h.id for h in hits} <= set(data.train.ids)
    assert hits[0].content in data.train.descriptions
    many = fitted.search_text(data.train.texts[:3], k=2)
    assert len(many) == 3 and all(len(h) == 2 for h in many)


def test_search_image_returns_texts_and_matches_category(fitted, data):
    # querying with a training image: its own category dominates the top results
    labels = data.train.labels
    hits = fitted.search_image(data.train.images[5], k=10)
    assert all(h.content == data.train.texts[h.index] for h in hits)
    assert np.mean(labels[[h.index for h in hits]] == labels[5]) > 1 / len(data.categories)


def test_index_replaces_gallery(fitted, data):
    model = copy.deepcopy(fitted)
    model.index(images=data.test.images, image_ids=[f"t{i}" for i in range(len(data.test))])
    hits = model.search_text("a shape", k=3)
    assert all(h.id.startswith("t") for h in hits)
    with pytest.raises(EmptyInputError):
        model.index(texts=[])
    with pytest.raises(ShapeMismatchError):
        model.index(texts=data.test.texts[:4], text_ids=["a"])


def test_save_load_round_trip(fitted, data, tmp_path):
    fitted.save(tmp_path / "model")
    back = CrossModalRetriever.load(tmp_path / "model")
    np.testing.assert_allclose(back.transform_texts(data.test.texts[:5]), fitted.transform_texts(data.test.texts[:5]),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back.transform_images(data.test.images[:5]),
                               fitted.transform_images(data.test.images[:5]), rtol=1e-4, atol=1e-5)
    assert [h.id for h in back.search_text("a blue star", k=4)] == [h.id for h in fitted.search_text("a blue star", k=4)]
    with pytest.raises(ModelFormatError):
        RegularizedCCA.load(tmp_path / "model")


def test_errors(data):
    model = _small_model()
    with pytest.raises(NotFittedError):
        model.search_text("x")
    with pytest.raises(ShapeMismatchError, match="3 images and 2 texts"):
        model.fit(data.train.images[:3], data.train.texts[:2])
    with pytest.raises(EmptyInputError):
        model.fit([], [])
    with pytest.raises(ShapeMismatchError, match="labels"):
        model.fit(data.train.images[:10], data.train.texts[:10], labels=[0, 1])


def test_defaults_and_shared_parameters_reach_stages(data):
    from classicx.image import ColorHistogram, FisherVector
    from classicx.spec import ConcatFeatures

    model = CrossModalRetriever(n_jobs=2, verbose=False, random_state=7)
    with pytest.warns(ClassicxWarning, match="without labels.*unsupervised"):
        model.fit(data.train.images[:60], data.train.texts[:60])
    assert isinstance(model.image_features_, ConcatFeatures)  # the balanced preset: Fisher + HSV
    parts = dict(model.image_features_.transformers_)
    assert isinstance(parts["fisher"], FisherVector) and isinstance(parts["hsv"], ColorHistogram)
    assert parts["fisher"].n_jobs == 2 and parts["fisher"].random_state == 7 and parts["fisher"].verbose is False
    assert parts["hsv"].n_jobs == 2 and parts["hsv"].verbose is False
    assert model.image_features is None  # the constructor argument is left untouched
    assert model.supervised_ is False and model.preset_stages_["aligner"].startswith("cca(")


def test_grid_search_over_retriever(data):
    search = GridSearchCV(
        _small_model(),
        {"aligner__n_components": [2, 8]},
        cv=KFold(2),
    )
    search.fit(data.train.images[:120], data.train.texts[:120])
    assert search.best_params_["aligner__n_components"] in (2, 8)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_approximate_searcher_by_spec_string_saves_and_loads(fitted, data, tmp_path):
    pytest.importorskip("hnswlib")
    model = copy.deepcopy(fitted).set_params(searcher="hnswlib:ef_search=200")
    model.index(images=data.test.images, texts=data.test.texts)
    assert type(model.image_gallery_).__name__ == "HnswlibSearcher"
    exact = copy.deepcopy(fitted).set_params(searcher=None)
    exact.index(images=data.test.images, texts=data.test.texts)
    query = data.test.texts[:5]
    # a small gallery and a large ef_search: the approximate ranking equals the exact one
    assert [[h.index for h in q] for q in model.search_text(query, k=5)] == \
        [[h.index for h in q] for q in exact.search_text(query, k=5)]
    model.save(tmp_path / "m")
    back = CrossModalRetriever.load(tmp_path / "m")
    assert [h.index for h in back.search_text(query[0], k=5)] == [h.index for h in model.search_text(query[0], k=5)]


def test_retriever_as_the_last_step_of_a_pipeline(data):
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(_small_model()).fit(data.train.images[:80], data.train.texts[:80])
    score = pipe.score(data.test.images[:30], data.test.texts[:30])
    assert 0.0 < score <= 1.0
    assert pipe[-1].search_text("a green square", k=2)[0].rank == 1


def test_default_stages_are_what_an_unset_stage_becomes(data):
    from classicx.retriever import default_stages

    from classicx.spec import to_spec
    from classicx.subspace import SemanticMatching

    stages = default_stages()
    assert stages["aligner"].get_params() == \
        SemanticMatching(C=10.0, class_weight="balanced", standardize=False).get_params()
    assert to_spec(stages["image_features"]) == "fisher(rootsift,64)+0.5*hsv"
    assert default_stages()["aligner"] is not stages["aligner"]  # new objects each call
    images, texts, labels = data.train.images[:60], data.train.texts[:60], data.train.labels[:60]
    model = CrossModalRetriever(verbose=False, random_state=0).fit(images, texts, labels=labels)
    assert model.supervised_ is True
    for name in ("image_features", "text_features", "aligner"):
        # written as specs, the fitted stages equal the defaults (the shared settings aside)
        assert to_spec(clone(getattr(model, f"{name}_")).set_params(**_unshared(stages[name]))) == \
            to_spec(stages[name])
    assert model.image_gallery_.get_params() == stages["searcher"].get_params()
    unlabelled = default_stages(labels=False)
    assert unlabelled["aligner"].get_params() == \
        RegularizedCCA(n_components=16, reg=0.6, weight_power=4.0).get_params()


def _unshared(stage):
    """The shared settings (n_jobs, verbose, random_state) of ``stage`` as it was built, at any depth."""
    return {k: v for k, v in stage.get_params(deep=True).items()
            if k.rsplit("__", 1)[-1] in ("n_jobs", "verbose", "random_state")}


def test_shared_settings_reach_an_encoder_inside_a_feature_union(data):
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import Normalizer

    union = FeatureUnion([("bovw", BagOfVisualWords(descriptor="sift", vocabulary=KMeansVocabulary(16))),
                          ("bovw_own", BagOfVisualWords(descriptor="sift", vocabulary=8, n_jobs=1))])
    text = make_pipeline(TfidfLSA(n_components=10), Normalizer())
    model = CrossModalRetriever(image_features=union, text_features=text, aligner=RegularizedCCA(n_components=4),
                                n_jobs=2, verbose=False, random_state=5)
    model.fit(data.train.images[:40], data.train.texts[:40])
    bovw, own = (dict(model.image_features_.transformer_list)[k] for k in ("bovw", "bovw_own"))
    assert bovw.n_jobs == 2 and bovw.random_state == 5 and bovw.verbose is False
    # The encoder hands its own settings on to its vocabulary (a seed drawn from its random_state),
    # so the retriever leaves them alone: the result equals the encoder's fitted with random_state=5.
    assert bovw.vocabulary.n_jobs is None and bovw.vocabulary.random_state is None
    assert own.n_jobs == 1  # a part's own setting wins
    lsa = model.text_features_.steps[0][1]
    assert lsa.random_state == 5 and lsa.verbose is False
    assert union.get_params()["bovw__n_jobs"] is None  # the user's objects are not mutated


def test_n_jobs_and_verbose_of_a_fitted_retriever_reach_the_parts_of_a_composed_stage(data):
    model = CrossModalRetriever(image_features="bovw(sift(max_keypoints=40),8)+0.5*hsv(4,2,2)",
                                text_features="lsa(10)|l2", aligner="cca(4)", random_state=0)
    model.fit(data.train.images[:40], data.train.texts[:40])
    parts = dict(model.image_features_.transformers_)
    assert parts["bovw"].verbose is True and parts["bovw"].n_jobs is None
    model.set_params(n_jobs=2, verbose=False)
    assert parts["bovw"].verbose is False and parts["hsv"].verbose is False
    assert parts["bovw"].n_jobs == 2 and parts["hsv"].n_jobs == 2
    assert dict(model.text_features_.transformers_)["lsa"].verbose is False


def test_n_jobs_and_verbose_of_a_fitted_retriever_reach_its_fitted_stages(fitted):
    model = copy.deepcopy(fitted)
    model.set_params(n_jobs=2, verbose=True)
    assert model.image_features_.n_jobs == 2 and model.image_gallery_.n_jobs == 2
    assert model.image_features_.verbose is True  # BagOfVisualWords' own default, no longer silenced
    model.set_params(verbose=False)
    assert model.image_features_.verbose is False and model.text_features_.verbose is False


class _LabelRecorder(RegularizedCCA):
    """A RegularizedCCA that asks for labels and remembers the ones its fit received."""

    __metadata_request__fit = {"labels": True}

    def fit(self, X, Y, labels=None):
        self.seen_labels_ = labels
        return super().fit(X, Y)


class _NoLabels(_LabelRecorder):
    __metadata_request__fit = {"labels": None}  # like an aligner that does not ask for them


def test_labels_reach_the_aligner_through_its_metadata_request(data):
    images, texts, labels = data.train.images[:60], data.train.texts[:60], data.train.labels[:60]
    asks = _small_model().set_params(aligner=_LabelRecorder(n_components=4)).fit(images, texts, labels)
    np.testing.assert_array_equal(asks.aligner_.seen_labels_, labels)
    silent = _small_model().set_params(aligner=_NoLabels(n_components=4)).fit(images, texts, labels)
    assert silent.aligner_.seen_labels_ is None
    np.testing.assert_array_equal(silent.image_labels_, labels)  # still kept as gallery labels


def test_scikit_learn_cca_is_not_an_aligner_without_transform_y(data):
    from sklearn.cross_decomposition import CCA

    from classicx.exceptions import ParameterError

    with pytest.raises(ParameterError, match="aligner"):
        _small_model().set_params(aligner=CCA(2)).fit(data.train.images[:20], data.train.texts[:20])


def test_parameters_are_validated_in_fit_not_in_init(data):
    from classicx.exceptions import ParameterError

    model = CrossModalRetriever(n_jobs="many", verbose=False)  # stored as given
    assert model.n_jobs == "many"
    with pytest.raises(ParameterError, match="n_jobs"):
        model.fit(data.train.images[:10], data.train.texts[:10])
    with pytest.raises(Exception, match="single"):
        CrossModalRetriever(verbose=False).fit(data.train.images[:10], "a text")


def test_evaluate_is_evaluate_retrieval_in_the_gallery_precision(fitted, data):
    from classicx.metrics import evaluate_retrieval

    images, texts, labels = data.test.images[:40], data.test.texts[:40], data.test.labels[:40]
    expected = evaluate_retrieval(fitted.transform_images(images), fitted.transform_texts(texts), labels,
                                  metric="cosine", k=5, dtype=fitted.text_gallery_.dtype)
    assert fitted.text_gallery_.dtype == "float32"
    assert fitted.evaluate(images, texts, labels, k=5) == expected


def test_a_loaded_model_whose_ids_do_not_match_its_gallery_is_refused(tmp_path):
    """Issue #12: such a model used to load and then fail with IndexError at search time."""
    import json

    from classicx.exceptions import ModelFormatError

    data = datasets.load_synthetic(n_train=60, n_test=10, random_state=0)
    model = CrossModalRetriever(verbose=False, random_state=0).fit(data.train.images, data.train.texts)
    model.save(tmp_path / "model")
    meta_path = tmp_path / "model" / "classicx.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["root"]["state"]["image_ids_"] = meta["root"]["state"]["image_ids_"][:5]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="image gallery holds 60 items but 5"):
        CrossModalRetriever.load(tmp_path / "model")


# ------------------------------------------------------------- readable hits, refused queries (#11)
@pytest.fixture(scope="module")
def named(data):
    """A model fitted with category names and ids, on arrays and on file paths of the same images."""
    return _small_model().fit(data.train.images, data.train.texts, labels=data.train.labels,
                              ids=data.train.ids, descriptions=data.train.descriptions,
                              categories=data.categories)


def test_hits_carry_label_paired_text_and_id(named, data):
    for hit in named.search_text("a red circle", k=5):
        row = data.train.ids.index(hit.id)
        assert hit.index == row and hit.label == data.categories[data.train.labels[row]]
        assert hit.text == data.train.texts[row] and hit.content == data.train.descriptions[row]
        assert hit.file is None  # arrays have no file
    for hit in named.search_image(data.test.images[0], k=5):
        assert hit.content == hit.text == data.train.texts[hit.index]
        assert hit.label == data.categories[data.train.labels[hit.index]]
    with pytest.raises(AttributeError):
        hit.label = "x"  # still a frozen dataclass


def test_hits_name_files_and_keep_their_fields_through_save_and_load(data, tmp_path):
    import cv2

    paths = []
    for i, image in enumerate(data.train.images[:80]):
        paths.append(str(tmp_path / f"{i}.png"))
        cv2.imwrite(paths[-1], image)
    model = _small_model().fit(paths, data.train.texts[:80], labels=data.train.labels[:80])
    hits = model.search_text("a blue square", k=4)
    assert [h.file for h in hits] == [paths[h.index] for h in hits]
    assert [h.label for h in hits] == [str(data.train.labels[h.index]) for h in hits]  # no names: the index
    text_hits = model.search_image(paths[0], k=3)
    assert [h.file for h in text_hits] == [paths[h.index] for h in text_hits]  # the paired image
    model.save(tmp_path / "m")
    again = CrossModalRetriever.load(tmp_path / "m")
    assert again.search_text("a blue square", k=4) == hits


def test_index_pairs_images_and_texts_only_when_told(named, data):
    model = copy.deepcopy(named)
    model.index(images=data.test.images, texts=data.test.texts, image_labels=data.test.labels,
                text_labels=data.test.labels, image_ids=data.test.ids, text_ids=data.test.ids, paired=True)
    hit = model.search_text("a green star", k=1)[0]
    assert hit.text == data.test.texts[hit.index] and hit.label == data.categories[data.test.labels[hit.index]]
    model.index(images=data.test.images[:10])
    hit = model.search_text("a green star", k=1)[0]
    assert hit.text is None and hit.label is None
    with pytest.raises(ShapeMismatchError, match="paired=True"):
        model.index(images=data.test.images[:3], texts=data.test.texts[:2], paired=True)


def test_multi_label_hits_join_their_names(data):
    labels = np.zeros((len(data.train), 3), dtype=int)
    labels[:, 0] = 1
    labels[::2, 2] = 1
    model = _small_model().fit(data.train.images, data.train.texts, labels=labels, categories=["a", "b", "c"])
    names = {hit.index: hit.label for hit in model.search_text("a red circle", k=10)}
    for index, name in names.items():
        assert name == ("a|c" if index % 2 == 0 else "a")


def test_hits_of_a_model_saved_before_the_new_fields(named):
    old = copy.deepcopy(named)
    for name in ("categories_", "image_files_", "image_texts_", "text_files_"):
        delattr(old, name)
    hit = old.search_text("a red circle", k=1)[0]
    assert hit.label == str(named.image_labels_[hit.index]) and hit.text is None and hit.file is None


@pytest.mark.parametrize("query", ["", "  \n ", "qwertyuiop zxcvbnm"])
def test_empty_or_unknown_text_queries_are_refused(named, query):
    from classicx.exceptions import InputError

    with pytest.raises(InputError, match="empty|no word the model knows") as info:
        named.search_text(query)
    assert (query.strip() == "") == isinstance(info.value, EmptyInputError)
    with pytest.raises(InputError, match="empty|no word the model knows"):
        named.search(text=query)  # the fused query too
    with pytest.raises(InputError, match="empty|no word the model knows"):
        named.search(text=query, image=np.zeros((8, 8, 3), np.uint8) + 100, weight=0.5)


def test_a_refused_query_among_several_is_named_by_its_position(named):
    from classicx.exceptions import InputError

    with pytest.raises(InputError, match=r"query 2 'zzzz'"):
        named.search_text(["a red circle", "a blue star", "zzzz"])
    assert len(named.search_text(["a red circle", "a blue star"], k=2)) == 2


def test_an_image_query_without_features_is_refused(named):
    from classicx.exceptions import InputError

    with pytest.raises(InputError, match="no image features"):
        named.search_image(np.full((64, 64, 3), 90, np.uint8))


def test_evaluate_still_scores_texts_without_known_words(named, data):
    texts = list(data.test.texts)
    texts[0] = "qwertyuiop"
    with pytest.warns(Warning, match="no term of the fitted vocabulary"):
        report = named.evaluate(data.test.images, texts, labels=data.test.labels)
    assert report.n_queries == len(texts)
