"""Running top-k selection over score blocks, with ties broken by the smaller index.

numpy has no "top-k of a stream of blocks" and ``np.argpartition`` breaks ties
arbitrarily, so the selection is written here on top of numpy primitives.
The gallery is visited in increasing index order, which keeps the tie rule
cheap: an item of a later block that only *equals* the current k-th best score
has a larger index than everything already kept, so it can never enter, and
the scan needs a strict ``>`` against the running threshold.
"""

from __future__ import annotations

import numpy as np

# Index of an empty slot; sorts after every real index when scores tie at -inf.
EMPTY = np.iinfo(np.int64).max


class RunningTopK:
    """The best ``k`` (score, index) pairs seen so far for each of ``n_rows`` queries."""

    def __init__(self, n_rows: int, k: int, dtype: np.dtype) -> None:
        self.k = k
        self.scores = np.full((n_rows, k), -np.inf, dtype=dtype)
        self.indices = np.full((n_rows, k), EMPTY, dtype=np.int64)

    def push(self, block: np.ndarray, offset: int) -> None:
        """Offer ``block`` (n_rows, c) whose column j is gallery item ``offset + j``."""
        k, c = self.k, block.shape[1]
        threshold = self.scores[:, -1]
        if np.isneginf(threshold).any() and k < c:
            # Not yet k items kept: restrict candidates to the block's own top k
            # (ties included), so the first block does not flood the merge.
            kth = np.partition(block, c - k, axis=1)[:, c - k]
            rows = np.flatnonzero(np.isneginf(threshold))
            cand = block > threshold[:, None]
            cand[rows] &= block[rows] >= kth[rows, None]
        else:
            # Most rows gain nothing from a block once the scan is under way; a
            # max() pass finds the few that do before any mask is built.
            active = np.flatnonzero(block.max(axis=1) > threshold)
            if len(active) == 0:
                return
            if 2 * len(active) > len(block):
                active = np.arange(len(block))  # cheaper than copying most rows out
                sub = block
            else:
                sub = block[active]
            # 1-D flatnonzero is several times faster than 2-D nonzero.
            r, cols = np.divmod(np.flatnonzero(sub > threshold[active, None]), c)
            self._merge(active[r], cols, sub[r, cols], offset)
            return
        r, cols = np.divmod(np.flatnonzero(cand), c)
        if len(r):
            self._merge(r, cols, block[r, cols], offset)

    def _merge(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, offset: int) -> None:
        # rows come sorted (np.nonzero is row-major); pad each row's candidates
        # into a dense matrix, append the kept items and sort every row at once.
        uniq, starts, counts = np.unique(rows, return_index=True, return_counts=True)
        width = int(counts.max())
        slot = np.arange(len(rows)) - np.repeat(starts, counts)
        line = np.repeat(np.arange(len(uniq)), counts)
        cand_s = np.full((len(uniq), width), -np.inf, dtype=self.scores.dtype)
        cand_i = np.full((len(uniq), width), EMPTY, dtype=np.int64)
        cand_s[line, slot] = vals
        cand_i[line, slot] = cols + offset
        all_s = np.concatenate([self.scores[uniq], cand_s], axis=1)
        all_i = np.concatenate([self.indices[uniq], cand_i], axis=1)
        order = np.lexsort((all_i, -all_s), axis=1)[:, : self.k]
        self.scores[uniq] = np.take_along_axis(all_s, order, axis=1)
        self.indices[uniq] = np.take_along_axis(all_i, order, axis=1)


def sort_rows(scores: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row by score descending, then index ascending."""
    order = np.lexsort((indices, -scores), axis=1)
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(indices, order, axis=1)


# Rows at least this long get their selection threshold from block maxima (see _threshold).
_BLOCK_MAXIMA_MIN = 8192


def _threshold(keys: np.ndarray, k: int) -> np.ndarray:
    """Per row, a key at most the row's k-th largest: every key of the top k is at or above it.

    Short rows: the k-th largest itself (a partial selection). Long rows (a
    100,000-item gallery): the k-th largest of the maxima of at least ``8 k``
    blocks of the row. At least k keys (one per such block) reach it, so it is
    a lower bound of the k-th largest key, and few keys beyond the top k reach
    it. Reducing to block maxima reads each key once, several times faster than
    the partial selection of the whole row (numpy has no top-k of its own).
    """
    n = keys.shape[1]
    if n < _BLOCK_MAXIMA_MIN:
        return np.partition(keys, n - k, axis=1)[:, n - k]
    block = max(1, n // (8 * k))
    maxima = np.maximum.reduceat(keys, np.arange(0, n, block), axis=1)
    m = maxima.shape[1]
    return np.partition(maxima, m - k, axis=1)[:, m - k]


def top_k(keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest keys of each row and their columns, best first, ties by the smaller column.

    A threshold at most each row's k-th largest key (:func:`_threshold`) is
    found in O(n); only the keys at or above it (k of them, a few more where
    keys tie or the threshold is a bound) are then sorted, so a row of n keys
    costs O(n) rather than the O(n log n) of sorting it whole.
    ``np.argpartition`` alone would break ties arbitrarily.
    """
    n_rows, n = keys.shape
    if 4 * k > n:
        # Most of the row is wanted: sorting it whole is as cheap.
        order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(keys, order, axis=1), order
    kth = _threshold(keys, k)
    if n_rows == 1:
        # One query (the interactive case): the same selection on the row itself, without the
        # bookkeeping that splits candidates between rows (half the numpy calls, issue #15).
        row = keys[0]
        cols = np.flatnonzero(row >= kth[0])
        vals = row[cols]
        take = np.lexsort((cols, -vals))[:k]
        return vals[take][None, :], cols[take][None, :]
    # Row-major positions of the candidates (every row has at least k).
    rows, cols = np.divmod(np.flatnonzero(keys >= kth[:, None]), n)
    vals = keys[rows, cols]
    order = np.lexsort((cols, -vals, rows))
    first = np.searchsorted(rows[order], np.arange(n_rows))
    take = order[(first[:, None] + np.arange(k)).ravel()]
    return vals[take].reshape(n_rows, k), cols[take].reshape(n_rows, k)
