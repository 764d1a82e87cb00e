"""TF-IDF features (sparse) and LSA, their truncated-SVD reduction (dense)."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from itertools import repeat
from typing import TYPE_CHECKING
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..base import ClassicxEstimator
from ..distributed import dask_fit, dask_transform, is_dask_collection
from ..exceptions import EmptyFeatureWarning, InputError
from ..utils.parallel import progress
from ..utils.validation import check_is_fitted, check_texts, validate_params
from ._common import (
    DefaultParts,
    n_empty_rows,
    terms,
    text_tags,
    warn_empty_rows,
    wrap_vocabulary_error,
)
from ._term_counts import CharTermCounter
from .tokenize import Tokenizer, has_cjk as _has_cjk

if TYPE_CHECKING:  # pragma: no cover
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["TfidfFeatures", "TfidfLSA"]

logger = logging.getLogger(__name__)

# Single texts from this length on, with CJK characters, are counted by CharTermCounter.
_COUNTER_MIN_CHARS = 64


def _component_cap(n_texts: int, n_terms: int) -> int:
    """How many LSA dimensions ``n_texts`` training texts with ``n_terms`` terms can give: the matrix rank bound."""
    return min(n_texts, n_terms)


class TfidfFeatures(DefaultParts, TransformerMixin, ClassicxEstimator):
    """Sparse TF-IDF vectors of texts, with Unicode/Chinese-aware tokenisation.

    scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    does the counting and weighting, with the fitted tokenizer as its
    analyzer; the fitted state is kept as plain arrays (vocabulary and idf)
    and the vectorizer is rebuilt from them in :meth:`transform`, so the model
    saves without pickle.

    Parameters
    ----------
    tokenizer : Tokenizer or None, default=None
        How texts are split into terms; ``None`` means ``Tokenizer()``
        (language detected from the fitting texts, characters plus character
        bigrams for Chinese, stop words removed). A fitted copy is kept as
        ``tokenizer_``: every text given to :meth:`transform` is tokenised in
        the language resolved at ``fit``.
    min_df, max_df : int or float, default=1 and 1.0
        Document-frequency limits as in scikit-learn (int = count, float = share).
    max_features : int or None, default=None
        Keep only the most frequent terms.
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)`` instead of raw counts.
    norm : {"l2", "l1"} or None, default="l2"
        Row normalisation.
    smooth_idf : bool, default=True
        Add one to document frequencies, as if one extra text held every term.
    verbose : bool, default=True
        Show a progress bar while tokenising.

    Attributes
    ----------
    tokenizer_ : Tokenizer
        The fitted copy of ``tokenizer`` (``tokenizer_.language_`` is the
        language used).
    vocabulary_ : dict of str to int
        Term -> column index.
    idf_ : ndarray of shape (n_terms,)
        Inverse document frequencies.

    See Also
    --------
    TfidfLSA : dense low-rank version.
    Tokenizer : the tokenisation settings.

    Examples
    --------
    >>> from classicx.text import TfidfFeatures, Tokenizer
    >>> tf = TfidfFeatures().fit(["red circle", "blue square", "red square"])
    >>> X = tf.transform(["a red square"])
    >>> X.shape, round(float(X.sum()), 3)
    ((1, 4), 1.414)
    >>> bigrams = TfidfFeatures(tokenizer=Tokenizer(ngram_range=(1, 2))).fit(["red circle"])
    >>> list(bigrams.get_feature_names_out())
    ['circle', 'red', 'red circle']
    """

    _default_parts = {"tokenizer": Tokenizer}
    _parameter_constraints: dict = {
        "tokenizer": [HasMethods(["fit", "__call__"]), None],
        "min_df": [Interval(Integral, 0, None, closed="left"), Interval(Real, 0, 1, closed="both")],
        "max_df": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="both")],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "sublinear_tf": ["boolean"],
        "norm": [StrOptions({"l1", "l2"}), None],
        "smooth_idf": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        tokenizer: Tokenizer | None = None,
        min_df: float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        norm: str | None = "l2",
        smooth_idf: bool = True,
        verbose: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.smooth_idf = smooth_idf
        self.verbose = verbose

    def __sklearn_tags__(self):
        return text_tags(super().__sklearn_tags__())

    def _vectorizer(self, vocabulary: dict | None = None) -> "TfidfVectorizer":
        # Imported here: a single-text query (_transform_one) needs none of scikit-learn's text
        # module, whose imports (its preprocessing, and through it the progress library rich) cost
        # about 0.2 s of every `classicx search` (issue #15).
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            analyzer=self.tokenizer_,
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
        validate_params(self)
        texts = check_texts(texts)
        self.tokenizer_ = self._part("tokenizer").fit(texts)
        vectorizer = self._vectorizer()
        try:
            X = vectorizer.fit_transform(self._progress(texts, "TF-IDF fit"))
        except ValueError as exc:
            raise wrap_vocabulary_error(exc) from exc
        self.vocabulary_ = {
            str(term): int(i) for term, i in vectorizer.vocabulary_.items()
        }
        self.idf_ = np.asarray(vectorizer.idf_, dtype=np.float64)
        return texts, X.tocsr()

    def _progress(self, texts: list[str], desc: str):
        return progress(texts, total=len(texts), desc=desc, verbose=self.verbose)

    def fit(self, texts: Sequence[str], y: object = None) -> TfidfFeatures:
        """Learn the vocabulary and idf from ``texts`` (a sequence of str, or a ``dask.bag`` of str)."""
        if is_dask_collection(texts):
            return dask_fit(self, texts)
        self._fit(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sp.csr_matrix:
        """Fit and return the TF-IDF matrix of ``texts`` (CSR, float64)."""
        if is_dask_collection(texts):
            return dask_fit(self, texts).transform(texts)
        texts, X = self._fit(texts)
        warn_empty_rows(n_empty_rows(X), X.shape[0])
        return X

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF matrix of ``texts``: CSR of shape (n_texts, n_terms), float64.

        Texts are tokenised by the fitted ``tokenizer_`` (in the language
        resolved at ``fit``). Texts without any known term get an all-zero row
        and are counted in one :class:`~classicx.exceptions.EmptyFeatureWarning`.
        """
        check_is_fitted(self, "idf_")
        if is_dask_collection(texts):
            return dask_transform(self, texts)
        texts = check_texts(texts, allow_empty=True)
        if len(texts) == 1:
            X = self._transform_one(texts[0])
        else:
            X = self._fitted_vectorizer().transform(self._progress(texts, "TF-IDF")).tocsr()
        warn_empty_rows(n_empty_rows(X), X.shape[0])
        return X

    def _transform_one(self, text: str) -> sp.csr_matrix:
        """The TF-IDF row of one text, computed as scikit-learn's fitted ``TfidfVectorizer.transform`` does.

        Written out because scikit-learn's transform re-validates its own fitted
        state on every call (about 1 ms of array checks and dataframe detection
        for a query of a few words, issue #15). The steps, in its order: counts of
        the known terms, ``log(count) + 1`` if ``sublinear_tf``, times ``idf_``,
        then the row divided by its l2 (or l1) norm summed term by term in column
        order, as its Cython normaliser does, so the row is the same to the last bit
        (``tests/text/test_tfidf_single.py`` compares the two).
        """
        counter = self._term_counter(text)
        if counter is not None:
            found, data = counter(text)
        else:
            # Counted in C (Counter) before the vocabulary look-up: a webnews article gives ~800
            # tokens (words and character n-grams) but only a few hundred distinct ones; the look-up
            # (map over dict.get) and the filling of the arrays (fromiter) also run in C.
            counts = Counter(self.tokenizer_(text))
            n = len(counts)
            found = np.fromiter(map(self.vocabulary_.get, counts.keys(), repeat(-1)), dtype=np.int64, count=n)
            data = np.fromiter(counts.values(), dtype=np.float64, count=n)
            known = found >= 0
            found, data = found[known], data[known]
            order = np.argsort(found, kind="stable")
            found, data = found[order], data[order]
        columns = found.astype(np.int32, copy=False)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[columns]
        if self.norm is not None and len(data):
            # Summed one term after the other in column order, as scikit-learn's normaliser
            # does: ``add.accumulate`` is sequential (``sum`` would add pairwise and could
            # differ in the last bit).
            total = float(np.add.accumulate(data * data if self.norm == "l2" else np.abs(data))[-1])
            if total != 0.0:
                data /= np.sqrt(total) if self.norm == "l2" else total
        indptr = np.array([0, len(columns)], dtype=np.int32)
        return sp.csr_matrix((data, columns, indptr), shape=(1, len(self.idf_)))

    def _term_counter(self, text: str) -> CharTermCounter | None:
        """The vectorised term counter for ``text``, or None where counting the tokens is as fast.

        It pays for texts of at least ``_COUNTER_MIN_CHARS`` characters with CJK
        characters in them, whose every character is a token (1.9 -> 0.4 ms for
        webnews' longest test article, 1,977 characters; 0.18 -> 0.09 ms at 140;
        slower below about 50). Building it reads the whole vocabulary (about
        30 ms for 113,456 terms), so it is built at the second such text, not
        the first: a one-query ``classicx search`` does not pay 30 ms to save 2.
        Kept in a private attribute (never saved) and built again when the
        fitted tokenizer, its settings or the vocabulary have been replaced.
        """
        tokenizer = self.tokenizer_
        if len(text) < _COUNTER_MIN_CHARS or not CharTermCounter.supports(tokenizer) or not _has_cjk(text):
            return None
        state = (tokenizer, tokenizer._settings(), self.vocabulary_)
        cached = self.__dict__.get("_term_counter_cache")
        if cached is not None and all(a is b for a, b in zip(cached[0], state)):
            if cached[1] is None:  # the second text: build it now
                cached[1] = CharTermCounter(tokenizer, self.vocabulary_)
            return cached[1]
        self._term_counter_cache = [state, None]
        return None

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_term_counter_cache", None)  # 2-3 MB of look-up tables, rebuilt on demand
        return state

    def _fitted_vectorizer(self) -> "TfidfVectorizer":
        """The fitted scikit-learn vectorizer :meth:`transform` uses, built once per fitted state.

        Building it validates the whole vocabulary (13 ms for webnews' 113,456
        terms, issue #15), so it is kept (in a private attribute, never saved)
        and built again only when the fitted state or a parameter it reads has
        been replaced since.
        """
        state = (self.tokenizer_, self.vocabulary_, self.idf_, self.min_df, self.max_df,
                 self.max_features, self.sublinear_tf, self.norm, self.smooth_idf)
        cached = self.__dict__.get("_fitted_vectorizer_cache")
        if cached is not None and all(a is b for a, b in zip(cached[0], state)):
            return cached[1]
        vectorizer = self._vectorizer(self.vocabulary_)
        vectorizer.idf_ = self.idf_  # validates the vocabulary against idf_, once
        # The validation keeps a copy of the vocabulary; the fitted one is the same mapping.
        vectorizer.vocabulary_ = self.vocabulary_
        self._fitted_vectorizer_cache = (state, vectorizer)
        return vectorizer

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Terms in column order."""
        check_is_fitted(self, "vocabulary_")
        return terms(self.vocabulary_)

    def _check_loaded_state(self) -> None:
        """Called by loading (which reports a ValueError as a ModelFormatError naming the directory)."""
        if not (hasattr(self, "vocabulary_") or hasattr(self, "idf_")):
            return  # saved unfitted
        validate_params(self)  # transform uses the parameters without fit's check
        if not callable(getattr(self, "tokenizer_", None)):
            found = type(getattr(self, "tokenizer_", None)).__name__
            raise ValueError(f"TfidfFeatures: tokenizer_ must be a fitted tokenizer, found {found}")
        vocabulary, idf = getattr(self, "vocabulary_", None), getattr(self, "idf_", None)
        if not isinstance(vocabulary, dict) or not vocabulary:
            raise ValueError(
                f"TfidfFeatures: vocabulary_ must be a non-empty dict, found {type(vocabulary).__name__}"
            )
        # The terms are str whatever the file holds (JSON object keys and the decoded string
        # arrays of a strdict are always str); the columns are checked, by a type set rather than
        # a Python loop over webnews' 113,456 terms at every load (issue #15).
        if set(map(type, vocabulary.values())) != {int}:
            raise ValueError("TfidfFeatures: vocabulary_ must map str terms to int columns")
        columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
        if columns.min() < 0 or columns.max() >= len(columns) or np.bincount(columns).max() > 1:
            raise ValueError("TfidfFeatures: vocabulary_ columns must be 0..n_terms-1, each once")
        if not isinstance(idf, np.ndarray) or idf.shape != (len(vocabulary),) or idf.dtype.kind != "f":
            raise ValueError(
                f"TfidfFeatures: idf_ must be {len(vocabulary)} floats, one per term; "
                f"found {getattr(idf, 'shape', type(idf).__name__)}"
            )


class TfidfLSA(DefaultParts, TransformerMixin, ClassicxEstimator):
    """Dense LSA vectors: TF-IDF (:class:`TfidfFeatures`) reduced by truncated SVD.

    Parameters
    ----------
    n_components : int, default=100
        Dimension of the output, at most: the training TF-IDF matrix has at
        most ``min(n_texts, n_terms)`` singular directions, so a larger value
        is capped at that rank (without a warning: a short caption collection
        with fewer distinct terms than ``n_components`` is normal data for a
        preset's ``lsa(200)``; the cap is logged at INFO level). The
        dimension used is ``n_components_``.
    tfidf : TfidfFeatures or None, default=None
        The TF-IDF step (tokenizer, document-frequency limits, weighting);
        ``None`` means ``TfidfFeatures()``. Its settings are tuned as nested
        parameters, e.g. ``tfidf__sublinear_tf`` or
        ``tfidf__tokenizer__ngram_range``.
    n_iter : int, default=5
        Power iterations of the randomized SVD.
    random_state : int, RandomState or None, default=None
        Seed of the randomized SVD.
    verbose : bool, default=True
        Progress bar (tqdm) while tokenising; ``False`` also silences the
        TF-IDF step.
    dtype : {"float32", "float64"}, default="float32"
        Precision in which ``components_`` are kept (and saved) and in which
        :meth:`transform` multiplies; the SVD itself is computed in float64
        and the output of :meth:`transform` is float64 either way. float32
        halves the model's largest array (webnews: 91 instead of 181 MB for
        200 components over 113,456 terms), what loading reads and checks,
        and the bytes a query reads, and loses nothing measurable: the shared
        vectors of the 497 webnews test texts move by about 1e-7 relative and
        the test MAP of the default preset is unchanged to four decimals
        (``benchmarks/RESULTS.md``, "Real-time queries"). ``"float64"``
        gives scikit-learn's ``TruncatedSVD`` result to the last bit.

    Attributes
    ----------
    tfidf_ : TfidfFeatures
        The fitted copy of ``tfidf``.
    components_ : ndarray of shape (n_components_, n_terms)
        Right singular vectors (scikit-learn's ``TruncatedSVD.components_``),
        in ``dtype``.
    singular_values_ : ndarray of shape (n_components_,)
        Singular values of the training TF-IDF matrix.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        Share of the training variance along each component (0 when the training
        rows are all alike).
    n_components_ : int
        The output dimension actually used.

    See Also
    --------
    TfidfFeatures : the sparse vectors this reduces.
    classicx.text.LdaTopics : probabilistic topics instead of a linear subspace.

    Examples
    --------
    >>> from classicx.text import TfidfFeatures, TfidfLSA
    >>> texts = ["red circle", "blue square", "red square", "green circle"]
    >>> lsa = TfidfLSA(n_components=2, random_state=0).fit(texts)
    >>> lsa.transform(["red circle"]).shape
    (1, 2)
    >>> raw = TfidfLSA(n_components=2, tfidf=TfidfFeatures(sublinear_tf=False), random_state=0)
    >>> raw.fit_transform(texts).shape
    (4, 2)
    """

    _default_parts = {"tfidf": TfidfFeatures}
    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tfidf": [HasMethods(["fit_transform", "transform"]), None],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(
        self,
        n_components: int = 100,
        tfidf: TfidfFeatures | None = None,
        n_iter: int = 5,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = True,
        dtype: str = "float32",
    ) -> None:
        self.n_components = n_components
        self.tfidf = tfidf
        self.n_iter = n_iter
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    def __sklearn_tags__(self):
        return text_tags(super().__sklearn_tags__())

    def _fit(self, texts: object) -> tuple[np.ndarray, int]:
        validate_params(self)
        tfidf = self._part("tfidf")
        if not self.verbose and "verbose" in tfidf.get_params(deep=False):
            tfidf.set_params(verbose=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptyFeatureWarning)
            X = tfidf.fit_transform(texts)
        if X.shape[1] < 2:
            # TruncatedSVD needs two terms; say which one the texts reduce to.
            names = getattr(tfidf, "get_feature_names_out", None)
            found = ", ".join(repr(str(t)) for t in names()) if names is not None and X.shape[1] else "none"
            raise InputError(
                f"TfidfLSA: the {X.shape[0]} training texts hold {X.shape[1]} distinct term(s) ({found}) "
                "after tokenizing and filtering; LSA needs at least 2 (give more varied texts, or "
                "lower the tfidf part's min_df / remove its stop words)"
            )
        n = min(int(self.n_components), _component_cap(*X.shape))
        if n < int(self.n_components):
            logger.info(
                "TfidfLSA: n_components=%d capped at %d, the rank the training TF-IDF matrix can have "
                "(min(n_texts=%d, n_terms=%d))", int(self.n_components), n, *X.shape,
            )
        from sklearn.decomposition import TruncatedSVD  # fit only: loading for queries never needs it

        svd = TruncatedSVD(
            n_components=n, n_iter=self.n_iter, random_state=self.random_state
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            Z = svd.fit_transform(X)
        self.tfidf_ = tfidf
        # Fortran order: components_.T, the operand of transform's sparse x dense
        # product, is then C-contiguous, which the product needs (same values).
        self.components_ = np.asfortranarray(svd.components_, dtype=self.dtype)
        self.singular_values_ = svd.singular_values_
        # Identical training rows leave no variance to explain: a ratio of 0, not NaN (which
        # would also make the saved model unloadable).
        self.explained_variance_ratio_ = np.nan_to_num(svd.explained_variance_ratio_, nan=0.0)
        self.n_components_ = n
        return Z, n_empty_rows(X)

    def fit(self, texts: Sequence[str], y: object = None) -> TfidfLSA:
        """Fit the TF-IDF step and the SVD on ``texts`` (a sequence of str, or a ``dask.bag`` of str)."""
        if is_dask_collection(texts):
            return dask_fit(self, texts)
        self._fit(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> np.ndarray:
        """Fit and return the LSA vectors of ``texts``."""
        if is_dask_collection(texts):
            return dask_fit(self, texts).transform(texts)
        Z, n_empty = self._fit(texts)
        warn_empty_rows(n_empty, len(Z))
        return Z

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """LSA vectors of ``texts``: ndarray of shape (n_texts, n_components_), float64.

        Texts without any known term map to the zero vector (counted in an
        :class:`~classicx.exceptions.EmptyFeatureWarning`).
        """
        check_is_fitted(self, "components_")
        if is_dask_collection(texts):
            return dask_transform(self, texts)
        return self._project(self.tfidf_.transform(texts))

    def _project(self, X: sp.csr_matrix) -> np.ndarray:
        """LSA vectors (float64) of TF-IDF rows ``X``; used by :meth:`transform` and the dask transform."""
        projection = self._projection()
        # The sparse rows in the projection's precision: a float64 x float32 product would
        # make scipy cast the whole dense operand to float64 first (a copy per call).
        return np.asarray(X.astype(projection.dtype, copy=False) @ projection, dtype=np.float64)

    def _projection(self) -> np.ndarray:
        """``components_.T`` as a C-contiguous array, the layout scipy's sparse x dense product works on.

        scipy copies a dense operand of any other layout on every product (a
        90 MB copy per query for webnews, issue #15). ``fit`` stores
        ``components_`` in Fortran order, whose transpose is C-contiguous as it
        is; a C-ordered one (set by hand, or saved by classicx 0.2) is copied
        once and the copy kept, never saved.
        """
        components = self.components_
        cached = self.__dict__.get("_projection_cache")
        if cached is not None and cached[0] is components:
            return cached[1]
        projection = components.T if components.T.flags.c_contiguous else np.ascontiguousarray(components.T)
        self._projection_cache = (components, projection)
        return projection

    def _check_loaded_state(self) -> None:
        """Called by loading: the SVD must fit the TF-IDF step (a ValueError becomes a ModelFormatError)."""
        if not hasattr(self, "components_"):
            return  # saved unfitted
        validate_params(self)
        if not callable(getattr(getattr(self, "tfidf_", None), "transform", None)):
            raise ValueError(f"TfidfLSA: tfidf_ must be a fitted TF-IDF step, found {type(self.tfidf_).__name__}")
        components, n = getattr(self, "components_", None), getattr(self, "n_components_", None)
        n_terms = len(getattr(self.tfidf_, "vocabulary_", ()) or ()) or None
        if (
            not isinstance(components, np.ndarray) or components.ndim != 2 or components.dtype.kind != "f"
            or type(n) is not int or components.shape[0] != n
            or (n_terms is not None and components.shape[1] != n_terms)
        ):
            raise ValueError(
                f"TfidfLSA: components_ of shape {getattr(components, 'shape', None)} do not fit "
                f"n_components_={n!r} and the {n_terms} terms of tfidf_"
            )
        if components.dtype.name not in ("float32", "float64"):
            raise ValueError(
                f"TfidfLSA: components_ must be float32 or float64, found {components.dtype.name}"
            )
        # A model saved before the dtype parameter (classicx <= 0.3.0) holds float64 components
        # and loads with the default dtype: the parameter is set to what the model holds, so that
        # it keeps its results and get_params describes it.
        self.dtype = components.dtype.name
        if not components.flags.f_contiguous:
            # Saved in C order (by classicx 0.2): put in the Fortran order fit gives them (same
            # values), so that no process loading the model copies them for its first query.
            self.components_ = np.asfortranarray(components)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Output column names ``tfidflsa0``, ``tfidflsa1``, ..."""
        check_is_fitted(self, "components_")
        return np.array(
            [f"tfidflsa{i}" for i in range(self.n_components_)], dtype=object
        )
