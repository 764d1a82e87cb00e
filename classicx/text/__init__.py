"""classicx.text: text features (TF-IDF, LSA, LDA topics, word-embedding document vectors).

Texts are sequences of ``str``; files (plain UTF-8 or the Wikipedia dataset's
XML documents) are read with :func:`read_text` (the reader of
:mod:`classicx.utils.documents`, shared with :mod:`classicx.datasets`). Every
transformer takes its tokenisation as a part, ``tokenizer=Tokenizer(...)``
(English, Chinese and mixed text), fits a copy of it (``tokenizer_``) and saves
without pickle; :class:`TfidfLSA` takes its TF-IDF step as ``tfidf=TfidfFeatures(...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils._lazy import lazy_exports
# Eager: the function ``tokenize`` has the name of its module (see classicx.utils._lazy).
from .tokenize import (
    CHINESE_STOP_WORDS,
    ENGLISH_STOP_WORDS,
    Tokenizer,
    detect_language,
    tokenize,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .embeddings import (
        PretrainedEmbedding,
        Word2VecEmbedding,
        load_word_vectors,
        pool_word_vectors,
    )
    from ..utils.documents import read_text, read_texts
    from .tfidf import TfidfFeatures, TfidfLSA
    from .sentence import SentenceEmbedding
    from .topics import LdaTopics

# Public name -> submodule, imported on first use (PEP 562): a model loads only its own stages.
_EXPORTS = {
    "PretrainedEmbedding": ".embeddings",
    "Word2VecEmbedding": ".embeddings",
    "load_word_vectors": ".embeddings",
    "pool_word_vectors": ".embeddings",
    "read_text": "..utils.documents",
    "read_texts": "..utils.documents",
    "TfidfFeatures": ".tfidf",
    "TfidfLSA": ".tfidf",
    "SentenceEmbedding": ".sentence",
    "LdaTopics": ".topics",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "CHINESE_STOP_WORDS",
    "ENGLISH_STOP_WORDS",
    "LdaTopics",
    "PretrainedEmbedding",
    "SentenceEmbedding",
    "TfidfFeatures",
    "TfidfLSA",
    "Tokenizer",
    "Word2VecEmbedding",
    "detect_language",
    "load_word_vectors",
    "pool_word_vectors",
    "read_text",
    "read_texts",
    "tokenize",
]
