"""classicx.spec: the grammar, what each name builds, the round trip, the errors, ConcatFeatures, durations."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.base import clone

from classicx import CrossModalRetriever, datasets, persistence
from classicx.exceptions import BackendUnavailableError, ParameterError
from classicx.spec import ConcatFeatures, build, names, parse_duration, to_spec


def _canonical(value):
    """get_params(deep=True) with nested estimators replaced by (class, their params): comparable with ==."""
    if hasattr(value, "get_params"):
        return (type(value).__name__, {k: _canonical(v) for k, v in value.get_params(deep=False).items()})
    if isinstance(value, (list, tuple)):
        return type(value)(_canonical(v) for v in value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


SPECS = {
    "image": [
        "fisher(rootsift,64)+hsv",
        "fisher(rootsift,64)+0.5*hsv",
        "bovw(sift,512)",
        "sp(dense_sift,256,levels=2)",
        "vlad(rootsift,64)",
        "hsv",
        "hsv(4,2,2)",
        "bovw(rootsift(max_side=640),kmeans(512,n_init=3),normalize=l1,assignment=soft)",
        "fisher(dense_sift(dense_step=4),gmm(32,pca_components=16))|l2",
        "bovw(orb,bkmeans(64))+bovw(sift,64)",
    ],
    "text": [
        "lsa(200)",
        "tfidf(1-2)",
        "lda(50)",
        "w2v(300)",
        "lsa(200)|l2",
        "lsa(200,tfidf(1-2,min_df=2))",
        "lda(20,segmenter=char,ngram_range=1-2)",
        "tfidf(tokenizer=tok())",
        "tfidf(1-3,language=english,stop_words=none)",
        "w2v(50,pooling=sif,architecture=cbow)",
    ],
    "aligner": [
        "cca(32,reg=0.3)",
        "cca(32,reg=0.3,weight_power=4.0)",
        "sm(balanced)",
        "sm(balanced,C=10,standardize=false)",
        "scm",
        "scm(cca(32),sm(balanced,C=10))",
        "kcca-scm(chi2)",
        "kcca(rbf,16,reg=0.1)",
        "3cca",
        "3cca(9,reg=0.6)",
        "mmd",
        "mmd(8,kernel=mmdk(n_random_features=64))",
        "gram",
        "gram(16,kernel=kmap(chi2,500))",
        "pls",
    ],
    "searcher": ["exact", "exact:metric=inner_product,chunk_size=1024", "faiss:HNSW32", "faiss:IVF256,Flat;nprobe=16",
                 "hnswlib", "hnswlib:M=32", "annoy", "lsh"],
}
CASES = [(stage, spec) for stage, specs in SPECS.items() for spec in specs]


@pytest.mark.parametrize("stage, spec", CASES)
def test_round_trip(stage, spec):
    built = build(spec, stage)
    written = to_spec(built)
    again = build(written, stage)
    assert _canonical(again.get_params(deep=True)) == _canonical(built.get_params(deep=True))
    assert to_spec(again) == written  # the written form is a fixed point


@pytest.mark.parametrize("stage, spec", [c for c in CASES if c[0] != "searcher"])
def test_round_trip_of_a_clone_and_a_saved_copy(stage, spec, tmp_path):
    built = build(spec, stage)
    assert to_spec(clone(built)) == to_spec(built)
    if isinstance(built, ConcatFeatures) or hasattr(built, "save"):
        path = persistence.save(built, tmp_path / "m")
        assert to_spec(persistence.load(path)) == to_spec(built)


def test_what_the_names_build():
    from classicx.image import BagOfVisualWords, ColorHistogram, FisherVector, LocalDescriptors, SpatialPyramid
    from classicx.subspace import KernelCCA, RegularizedCCA, SemanticCorrelationMatching, SemanticMatching
    from classicx.text import TfidfFeatures, TfidfLSA

    union = build("fisher(rootsift,64)+0.5*hsv", "image")
    (n1, fisher), (n2, hsv) = union.transformers
    assert (n1, n2) == ("fisher", "hsv") and union.weights == {"hsv": 0.5} and union.normalize is None
    assert isinstance(fisher, FisherVector) and fisher.descriptor == "rootsift" and fisher.vocabulary == 64
    assert isinstance(hsv, ColorHistogram) and hsv.bins == (8, 4, 4)
    sp = build("sp(dense_sift,256,levels=2)", "image")
    assert isinstance(sp, SpatialPyramid) and sp.levels == (1, 2) and sp.vocabulary == 256
    bovw = build("bovw(rootsift(max_side=640),512)", "image")
    assert isinstance(bovw, BagOfVisualWords) and isinstance(bovw.descriptor, LocalDescriptors)
    assert bovw.descriptor.kind == "rootsift" and bovw.descriptor.max_side == 640
    assert build("hsv(4,2,2)", "image").bins == (4, 2, 2)
    tfidf = build("tfidf(1-2)", "text")
    assert isinstance(tfidf, TfidfFeatures) and tfidf.tokenizer.ngram_range == (1, 2)
    lsa = build("lsa(200,segmenter=jieba)", "text")
    assert isinstance(lsa, TfidfLSA) and lsa.n_components == 200 and lsa.tfidf.tokenizer.segmenter == "jieba"
    assert build("lsa(200)|l2", "text").normalize == "l2"
    cca = build("cca(32,reg=0.3)", "aligner")
    assert isinstance(cca, RegularizedCCA) and (cca.n_components, cca.reg) == (32, 0.3)
    sm = build("sm(balanced)", "aligner")
    assert isinstance(sm, SemanticMatching) and sm.class_weight == "balanced"
    kscm = build("kcca-scm(chi2)", "aligner")
    assert isinstance(kscm, SemanticCorrelationMatching) and isinstance(kscm.aligner, KernelCCA)
    assert kscm.aligner.kernel == "chi2" and kscm.semantic is None
    assert type(build("3cca", "aligner")).__name__ == "ThreeViewCCA"
    assert type(build("faiss:HNSW32", "searcher")).__name__ == "FaissSearcher"
    assert build("exact:metric=inner_product", "searcher").metric == "inner_product"
    assert build("image_features" and "hsv", "image_features").bins == (8, 4, 4)  # the retriever's stage names


def test_spaces_and_case_are_ignored():
    assert to_spec(build(" Fisher( rootsift , 64 ) + 0.5 * HSV ", "image")) == "fisher(rootsift,64)+0.5*hsv"


@pytest.mark.parametrize(
    "stage, spec, match",
    [
        ("image", "xyz", r"unknown image name 'xyz'; valid: bovw, cnn, fisher, hsv, sp, vlad"),
        ("image", "cca(32)", r"unknown image name 'cca'"),
        ("aligner", "cca(32,regg=1)", r"unknown parameter 'regg' of cca\(\); valid: .*n_components.*reg"),
        ("aligner", "kcca-scm(chi2,kernal=1)", r"unknown parameter 'kernal'"),
        ("image", "bovw(foo,3)", r"bovw\(\).*descriptor"),
        ("aligner", "cca(", r"the spec ended"),
        ("image", "fisher+", r"expected a name"),
        ("image", "fisher(rootsift,64)|l3", r"after '\|' expected one of l2, l1"),
        ("aligner", "cca+pls", r"combine feature stages"),
        ("aligner", "cca(1,2,3)", r"at most 1 positional"),
        ("aligner", "cca(n_components=2,n_components=3)", r"given twice"),
        ("image", "x*hsv", r"weight before '\*' must be a number"),
        ("searcher", "nope:1", r"unknown searcher backend 'nope'; valid: exact, faiss"),
        ("text", "", r"non-empty"),
        ("pipeline", "cca", r"unknown stage 'pipeline'"),
        ("text", "tfidf(3)", r"n-gram range"),
    ],
)
def test_errors_name_what_is_wrong_and_list_the_valid_choices(stage, spec, match):
    with pytest.raises(ParameterError, match=match):
        build(spec, stage)


def test_an_unavailable_extra_is_named(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(BackendUnavailableError, match=r"'cnn' extra.*classicx\[cnn\].*torch"):
        build("cnn(efficientnet-lite0)", "image")
    with pytest.raises(BackendUnavailableError, match=r"'deep-text' extra"):
        build("sentence(minilm)", "text")


def test_to_spec_refuses_what_has_no_spec():
    from sklearn.decomposition import PCA

    with pytest.raises(ParameterError, match="PCA has no spec name"):
        to_spec(PCA(2))
    with pytest.raises(ParameterError, match="no spec name"):
        to_spec(ConcatFeatures([("pca", PCA(2))]))


def test_every_name_is_described_and_builds_in_its_stage():
    from classicx.spec import describe_names

    rows = describe_names()
    assert {name for _, name, _ in rows} == set(names()) - set(names("searcher"))
    for stage, name, doc in rows:
        assert doc and name in doc, name
        if stage in ("image", "text", "aligner") and name not in ("cnn", "sentence", "pretrained"):
            assert to_spec(build(name, stage))  # a bare name builds with the defaults


def test_names_per_stage():
    assert "kcca-scm" in names("aligner") and "3cca" in names("aligner")
    assert names("searcher") == ["exact", "faiss", "hnswlib", "annoy", "lsh"]
    assert set(names("text")) >= {"tfidf", "lsa", "lda", "w2v", "sentence"}


# ------------------------------------------------------------------ ConcatFeatures
def test_concat_features_is_the_weighted_hstack_then_the_row_norm():
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    union = ConcatFeatures([("a", StandardScaler()), ("b", FunctionTransformer(np.square))], weights={"b": 0.25},
                           normalize="l2")
    out = union.fit_transform(X)
    expected = np.hstack([StandardScaler().fit_transform(X), 0.25 * X**2])  # independent oracle
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(union.transform(X), expected)
    l1 = ConcatFeatures([("a", FunctionTransformer())], normalize="l1").fit_transform(np.array([[1.0, -3.0], [0, 0]]))
    np.testing.assert_allclose(l1, [[0.25, -0.75], [0.0, 0.0]])  # an all-zero row stays zero
    assert union.get_params()["a__with_mean"] is True
    union.set_params(a__with_mean=False)
    assert union.transformers[0][1].with_mean is False


def test_concat_features_refuses_bad_parts():
    from sklearn.preprocessing import StandardScaler

    X = np.ones((4, 2))
    with pytest.raises(ParameterError, match="at least one"):
        ConcatFeatures([]).fit(X)
    with pytest.raises(ParameterError, match=r"weights name unknown parts \['c'\]"):
        ConcatFeatures([("a", StandardScaler())], weights={"c": 1.0}).fit(X)
    with pytest.raises(ParameterError, match="no fit/transform"):
        ConcatFeatures([("a", 3)]).fit(X)
    with pytest.raises(ValueError, match="unique"):
        ConcatFeatures([("a", StandardScaler()), ("a", StandardScaler())]).fit(X)


@pytest.mark.parametrize("check", ["check_estimator_cloneable", "check_estimator_repr", "check_get_params_invariance",
                                   "check_set_params", "check_no_attributes_set_in_init",
                                   "check_do_not_raise_errors_in_init_or_set_params", "check_mixin_order"])
def test_concat_features_passes_scikit_learns_data_free_checks(check):
    # Its data checks do not apply: the input goes to the parts, which check it themselves.
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("ConcatFeatures", ConcatFeatures([("s", StandardScaler())], normalize="l2"))


def test_concat_features_of_real_encoders_saves_and_loads(tmp_path):
    data = datasets.load_synthetic(n_train=24, n_test=6, random_state=0)
    union = build("bovw(sift(max_keypoints=40),8)+0.5*hsv(4,2,2)|l2", "image").set_params(
        bovw__verbose=False, hsv__verbose=False, bovw__random_state=0)
    out = union.fit_transform(data.train.images)
    assert out.shape == (24, 8 + 4 * 2 * 2)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    back = persistence.load(persistence.save(union, tmp_path / "u"))
    np.testing.assert_allclose(back.transform(data.test.images), union.transform(data.test.images), rtol=1e-6)
    assert len(union.get_feature_names_out()) == out.shape[1]


# ---------------------------------------------------------------------- durations
@pytest.mark.parametrize("text, seconds", [("90", 90.0), (45, 45.0), (2.5, 2.5), ("45s", 45.0), ("10m", 600.0),
                                           ("10min", 600.0), ("1h30m", 5400.0), ("1.5h", 5400.0),
                                           ("1h 30m 15", 5415.0), ("0.5s", 0.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "-5", "0", "10m10m", "5 10m", float("inf"), None, True])
def test_parse_duration_refuses(text):
    with pytest.raises(ParameterError):
        parse_duration(text)


# ----------------------------------------------------------------- in the retriever
def test_the_retriever_takes_a_spec_for_every_stage():
    data = datasets.load_synthetic(n_train=60, n_test=20, random_state=1)
    model = CrossModalRetriever(
        image_features="bovw(sift(max_keypoints=60),16)+0.5*hsv(4,2,2)", text_features="lsa(20)|l2",
        aligner="cca(4,reg=0.3)", searcher="exact:metric=inner_product", verbose=False, random_state=0,
    )
    assert model.image_features == "bovw(sift(max_keypoints=60),16)+0.5*hsv(4,2,2)"  # stored, not built, in __init__
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    assert to_spec(clone(model.image_features_).set_params(bovw__verbose=True, hsv__verbose=True,
                                                           bovw__random_state=None)) == model.image_features
    assert to_spec(model.aligner_) == "cca(4,reg=0.3)" and model.image_gallery_.metric == "inner_product"
    assert model.preset_stages_ == {}  # every stage was given
    report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    assert report.map_image_to_text > report.chance_image_to_text


def test_a_bad_spec_fails_in_fit_not_in_init():
    model = CrossModalRetriever(aligner="ccaa(4)", verbose=False)
    data = datasets.load_synthetic(n_train=10, n_test=4, random_state=1)
    with pytest.raises(ParameterError, match="unknown aligner name 'ccaa'; valid: 3cca, cca"):
        model.fit(data.train.images, data.train.texts)
