"""Latent Dirichlet allocation: per-document topic proportions.

scikit-learn's :class:`~sklearn.decomposition.LatentDirichletAllocation` is
used rather than gensim's ``LdaModel`` because (1) it consumes the same sparse
CSR count matrix and tokenizer as the rest of :mod:`classicx.text`, with no
conversion to gensim's bag-of-words tuples; (2) its fitted state is two plain
arrays (``components_`` and ``exp_dirichlet_component_``) from which the model
is rebuilt exactly, so it saves without pickle, whereas gensim's state is a
pickled object graph; (3) its inference for new documents is deterministic
given those arrays, and it follows the scikit-learn estimator contract
(``random_state``). gensim's advantage, streaming corpora larger
than memory, does not matter for the corpus sizes of cross-modal benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import HasMethods, Interval

from ..base import ClassicxEstimator
from ..utils.parallel import progress
from ..utils.validation import check_is_fitted, check_texts, validate_params
from ._common import (
    DefaultParts,
    terms,
    text_tags,
    warn_empty_rows,
    wrap_vocabulary_error,
)
from .tokenize import Tokenizer

__all__ = ["LdaTopics"]


class LdaTopics(DefaultParts, TransformerMixin, ClassicxEstimator):
    """Topic proportions of texts from latent Dirichlet allocation (LDA).

    Texts are tokenised by ``tokenizer``, counted, and modelled with
    scikit-learn's batch variational-Bayes LDA. Each output row is a
    probability vector over ``n_components`` topics (the classic Wikipedia
    cross-modal benchmark uses 10 topics).

    Parameters
    ----------
    n_components : int, default=10
        Number of topics.
    tokenizer : Tokenizer or None, default=None
        How texts are split into words; ``None`` means ``Tokenizer()``. A
        fitted copy is kept as ``tokenizer_``.
    min_df, max_df : int or float, default=2 and 0.95
        Document-frequency limits of the vocabulary (LDA suffers from very rare
        and very common words).
    max_features : int or None, default=None
        Keep only the most frequent words.
    doc_topic_prior, topic_word_prior : float or None, default=None
        Dirichlet priors (``None``: ``1 / n_components``).
    max_iter : int, default=20
        Passes over the corpus.
    random_state : int, RandomState or None, default=None
        Seed of the topic initialisation.
    verbose : bool, default=True
        Progress bar while tokenising.

    Attributes
    ----------
    tokenizer_ : Tokenizer
        The fitted copy of ``tokenizer`` (``tokenizer_.language_`` is the
        language used).
    vocabulary_ : dict of str to int
        Word -> column of ``components_``.
    components_ : ndarray of shape (n_components, n_terms)
        Variational topic-word parameters.
    exp_dirichlet_component_ : ndarray of shape (n_components, n_terms)
        Exponential of the expected log topic-word distribution.
    doc_topic_prior_ : float
        The document-topic prior used.
    perplexity_ : float
        Perplexity of the training texts.

    See Also
    --------
    classicx.text.TfidfLSA : linear topic space by truncated SVD.

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.text import LdaTopics
    >>> texts = ["cat dog pet", "dog pet food", "stock market price", "market price fall"]
    >>> lda = LdaTopics(n_components=2, min_df=1, max_df=1.0, random_state=0).fit(texts)
    >>> theta = lda.transform(["pet dog", "price"])
    >>> theta.shape, bool(np.allclose(theta.sum(axis=1), 1))
    ((2, 2), True)
    """

    _default_parts = {"tokenizer": Tokenizer}
    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tokenizer": [HasMethods(["fit", "__call__"]), None],
        "min_df": [Interval(Integral, 0, None, closed="left"), Interval(Real, 0, 1, closed="both")],
        "max_df": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="both")],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "doc_topic_prior": [Interval(Real, 0, None, closed="both"), None],
        "topic_word_prior": [Interval(Real, 0, None, closed="both"), None],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components: int = 10,
        tokenizer: Tokenizer | None = None,
        min_df: float = 2,
        max_df: float = 0.95,
        max_features: int | None = None,
        doc_topic_prior: float | None = None,
        topic_word_prior: float | None = None,
        max_iter: int = 20,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = True,
    ) -> None:
        self.n_components = n_components
        self.tokenizer = tokenizer
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        return text_tags(super().__sklearn_tags__())

    def _counter(self, vocabulary: dict | None = None) -> CountVectorizer:
        return CountVectorizer(
            analyzer=self.tokenizer_,
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
            learning_method="batch",
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def _fit(self, texts: object) -> tuple[np.ndarray, int]:
        validate_params(self)
        texts = check_texts(texts)
        self.tokenizer_ = self._part("tokenizer").fit(texts)
        counter = self._counter()
        try:
            counts = counter.fit_transform(
                progress(
                    texts, total=len(texts), desc="LDA counts", verbose=self.verbose
                )
            )
        except ValueError as exc:
            raise wrap_vocabulary_error(exc) from exc
        lda = self._lda()
        theta = lda.fit_transform(counts)
        empty = np.diff(counts.tocsr().indptr) == 0
        theta[empty] = 0.0
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
        warn_empty_rows(n_empty, len(theta))
        return theta

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Topic proportions: ndarray (n_texts, n_components), rows summing to 1.

        A text with no known word has no topic evidence: its row is all zero
        (not the prior) and it is counted in an
        :class:`~classicx.exceptions.EmptyFeatureWarning`.
        """
        check_is_fitted(self, "components_")
        texts = check_texts(texts, allow_empty=True)
        counts = (
            self._counter(self.vocabulary_)
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
        warn_empty_rows(int(empty.sum()), len(theta))
        return theta

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Topic names ``topic0``, ``topic1``, ..."""
        check_is_fitted(self, "components_")
        return np.array(
            [f"topic{i}" for i in range(self.components_.shape[0])], dtype=object
        )

    def top_words(self, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable words of each topic, most probable first."""
        check_is_fitted(self, "components_")
        names = terms(self.vocabulary_)
        order = np.argsort(-self.components_, axis=1, kind="stable")[:, :n]
        return [list(names[row]) for row in order]
