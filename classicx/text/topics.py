"""Latent Dirichlet allocation: per-document topic proportions.

scikit-learn's :class:`~sklearn.decomposition.LatentDirichletAllocation` is
used rather than gensim's ``LdaModel`` because (1) it consumes the same sparse
CSR count matrix and tokenizer as the rest of :mod:`classicx.text`, with no
conversion to gensim's bag-of-words tuples; (2) its fitted state is two plain
arrays (``components_`` and ``exp_dirichlet_component_``) from which the model
is rebuilt exactly, so it saves without pickle, whereas gensim's state is a
pickled object graph; (3) its inference for new documents is deterministic
given those arrays, and it follows the scikit-learn estimator contract
(``n_jobs``, ``random_state``). gensim's advantage, streaming corpora larger
than memory, does not matter for the corpus sizes of cross-modal benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer

from .._utils import progress
from ..base import ClassicxEstimator
from .io import _check_fit_texts, check_texts
from .tfidf import (
    _check_fitted,
    _check_n_components,
    _terms,
    _warn_empty_rows,
    _wrap_vocabulary_error,
)
from .tokenize import Tokenizer, detect_language

__all__ = ["LdaTopics"]


class LdaTopics(ClassicxEstimator, TransformerMixin):
    """Topic proportions of texts from latent Dirichlet allocation (LDA).

    Texts are tokenised as in :class:`~classicx.text.TfidfFeatures`, counted,
    and modelled with scikit-learn's variational-Bayes LDA. Each output row is
    a probability vector over ``n_components`` topics (the classic Wikipedia
    cross-modal benchmark uses 10 topics).

    Parameters
    ----------
    n_components : int, default=10
        Number of topics.
    language, segmenter, lowercase, stop_words
        Tokenisation (see :class:`~classicx.text.Tokenizer`).
    min_df, max_df : int or float, default=2 and 0.95
        Document-frequency limits of the vocabulary (LDA suffers from very rare
        and very common words).
    max_features : int or None, default=None
    doc_topic_prior, topic_word_prior : float or None, default=None
        Dirichlet priors (``None``: ``1 / n_components``).
    learning_method : {"batch", "online"}, default="batch"
    max_iter : int, default=20
        Passes over the corpus.
    n_jobs : int or None, default=None
        Processes for the E-step (joblib).
    random_state : int, RandomState or None, default=None
    verbose : bool, default=True
        Progress bar while tokenising.

    Attributes
    ----------
    vocabulary_ : dict of str to int
    components_ : ndarray of shape (n_components, n_terms)
        Variational topic-word parameters.
    exp_dirichlet_component_ : ndarray of shape (n_components, n_terms)
    doc_topic_prior_ : float
    language_ : str
    perplexity_ : float
        Perplexity of the training texts.

    See Also
    --------
    classicx.text.TfidfLSA : linear topic space by truncated SVD.

    Examples
    --------
    >>> texts = ["cat dog pet", "dog pet food", "stock market price", "market price fall"]
    >>> lda = LdaTopics(n_components=2, min_df=1, max_df=1.0, random_state=0).fit(texts)
    >>> theta = lda.transform(["pet dog", "price"])
    >>> theta.shape, bool(np.allclose(theta.sum(axis=1), 1))
    ((2, 2), True)
    """

    def __init__(
        self,
        n_components: int = 10,
        language: str = "auto",
        segmenter: str = "char",
        lowercase: bool = True,
        stop_words: str | Sequence[str] | None = "auto",
        min_df: float = 2,
        max_df: float = 0.95,
        max_features: int | None = None,
        doc_topic_prior: float | None = None,
        topic_word_prior: float | None = None,
        learning_method: str = "batch",
        max_iter: int = 20,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = True,
    ) -> None:
        self.n_components = n_components
        self.language = language
        self.segmenter = segmenter
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.learning_method = learning_method
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _counter(
        self, language: str, vocabulary: dict | None = None
    ) -> CountVectorizer:
        return CountVectorizer(
            analyzer=Tokenizer(
                language, self.segmenter, self.lowercase, self.stop_words
            ),
            vocabulary=vocabulary,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            dtype=np.float64,
        )

    def _lda(self) -> LatentDirichletAllocation:
        return LatentDirichletAllocation(
            n_components=self.n_components,
            doc_topic_prior=self.doc_topic_prior,
            topic_word_prior=self.topic_word_prior,
            learning_method=self.learning_method,
            max_iter=self.max_iter,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def _fit(self, texts: object) -> tuple[np.ndarray, int]:
        _check_n_components(self.n_components)
        texts = _check_fit_texts(texts)
        language = detect_language(texts) if self.language == "auto" else self.language
        counter = self._counter(language)
        try:
            counts = counter.fit_transform(
                progress(
                    texts, total=len(texts), desc="LDA counts", verbose=self.verbose
                )
            )
        except ValueError as exc:
            raise _wrap_vocabulary_error(exc) from exc
        lda = self._lda()
        theta = lda.fit_transform(counts)
        empty = np.diff(counts.tocsr().indptr) == 0
        theta[empty] = 0.0
        self.language_ = language
        self.vocabulary_ = {str(t): int(i) for t, i in counter.vocabulary_.items()}
        self.components_ = lda.components_
        self.exp_dirichlet_component_ = lda.exp_dirichlet_component_
        self.doc_topic_prior_ = float(lda.doc_topic_prior_)
        self.perplexity_ = float(lda.perplexity(counts)) if counts.nnz else float("inf")
        return theta, int(empty.sum())

    def fit(self, texts: Sequence[str], y: object = None) -> LdaTopics:
        """Learn the vocabulary and the topics from ``texts``."""
        self._fit(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> np.ndarray:
        """Fit and return the topic proportions of ``texts``."""
        theta, n_empty = self._fit(texts)
        _warn_empty_rows(n_empty, len(theta))
        return theta

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Topic proportions: ndarray (n_texts, n_components), rows summing to 1.

        A text with no known word has no topic evidence: its row is all zero
        (not the prior) and it is counted in an
        :class:`~classicx.exceptions.EmptyFeatureWarning`.
        """
        _check_fitted(self, "components_")
        texts = check_texts(texts)
        counts = (
            self._counter(self.language_, self.vocabulary_)
            .transform(
                progress(
                    texts, total=len(texts), desc="LDA counts", verbose=self.verbose
                )
            )
            .tocsr()
        )
        lda = self._lda()
        lda.components_ = self.components_
        lda.exp_dirichlet_component_ = self.exp_dirichlet_component_
        lda.doc_topic_prior_ = self.doc_topic_prior_
        lda.n_features_in_ = self.components_.shape[1]
        theta = lda.transform(counts)
        empty = np.diff(counts.indptr) == 0
        theta[empty] = 0.0
        _warn_empty_rows(int(empty.sum()), len(theta))
        return theta

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Topic names ``topic0``, ``topic1``, ..."""
        _check_fitted(self, "components_")
        return np.array(
            [f"topic{i}" for i in range(self.components_.shape[0])], dtype=object
        )

    def top_words(self, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable words of each topic, most probable first."""
        _check_fitted(self, "components_")
        terms = _terms(self.vocabulary_)
        order = np.argsort(-self.components_, axis=1, kind="stable")[:, :n]
        return [list(terms[row]) for row in order]
