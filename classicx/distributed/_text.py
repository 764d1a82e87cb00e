"""TF-IDF and LSA from a ``dask.bag`` of texts (private).

The vocabulary and the document frequencies come from per-partition term
counts merged by a tree reduction; the terms kept, their order and the idf
follow scikit-learn's ``TfidfVectorizer`` exactly (``min_df``, ``max_df``,
``max_features`` and ``smooth_idf`` included), so the fitted
:class:`~classicx.text.TfidfFeatures` equals the one fitted in memory on the
same texts. ``transform`` gives a dask array of CSR blocks, one per
partition. :class:`~classicx.text.TfidfLSA` reduces it by randomised SVD on
the workers (``dask.array.linalg.svd_compressed``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import EmptyInputError, InputError, InputTypeError
from ..utils.validation import validate_params
from ._compute import compute_leaves, require_dask

__all__ = ["fit_lsa", "fit_tfidf", "partition_lengths", "transform_lsa", "transform_tfidf"]

# Characters detect_language reads (classicx.text.detect_language's default sample).
_LANGUAGE_SAMPLE = 200_000


def _check(texts: list, partition: int) -> list[str]:
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputTypeError(f"text {row} of partition {partition} is {type(text).__name__}, expected str")
    return texts


def _leading_texts(bag: Any) -> list[str]:
    """The first texts of the bag, in order, up to the characters language detection reads."""
    dask = require_dask()
    out, seen = [], 0
    for p, part in enumerate(bag.to_delayed()):
        texts = _check(list(dask.compute(part)[0]), p)
        out.extend(texts)
        seen += sum(len(t) for t in texts)
        if seen >= _LANGUAGE_SAMPLE:
            break
    return out


def _counts(texts: list, analyzer: Any, partition: int) -> tuple[int, Counter, Counter]:
    df, tf = Counter(), Counter()
    for text in _check(list(texts), partition):
        tokens = Counter(analyzer(text))
        tf.update(tokens)
        df.update(tokens.keys())
    return len(texts), df, tf


def _merge(parts: list) -> tuple[int, Counter, Counter]:
    n, df, tf = 0, Counter(), Counter()
    for pn, pdf, ptf in parts:
        n += pn
        df.update(pdf)
        tf.update(ptf)
    return n, df, tf


def _vocabulary(est: Any, n_docs: int, df: Counter, tf: Counter) -> tuple[dict[str, int], np.ndarray]:
    """Terms kept and their document frequencies, as scikit-learn's CountVectorizer keeps them."""
    if not df:
        raise EmptyInputError(
            "no tokens found in any text (all texts are empty, whitespace or stop words): "
            "nothing to build a vocabulary from"
        )
    terms = sorted(df)
    dfs = np.array([df[t] for t in terms])
    high = est.max_df if isinstance(est.max_df, (int, np.integer)) else est.max_df * n_docs
    low = est.min_df if isinstance(est.min_df, (int, np.integer)) else est.min_df * n_docs
    if high < low:
        raise InputError("cannot build the vocabulary: max_df corresponds to < documents than min_df")
    mask = np.ones(len(terms), dtype=bool)
    mask &= dfs <= high
    mask &= dfs >= low
    if est.max_features is not None and mask.sum() > est.max_features:
        tfs = np.array([tf[t] for t in terms])
        # The same call as scikit-learn's _limit_features, so ties are broken the same way.
        keep = (-tfs[mask]).argsort()[: est.max_features]
        new_mask = np.zeros(len(terms), dtype=bool)
        new_mask[np.where(mask)[0][keep]] = True
        mask = new_mask
    kept = [t for t, m in zip(terms, mask) if m]
    if not kept:
        raise InputError(
            "cannot build the vocabulary: After pruning, no terms remain. Try a lower min_df or a higher max_df."
        )
    return {t: i for i, t in enumerate(kept)}, dfs[mask]


def fit_tfidf(est: Any, bag: Any) -> Any:
    """:meth:`TfidfFeatures.fit` on a ``dask.bag`` of str."""
    dask = require_dask()
    validate_params(est)
    est.tokenizer_ = est._part("tokenizer").fit(_leading_texts(bag))
    counts = dask.delayed(_counts, pure=True)
    leaves = [counts(part, est.tokenizer_, p) for p, part in enumerate(bag.to_delayed())]
    n_docs, df, tf = compute_leaves(leaves, _merge, desc="TF-IDF counts", verbose=bool(est.verbose))
    est.vocabulary_, dfs = _vocabulary(est, n_docs, df, tf)
    smooth = int(est.smooth_idf)
    est.idf_ = np.log((n_docs + smooth) / (dfs + smooth)).astype(np.float64) + 1.0
    return est


def partition_lengths(bag: Any) -> list[int]:
    """Items per partition (one cheap pass: the items are counted, not processed)."""
    return [int(n) for n in bag.map_partitions(lambda part: [len(list(part))]).compute()]


def _tfidf_block(texts: Any, est: Any) -> sp.csr_matrix:
    import warnings

    from ..exceptions import EmptyFeatureWarning

    with warnings.catch_warnings():
        # One warning per block would say little; texts without known terms are zero rows.
        warnings.simplefilter("ignore", EmptyFeatureWarning)
        return est.transform(list(texts))


def transform_tfidf(est: Any, bag: Any, lengths: list[int] | None = None) -> Any:
    """A dask array of CSR blocks (one per partition) of the bag's TF-IDF vectors."""
    dask = require_dask()
    import dask.array as da

    lengths = partition_lengths(bag) if lengths is None else lengths
    width = len(est.vocabulary_)
    meta = sp.csr_matrix((0, width))
    block = dask.delayed(_tfidf_block, pure=True)
    return da.concatenate(
        [
            da.from_delayed(block(part, est), shape=(n, width), dtype=np.float64, meta=meta)
            for part, n in zip(bag.to_delayed(), lengths)
            if n
        ]
    )


def _column_sums(block: sp.csr_matrix) -> np.ndarray:
    return np.vstack([np.asarray(block.sum(axis=0)).ravel(), np.asarray(block.multiply(block).sum(axis=0)).ravel()])


def fit_lsa(est: Any, bag: Any) -> Any:
    """:meth:`TfidfLSA.fit` on a ``dask.bag``: TF-IDF from counts, then randomised SVD on the workers."""
    dask = require_dask()
    import dask.array as da
    from sklearn.utils import check_random_state

    from ..text.tfidf import _component_cap

    validate_params(est)
    tfidf = est._part("tfidf")
    if not est.verbose and "verbose" in tfidf.get_params(deep=False):
        tfidf.set_params(verbose=False)
    tfidf = fit_tfidf(tfidf, bag)
    lengths = partition_lengths(bag)
    X = transform_tfidf(tfidf, bag, lengths)
    n_texts, n_terms = int(sum(lengths)), len(tfidf.vocabulary_)
    # The rule of TfidfLSA.fit: at most the rank the TF-IDF matrix can have, without a warning.
    k = min(int(est.n_components), _component_cap(n_texts, n_terms))
    seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
    # X is used by the SVD's several passes: its blocks stay in the workers' memory.
    X = X.persist() if hasattr(X, "persist") else X
    U, s, Vt = da.linalg.svd_compressed(X, k, n_power_iter=int(est.n_iter), seed=seed, compute=False)
    sums = [dask.delayed(_column_sums)(b) for b in X.to_delayed(optimize_graph=False).ravel()]
    # U (one row per text) stays on the workers: only its column moments come back.
    s, Vt, u_mean, u_square, sums = dask.compute(s, Vt, U.mean(axis=0), (U**2).mean(axis=0), sums)
    # The sign convention of scikit-learn's TruncatedSVD (svd_flip with u_based_decision=False).
    signs = np.sign(Vt[np.arange(len(Vt)), np.argmax(np.abs(Vt), axis=1)])
    signs[signs == 0] = 1.0
    Vt = Vt * signs[:, None]
    total = np.sum(sums, axis=0)
    mean = total[0] / n_texts
    full_var = float(np.sum(total[1] / n_texts - mean**2))
    explained = s**2 * (u_square - u_mean**2)
    est.tfidf_ = tfidf
    est.components_ = np.asfortranarray(Vt, dtype=est.dtype)  # as TfidfLSA.fit keeps them
    est.singular_values_ = s
    est.explained_variance_ratio_ = explained / full_var
    est.n_components_ = k
    return est


def transform_lsa(est: Any, bag: Any) -> Any:
    """LSA vectors of a ``dask.bag`` of texts: a dense dask array, computed on the workers."""
    X = transform_tfidf(est.tfidf_, bag)
    return X.map_blocks(est._project, dtype=np.float64, chunks=(X.chunks[0], (est.components_.shape[0],)),
                        meta=np.empty((0, 0)))
