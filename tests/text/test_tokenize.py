import pickle

import pytest
from sklearn.base import clone

from classicx.exceptions import EmptyInputError, InputError, InputTypeError, ParameterError
from classicx.text import (
    CHINESE_STOP_WORDS,
    ENGLISH_STOP_WORDS,
    Tokenizer,
    detect_language,
    tokenize,
)


def test_english_lowercase_stopwords_unicode():
    assert tokenize("The Café is OPEN, naïve users!", language="english") == [
        "café",
        "open",
        "naïve",
        "users",
    ]
    assert "the" in ENGLISH_STOP_WORDS
    assert tokenize("The cat", stop_words=None) == ["the", "cat"]
    assert tokenize("The Cat", lowercase=False, stop_words=["Cat"]) == ["The"]


def test_single_characters_dropped_outside_cjk():
    assert tokenize("x y zz 7 42", language="english") == ["zz", "42"]


def test_chinese_char_unigrams_and_bigrams():
    assert tokenize("天气很好。明天", language="chinese", stop_words=None) == [
        "天",
        "气",
        "很",
        "好",
        "明",
        "天",
        "天气",
        "气很",
        "很好",
        "明天",
    ]


def test_chinese_stop_words():
    # "很" is a function character: dropped as a unigram, kept inside bigrams
    assert tokenize("天气很好", language="chinese") == [
        "天",
        "气",
        "好",
        "天气",
        "气很",
        "很好",
    ]
    assert tokenize("天气很好", language="chinese", stop_words="english") == [
        "天",
        "气",
        "很",
        "好",
        "天气",
        "气很",
        "很好",
    ]
    assert tokenize("the 的 cat", language="chinese", stop_words="chinese") == [
        "the",
        "cat",
    ]
    assert tokenize("the 的 cat", language="chinese") == ["cat"]


def test_english_mode_splits_cjk_into_characters():
    assert tokenize("天气 ok", language="english") == ["天", "气", "ok"]


def test_mixed_chinese_english():
    toks = tokenize("苹果发布 iPhone 新品 the", language="chinese")
    assert "iphone" in toks and "苹果" in toks and "the" not in toks
    assert "果发" in toks  # bigram within a run
    assert "布新" not in toks  # no bigram across the space


def test_jieba_segmentation():
    pytest.importorskip("jieba")
    toks = tokenize("我爱北京天安门 and Python", language="chinese", segmenter="jieba")
    assert "北京" in toks and "天安门" in toks and "python" in toks
    assert all(len(t) > 0 and t.strip() == t for t in toks)


def test_auto_language():
    assert detect_language("这是一个中文句子 with English") == "chinese"
    assert detect_language("Only English here, 一") == "english"
    assert detect_language(["", "  "]) == "english"
    assert tokenize("中文", language="auto") == ["中", "文", "中文"]


def test_word_ngrams():
    assert tokenize("red big circle", ngram_range=(2, 3)) == [
        "red big",
        "big circle",
        "red big circle",
    ]


def test_tokenizer_is_picklable_and_validates():
    tok = Tokenizer(language="chinese", stop_words=["a"], ngram_range=(1, 2))
    tok2 = pickle.loads(pickle.dumps(tok))
    assert tok2("新闻 ab cd") == tok("新闻 ab cd")
    fitted = pickle.loads(pickle.dumps(Tokenizer().fit(["北京新闻"])))
    assert fitted.language_ == "chinese" and fitted("新闻") == ["新", "闻", "新闻"]
    # __init__ only stores; fit (or the first call) validates
    bad = Tokenizer(language="klingon")
    assert bad.language == "klingon"
    with pytest.raises(InputError, match="language"):
        bad.fit(["text"])
    with pytest.raises(InputError, match="language"):
        bad("text")
    with pytest.raises(InputError, match="segmenter"):
        Tokenizer(segmenter="nltk").fit(["text"])
    with pytest.raises(InputError, match="ngram_range"):
        Tokenizer(ngram_range=(2, 1)).fit(["text"])
    with pytest.raises(InputError, match="ngram_range"):
        Tokenizer(ngram_range=(0, 1))("text")
    with pytest.raises(InputError, match="stop_words"):
        Tokenizer(stop_words="french").fit(["text"])
    assert CHINESE_STOP_WORDS.isdisjoint(ENGLISH_STOP_WORDS)


def test_tokenizer_is_an_estimator_fitted_once():
    tok = Tokenizer(ngram_range=(1, 2))
    assert tok.get_params() == {
        "language": "auto",
        "segmenter": "char",
        "lowercase": True,
        "stop_words": "auto",
        "ngram_range": (1, 2),
    }
    assert repr(clone(tok)) == "Tokenizer(ngram_range=(1, 2))"
    assert not hasattr(tok, "language_")
    # unfitted, "auto" decides per text; fitted, the language of the fitting texts is used for all
    assert tok("北京 is the capital city of the country")[:2] == ["北", "京"]
    tok.fit(["北京的新闻", "上海天气"])
    assert tok.language_ == "chinese"
    assert "北京" in tok("北京 is the capital city of the country")
    assert [tok(t) for t in ["北京 news", ""]] == [["北", "京", "news", "北 京", "京 news", "北京"], []]
    assert not hasattr(tok, "transform")  # a part of the text estimators, not a feature transformer
    # refitting resolves again, and changing a parameter is seen at once
    tok.fit(["plain english"])
    assert tok.language_ == "english" and "北京" not in tok("北京 news")
    tok.set_params(stop_words=None)
    assert tok("the news") == ["the", "news", "the news"]
    with pytest.raises(EmptyInputError):
        Tokenizer().fit([])
    with pytest.raises(ParameterError, match="ngram_range"):
        Tokenizer(ngram_range=[1, 2]).fit(["x"])
    with pytest.raises(InputTypeError, match="single"):
        Tokenizer().fit("one text")
    tags = tok.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array and not tags.requires_fit


def _reference_char_tokens(text: str, chinese: bool, stop: frozenset) -> list[str]:
    """The "char" segmenter written from its definition, run by run (the oracle of the one-pass regex)."""
    import re

    cjk = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
    tokens, bigrams = [], []
    for run, word in re.findall(rf"([{cjk}]+)|([^\W{cjk}]{{2,}})", text.lower()):
        if run:
            tokens += [c for c in run if c not in stop]
            if chinese:
                bigrams += [run[i : i + 2] for i in range(len(run) - 1)]
        elif word not in stop:
            tokens.append(word)
    return tokens + bigrams


@pytest.mark.parametrize("language", ["chinese", "english"])
@pytest.mark.parametrize("stop_words", ["chinese", None])
def test_one_pass_char_segmenter_equals_splitting_into_runs(language, stop_words):
    import random

    rng = random.Random(0)
    # CJK (with stop characters), kana, an extension-B character, Latin words, digits,
    # underscores, single letters, punctuation and whitespace, next to each other.
    alphabet = list("中文字的了很好天气") + ["\u3042", "ア", "\U00020001", "ab", "Cd", "é", "x", "9", "_", ",", "。", " ", "\n"]
    stop = frozenset() if stop_words is None else CHINESE_STOP_WORDS
    tokenizer = Tokenizer(language=language, stop_words=stop_words)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert tokenizer(text) == _reference_char_tokens(text, language == "chinese", stop), text


def test_the_regexes_are_compiled_at_their_first_use_only():
    import subprocess
    import sys

    # (classicx.text.tokenize, the attribute, is the function: the module is read from sys.modules)
    code = ("import sys, classicx.text.tokenize; t = sys.modules['classicx.text.tokenize']; "
            "assert not t._RE.__dict__, t._RE.__dict__; "
            "assert t.Tokenizer(language='english')('Plain text') == ['plain', 'text']; "
            "print(sorted(t._RE.__dict__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['cjk_char', 'words']"
    from classicx.text.tokenize import _RE

    with pytest.raises(AttributeError):
        _RE.no_such_pattern  # noqa: B018
