import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from classicx.exceptions import (
    ClassicxWarning,
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
    assert sp.issparse(X) and tf.language_ == "english"
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
        tf.language_ == "chinese"
        and "北京" in tf.vocabulary_
        and "news" in tf.vocabulary_
    )
    pytest.importorskip("jieba")
    tj = TfidfFeatures(segmenter="jieba").fit(ZH)
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
    lsa = TfidfLSA(n_components=3, random_state=0, n_iter=10).fit(EN)
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


def test_lsa_clips_n_components_with_warning():
    with pytest.warns(ClassicxWarning, match="using 2"):
        lsa = TfidfLSA(n_components=100).fit(["red circle", "blue square"])
    assert lsa.n_components_ == 2 and lsa.transform(["red"]).shape == (1, 2)
    with pytest.raises(InputError, match="n_components"):
        TfidfLSA(n_components=0).fit(EN)


def test_lsa_empty_text_is_zero_vector():
    lsa = TfidfLSA(n_components=2, random_state=0).fit(EN)
    with pytest.warns(EmptyFeatureWarning, match="1 of 2"):
        Z = lsa.transform(["", "red circle"])
    assert np.all(Z[0] == 0) and np.all(np.isfinite(Z)) and np.any(Z[1] != 0)


@pytest.mark.parametrize(
    "est", [TfidfFeatures(ngram_range=(1, 2)), TfidfLSA(n_components=3, random_state=0)]
)
def test_save_load_round_trip(est, tmp_path):
    est.fit(EN + ZH)
    est.save(tmp_path / "m")
    loaded = type(est).load(tmp_path / "m")
    new = ["red circle 北京 新闻", "blue"]
    a, b = est.transform(new), loaded.transform(new)
    a, b = (a.toarray(), b.toarray()) if sp.issparse(a) else (a, b)
    np.testing.assert_array_equal(a, b)
    assert loaded.get_params() == est.get_params()


def test_clone_pipeline_gridsearch():
    y = np.array([0, 1, 1, 0, 1, 0] * 2)
    texts = EN * 2
    lsa = TfidfLSA(n_components=2, random_state=0, language="english")
    assert clone(lsa).get_params() == lsa.get_params()
    pipe = Pipeline([("lsa", lsa), ("clf", LogisticRegression())])
    search = GridSearchCV(pipe, {"lsa__n_components": [2, 3]}, cv=2).fit(texts, y)
    assert search.best_params_["lsa__n_components"] in (2, 3)
    pipe2 = Pipeline([("tf", TfidfFeatures()), ("clf", LogisticRegression())]).fit(
        texts, y
    )
    assert pipe2.predict(["red circle"]).shape == (1,)


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
    lsa = TfidfLSA(n_components=20, min_df=2, random_state=0, verbose=False).fit(texts)
    assert lsa.tfidf_.language_ == "chinese"
    Z = lsa.transform(texts)
    assert Z.shape == (150, 20) and np.all(np.isfinite(Z))
    # a text is closer to itself than to the average other text
    Zn = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    sims = Zn @ Zn.T
    assert np.mean(np.diag(sims)) > np.mean(sims) + 0.3
