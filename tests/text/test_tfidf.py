import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from classicx.exceptions import (
    EmptyFeatureWarning,
    EmptyInputError,
    InputError,
    InputTypeError,
    NotFittedError,
)
from classicx.text import TfidfFeatures, TfidfLSA, Tokenizer

EN = [
    "The red circle sits on a striped background",
    "A blue square, next to a red circle",
    "green triangles and blue squares",
    "a small red square on grass",
    "striped blue background with a circle",
    "triangle triangle triangle",
]
ZH = ["今天北京天气很好", "北京的新闻 news today", "上海天气不好", "体育新闻：足球比赛"]


def test_tfidf_matches_sklearn_reference():
    tf = TfidfFeatures(min_df=1, max_df=0.9, sublinear_tf=True)
    X = tf.fit_transform(EN)
    ref = TfidfVectorizer(
        analyzer=Tokenizer("english"), max_df=0.9, sublinear_tf=True
    ).fit(EN)
    assert tf.vocabulary_ == ref.vocabulary_
    np.testing.assert_allclose(tf.idf_, ref.idf_)
    new = ["red red circle unseen words", "blue"]
    np.testing.assert_allclose(
        tf.transform(new).toarray(), ref.transform(new).toarray()
    )
    np.testing.assert_allclose(X.toarray(), ref.transform(EN).toarray())
    assert sp.issparse(X) and tf.tokenizer_.language_ == "english"
    assert list(tf.get_feature_names_out()) == list(ref.get_feature_names_out())


def test_sublinear_tf_changes_weights():
    a = TfidfFeatures(sublinear_tf=True, norm=None).fit_transform(
        ["tri tri tri tri", "sq"]
    )
    b = TfidfFeatures(sublinear_tf=False, norm=None).fit_transform(
        ["tri tri tri tri", "sq"]
    )
    idf = 1.0 + np.log(3 / 2)
    assert a[0].sum() == pytest.approx((1 + np.log(4)) * idf)
    assert b[0].sum() == pytest.approx(4 * idf)


def test_chinese_auto_and_jieba():
    tf = TfidfFeatures().fit(ZH)
    assert (
        tf.tokenizer_.language_ == "chinese"
        and "北京" in tf.vocabulary_
        and "news" in tf.vocabulary_
    )
    pytest.importorskip("jieba")
    tj = TfidfFeatures(Tokenizer(segmenter="jieba")).fit(ZH)
    assert "北京" in tj.vocabulary_ and "京天" not in tj.vocabulary_


def test_empty_texts_give_zero_rows_and_counted_warning():
    tf = TfidfFeatures().fit(EN + ["", "   "])
    with pytest.warns(EmptyFeatureWarning, match="3 of 4 texts"):
        X = tf.transform(["", "  \n", "red circle", "the of and"])
    assert X.shape == (4, len(tf.vocabulary_))
    assert X[[0, 1, 3]].nnz == 0 and X[2].nnz == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.transform(["red circle"])  # no warning when nothing is empty


def test_bad_inputs():
    with pytest.raises(InputTypeError, match=r"texts\[1\] is NoneType"):
        TfidfFeatures().fit(["a b", None])
    tf = TfidfFeatures().fit(EN)
    with pytest.raises(InputTypeError, match=r"texts\[0\] is int"):
        tf.transform([3])
    with pytest.raises(EmptyInputError, match="no texts"):
        TfidfFeatures().fit([])
    with pytest.raises(EmptyInputError, match="no tokens"):
        TfidfFeatures().fit(["", "the a of"])
    with pytest.raises(InputError, match="vocabulary"):
        TfidfFeatures(min_df=50).fit(EN)
    with pytest.raises(NotFittedError):
        TfidfFeatures().transform(["a"])
    with pytest.raises(NotFittedError):
        TfidfLSA().transform(["a"])


def test_lsa_matches_truncated_svd_oracle():
    lsa = TfidfLSA(n_components=3, random_state=0, n_iter=10, dtype="float64").fit(EN)
    X = TfidfFeatures().fit_transform(EN)
    svd = TruncatedSVD(3, n_iter=10, random_state=0).fit(X)
    np.testing.assert_allclose(lsa.singular_values_, svd.singular_values_, rtol=1e-6)
    # the leading singular values are those of the dense matrix
    np.testing.assert_allclose(
        lsa.singular_values_,
        np.linalg.svd(X.toarray(), compute_uv=False)[:3],
        rtol=1e-6,
    )
    Z = lsa.transform(EN)
    np.testing.assert_allclose(np.abs(Z), np.abs(svd.transform(X)), atol=1e-8)
    assert Z.shape == (6, 3) and Z.dtype == np.float64


def test_lsa_caps_n_components_and_checks_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cap at the rank bound is documented, not warned about
        lsa = TfidfLSA(n_components=100).fit(["red circle", "blue square"])
    assert lsa.n_components_ == 2 and lsa.transform(["red"]).shape == (1, 2)
    with pytest.raises(InputError, match="n_components"):
        TfidfLSA(n_components=0).fit(EN)
    with pytest.raises(InputError, match="tfidf"):
        TfidfLSA(tfidf="tfidf").fit(EN)
    with pytest.raises(InputError, match="tokenizer"):
        TfidfFeatures(tokenizer="english").fit(EN)
    with pytest.raises(InputError, match="norm"):
        TfidfFeatures(norm="l3").fit(EN)


def test_lsa_empty_text_is_zero_vector():
    lsa = TfidfLSA(n_components=2, random_state=0).fit(EN)
    with pytest.warns(EmptyFeatureWarning, match="1 of 2"):
        Z = lsa.transform(["", "red circle"])
    assert np.all(Z[0] == 0) and np.all(np.isfinite(Z)) and np.any(Z[1] != 0)


@pytest.mark.parametrize(
    "est",
    [
        TfidfFeatures(Tokenizer(ngram_range=(1, 2))),
        TfidfLSA(n_components=3, random_state=0),
        TfidfLSA(3, tfidf=TfidfFeatures(Tokenizer("chinese"), sublinear_tf=False)),
    ],
)
def test_save_load_round_trip(est, tmp_path):
    est.fit(EN + ZH)
    est.save(tmp_path / "m")
    loaded = type(est).load(tmp_path / "m")
    new = ["red circle 北京 新闻", "blue"]
    a, b = est.transform(new), loaded.transform(new)
    a, b = (a.toarray(), b.toarray()) if sp.issparse(a) else (a, b)
    np.testing.assert_array_equal(a, b)
    assert repr(loaded) == repr(est)
    assert repr(loaded.get_params(deep=True)) == repr(est.get_params(deep=True))


def test_clone_pipeline_gridsearch():
    y = np.array([0, 1, 1, 0, 1, 0] * 2)
    texts = EN * 2
    lsa = TfidfLSA(n_components=2, tfidf=TfidfFeatures(Tokenizer("english")), random_state=0)
    assert repr(clone(lsa).get_params(deep=True)) == repr(lsa.get_params(deep=True))
    assert clone(lsa).tfidf is not lsa.tfidf
    pipe = Pipeline([("lsa", lsa), ("clf", LogisticRegression())])
    search = GridSearchCV(pipe, {"lsa__n_components": [2, 3]}, cv=2).fit(texts, y)
    manual = [
        cross_val_score(clone(pipe).set_params(lsa__n_components=n), texts, y, cv=2).mean()
        for n in (2, 3)
    ]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], manual)
    assert search.best_params_["lsa__n_components"] == (2, 3)[int(np.argmax(manual))]
    pipe2 = Pipeline([("tf", TfidfFeatures()), ("clf", LogisticRegression())]).fit(
        texts, y
    )
    assert pipe2.predict(["red circle"]).shape == (1,)


def test_lsa_passes_sublinear_tf_to_its_tfidf_step():
    # TfidfLSA owns no copy of the TF-IDF settings: what its tfidf says is what is used.
    texts = EN + ["red red red red circle", "blue blue square square square"]
    for sublinear in (True, False):
        lsa = TfidfLSA(3, tfidf=TfidfFeatures(sublinear_tf=sublinear), n_iter=10, random_state=0).fit(texts)
        X = TfidfFeatures(sublinear_tf=sublinear).fit_transform(texts)
        np.testing.assert_allclose(
            lsa.singular_values_, np.linalg.svd(X.toarray(), compute_uv=False)[:3], rtol=1e-10
        )
        assert lsa.tfidf_.sublinear_tf is sublinear
    on = TfidfLSA(3, random_state=0).fit(texts).singular_values_
    off = TfidfLSA(3, tfidf=TfidfFeatures(sublinear_tf=False), random_state=0).fit(texts).singular_values_
    assert not np.allclose(on, off, rtol=1e-3)


# Fitting texts are Chinese; this text alone would be detected as English (2 CJK of ~25
# word characters), which would split 北京 into two characters without the bigram.
MOSTLY_ENGLISH = "北京 is the capital city of the country"


def test_transform_uses_the_fitted_language_not_auto():
    assert Tokenizer()(MOSTLY_ENGLISH) == Tokenizer("english")(MOSTLY_ENGLISH)
    tf = TfidfFeatures().fit(ZH)
    assert tf.tokenizer is None and tf.tokenizer_.language_ == "chinese"
    X = tf.transform([MOSTLY_ENGLISH])
    assert X[0, tf.vocabulary_["北京"]] > 0
    reference = TfidfFeatures(Tokenizer("chinese")).fit(ZH).transform([MOSTLY_ENGLISH])
    np.testing.assert_array_equal(X.toarray(), reference.toarray())
    lsa = TfidfLSA(2, random_state=0).fit(ZH)
    lsa_zh = TfidfLSA(2, tfidf=TfidfFeatures(Tokenizer("chinese")), random_state=0).fit(ZH)
    np.testing.assert_array_equal(lsa.transform([MOSTLY_ENGLISH]), lsa_zh.transform([MOSTLY_ENGLISH]))


def test_fit_never_mutates_the_given_parts():
    tok = Tokenizer()
    tfidf = TfidfFeatures(tok, min_df=1)
    lsa = TfidfLSA(2, tfidf=tfidf, random_state=0, verbose=False).fit(ZH)
    assert lsa.tfidf is tfidf and tfidf.tokenizer is tok
    assert not hasattr(tfidf, "vocabulary_") and not hasattr(tok, "language_")
    assert lsa.tfidf_ is not tfidf and lsa.tfidf_.tokenizer_ is not tok
    assert lsa.tfidf_.tokenizer_.language_ == "chinese" and tok.language == "auto"
    # verbose=False on the whole silences the part it fits, not the user's part
    assert lsa.tfidf_.verbose is False and tfidf.verbose is True


def test_nested_parameters_are_tunable():
    lsa = TfidfLSA()
    lsa.set_params(tfidf__tokenizer__ngram_range=(1, 2), tfidf__min_df=1)
    assert isinstance(lsa.tfidf, TfidfFeatures) and lsa.tfidf.tokenizer.ngram_range == (1, 2)
    params = lsa.get_params(deep=True)
    assert params["tfidf__tokenizer__ngram_range"] == (1, 2) and params["tfidf__sublinear_tf"] is True
    y = np.array([0, 1, 1, 0, 1, 0] * 2)
    texts = EN * 2
    pipe = Pipeline([("lsa", TfidfLSA(3, random_state=0, verbose=False)), ("clf", LogisticRegression())])
    grid = {"lsa__tfidf__tokenizer__ngram_range": [(1, 1), (1, 2)], "lsa__tfidf__sublinear_tf": [True, False]}
    search = GridSearchCV(pipe, grid, cv=2).fit(texts, y)
    manual = [
        cross_val_score(clone(pipe).set_params(**point), texts, y, cv=2).mean()
        for point in search.cv_results_["params"]
    ]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], manual)
    best = search.best_estimator_.named_steps["lsa"]
    assert best.tfidf_.tokenizer_.ngram_range == search.best_params_["lsa__tfidf__tokenizer__ngram_range"]
    # the grid reaches the tokenizer: bigram vocabularies are larger
    fitted = clone(pipe).set_params(lsa__tfidf__tokenizer__ngram_range=(1, 2)).fit(texts, y)
    assert "red circle" in fitted.named_steps["lsa"].tfidf_.vocabulary_


def test_tfidf_direct_grid_search_over_tokenizer():
    # GridSearchCV over TfidfLSA() itself, with a scorer that needs no classifier
    def spread(estimator, texts, y=None):
        return float(np.var(estimator.transform(texts)))

    search = GridSearchCV(
        TfidfLSA(n_components=2, random_state=0, verbose=False),
        {"tfidf__tokenizer__ngram_range": [(1, 1), (1, 2)]},
        scoring=spread,
        cv=2,
    ).fit(EN * 2)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_.tfidf.tokenizer.ngram_range == search.best_params_["tfidf__tokenizer__ngram_range"]


def test_feature_names_and_set_output():
    lsa = TfidfLSA(n_components=2, random_state=0).fit(EN)
    assert list(lsa.get_feature_names_out()) == ["tfidflsa0", "tfidflsa1"]
    pd = pytest.importorskip("pandas")
    out = lsa.set_output(transform="pandas").transform(["red circle"])
    assert isinstance(out, pd.DataFrame) and list(out.columns) == [
        "tfidflsa0",
        "tfidflsa1",
    ]


@pytest.mark.integration
def test_lsa_on_real_chinese_news(webnews_dir):
    from classicx.text import read_texts

    files = sorted((webnews_dir / "texts").glob("*.txt"))[:150]
    texts = read_texts(files)
    lsa = TfidfLSA(n_components=20, tfidf=TfidfFeatures(min_df=2), random_state=0, verbose=False).fit(texts)
    assert lsa.tfidf_.tokenizer_.language_ == "chinese"
    Z = lsa.transform(texts)
    assert Z.shape == (150, 20) and np.all(np.isfinite(Z))
    # a text is closer to itself than to the average other text
    Zn = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    sims = Zn @ Zn.T
    assert np.mean(np.diag(sims)) > np.mean(sims) + 0.3
