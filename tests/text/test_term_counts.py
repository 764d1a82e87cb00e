"""The vectorised term counter of long CJK single texts (issue #15) against counting the tokenizer's tokens."""

from __future__ import annotations

import pickle
from collections import Counter

import numpy as np
import pytest

from classicx.text import TfidfFeatures, Tokenizer
from classicx.text._term_counts import CharTermCounter
from classicx.text.tokenize import CHINESE_STOP_WORDS, CJK_RANGES, has_cjk

# Characters of every kind the tokenizer tells apart: Han (common, extension A, compatibility,
# an astral extension-B one), kana (with the katakana middle dot, punctuation inside the kana
# range), Latin letters (upper case, and "İ", whose lower case is two code points), digits,
# underscore (a word character), Greek and Cyrillic, punctuation, spaces, an emoji (above the
# CJK ranges), Chinese stop characters (的, 了, 是) and a lone surrogate.
ALPHABET = list("北京新闻上海天气的了是我爱中国㐀豈") + ["\U00020001", "\U0002fa1d"] + list("ひらカナ・ー") + \
    list("abcXYZİ0123_αβжд") + list(" ,.!?;:（）。，、\n\t") + ["\U0001f600", "\ud800"]
WORDS = ["news", "python", "the", "and", "data", "ab", "x1", "city", "Beijing", "2026"]


def _texts(rng: np.random.Generator, n: int) -> list[str]:
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(int(rng.integers(1, 40))):
            if rng.random() < 0.3:
                parts.append(WORDS[int(rng.integers(len(WORDS)))])
            else:
                parts.append("".join(ALPHABET[int(i)] for i in rng.integers(len(ALPHABET), size=int(rng.integers(1, 8)))))
        texts.append("".join(parts) if rng.random() < 0.5 else " ".join(parts))
    return texts


def _reference(tokenizer, vocabulary, text):
    counts = Counter(tokenizer(text))
    pairs = sorted((vocabulary[t], c) for t, c in counts.items() if t in vocabulary)
    return [p[0] for p in pairs], [float(p[1]) for p in pairs]


@pytest.mark.parametrize("language", ["chinese", "english"])
@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("stop_words", ["auto", None, ["news", "北", "京"]])
def test_counts_are_the_tokenizers_tokens_looked_up(language, lowercase, stop_words):
    rng = np.random.default_rng(11)
    tokenizer = Tokenizer(language=language, lowercase=lowercase, stop_words=stop_words).fit(["x"])
    train = _texts(rng, 60)
    # The vocabulary of the fitting texts, with terms no tokenizer of these settings makes
    # (a stop character, a three-character CJK term, an empty term, an upper-case word, stop words,
    # a bigram for the English settings, which make none).
    vocabulary = {}
    for text in train:
        for token in tokenizer(text):
            vocabulary.setdefault(token, len(vocabulary))
    for extra in ["的", "北京新", "", "News", "\U0001f600", "the", "news", "北京"]:
        vocabulary.setdefault(extra, len(vocabulary))
    counter = CharTermCounter(tokenizer, vocabulary)
    for text in _texts(rng, 80) + ["", "的的的", "北", "news", "İstanbul 北京"]:
        columns, counts = counter(text)
        assert columns.dtype == np.int32 and counts.dtype == np.float64
        expected = _reference(tokenizer, vocabulary, text)
        assert (columns.tolist(), counts.tolist()) == expected, repr(text)


def test_the_cjk_ranges_are_the_tokenizers():
    for low, high in CJK_RANGES:
        for point in (low, high):
            assert has_cjk(chr(point))
        assert not has_cjk(chr(low - 1)) or any(lo <= low - 1 <= hi for lo, hi in CJK_RANGES)
        assert not has_cjk(chr(high + 1)) or any(lo <= high + 1 <= hi for lo, hi in CJK_RANGES)


@pytest.mark.parametrize(
    "tokenizer",
    [
        # Fitted (language_ set), so that only the setting named in the id disqualifies it. English
        # for jieba: its Chinese mode would need the jieba package to fit.
        Tokenizer(segmenter="jieba", language="english").fit(["x"]),
        Tokenizer(ngram_range=(1, 2), language="chinese").fit(["x"]),
        Tokenizer(ngram_range=(2, 2), language="chinese").fit(["x"]),
        Tokenizer(),
    ],
    ids=["jieba", "bigrams-of-words", "only-bigrams-of-words", "unfitted-auto"],
)
def test_it_refuses_tokenizers_whose_tokens_it_does_not_reproduce(tokenizer):
    assert not CharTermCounter.supports(tokenizer)
    with pytest.raises(ValueError, match="segmenter='char'"):
        CharTermCounter(tokenizer, {"a": 0})


def test_it_takes_a_fitted_char_tokenizer_of_unigrams_and_nothing_that_only_looks_like_one():
    assert CharTermCounter.supports(Tokenizer(language="chinese").fit(["x"]))
    assert CharTermCounter.supports(Tokenizer(language="english").fit(["x"]))
    assert not CharTermCounter.supports(lambda text: text.split())

    class Subclass(Tokenizer):  # may tokenise otherwise: not reproduced
        pass

    assert not CharTermCounter.supports(Subclass(language="chinese").fit(["x"]))


def _chinese_features(rng):
    train = ["".join(rng.choice(list("北京新闻上海天气中国城市报道今天")) for _ in range(int(n)))
             for n in rng.integers(20, 200, size=40)]
    return TfidfFeatures(verbose=False).fit(train)


def test_single_long_texts_use_it_from_the_second_one_and_give_scikit_learns_rows():
    rng = np.random.default_rng(5)
    features = _chinese_features(rng)
    assert features.tokenizer_.language_ == "chinese"
    reference = features._fitted_vectorizer()
    queries = ["".join(rng.choice(list("北京新闻上海天气中国城市今日 news,")) for _ in range(int(n)))
               for n in rng.integers(64, 400, size=30)]
    for i, query in enumerate(queries):
        mine, theirs = features.transform([query]), reference.transform([query]).tocsr()
        np.testing.assert_array_equal(mine.indices, theirs.indices)
        np.testing.assert_array_equal(mine.data, theirs.data)  # to the last bit
        counter = features._term_counter_cache[1]
        assert (counter is None) == (i == 0), i  # built at the second long text, then kept
    assert features._term_counter(queries[0]) is counter


@pytest.mark.filterwarnings("ignore::classicx.exceptions.EmptyFeatureWarning")  # the English text: no known term
def test_short_or_non_cjk_texts_do_not_build_it():
    features = _chinese_features(np.random.default_rng(2))
    for text in ["北京" * 10, "news " * 40, "北京" * 10]:
        features.transform([text])
    assert "_term_counter_cache" not in features.__dict__


def test_it_is_rebuilt_when_the_vocabulary_or_the_tokenizer_changes_and_is_never_pickled():
    rng = np.random.default_rng(9)
    features = _chinese_features(rng)
    text = "北京新闻上海天气中国城市" * 8
    features.transform([text]), features.transform([text])
    first = features._term_counter_cache[1]
    assert first is not None
    features.vocabulary_ = dict(features.vocabulary_)  # replaced (same terms)
    features.transform([text]), features.transform([text])
    assert features._term_counter_cache[1] is not first
    features.tokenizer_.set_params(ngram_range=(1, 2))  # now a tokenizer it cannot reproduce
    assert features._term_counter(text) is None
    features.tokenizer_.set_params(ngram_range=(1, 1))
    copy = pickle.loads(pickle.dumps(features))
    assert "_term_counter_cache" not in copy.__dict__
    np.testing.assert_array_equal(copy.transform([text]).toarray(), features.transform([text]).toarray())


def test_stop_characters_are_dropped_but_their_bigrams_kept():
    tokenizer = Tokenizer(language="chinese").fit(["x"])
    assert "的" in CHINESE_STOP_WORDS
    vocabulary = {"的": 0, "我的": 1, "京": 2}
    # 我 and 的 are stop characters; the bigrams 我的, 的京 and 京的 are kept.
    columns, counts = CharTermCounter(tokenizer, vocabulary)("我的京的")
    assert (columns.tolist(), counts.tolist()) == ([1, 2], [1.0, 1.0])
    assert _reference(tokenizer, vocabulary, "我的京的") == ([1, 2], [1.0, 1.0])
