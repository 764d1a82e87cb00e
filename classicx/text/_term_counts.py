"""The known-term counts of one text, vectorised for the ``"char"`` segmenter (issue #15).

:class:`CharTermCounter` returns, for one text, what counting the tokens of a
fitted :class:`~classicx.text.Tokenizer` (``segmenter="char"``, unigrams only)
and looking them up in a vocabulary gives: the sorted columns of the known terms
and their counts. It gets there without building one Python string per token.
Each CJK character is looked up in a table indexed by its code point. Each pair
of adjacent CJK characters (the Chinese character bigrams) is looked up in a
sorted array of the vocabulary's bigram keys. Only the runs of other word
characters go through the regex and the vocabulary dict.

Written by hand because no library counts character unigrams and bigrams
against a fixed vocabulary in C. scikit-learn's analyzers and the tokenizer
make one string object per token (about 0.6 µs each with the count and the
look-up). That was 1.9 ms of the 2.6 ms query of webnews' longest test article
(1,977 characters, 2,853 tokens), and the 99th percentile of its single text
queries. ``tests/text/test_term_counts.py`` checks that the result equals
``Counter(tokenizer(text))`` looked up in the vocabulary, on random texts of
every script the tokenizer distinguishes.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat

import numpy as np

from .tokenize import _RE, CJK_RANGES, Tokenizer

__all__ = ["CharTermCounter"]

# Code points above the last CJK range are clipped to _TOP, which is not CJK, so every table
# below has _TOP + 1 entries whatever the text holds (up to U+10FFFF).
_TOP = CJK_RANGES[-1][1] + 1
_IS_CJK = np.zeros(_TOP + 1, dtype=bool)
for _low, _high in CJK_RANGES:
    _IS_CJK[_low : _high + 1] = True
_SHIFT = 18  # _TOP < 2**18: the key of a bigram (a, b) is a << 18 | b


def _code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (int64), clipped to ``_TOP``; lone surrogates pass as themselves."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
    return np.minimum(points, _TOP, out=points)


class CharTermCounter:
    """Counts the known terms of one text as a fitted ``"char"`` tokenizer and a vocabulary would.

    Parameters
    ----------
    tokenizer : Tokenizer
        A fitted tokenizer (``language_`` set) with ``segmenter="char"`` and
        ``ngram_range=(1, 1)``; see :meth:`supports`.
    vocabulary : mapping of str to int
        Term -> column, as a fitted :class:`~classicx.text.TfidfFeatures` holds it.

    Examples
    --------
    >>> from classicx.text import Tokenizer
    >>> from classicx.text._term_counts import CharTermCounter
    >>> tokenizer = Tokenizer(language="chinese").fit(["北京新闻"])
    >>> vocabulary = {"北": 0, "京": 1, "北京": 2, "news": 3}
    >>> columns, counts = CharTermCounter(tokenizer, vocabulary)("北京 news, 北京!")
    >>> columns.tolist(), counts.tolist()
    ([0, 1, 2, 3], [2.0, 2.0, 2.0, 1.0])
    """

    def __init__(self, tokenizer: Tokenizer, vocabulary: Mapping[str, int]) -> None:
        if not self.supports(tokenizer):
            raise ValueError("CharTermCounter needs a fitted Tokenizer with segmenter='char' and ngram_range=(1, 1)")
        language, stop, _, _ = tokenizer._settings()
        self.lowercase = bool(tokenizer.lowercase)
        self.bigrams = language == "chinese"
        self.stop = stop
        self.vocabulary = vocabulary
        terms = list(vocabulary)
        columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        points = _code_points("".join(terms))
        starts = np.cumsum(lengths) - lengths
        first = np.full(len(terms), _TOP, dtype=np.int64)
        second = np.full(len(terms), _TOP, dtype=np.int64)
        nonempty, pairs = lengths >= 1, lengths == 2
        first[nonempty] = points[starts[nonempty]]
        second[pairs] = points[starts[pairs] + 1]
        # One CJK character, not a stop word (the tokenizer drops those before counting).
        stop_points = np.array([ord(w) for w in stop if len(w) == 1], dtype=np.int64)
        single = (lengths == 1) & _IS_CJK[first] & ~np.isin(first, stop_points)
        self.unigram_columns = np.full(_TOP + 1, -1, dtype=np.int32)
        self.unigram_columns[first[single]] = columns[single]
        # Two CJK characters: a bigram (never a stop word: the tokenizer keeps every bigram).
        double = pairs & _IS_CJK[first] & _IS_CJK[second]
        keys = (first[double] << _SHIFT) | second[double]
        order = np.argsort(keys)
        self.bigram_keys, self.bigram_columns = keys[order], columns[double][order].astype(np.int32)

    @staticmethod
    def supports(tokenizer: object) -> bool:
        """Whether ``tokenizer`` is a fitted classicx ``Tokenizer`` whose tokens this counter reproduces."""
        return (
            type(tokenizer) is Tokenizer
            and "language_" in tokenizer.__dict__
            and tokenizer.segmenter == "char"
            and tuple(tokenizer._settings()[2:]) == (1, 1)
        )

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The sorted columns (int32) of the known terms of ``text`` and their counts (float64)."""
        if self.lowercase:
            text = text.lower()
        points = _code_points(text)
        cjk = _IS_CJK[points]
        found = [self.unigram_columns[points[cjk]]]
        if self.bigrams and len(points) > 1:
            pair = cjk[:-1] & cjk[1:]
            keys = (points[:-1][pair] << _SHIFT) | points[1:][pair]
            keys.sort()  # sorted needles: numpy's binary search starts from the previous answer
            if len(self.bigram_keys) and len(keys):
                at = np.minimum(np.searchsorted(self.bigram_keys, keys), len(self.bigram_keys) - 1)
                found.append(self.bigram_columns[at[self.bigram_keys[at] == keys]])
        stop = self.stop
        words = [w for w in _RE.words.findall(text) if w not in stop]
        found.append(np.fromiter(map(self.vocabulary.get, words, repeat(-1)), dtype=np.int32, count=len(words)))
        columns = np.concatenate(found)
        columns, counts = np.unique(columns[columns >= 0], return_counts=True)
        return columns, counts.astype(np.float64)
