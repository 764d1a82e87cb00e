"""classicx.text: text features (TF-IDF, LSA, LDA topics, word-embedding document vectors).

Texts are sequences of ``str``; files (plain UTF-8 or the Wikipedia dataset's
XML documents) are read with :func:`read_text` (the reader of
:mod:`classicx.utils.documents`, shared with :mod:`classicx.datasets`). Every
transformer takes its tokenisation as a part, ``tokenizer=Tokenizer(...)``
(English, Chinese and mixed text), fits a copy of it (``tokenizer_``) and saves
without pickle; :class:`TfidfLSA` takes its TF-IDF step as ``tfidf=TfidfFeatures(...)``.
"""

from .embeddings import (
    PretrainedEmbedding,
    Word2VecEmbedding,
    load_word_vectors,
    pool_word_vectors,
)
from ..utils.documents import read_text, read_texts
from .tfidf import TfidfFeatures, TfidfLSA
from .tokenize import (
    CHINESE_STOP_WORDS,
    ENGLISH_STOP_WORDS,
    Tokenizer,
    detect_language,
    tokenize,
)
from .sentence import SentenceEmbedding
from .topics import LdaTopics

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
