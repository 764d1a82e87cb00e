"""Progress bars and parallel maps shared by every classicx stage."""

from __future__ import annotations

import itertools
import logging
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from joblib import Parallel, delayed, effective_n_jobs
from joblib.parallel import BACKENDS, get_active_backend
from tqdm.auto import tqdm

__all__ = ["cluster_backend_active", "progress", "parallel_map", "thread_imap"]

logger = logging.getLogger("classicx")
_T = TypeVar("_T")
_R = TypeVar("_R")


_PROGRESS_DELAY = 1.0


def progress(iterable: Iterable[_T], *, total: int | None = None, desc: str = "", verbose: bool | int = True) -> Iterable[_T]:
    """Wrap ``iterable`` in a tqdm progress bar unless ``verbose`` is false.

    The bar appears only once the loop has run for a second, so quick steps
    (a single query, a small batch) print nothing. When standard error is not
    a terminal (a log file, a pipe) and not a notebook, there is no bar:
    a step that took a second or more writes one line when it ends
    (``"<desc>: 600/600 in 3.2 s"``) instead of thousands of carriage-return updates.
    """
    if not verbose:
        return iterable
    import sys
    import time

    notebook = any(cls.__module__ == "tqdm.notebook" for cls in type.mro(tqdm))
    if notebook or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, delay=_PROGRESS_DELAY)

    def one_line_per_step() -> Iterator[_T]:
        start, done = time.perf_counter(), 0
        try:
            for item in iterable:
                yield item
                done += 1
        finally:  # also when the consumer stops early (sampling) or fails
            elapsed = time.perf_counter() - start
            if elapsed >= _PROGRESS_DELAY:
                of = f"/{total}" if total is not None else ""
                print(f"{desc or 'progress'}: {done}{of} in {elapsed:.1f} s", file=sys.stderr, flush=True)

    return one_line_per_step()


def parallel_map(
    func: Callable[..., _R],
    items: Sequence[Any],
    *,
    n_jobs: int | None = None,
    desc: str = "",
    verbose: bool | int = True,
    batch_size: int | str = "auto",
) -> list[_R]:
    """Apply ``func`` to each item, in order, with joblib and a progress bar.

    ``n_jobs=None`` or ``1`` runs in this process; other values follow joblib
    (``-1`` = all cores). Results come back in the order of ``items``.
    """
    if n_jobs in (None, 1) or len(items) < 2:
        return [func(item) for item in progress(items, total=len(items), desc=desc, verbose=verbose)]
    parallel = Parallel(n_jobs=n_jobs, batch_size=batch_size, return_as="generator")
    results = parallel(delayed(func)(item) for item in items)
    return list(progress(results, total=len(items), desc=desc, verbose=verbose))


_LOCAL_BACKENDS = ("loky", "multiprocessing", "threading", "sequential")


def cluster_backend_active() -> bool:
    """Whether the active joblib backend is one that is not joblib's own local ones (dask, ray, ...)."""
    backend, _ = get_active_backend()
    return type(backend) not in {BACKENDS.get(name) for name in _LOCAL_BACKENDS}


@contextmanager
def thread_imap(
    func: Callable[[Any], _R], items: Iterable[Any], *, n_jobs: int | None = None
) -> Iterator[Iterator[_R]]:
    """Lazily apply ``func`` to each item, in order, in ``n_jobs`` threads.

    A context manager yielding an iterator of results in the order of
    ``items`` (an exception of ``func`` is raised when its result is
    reached). At most ``2 * n_jobs`` items are submitted ahead of the
    consumer, so the caller may stop early; what was submitted but not
    consumed is cancelled on exit. ``n_jobs=None`` or ``1`` computes each
    item when it is asked for. For work that releases the GIL (OpenCV,
    BLAS, file reads). When the user has chosen a joblib backend other than
    joblib's local ones (for example ``joblib.parallel_config(backend="dask")``
    with a ``dask.distributed.Client``), the items go through ``joblib.Parallel``
    on that backend instead, so the cluster receives the work.

    Hand-written because joblib's generator output keeps dispatching as
    tasks finish, not as results are consumed, so stopping early wastes
    work and warns; ``concurrent.futures`` ``map`` submits every item at once.

    Examples
    --------
    >>> with thread_imap(abs, [-3, 2, -1], n_jobs=2) as results:
    ...     next(results)
    3
    """
    if cluster_backend_active():
        # The user sent joblib's work elsewhere (``joblib.parallel_config(backend="dask")``):
        # local threads would bypass that choice, so joblib dispatches; closing its
        # generator cancels what was not consumed.
        generator = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(func)(item) for item in items)
        try:
            yield generator
        finally:
            # Stopping early is intended here (sampling), not a user mistake to warn about.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=r".*tasks .* not used", category=UserWarning)
                generator.close()
        return
    n_threads = effective_n_jobs(n_jobs)
    if n_threads == 1:
        yield map(func, items)
        return
    source = iter(items)
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=n_threads) as pool:

        def results() -> Iterator[_R]:
            for item in itertools.islice(source, 2 * n_threads):
                pending.append(pool.submit(func, item))
            while pending:
                future = pending.popleft()
                for item in itertools.islice(source, 1):
                    pending.append(pool.submit(func, item))
                yield future.result()

        try:
            yield results()
        finally:
            for future in pending:
                future.cancel()
