"""Word embeddings (Word2Vec, pretrained word2vec/GloVe files) pooled into document vectors.

Document vectors are computed as ONE sparse-by-dense matrix product
``W @ E``: ``W`` (n_texts x n_words, sparse) holds each text's per-word weights
and ``E`` (n_words x dim) the word vectors. The three poolings only differ in
``W``:

``"mean"``
    ``W[d, w] = count(w, d) / n_known(d)``: the average of the known word
    vectors, one term per token.
``"tfidf"``
    ``W[d, w] = count(w, d) * idf(w) / sum_w' count(w', d) * idf(w')``: the
    TF-IDF-weighted average (smooth idf from the fitting texts).
``"sif"``
    Smooth inverse frequency (Arora, Liang and Ma, ICLR 2017):
    ``W[d, w] = count(w, d) * a / (a + p(w)) / n_known(d)`` with ``p(w)`` the
    word's unigram probability in the fitting texts, then the projection on the
    first singular vector ``u`` of the fitting texts' vectors is removed,
    ``v <- v - u u^T v`` (uncentred, as in the authors' reference code).

All three poolings' statistics are learned at ``fit``, so ``pooling`` may be
changed with ``set_params`` after fitting without retraining.

Out-of-vocabulary tokens are ignored and counted (logged; see also
``oov_rate_`` and :meth:`oov_statistics`); a text with no known word gets the
zero vector and is counted in an :class:`~classicx.exceptions.EmptyFeatureWarning`.
The results are never NaN.

The fitted state is the embedding matrix and the vocabulary list (plus idf,
word probabilities and the SIF component), never a gensim object, so models
save without pickle.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..base import ClassicxEstimator
from ..exceptions import EmptyInputError, InputError, InputTypeError, MissingFileError
from ..utils.parallel import progress
from ..utils.validation import check_choice, check_is_fitted, check_texts, validate_params
from ._common import (
    DefaultParts,
    n_empty_rows,
    text_tags,
    warn_empty_rows,
)
from .tokenize import Tokenizer

__all__ = [
    "POOLINGS",
    "VECTOR_FORMATS",
    "PretrainedEmbedding",
    "Word2VecEmbedding",
    "load_word_vectors",
    "pool_word_vectors",
]

logger = logging.getLogger(__name__)

POOLINGS = ("mean", "tfidf", "sif")
#: The SIF constant ``a`` of the estimators (Arora et al. recommend 1e-4 to 1e-3);
#: :func:`pool_word_vectors` takes any other value.
SIF_ALPHA = 1e-3
VECTOR_FORMATS = ("auto", "word2vec-binary", "word2vec-text", "glove")
ARCHITECTURES = ("skip-gram", "cbow")


# ---------------------------------------------------------------------------
# Reading pretrained vectors


def _detect_format(path: Path) -> str:
    """word2vec files start with a "count dim" header; GloVe files do not.

    A word2vec text file's second line is a word followed by ``dim`` numbers;
    in a binary file the numbers are raw float32 bytes.
    """
    with open(path, "rb") as fh:
        header = fh.readline()
        try:
            fields = header.decode("utf-8").split()
        except UnicodeDecodeError:
            fields = []
        if not (len(fields) == 2 and all(f.isdigit() for f in fields)):
            return "glove"
        dim = int(fields[1])
        second = fh.readline()
    try:
        numbers = second.decode("utf-8").split()[1:]
        values = [float(x) for x in numbers]
    except (UnicodeDecodeError, ValueError):
        return "word2vec-binary"
    return "word2vec-text" if len(values) == dim else "word2vec-binary"


def load_word_vectors(
    path: str | os.PathLike,
    format: str = "auto",
    limit: int | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> tuple[list[str], np.ndarray]:
    """Read pretrained word vectors from a local file with gensim.

    Parameters
    ----------
    path : str or path-like
        The vectors file (never downloaded).
    format : {"auto", "word2vec-binary", "word2vec-text", "glove"}, default="auto"
        ``"glove"`` is the text format without the ``count dim`` header line.
        ``"auto"`` looks at the first two lines.
    limit : int or None, default=None
        Read only the first ``limit`` vectors (files are usually sorted by
        frequency).
    encoding, errors : str
        Decoding of the words (``errors`` as gensim's ``unicode_errors``).

    Returns
    -------
    words : list of str
    vectors : ndarray of shape (len(words), dim), float32

    Raises
    ------
    MissingFileError
        If ``path`` does not exist.
    InputError
        If the file is not in the stated format (message names the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "glove.txt"
    >>> _ = p.write_text("red 1 0\\nblue 0 1\\n", encoding="utf-8")
    >>> words, vectors = load_word_vectors(p)
    >>> words, vectors.tolist()
    (['red', 'blue'], [[1.0, 0.0], [0.0, 1.0]])
    """
    from gensim.models import KeyedVectors

    check_choice(format, VECTOR_FORMATS, "format")
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: word-vector file not found")
    fmt = _detect_format(path) if format == "auto" else format
    try:
        kv = KeyedVectors.load_word2vec_format(
            str(path),
            binary=fmt == "word2vec-binary",
            no_header=fmt == "glove",
            limit=limit,
            encoding=encoding,
            unicode_errors=errors,
        )
    except (ValueError, UnicodeDecodeError, EOFError, IndexError) as exc:
        raise InputError(
            f"{path}: not a readable {fmt} word-vector file ({exc})"
        ) from exc
    if len(kv.index_to_key) == 0:
        raise EmptyInputError(f"{path}: the word-vector file holds no vectors")
    return [str(w) for w in kv.index_to_key], np.ascontiguousarray(
        kv.vectors, dtype=np.float32
    )


# ---------------------------------------------------------------------------
# Pooling


def pool_word_vectors(
    counts: sp.spmatrix | sp.sparray,
    vectors: np.ndarray,
    pooling: str = "mean",
    idf: np.ndarray | None = None,
    word_probability: np.ndarray | None = None,
    sif_alpha: float = 1e-3,
    sif_component: np.ndarray | None = None,
) -> np.ndarray:
    """Document vectors from word counts as one sparse-by-dense product.

    Parameters
    ----------
    counts : sparse matrix of shape (n_texts, n_words)
        Token counts of each text over the vocabulary of ``vectors``
        (duplicate entries in a row are summed).
    vectors : ndarray of shape (n_words, dim)
    pooling : {"mean", "tfidf", "sif"}, default="mean"
    idf : ndarray of shape (n_words,), required for ``"tfidf"``
    word_probability : ndarray of shape (n_words,), required for ``"sif"``
    sif_alpha : float, default=1e-3
        The SIF constant ``a`` in ``a / (a + p(w))``.
    sif_component : ndarray of shape (dim,) or None
        Unit vector whose projection is removed (SIF); ``None`` skips removal.

    Returns
    -------
    ndarray of shape (n_texts, dim)
        float32 for float32 ``vectors`` (gensim's), else float64. Rows with
        no counts are zero.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> E = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> pool_word_vectors(sp.csr_matrix([[3, 1], [0, 0]]), E)
    array([[0.75, 0.25],
           [0.  , 0.  ]])
    """
    check_choice(pooling, POOLINGS, "pooling")
    vectors = np.asarray(vectors)
    dtype = np.result_type(vectors.dtype, np.float32)
    # A private copy whose values are rescaled in place: per-word weights by
    # column index, then per-text normalisers by row, without forming any
    # other sparse matrix.
    W = sp.csr_matrix(counts, dtype=dtype, copy=True)
    if W.shape[1] != vectors.shape[0]:
        raise InputError(
            f"counts have {W.shape[1]} columns but there are {vectors.shape[0]} word vectors"
        )
    row_of_entry = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))
    n_known = np.bincount(row_of_entry, weights=W.data, minlength=W.shape[0])
    if pooling == "tfidf":
        if idf is None:
            raise InputError("pooling='tfidf' needs idf")
        W.data *= np.asarray(idf, dtype=dtype)[W.indices]
        denominator = np.bincount(row_of_entry, weights=W.data, minlength=W.shape[0])
    elif pooling == "sif":
        if word_probability is None:
            raise InputError("pooling='sif' needs word_probability")
        weight = sif_alpha / (
            sif_alpha + np.asarray(word_probability, dtype=np.float64)
        )
        W.data *= weight.astype(dtype)[W.indices]
        denominator = n_known
    else:
        denominator = n_known
    scale = np.divide(
        1.0, denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    W.data *= scale.astype(dtype)[row_of_entry]
    D = np.asarray(W @ vectors.astype(dtype, copy=False))
    if pooling == "sif" and sif_component is not None:
        u = np.asarray(sif_component, dtype=dtype)
        D -= np.outer(D @ u, u)
    return D


def _first_singular_vector(D: np.ndarray) -> np.ndarray:
    """Top right singular vector of D from the small (dim x dim) Gram matrix."""
    D = np.asarray(D, dtype=np.float64)
    _, eigvecs = np.linalg.eigh(D.T @ D)
    return eigvecs[:, -1].copy()


# ---------------------------------------------------------------------------
# Estimators


class _WordVectorPooling(DefaultParts, TransformerMixin, ClassicxEstimator):
    """Shared tokenising, counting and pooling of the embedding estimators."""

    _default_parts = {"tokenizer": Tokenizer}
    _common_constraints: dict = {
        "pooling": [StrOptions(set(POOLINGS))],
        "tokenizer": [HasMethods(["fit", "__call__"]), None],
        "verbose": ["verbose"],
    }

    def __sklearn_tags__(self):
        return text_tags(super().__sklearn_tags__())

    def _fit_tokenizer(self, texts: list[str]) -> None:
        self.tokenizer_ = self._part("tokenizer").fit(texts)

    def _tokenize(self, texts: list[str], desc: str) -> list[list[str]]:
        tokenizer = self.tokenizer_
        return [
            tokenizer(t)
            for t in progress(texts, total=len(texts), desc=desc, verbose=self.verbose)
        ]

    def _index(self) -> dict[str, int]:
        cached = getattr(self, "_index_cache", None)
        if cached is None or cached[0] is not self.vocabulary_:
            cached = (self.vocabulary_, {w: i for i, w in enumerate(self.vocabulary_)})
            self._index_cache = cached
        return cached[1]

    def _count(self, docs: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, int, int]:
        """Counts over the vocabulary plus the number of tokens and of OOV tokens."""
        index = self._index()
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        n_tokens = int(lengths.sum())
        # map(dict.get, ...) keeps the per-token lookup in C: it is the only
        # per-token work, everything after it is vectorised.
        tokens = itertools.chain.from_iterable(docs)
        ids = np.fromiter(
            map(index.get, tokens, itertools.repeat(-1)), dtype=np.int64, count=n_tokens
        )
        known = ids >= 0
        # Known tokens before each document boundary = the CSR row pointer.
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        indptr = np.concatenate([[0], np.cumsum(known)])[bounds]
        # One entry per known token (repeated words are duplicate entries, which
        # every sparse operation used here sums); no sorting needed.
        counts = sp.csr_matrix(
            (np.ones(int(indptr[-1]), dtype=np.float32), ids[known], indptr),
            shape=(len(docs), len(self.vocabulary_)),
        )
        return counts, n_tokens, n_tokens - int(indptr[-1])

    def _learn(
        self, words: list[str], vectors: np.ndarray, docs: list[list[str]]
    ) -> tuple[sp.csr_matrix, int, int]:
        """Keep the word vectors and learn the pooling weights from the tokenised fitting texts."""
        self.vocabulary_ = words
        self.vectors_ = vectors
        counts, n_tokens, n_oov = self._count(docs)
        self._learn_weights(counts, n_tokens, n_oov)
        return counts, n_tokens, n_oov

    def _learn_weights(self, counts: sp.csr_matrix, n_tokens: int, n_oov: int) -> None:
        n_docs = counts.shape[0]
        counts = counts.copy()
        counts.sum_duplicates()
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        word_counts = np.asarray(counts.sum(axis=0)).ravel()
        self.word_probability_ = word_counts / max(n_tokens, 1)
        self.oov_rate_ = n_oov / n_tokens if n_tokens else 0.0
        # Learned whatever the pooling, so that ``pooling`` can be switched with
        # set_params after fit without retraining the word vectors.
        self.sif_component_ = None
        D = self._pool(counts, pooling="sif", remove_component=False)
        if np.any(D):
            self.sif_component_ = _first_singular_vector(D)

    def _pool(
        self,
        counts: sp.csr_matrix,
        pooling: str | None = None,
        remove_component: bool = True,
    ) -> np.ndarray:
        return pool_word_vectors(
            counts,
            self.vectors_,
            pooling=pooling or self.pooling,
            idf=self.idf_,
            word_probability=self.word_probability_,
            sif_alpha=SIF_ALPHA,
            sif_component=self.sif_component_ if remove_component else None,
        )

    def _finish(self, counts: sp.csr_matrix, n_tokens: int, n_oov: int) -> np.ndarray:
        if n_oov:
            logger.info(
                "%d of %d tokens (%.1f%%) are not in the vocabulary and were ignored",
                n_oov,
                n_tokens,
                100.0 * n_oov / n_tokens,
            )
        D = self._pool(counts)
        warn_empty_rows(n_empty_rows(counts), counts.shape[0])
        return D

    def fit_transform(self, texts: Sequence[str], y: object = None) -> np.ndarray:
        """Fit and return the document vectors of ``texts``."""
        return self._finish(*self._fit(texts))

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Document vectors of ``texts``: ndarray (n_texts, dim), float32 like the word vectors.

        Unknown words are ignored (their number is logged at INFO level); a
        text with no known word is the zero vector, counted in an
        :class:`~classicx.exceptions.EmptyFeatureWarning`.
        """
        check_is_fitted(self, "vectors_")
        texts = check_texts(texts, allow_empty=True)
        return self._finish(*self._count(self._tokenize(texts, "document vectors")))

    def transform_tokens(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Document vectors of already tokenised texts (lists of tokens).

        Tokens are matched verbatim (no lowercasing or stop-word removal).
        """
        check_is_fitted(self, "vectors_")
        docs = list(docs)
        if not set(map(type, docs)) <= {list, tuple}:  # one C-level pass; find the row only on failure
            for row, doc in enumerate(docs):
                if not isinstance(doc, (list, tuple)):
                    raise InputTypeError(
                        f"docs[{row}] is {type(doc).__name__}, expected a list of str tokens"
                    )
        return self._finish(*self._count(docs))

    def oov_statistics(self, texts: Sequence[str]) -> dict[str, int | float]:
        """How many tokens of ``texts`` are out of vocabulary, and how many texts have none known.

        Returns
        -------
        dict
            ``n_tokens``, ``n_oov``, ``oov_rate`` and ``n_empty`` (texts without
            any known word).
        """
        check_is_fitted(self, "vectors_")
        counts, n_tokens, n_oov = self._count(
            self._tokenize(check_texts(texts, allow_empty=True), "tokenising")
        )
        return {
            "n_tokens": n_tokens,
            "n_oov": n_oov,
            "oov_rate": n_oov / n_tokens if n_tokens else 0.0,
            "n_empty": n_empty_rows(counts),
        }

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Output column names ``<classname>0``, ``<classname>1``, ..."""
        check_is_fitted(self, "vectors_")
        prefix = type(self).__name__.lower()
        return np.array(
            [f"{prefix}{i}" for i in range(self.vectors_.shape[1])], dtype=object
        )


class Word2VecEmbedding(_WordVectorPooling):
    """Word2Vec trained on the fitting texts (gensim), pooled into document vectors.

    Parameters
    ----------
    vector_size : int, default=100
        Dimension of the word (and document) vectors.
    architecture : {"skip-gram", "cbow"}, default="skip-gram"
    window : int, default=5
        Context window.
    min_count : int, default=2
        Words seen fewer times are not in the vocabulary (treated as OOV).
    epochs : int, default=10
    pooling : {"mean", "tfidf", "sif"}, default="mean"
        See :mod:`classicx.text.embeddings` (SIF with ``a = 1e-3``).
    tokenizer : Tokenizer or None, default=None
        How texts are split into words; ``None`` means ``Tokenizer()``. A
        fitted copy is kept as ``tokenizer_``.
    n_jobs : int, default=1
        gensim worker threads. Results are bit-reproducible only with
        ``n_jobs=1`` (thread scheduling changes the updates' order).
    random_state : int, RandomState or None, default=None
        Seed of gensim's initialisation and sampling.
    verbose : bool, default=True
        Progress bars for tokenising and training epochs.

    Attributes
    ----------
    vocabulary_ : list of str
        Words in row order of ``vectors_`` (most frequent first).
    vectors_ : ndarray of shape (n_words, vector_size), float32
    idf_ : ndarray of shape (n_words,)
    word_probability_ : ndarray of shape (n_words,)
        Unigram probability of each word in the fitting texts.
    sif_component_ : ndarray of shape (vector_size,) or None
        The direction removed by ``pooling="sif"`` (learned for every
        pooling, so ``set_params(pooling=...)`` after ``fit`` needs no refit;
        ``None`` if no fitting text had a known word).
    oov_rate_ : float
        Share of the fitting tokens not in the vocabulary (below ``min_count``).
    tokenizer_ : Tokenizer
        The fitted copy of ``tokenizer`` (``tokenizer_.language_`` is the
        language used).

    See Also
    --------
    PretrainedEmbedding : the same pooling over vectors read from a file.

    Notes
    -----
    Word2Vec's negative sampling (5 noise words) and down-sampling of frequent
    words (threshold 1e-3) keep gensim's defaults.

    Examples
    --------
    >>> from classicx.text import Word2VecEmbedding
    >>> texts = ["red circle", "blue circle", "red square", "blue square"] * 5
    >>> w2v = Word2VecEmbedding(vector_size=8, min_count=1, epochs=2, random_state=0)
    >>> w2v.fit(texts).transform(["red circle", "blue square"]).shape
    (2, 8)
    """

    _parameter_constraints: dict = {
        **_WordVectorPooling._common_constraints,
        "vector_size": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "window": [Interval(Integral, 1, None, closed="left")],
        "min_count": [Interval(Integral, 0, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        vector_size: int = 100,
        architecture: str = "skip-gram",
        window: int = 5,
        min_count: int = 2,
        epochs: int = 10,
        pooling: str = "mean",
        tokenizer: Tokenizer | None = None,
        n_jobs: int | None = 1,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = True,
    ) -> None:
        self.vector_size = vector_size
        self.architecture = architecture
        self.window = window
        self.min_count = min_count
        self.epochs = epochs
        self.pooling = pooling
        self.tokenizer = tokenizer
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _train(self, sentences: list[list[str]]):
        from gensim.models import Word2Vec
        from gensim.models.callbacks import CallbackAny2Vec

        class _EpochBar(CallbackAny2Vec):
            def __init__(self, bar):
                self.bar = bar

            def on_epoch_end(self, model):
                self.bar.update(1)

        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        workers = (
            max(1, os.cpu_count() or 1)
            if self.n_jobs in (-1, None)
            else int(self.n_jobs)
        )
        from tqdm.auto import tqdm

        with tqdm(
            total=self.epochs,
            desc="Word2Vec epochs",
            disable=None if self.verbose else True,  # None: no bar off a terminal (logs, pipes)
            leave=False,
        ) as bar:
            model = Word2Vec(
                vector_size=self.vector_size,
                sg=int(self.architecture == "skip-gram"),
                window=self.window,
                min_count=self.min_count,
                negative=5,
                sample=1e-3,
                seed=seed,
                workers=workers,
            )
            model.build_vocab(sentences)
            if len(model.wv.index_to_key) == 0:
                raise EmptyInputError(
                    f"no word occurs at least min_count={self.min_count} times in the texts: "
                    "the Word2Vec vocabulary is empty (lower min_count or give more text)"
                )
            model.train(
                sentences,
                total_examples=model.corpus_count,
                epochs=self.epochs,
                callbacks=[_EpochBar(bar)],
            )
        return model.wv

    def _fit(self, texts: object) -> tuple[sp.csr_matrix, int, int]:
        validate_params(self)
        texts = check_texts(texts)
        self._fit_tokenizer(texts)
        sentences = self._tokenize(texts, "tokenising")
        wv = self._train(sentences)
        return self._learn(
            [str(w) for w in wv.index_to_key],
            np.array(wv.vectors, dtype=np.float32),
            sentences,
        )

    def fit(self, texts: Sequence[str], y: object = None) -> Word2VecEmbedding:
        """Train Word2Vec on ``texts`` and learn the pooling weights."""
        self._fit(texts)
        return self


class PretrainedEmbedding(_WordVectorPooling):
    """Pretrained word vectors read from a local file, pooled into document vectors.

    ``fit`` reads the file (word2vec binary, word2vec text or GloVe text) and
    learns, from the fitting texts, the idf (``pooling="tfidf"``) or the word
    probabilities and common component (``pooling="sif"``). The vectors become
    part of the fitted state, so a saved model does not need the file again.

    Parameters
    ----------
    path : str
        The vectors file.
    format : {"auto", "word2vec-binary", "word2vec-text", "glove"}, default="auto"
    limit : int or None, default=None
        Keep only the first ``limit`` vectors of the file.
    encoding : str, default="utf-8"
    pooling : {"mean", "tfidf", "sif"}, default="mean"
        See :mod:`classicx.text.embeddings` (SIF with ``a = 1e-3``).
    tokenizer : Tokenizer or None, default=None
        How texts are split into words; ``None`` means ``Tokenizer()``. It
        must match how the vectors' words were written (most GloVe files are
        lowercase; use ``Tokenizer(lowercase=False)`` for cased vectors).
    verbose : bool, default=True
        Progress bar (tqdm) while tokenising.

    Attributes
    ----------
    vocabulary_, vectors_, idf_, word_probability_, sif_component_, oov_rate_, tokenizer_
        As in :class:`Word2VecEmbedding`; words of the file that never occur in
        the fitting texts get ``p(w) = 0`` (SIF weight 1) and the largest idf.

    See Also
    --------
    load_word_vectors, Word2VecEmbedding

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classicx.text import PretrainedEmbedding
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "vectors.txt"
    >>> _ = p.write_text("red 1 0\\nblue 0 1\\n", encoding="utf-8")
    >>> emb = PretrainedEmbedding(str(p)).fit(["red blue", "blue"])
    >>> emb.transform(["red red blue"]).round(3).tolist()
    [[0.667, 0.333]]
    """

    _parameter_constraints: dict = {
        **_WordVectorPooling._common_constraints,
        "path": [str, os.PathLike],
        "format": [StrOptions(set(VECTOR_FORMATS))],
        "limit": [Interval(Integral, 1, None, closed="left"), None],
        "encoding": [str],
    }

    def __init__(
        self,
        path: str | os.PathLike,
        format: str = "auto",
        limit: int | None = None,
        encoding: str = "utf-8",
        pooling: str = "mean",
        tokenizer: Tokenizer | None = None,
        verbose: bool = True,
    ) -> None:
        self.path = path
        self.format = format
        self.limit = limit
        self.encoding = encoding
        self.pooling = pooling
        self.tokenizer = tokenizer
        self.verbose = verbose

    def _fit(self, texts: object) -> tuple[sp.csr_matrix, int, int]:
        validate_params(self)
        texts = check_texts(texts)
        words, vectors = load_word_vectors(
            self.path, self.format, self.limit, self.encoding
        )
        self._fit_tokenizer(texts)
        return self._learn(words, vectors, self._tokenize(texts, "tokenising"))

    def fit(self, texts: Sequence[str], y: object = None) -> PretrainedEmbedding:
        """Read the vectors and learn the pooling weights from ``texts``."""
        self._fit(texts)
        return self
