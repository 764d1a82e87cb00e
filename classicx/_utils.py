"""Small helpers shared across classicx: input checks, progress bars, parallel maps."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from .exceptions import EmptyInputError, NonFiniteError, ShapeMismatchError

__all__ = ["check_paired", "check_finite", "progress", "parallel_map"]

logger = logging.getLogger("classicx")
_T = TypeVar("_T")
_R = TypeVar("_R")


def check_paired(n_first: int, n_second: int, first: str = "images", second: str = "texts") -> None:
    """Raise if two aligned collections differ in length or are empty."""
    if n_first != n_second:
        raise ShapeMismatchError(
            f"{first} and {second} must be paired row by row: got {n_first} {first} "
            f"and {n_second} {second}"
        )
    if n_first == 0:
        raise EmptyInputError(f"no {first} or {second} given: at least one pair is needed")


def check_finite(X: np.ndarray, name: str = "X") -> None:
    """Raise :class:`NonFiniteError` naming the first row that holds NaN or inf."""
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return
    finite = np.isfinite(X)
    if not finite.all():
        rows = np.flatnonzero(~finite.reshape(len(X), -1).all(axis=1)) if X.ndim > 1 else np.flatnonzero(~finite)
        raise NonFiniteError(
            f"{name} holds NaN or infinity in {len(rows)} row(s); first at row {int(rows[0])}"
        )


_PROGRESS_DELAY = 1.0


def progress(iterable: Iterable[_T], *, total: int | None = None, desc: str = "", verbose: bool | int = True) -> Iterable[_T]:
    """Wrap ``iterable`` in a tqdm progress bar unless ``verbose`` is false.

    The bar appears only once the loop has run for a second, so quick steps
    (a single query, a small batch) print nothing.
    """
    if not verbose:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, delay=_PROGRESS_DELAY)


def parallel_map(
    func: Callable[..., _R],
    items: Sequence[Any],
    *,
    n_jobs: int | None = None,
    desc: str = "",
    verbose: bool | int = True,
    batch_size: int | str = "auto",
    prefer: str | None = None,
) -> list[_R]:
    """Apply ``func`` to each item, in order, with joblib and a progress bar.

    ``n_jobs=None`` or ``1`` runs in this process; other values follow joblib
    (``-1`` = all cores). Results come back in the order of ``items``.
    ``prefer="threads"`` runs ``func`` in threads of this process (for work
    that releases the GIL, such as OpenCV calls) instead of worker processes.
    """
    if n_jobs in (None, 1) or len(items) < 2:
        return [func(item) for item in progress(items, total=len(items), desc=desc, verbose=verbose)]
    parallel = Parallel(n_jobs=n_jobs, batch_size=batch_size, return_as="generator", prefer=prefer)
    results = parallel(delayed(func)(item) for item in items)
    return list(progress(results, total=len(items), desc=desc, verbose=verbose))
