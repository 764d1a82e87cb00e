"""Unicode-aware tokenisation for English, Chinese and mixed text.

A :class:`Tokenizer` is a small estimator (its settings are parameters, its
fitted language ``language_``) and a picklable callable. Every text estimator
takes one as ``tokenizer=`` and fits a copy of it, so tokenisation settings are
set, tuned (``tokenizer__ngram_range``) and saved in one place.

Rules
-----
* Text is lowercased (``str.lower``, Unicode-aware).
* Non-CJK text is split into runs of word characters (letters and digits of
  any script, ``\\w``); runs shorter than two characters are dropped, as in
  scikit-learn's default token pattern.
* Stop words are removed: scikit-learn's English list plus a short list of
  Chinese function words (``stop_words="auto"``).
* CJK text (Han ideographs and Japanese kana) has no spaces between words. With
  ``language="chinese"`` each run of CJK characters is segmented either into
  characters plus adjacent-character bigrams (``segmenter="char"``, no
  dependency) or into words with jieba (``segmenter="jieba"``, optional extra
  ``chinese``). Punctuation separates runs, so no n-gram crosses it.
  With ``language="english"`` each CJK character is a token of its own.
* ``language="auto"`` picks ``"chinese"`` when at least 10 % of the word
  characters are CJK, else ``"english"``.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import re
from itertools import filterfalse
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ..base import ClassicxEstimator
from ..exceptions import BackendUnavailableError, ParameterError
from ..utils.validation import check_texts, validate_params
from ._common import text_tags

__all__ = [
    "CHINESE_STOP_WORDS",
    "CJK_RANGES",
    "ENGLISH_STOP_WORDS",
    "LANGUAGES",
    "SEGMENTERS",
    "Tokenizer",
    "detect_language",
    "has_cjk",
    "tokenize",
]

logger = logging.getLogger(__name__)



def _sklearn_english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, read from the literal list in its ``_stop_words.py``.

    Importing ``sklearn.feature_extraction.text`` for this constant costs about 0.2 s (its
    preprocessing module and, through it, the progress library rich): a fifth of a
    ``classicx search`` run (issue #15). The list is read from the module's source as a
    literal (``ast.literal_eval``, nothing executed); if the file is not where or what it is
    expected to be, the constant is imported the ordinary way.
    """
    try:
        spec = importlib.util.find_spec("sklearn")
        source = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
        for node in ast.parse(source.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["ENGLISH_STOP_WORDS"]
                    and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "frozenset"):
                words = ast.literal_eval(node.value.args[0])
                if isinstance(words, (list, tuple, set)) and words and all(isinstance(w, str) for w in words):
                    return frozenset(words)
    except (AttributeError, OSError, SyntaxError, TypeError, ValueError, IndexError):
        pass
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as words

    return frozenset(words)


#: scikit-learn's English stop-word list (318 words).
ENGLISH_STOP_WORDS: frozenset[str] = _sklearn_english_stop_words()
# Neither scikit-learn nor jieba ships a Chinese stop-word list.
_CHINESE_STOP_TEXT = (
    "的 了 在 是 和 与 及 或 也 都 而 等 着 过 之 其 此 这 那 这个 那个 "
    "这些 那些 对 为 以 于 将 把 被 从 向 由 给 让 并 且 但 但是 而且 "
    "因为 所以 如果 虽然 就 才 又 还 再 已 已经 很 更 最 不 没 没有 有 个 "
    "们 我 你 他 她 它 我们 你们 他们 她们 它们 自己 啊 吗 呢 吧 哦 嗯 么 "
    "什么 怎么 如何 一个 一些 之一 以及 通过 进行 可以 能 会 要 说 "
)
#: Chinese function words and particles (92) that dominate counts in any topic.
CHINESE_STOP_WORDS: frozenset[str] = frozenset(_CHINESE_STOP_TEXT.split())
LANGUAGES = ("auto", "english", "chinese")
SEGMENTERS = ("char", "jieba")

#: The code points that count as CJK (Japanese kana, Han ideographs and their extensions and
#: compatibility forms), inclusive ranges: one source for the regexes below and for the vectorised
#: counting of ``classicx.text._term_counts``.
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F),
)
_CJK = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES)


class _Patterns:
    """The tokenizer's regexes, each compiled at its first use.

    Compiling all of them costs about 17 ms (the CJK classes with their astral
    ranges), a twentieth of a ``classicx search`` run (issue #15), which needs
    two of them for an English query. Read as attributes (``_RE.words``): the
    first read compiles the pattern and stores it on the instance, so every
    later read is a plain attribute look-up.
    """

    _SOURCES = {
        # Group 1: a run of CJK characters; group 2: a run of other word characters.
        # Group 2 skips single characters, which are never tokens outside CJK runs.
        "runs": rf"([{_CJK}]+)|([^\W{_CJK}]{{2,}})",
        "words": rf"[^\W{_CJK}]{{2,}}",
        "cjk_char": rf"[{_CJK}]",
        # The tokens of the "char" segmenter in text order, found by one regex pass (each CJK
        # character alone, each run of other word characters of length >= 2), and the character
        # bigrams inside CJK runs (overlapping, through a look-ahead): the same tokens as splitting
        # into runs first, with the per-character loop done by the regex engine in C instead of in
        # Python (issue #15: a long Chinese query spent most of its time in that loop).
        "char_tokens": rf"[{_CJK}]|[^\W{_CJK}]{{2,}}",
        "cjk_bigrams": rf"(?=([{_CJK}]{{2}}))",
        "word_char": r"\w",
    }

    def __getattr__(self, name: str) -> re.Pattern:
        try:
            source = self._SOURCES[name]
        except KeyError:
            raise AttributeError(name) from None
        pattern = re.compile(source)
        setattr(self, name, pattern)  # two threads compiling at once store equal patterns
        return pattern


_RE = _Patterns()
_AUTO_CJK_SHARE = 0.1


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one CJK character (of :data:`CJK_RANGES`).

    Examples
    --------
    >>> has_cjk("news 新闻"), has_cjk("news")
    (True, False)
    """
    return _RE.cjk_char.search(text) is not None


def detect_language(texts: str | Iterable[str], sample_chars: int = 200_000) -> str:
    """Guess ``"chinese"`` or ``"english"`` from the share of CJK characters.

    Parameters
    ----------
    texts : str or iterable of str
        One text or a corpus.
    sample_chars : int, default=200000
        Stop reading after this many characters (enough for a stable share).

    Returns
    -------
    str
        ``"chinese"`` if at least 10 % of the word characters are CJK
        ideographs or kana, else ``"english"``.

    Examples
    --------
    >>> detect_language("北京 is the capital of 中国")
    'chinese'
    >>> detect_language(["plain English text"])
    'english'
    """
    if isinstance(texts, str):
        texts = [texts]
    cjk = words = seen = 0
    for text in texts:
        chunk = text[: max(sample_chars - seen, 0)]
        cjk += len(_RE.cjk_char.findall(chunk))
        words += len(_RE.word_char.findall(chunk))
        seen += len(chunk)
        if seen >= sample_chars:
            break
    return "chinese" if words and cjk / words >= _AUTO_CJK_SHARE else "english"


def _jieba():
    try:
        import jieba
    except ImportError as exc:
        raise BackendUnavailableError(
            "segmenter='jieba' needs the jieba package: pip install 'classicx[chinese]' "
            "(or use segmenter='char', which needs nothing)"
        ) from exc
    jieba.setLogLevel(logging.WARNING)
    return jieba


_STOP_LISTS = {
    "auto": ENGLISH_STOP_WORDS | CHINESE_STOP_WORDS,
    "english": ENGLISH_STOP_WORDS,
    "chinese": CHINESE_STOP_WORDS,
}


def _stop_word_set(stop_words: str | Iterable[str] | None) -> frozenset[str]:
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        return _STOP_LISTS[stop_words]
    return frozenset(stop_words)


class Tokenizer(ClassicxEstimator):
    """Text -> token list, for English, Chinese and mixed text; an estimator and a callable.

    Calling it on a text returns the text's tokens. A fitted tokenizer
    resolves ``language="auto"`` once, from the texts given to :meth:`fit`
    (``language_``), so that every later text is treated alike; the text
    estimators fit a copy of theirs (their ``tokenizer_``). An unfitted
    tokenizer can be called as it is (scikit-learn's ``analyzer=`` callable);
    ``"auto"`` then decides per text. Parameters are validated on the first
    call after they change (or at :meth:`fit`).

    Parameters
    ----------
    language : {"auto", "english", "chinese"}, default="auto"
        ``"auto"`` picks the language with :func:`detect_language`: from the
        fitting texts once fitted, from each text otherwise.
    segmenter : {"char", "jieba"}, default="char"
        How CJK runs are split when the language is Chinese.
    lowercase : bool, default=True
        Lowercase before tokenising.
    stop_words : {"auto", "english", "chinese"}, list of str or None, default="auto"
        Tokens to drop (compared after lowercasing). ``"auto"`` is the union
        of :data:`ENGLISH_STOP_WORDS` and :data:`CHINESE_STOP_WORDS` (the two
        never collide, so mixed text is handled); in ``segmenter="char"``
        mode the Chinese list removes single characters only, the character
        bigrams are kept.
    ngram_range : tuple (min_n, max_n), default=(1, 1)
        Word n-grams over the token sequence (joined by a space). Chinese
        character bigrams from ``segmenter="char"`` are part of the
        segmentation and are not further combined.

    Attributes
    ----------
    language_ : str
        ``"english"`` or ``"chinese"``: the language used once fitted.

    See Also
    --------
    tokenize : one text, without building a tokenizer.
    classicx.text.TfidfFeatures : takes a tokenizer as ``tokenizer=``.

    Examples
    --------
    >>> from classicx.text import Tokenizer
    >>> Tokenizer(language="chinese")("我爱 Python!")
    ['爱', 'python', '我爱']
    >>> Tokenizer(ngram_range=(1, 2))("Red circle, blue square")
    ['red', 'circle', 'blue', 'square', 'red circle', 'circle blue', 'blue square']
    >>> tok = Tokenizer().fit(["北京的新闻", "上海天气"])
    >>> tok.language_, tok("天气 news")
    ('chinese', ['天', '气', 'news', '天气'])
    """

    _parameter_constraints: dict = {
        "language": [StrOptions(set(LANGUAGES))],
        "segmenter": [StrOptions(set(SEGMENTERS))],
        "lowercase": ["boolean"],
        "stop_words": [StrOptions(set(_STOP_LISTS)), list, tuple, set, frozenset, None],
        "ngram_range": [tuple],
    }

    def __init__(
        self,
        language: str = "auto",
        segmenter: str = "char",
        lowercase: bool = True,
        stop_words: str | Sequence[str] | None = "auto",
        ngram_range: tuple[int, int] = (1, 1),
    ) -> None:
        self.language = language
        self.segmenter = segmenter
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.ngram_range = ngram_range

    def __sklearn_tags__(self):
        tags = text_tags(super().__sklearn_tags__())
        tags.requires_fit = False
        return tags

    def _settings(self) -> tuple:
        """The validated settings, computed once per combination of parameters."""
        language = self.__dict__.get("language_", self.language)
        key = (language, self.segmenter, self.lowercase, id(self.stop_words), self.stop_words, self.ngram_range)
        cached = self.__dict__.get("_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        validate_params(self)
        ngram_range = self.ngram_range
        if not (
            len(ngram_range) == 2
            and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in ngram_range)
            and 1 <= ngram_range[0] <= ngram_range[1]
        ):
            raise ParameterError(
                f"Tokenizer: ngram_range must be a tuple (min_n, max_n) with 1 <= min_n <= max_n, "
                f"got {ngram_range!r}"
            )
        if self.segmenter == "jieba" and language != "english":
            _jieba()  # fail now, not in the middle of a corpus
        settings = (language, _stop_word_set(self.stop_words), int(ngram_range[0]), int(ngram_range[1]))
        self._cache = (key, settings)
        return settings

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_cache", None)
        return state

    def fit(self, texts: Sequence[str], y: object = None) -> Tokenizer:
        """Validate the settings and resolve ``language="auto"`` from ``texts``.

        Parameters
        ----------
        texts : sequence of str
        y : ignored

        Returns
        -------
        self
        """
        self.__dict__.pop("language_", None)
        self._settings()
        texts = check_texts(texts)
        self.language_ = detect_language(texts) if self.language == "auto" else self.language
        return self

    def __call__(self, text: str) -> list[str]:
        language, stop, min_n, max_n = self._settings()
        if self.lowercase:
            text = text.lower()
        if language == "auto":
            language = detect_language(text)
        chinese = language == "chinese"
        extra: list[str] = []
        if not has_cjk(text):
            # fast path (most non-Chinese text): one regex pass and one comprehension
            tokens = [w for w in _RE.words.findall(text) if w not in stop]
        elif self.segmenter == "char":
            tokens = _RE.char_tokens.findall(text)
            if stop:
                tokens = list(filterfalse(stop.__contains__, tokens))
            if chinese:
                extra = _RE.cjk_bigrams.findall(text)
        else:  # jieba: the words of each CJK run (its characters when the language is not Chinese)
            tokens = []
            for cjk, word in _RE.runs.findall(text):
                if cjk:
                    seq = [w for w in _jieba().lcut(cjk) if w.strip()] if chinese else list(cjk)
                    tokens.extend(t for t in seq if t not in stop)
                elif word not in stop:
                    tokens.append(word)
        if max_n > 1:
            grams = tokens if min_n == 1 else []
            for n in range(max(min_n, 2), max_n + 1):
                grams = grams + [
                    " ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)
                ]
            tokens = grams
        return tokens + extra


def tokenize(
    text: str,
    language: str = "auto",
    segmenter: str = "char",
    lowercase: bool = True,
    stop_words: str | Sequence[str] | None = "auto",
    ngram_range: tuple[int, int] = (1, 1),
) -> list[str]:
    """Split one text into tokens (see :class:`Tokenizer` for the parameters).

    ``language="auto"`` decides from this one text.

    Examples
    --------
    >>> from classicx.text import tokenize
    >>> tokenize("The Quick brown fox")
    ['quick', 'brown', 'fox']
    >>> tokenize("新闻 news", language="chinese")
    ['新', '闻', 'news', '新闻']
    """
    return Tokenizer(language, segmenter, lowercase, stop_words, ngram_range)(text)
