"""Sufficient statistics of paired views, block by block and merged exactly (private).

Each row block yields its count, its column means and its centred sums of
products ``(V_i - m_i)' (V_j - m_j)`` for the requested pairs of views, all
in float64; two blocks' statistics merge exactly by Chan et al.'s pairwise
update (the same as :meth:`classicx.subspace.RegularizedCCA.partial_fit`), so
any tree of merges gives the statistics of the whole collection to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import NonFiniteError
from ._arrays import row_offsets
from ._compute import compute_leaves, require_dask

__all__ = ["Moments", "block_moments", "merge_moments", "view_moments"]


@dataclass
class Moments:
    """Count, column means and centred sums of products of some views."""

    n: int
    means: list[np.ndarray]
    scatter: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    # Per-column centred sums of squares (the diagonal of a view's scatter without the d x d matrix).
    squares: dict[int, np.ndarray] = field(default_factory=dict)

    def covariance(self, i: int, j: int, ddof: int = 1) -> np.ndarray:
        """The sample covariance of views ``i`` and ``j`` (divided by ``n - ddof``)."""
        S = self.scatter[(i, j)] if (i, j) in self.scatter else self.scatter[(j, i)].T
        return S / (self.n - ddof)


def block_moments(
    blocks: list[np.ndarray], pairs: list[tuple[int, int]], dtype: Any, offset: int, names: list[str],
    squares: tuple[int, ...] = (),
) -> Moments:
    """Statistics of one row block (``offset`` is its first row, for error messages).

    The arithmetic is that of ``partial_fit`` on one batch: the block is cast
    to the working ``dtype``, centred by its own mean, and its products are
    taken in ``dtype`` and accumulated in float64.
    """
    views = []
    for B, name in zip(blocks, names):
        B = np.asarray(B.toarray() if hasattr(B, "toarray") else B)
        B = B.reshape(-1, 1) if B.ndim == 1 else B
        bad = ~np.isfinite(B)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise NonFiniteError(
                f"{name} holds {B[row, col]} at row {offset + int(row)}, column {int(col)}: "
                "NaN and infinite values cannot be fitted"
            )
        views.append(B.astype(dtype, copy=False))
    n = views[0].shape[0]
    means = [V.mean(axis=0) for V in views]
    centred = [V - m for V, m in zip(views, means)]
    scatter = {(i, j): (centred[i].T @ centred[j]).astype(np.float64) for i, j in pairs}
    sums = {i: np.einsum("ij,ij->j", centred[i], centred[i]).astype(np.float64) for i in squares}
    return Moments(n, [m.astype(np.float64) for m in means], scatter, sums)


def merge_moments(parts: list[Moments]) -> Moments:
    """Merge block statistics in order (Chan, Golub and LeVeque's pairwise update)."""
    parts = [p for p in parts if p.n > 0]
    total = parts[0]
    for part in parts[1:]:
        na, nb = total.n, part.n
        n = na + nb
        deltas = [mb - ma for ma, mb in zip(total.means, part.means)]
        w = na * nb / n
        scatter = {
            key: total.scatter[key] + part.scatter[key] + w * np.outer(deltas[key[0]], deltas[key[1]])
            for key in total.scatter
        }
        squares = {i: total.squares[i] + part.squares[i] + w * deltas[i] ** 2 for i in total.squares}
        means = [ma + d * (nb / n) for ma, d in zip(total.means, deltas)]
        total = Moments(n, means, scatter, squares)
    return total


def _register_sizeof() -> None:
    # The scheduler places the merges where the statistics are; it must know their size
    # (several MB each), which dask's generic estimate of an object misses. Registered at
    # import, so that the worker processes (which import this module to run the tasks)
    # report the true size too.
    try:
        from dask.sizeof import sizeof
    except ImportError:  # without dask this module only serves the doctest collector
        return

    @sizeof.register(Moments)
    def _size(m: Moments) -> int:
        arrays = [*m.scatter.values(), *m.means, *m.squares.values()]
        return int(sum(a.nbytes for a in arrays))


_register_sizeof()


def view_moments(
    views: list, pairs: list[tuple[int, int]], dtype: Any, names: list[str], *, desc: str = "statistics", verbose: bool = True,
    squares: tuple[int, ...] = (),
) -> Moments:
    """Statistics of whole dask views (row-aligned, one column block each), computed on the workers.

    ``pairs`` name the cross-products to keep (``d_i x d_j`` each), ``squares``
    the views whose per-column sums of squares alone are kept.
    """
    dask = require_dask()
    # Unoptimised: optimising each view alone would fuse (and so duplicate) the tasks the views share.
    blocks = [V.to_delayed(optimize_graph=False).ravel() for V in views]
    offsets = row_offsets(views[0])
    leaf = dask.delayed(block_moments, pure=True)
    leaves = [leaf(list(group), pairs, dtype, offset, names, tuple(squares))
              for group, offset in zip(zip(*blocks), offsets)]
    return compute_leaves(leaves, merge_moments, desc=desc, verbose=verbose)
