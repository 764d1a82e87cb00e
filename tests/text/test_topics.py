import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer

from classicx.exceptions import (
    EmptyFeatureWarning,
    InputError,
    InputTypeError,
    NotFittedError,
)
from classicx.text import LdaTopics, Tokenizer

ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
MONEY = ["stock", "bond", "price", "market", "bank", "loan"]


def planted_corpus(n=40, seed=0):
    rng = np.random.default_rng(seed)
    texts, topic = [], []
    for i in range(n):
        words = ANIMALS if i % 2 == 0 else MONEY
        texts.append(" ".join(rng.choice(words, size=12)))
        topic.append(i % 2)
    return texts, np.array(topic)


def test_recovers_planted_topics():
    texts, topic = planted_corpus()
    lda = LdaTopics(n_components=2, min_df=1, max_df=1.0, random_state=0)
    theta = lda.fit_transform(texts)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0)
    dominant = theta.argmax(axis=1)
    assert abs(np.corrcoef(dominant, topic)[0, 1]) == pytest.approx(1.0)
    assert theta.max(axis=1).min() > 0.8
    words = lda.top_words(6)
    assert {frozenset(w) for w in words} == {frozenset(ANIMALS), frozenset(MONEY)}


def test_matches_sklearn_lda_oracle():
    texts, _ = planted_corpus(30, seed=1)
    lda = LdaTopics(
        n_components=3,
        min_df=1,
        max_df=1.0,
        max_iter=15,
        random_state=0,
        tokenizer=Tokenizer("english"),
    ).fit(texts)
    cv = CountVectorizer(analyzer=Tokenizer("english"))
    counts = cv.fit_transform(texts)
    ref = LatentDirichletAllocation(n_components=3, max_iter=15, random_state=0).fit(
        counts
    )
    assert lda.vocabulary_ == cv.vocabulary_
    np.testing.assert_allclose(lda.components_, ref.components_)
    new = ["cat dog stock", "bank loan loan"]
    np.testing.assert_allclose(
        lda.transform(new), ref.transform(cv.transform(new)), rtol=1e-10
    )


def test_empty_and_unknown_texts_zero_rows():
    texts, _ = planted_corpus()
    lda = LdaTopics(n_components=2, min_df=1, random_state=0).fit(texts)
    with pytest.warns(EmptyFeatureWarning, match="2 of 3"):
        theta = lda.transform(["", "zebra unicorn", "cat cat"])
    assert np.all(theta[:2] == 0) and theta[2].sum() == pytest.approx(1.0)
    assert np.all(np.isfinite(theta))


def test_errors():
    with pytest.raises(NotFittedError):
        LdaTopics().transform(["a"])
    with pytest.raises(InputTypeError, match=r"texts\[1\]"):
        LdaTopics(min_df=1).fit(["cat dog", None])
    with pytest.raises(InputError, match="n_components"):
        LdaTopics(n_components=0).fit(["cat dog"])


def test_save_load_clone_pipeline(tmp_path):
    texts, _ = planted_corpus()
    lda = LdaTopics(n_components=2, min_df=1, random_state=0).fit(texts)
    lda.save(tmp_path / "lda")
    loaded = LdaTopics.load(tmp_path / "lda")
    np.testing.assert_array_equal(loaded.transform(texts[:5]), lda.transform(texts[:5]))
    assert clone(lda).get_params() == lda.get_params()
    assert repr(loaded) == repr(lda) and loaded.tokenizer_.language_ == lda.tokenizer_.language_
    pipe = Pipeline(
        [
            ("lda", LdaTopics(n_components=2, min_df=1, random_state=0)),
            ("norm", Normalizer()),
        ]
    )
    assert pipe.fit_transform(texts).shape == (40, 2)


def test_chinese_topics():
    rng = np.random.default_rng(0)
    sport, money = (
        ["足球", "比赛", "球队", "进球", "教练"],
        ["股票", "市场", "价格", "下跌", "银行"],
    )
    zh = [
        "".join(rng.choice(sport if i % 2 == 0 else money, size=8)) for i in range(30)
    ]
    lda = LdaTopics(n_components=2, min_df=1, max_df=1.0, random_state=0)
    dominant = lda.fit_transform(zh).argmax(axis=1)
    assert lda.tokenizer_.language_ == "chinese" and "足球" in lda.vocabulary_
    assert abs(np.corrcoef(dominant, np.arange(30) % 2)[0, 1]) == pytest.approx(1.0)


def test_transform_uses_the_fitted_language_not_auto():
    zh = ["今天北京天气很好", "北京的新闻", "上海天气不好", "北京足球比赛新闻"] * 3
    text = "北京 is the capital city of the country"
    lda = LdaTopics(n_components=2, min_df=1, max_df=1.0, random_state=0).fit(zh)
    assert lda.tokenizer_.language_ == "chinese"
    ref = LdaTopics(2, tokenizer=Tokenizer("chinese"), min_df=1, max_df=1.0, random_state=0).fit(zh)
    np.testing.assert_array_equal(lda.transform([text]), ref.transform([text]))
    # in English mode the text holds no known word (no bigram 北京; 北 and 京 are stop-free but
    # both also occur in the vocabulary as characters): the two modes give different rows
    eng = CountVectorizer(analyzer=Tokenizer("english"), vocabulary=lda.vocabulary_).transform([text])
    chi = CountVectorizer(analyzer=Tokenizer("chinese"), vocabulary=lda.vocabulary_).transform([text])
    assert eng.sum() != chi.sum()
