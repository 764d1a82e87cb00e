"""Checking Dask inputs and lining up their row blocks (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError, InputTypeError, ShapeMismatchError
from ._compute import require_dask

__all__ = ["as_row_blocked", "check_dask_views", "row_offsets"]


def as_dask_array(V: Any, name: str, like: Any = None) -> Any:
    """``V`` as a 2-D-able ``dask.array`` with known chunk sizes.

    A dask dataframe becomes its values; a numpy array (the partner of a dask
    view, or labels) is wrapped with the row chunks of ``like``.
    """
    require_dask()
    import dask.array as da
    from dask import is_dask_collection

    if is_dask_collection(V) and not isinstance(V, da.Array):
        if hasattr(V, "to_dask_array"):
            V = V.to_dask_array(lengths=True)
        else:
            raise InputTypeError(
                f"{name} is a {type(V).__name__}; a dask.array (or dask dataframe) is needed here"
            )
    if not isinstance(V, da.Array):
        V = np.asarray(V)
        V = da.from_array(V, chunks=(like.chunks[0],) + V.shape[1:] if like is not None else "auto")
    if any(np.isnan(c) for c in V.shape):
        V = V.compute_chunk_sizes()
    return V


def check_dask_views(views: list, names: list[str], estimator: Any, min_samples: int = 2) -> list:
    """Check dask views (2-D after a 1-D view becomes one column, real numbers, same rows).

    Returns the views re-chunked so that every view has the row blocks of
    the first and one block of columns: each task then holds one row block
    of every view, which is all a sufficient-statistics update needs.
    """
    first = next((v for v in views if is_dask_array(v)), None)
    views = [as_dask_array(V, n, like=first) for V, n in zip(views, names)]
    out = []
    for V, name in zip(views, names):
        if V.ndim == 1:
            V = V.reshape(-1, 1)
        if V.ndim != 2:
            raise InputError(f"{name} must be 2-D (n_samples, n_features); got a {V.ndim}-D dask array")
        if V.dtype.kind not in "biuf":
            raise InputTypeError(f"{name} must hold real numbers; got dtype {V.dtype}")
        if V.shape[1] < 1:
            raise InputError(f"{name} has 0 features; at least one is needed")
        out.append(V)
    n = out[0].shape[0]
    for V, name in zip(out[1:], names[1:]):
        if V.shape[0] != n:
            raise ShapeMismatchError(f"{names[0]} has {n} rows but {name} has {V.shape[0]}: views are paired row by row")
    if n < min_samples:
        raise InputError(
            f"{type(estimator).__name__}: at least {min_samples} paired rows are needed; got n_samples = {n}"
        )
    rows = out[0].chunks[0]
    return [V.rechunk({0: rows, 1: -1}) for V in out]


def is_dask_array(V: Any) -> bool:
    from dask import is_dask_collection

    return is_dask_collection(V)


def row_offsets(V: Any) -> list[int]:
    """Index of the first row of each row block."""
    return [int(x) for x in np.cumsum((0,) + V.chunks[0][:-1])]


def as_row_blocked(V: Any) -> Any:
    """``V`` with one block of columns (row blocks unchanged)."""
    return V.rechunk({1: -1}) if V.ndim == 2 else V
