"""TF-IDF features (sparse) and LSA, their truncated-SVD reduction (dense)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from ..base import ClassicxEstimator
from ..exceptions import (
    ClassicxWarning,
    EmptyFeatureWarning,
    EmptyInputError,
    InputError,
    NotFittedError,
)
from .io import _check_fit_texts, check_texts
from .tokenize import Tokenizer, detect_language

__all__ = ["TfidfFeatures", "TfidfLSA"]


def _check_fitted(estimator: object, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet: call fit(texts) before using it"
        )


def _check_n_components(n_components: object) -> None:
    if not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise InputError(
            f"n_components must be a positive integer, got {n_components!r}"
        )


def _n_empty_rows(X: sp.csr_matrix) -> int:
    """Number of rows of the CSR matrix ``X`` without any stored entry."""
    return int(np.sum(np.diff(X.indptr) == 0))


def _terms(vocabulary: dict[str, int]) -> np.ndarray:
    """The terms of ``vocabulary`` (term -> column) in column order, as an object array."""
    terms = np.empty(len(vocabulary), dtype=object)
    for term, i in vocabulary.items():
        terms[i] = term
    return terms


def _warn_empty_rows(n_empty: int, n_rows: int, stacklevel: int = 4) -> None:
    if n_empty:
        warnings.warn(
            f"{n_empty} of {n_rows} texts have no term of the fitted vocabulary (empty, "
            "whitespace-only, only stop words or only unseen words): their vectors are all zero",
            EmptyFeatureWarning,
            stacklevel=stacklevel,
        )


def _wrap_vocabulary_error(exc: ValueError) -> Exception:
    message = str(exc)
    if "empty vocabulary" in message:
        return EmptyInputError(
            "no tokens found in any text (all texts are empty, whitespace or stop words): "
            "nothing to build a vocabulary from"
        )
    return InputError(f"cannot build the vocabulary: {message}")


class TfidfFeatures(ClassicxEstimator, TransformerMixin):
    """Sparse TF-IDF vectors of texts, with Unicode/Chinese-aware tokenisation.

    scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    does the counting and weighting; the fitted state is kept as plain arrays
    (vocabulary and idf) and the vectorizer is rebuilt from them in
    :meth:`transform`, so the model saves without pickle.

    Parameters
    ----------
    language : {"auto", "english", "chinese"}, default="auto"
        Tokenizer language (see :mod:`classicx.text.tokenize`); ``"auto"`` is
        resolved once at ``fit`` from the training texts (``language_``).
    segmenter : {"char", "jieba"}, default="char"
        Chinese segmentation: characters plus character bigrams (no
        dependency) or jieba words (extra ``chinese``).
    lowercase : bool, default=True
    stop_words : {"auto", "english", "chinese"}, list of str or None, default="auto"
        See :class:`~classicx.text.Tokenizer`.
    ngram_range : tuple (min_n, max_n), default=(1, 1)
        Word n-grams.
    min_df, max_df : int or float, default=1 and 1.0
        Document-frequency limits as in scikit-learn (int = count, float = share).
    max_features : int or None, default=None
        Keep only the most frequent terms.
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)`` instead of raw counts.
    norm : {"l2", "l1", None}, default="l2"
        Row normalisation.
    smooth_idf : bool, default=True
    verbose : bool, default=True
        Show a progress bar while tokenising.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Term → column index.
    idf_ : ndarray of shape (n_terms,)
    language_ : str
        The language used (``"auto"`` resolved).

    See Also
    --------
    TfidfLSA : dense low-rank version.

    Examples
    --------
    >>> tf = TfidfFeatures().fit(["red circle", "blue square", "red square"])
    >>> X = tf.transform(["a red square"])
    >>> X.shape, round(float(X.sum()), 3)
    ((1, 4), 1.414)
    """

    def __init__(
        self,
        language: str = "auto",
        segmenter: str = "char",
        lowercase: bool = True,
        stop_words: str | Sequence[str] | None = "auto",
        ngram_range: tuple[int, int] = (1, 1),
        min_df: float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        norm: str | None = "l2",
        smooth_idf: bool = True,
        verbose: bool = True,
    ) -> None:
        self.language = language
        self.segmenter = segmenter
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.smooth_idf = smooth_idf
        self.verbose = verbose

    def _tokenizer(self, language: str) -> Tokenizer:
        return Tokenizer(
            language,
            self.segmenter,
            self.lowercase,
            self.stop_words,
            tuple(self.ngram_range),
        )

    def _vectorizer(
        self, language: str, vocabulary: dict | None = None
    ) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=self._tokenizer(language),
            vocabulary=vocabulary,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            norm=self.norm,
            smooth_idf=self.smooth_idf,
            dtype=np.float64,
        )

    def _fit(self, texts: object) -> tuple[list[str], sp.csr_matrix]:
        texts = _check_fit_texts(texts)
        language = detect_language(texts) if self.language == "auto" else self.language
        vectorizer = self._vectorizer(language)
        try:
            X = vectorizer.fit_transform(self._progress(texts, "TF-IDF fit"))
        except ValueError as exc:
            raise _wrap_vocabulary_error(exc) from exc
        self.language_ = language
        self.vocabulary_ = {
            str(term): int(i) for term, i in vectorizer.vocabulary_.items()
        }
        self.idf_ = np.asarray(vectorizer.idf_, dtype=np.float64)
        return texts, X.tocsr()

    def _progress(self, texts: list[str], desc: str):
        from .._utils import progress

        return progress(texts, total=len(texts), desc=desc, verbose=self.verbose)

    def fit(self, texts: Sequence[str], y: object = None) -> TfidfFeatures:
        """Learn the vocabulary and idf from ``texts`` (a sequence of str)."""
        self._fit(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sp.csr_matrix:
        """Fit and return the TF-IDF matrix of ``texts`` (CSR, float64)."""
        texts, X = self._fit(texts)
        _warn_empty_rows(_n_empty_rows(X), X.shape[0])
        return X

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF matrix of ``texts``: CSR of shape (n_texts, n_terms), float64.

        Texts without any known term get an all-zero row and are counted in
        one :class:`~classicx.exceptions.EmptyFeatureWarning`.
        """
        _check_fitted(self, "idf_")
        texts = check_texts(texts)
        vectorizer = self._vectorizer(self.language_, self.vocabulary_)
        vectorizer.idf_ = self.idf_
        X = vectorizer.transform(self._progress(texts, "TF-IDF")).tocsr()
        _warn_empty_rows(_n_empty_rows(X), X.shape[0])
        return X

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Terms in column order."""
        _check_fitted(self, "vocabulary_")
        return _terms(self.vocabulary_)


class TfidfLSA(ClassicxEstimator, TransformerMixin):
    """Dense LSA vectors: TF-IDF (:class:`TfidfFeatures`) reduced by truncated SVD.

    Parameters
    ----------
    n_components : int, default=100
        Dimension of the output. If it exceeds what the training data allows
        (``min(n_texts, n_terms)``), it is clipped to that value with a
        :class:`~classicx.exceptions.ClassicxWarning`; the dimension used is
        ``n_components_``.
    language, segmenter, lowercase, stop_words, ngram_range, min_df, max_df, \
max_features, sublinear_tf
        Passed to :class:`TfidfFeatures`.
    n_iter : int, default=5
        Power iterations of the randomized SVD.
    random_state : int, RandomState or None, default=None
    verbose : bool, default=True
        Progress bar (tqdm) while tokenising.

    Attributes
    ----------
    tfidf_ : TfidfFeatures
        The fitted TF-IDF step.
    components_ : ndarray of shape (n_components_, n_terms)
        Right singular vectors (scikit-learn's ``TruncatedSVD.components_``).
    singular_values_ : ndarray of shape (n_components_,)
    explained_variance_ratio_ : ndarray of shape (n_components_,)
    n_components_ : int

    See Also
    --------
    TfidfFeatures, classicx.text.LdaTopics

    Examples
    --------
    >>> texts = ["red circle", "blue square", "red square", "green circle"]
    >>> lsa = TfidfLSA(n_components=2, random_state=0).fit(texts)
    >>> lsa.transform(["red circle"]).shape
    (1, 2)
    """

    def __init__(
        self,
        n_components: int = 100,
        language: str = "auto",
        segmenter: str = "char",
        lowercase: bool = True,
        stop_words: str | Sequence[str] | None = "auto",
        ngram_range: tuple[int, int] = (1, 1),
        min_df: float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        n_iter: int = 5,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = True,
    ) -> None:
        self.n_components = n_components
        self.language = language
        self.segmenter = segmenter
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.n_iter = n_iter
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, texts: object) -> tuple[np.ndarray, int]:
        _check_n_components(self.n_components)
        tfidf = TfidfFeatures(
            language=self.language,
            segmenter=self.segmenter,
            lowercase=self.lowercase,
            stop_words=self.stop_words,
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            verbose=self.verbose,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptyFeatureWarning)
            X = tfidf.fit_transform(texts)
        limit = min(X.shape)
        n = int(self.n_components)
        if n > limit:
            warnings.warn(
                f"n_components={n} is more than the training data allows "
                f"(min(n_texts={X.shape[0]}, n_terms={X.shape[1]}) = {limit}); using {limit}",
                ClassicxWarning,
                stacklevel=3,
            )
            n = limit
        svd = TruncatedSVD(
            n_components=n, n_iter=self.n_iter, random_state=self.random_state
        )
        Z = svd.fit_transform(X)
        self.tfidf_ = tfidf
        self.components_ = svd.components_
        self.singular_values_ = svd.singular_values_
        self.explained_variance_ratio_ = svd.explained_variance_ratio_
        self.n_components_ = n
        return Z, _n_empty_rows(X)

    def fit(self, texts: Sequence[str], y: object = None) -> TfidfLSA:
        """Fit the TF-IDF vocabulary and the SVD on ``texts``."""
        self._fit(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> np.ndarray:
        """Fit and return the LSA vectors of ``texts``."""
        Z, n_empty = self._fit(texts)
        _warn_empty_rows(n_empty, len(Z))
        return Z

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """LSA vectors of ``texts``: ndarray of shape (n_texts, n_components_), float64.

        Texts without any known term map to the zero vector (counted in an
        :class:`~classicx.exceptions.EmptyFeatureWarning`).
        """
        _check_fitted(self, "components_")
        X = self.tfidf_.transform(texts)
        return np.asarray(X @ self.components_.T)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Output column names ``tfidflsa0``, ``tfidflsa1``, ..."""
        _check_fitted(self, "components_")
        return np.array(
            [f"tfidflsa{i}" for i in range(self.n_components_)], dtype=object
        )
