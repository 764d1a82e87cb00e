"""Progress bars and parallel maps shared by every classicx stage."""

from __future__ import annotations

import contextlib
import itertools
import logging
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from joblib import Parallel, delayed, effective_n_jobs
from joblib.parallel import BACKENDS, get_active_backend

__all__ = ["cluster_backend_active", "limit_threads", "progress", "parallel_map", "thread_imap"]

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

    # Imported here: tqdm.auto looks for notebook support, a cost a quiet command need not pay.
    from tqdm.auto import tqdm

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


# ----------------------------------------------------------------- thread limits
class _ThreadLimits:
    """Process-wide thread limits shared by calls that overlap in several threads.

    OpenCV's thread count and OpenBLAS's are process-wide settings. A call
    that saves the value it finds, sets 1 and restores the saved value on
    exit is wrong as soon as two such calls overlap in two threads: the
    second saves the first one's 1 and, exiting last, leaves the process at
    1 thread for good (found in issue #12 after 8 threads had searched one
    retriever). Here every library setting ("resource") keeps the list of
    the limits currently asked for: the smallest one is in effect, the value
    found before the first request is put back when the last one ends, in
    whatever order the calls end. OpenMP's limit belongs to the calling
    thread (``omp_set_num_threads``), and so does that of an OpenBLAS built on
    OpenMP: their requests are kept per thread.

    Hand-written because threadpoolctl's ``threadpool_limits`` restores what
    it found (the bug above), and since threadpoolctl 3.8 OpenBLAS limits set
    by one thread are silently ignored while another thread holds them; here
    every change is made and released under one lock.
    """

    # Modules whose import loads a BLAS or OpenMP library: the inspection of the
    # loaded libraries (milliseconds) is redone only when one of them appears.
    _LIBRARY_MODULES = ("numpy", "scipy.linalg", "scipy.sparse.linalg", "sklearn.utils._openmp_helpers",
                        "cv2", "torch", "faiss")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[str, dict] = {}
        self._local = threading.local()
        self._controller: Any = None
        self._controller_key: tuple[bool, ...] | None = None
        self._by_api: dict[str, list] = {}

    # Library access ------------------------------------------------------------
    def _libraries(self, user_api: str) -> list:
        key = tuple(name in sys.modules for name in self._LIBRARY_MODULES)
        if self._controller is None or key != self._controller_key:
            from threadpoolctl import ThreadpoolController

            controller = ThreadpoolController()
            libraries = controller.lib_controllers
            self._by_api = {
                "blas": [lib for lib in libraries if lib.user_api == "blas" and not _per_thread(lib)],
                "blas_per_thread": [lib for lib in libraries if lib.user_api == "blas" and _per_thread(lib)],
                "openmp": [lib for lib in libraries if lib.user_api == "openmp"],
            }
            self._controller, self._controller_key = controller, key
        return self._by_api[user_api]

    @staticmethod
    def _set_libraries(settings: Iterable[tuple[Any, int]]) -> None:
        released = set()
        for lib, n in settings:
            lib.set_num_threads(n)
            released.add(type(lib))
        # threadpoolctl >= 3.8 hands OpenBLAS to the first thread that sets it and
        # ignores the others: give it back, so that the next change (made from
        # whichever thread ends last) takes effect.
        for kind in released:
            release = getattr(kind, "clear_controlling_thread", None)
            if release is not None:
                release()

    def _read(self, resource: str) -> Any:
        if resource == "opencv":
            import cv2

            return cv2.getNumThreads()
        return {lib.filepath: (lib, lib.num_threads) for lib in self._libraries(resource)}

    def _write(self, resource: str, n: int, original: Any) -> None:
        if resource == "opencv":
            import cv2

            cv2.setNumThreads(n)
            return
        libraries = self._libraries(resource)
        for lib in libraries:
            # A library loaded while the limit was on is put back to its own value at the end.
            if lib.filepath not in original:
                original[lib.filepath] = (lib, lib.num_threads)
        self._set_libraries((lib, n) for lib in libraries)

    def _restore(self, resource: str, original: Any) -> None:
        if resource == "opencv":
            import cv2

            cv2.setNumThreads(original)
            return
        self._set_libraries(original.values())

    # Requests --------------------------------------------------------------------
    def _states(self, resource: str) -> dict:
        if resource in ("openmp", "blas_per_thread"):
            states = getattr(self._local, "states", None)
            if states is None:
                states = self._local.states = {}
            return states
        return self._shared

    def _enter(self, resource: str, n: int) -> None:
        states = self._states(resource)
        state = states.get(resource)
        if state is None:
            state = states[resource] = {"requests": [], "original": self._read(resource), "applied": None}
        state["requests"].append(n)
        self._apply(resource, state)

    def _exit(self, resource: str, n: int) -> None:
        states = self._states(resource)
        state = states[resource]
        state["requests"].remove(n)
        if state["requests"]:
            self._apply(resource, state)
        else:
            del states[resource]
            self._restore(resource, state["original"])

    def _apply(self, resource: str, state: dict) -> None:
        n = min(state["requests"])
        if state["applied"] != n:
            self._write(resource, n, state["original"])
            state["applied"] = n

    @contextmanager
    def __call__(self, **limits: int | None) -> Iterator[None]:
        if limits.get("blas") is not None:
            limits["blas_per_thread"] = limits["blas"]
        wanted = [(resource, max(1, int(n))) for resource, n in limits.items() if n is not None]
        entered: list[tuple[str, int]] = []
        try:
            with self._lock:
                for resource, n in wanted:
                    self._enter(resource, n)
                    entered.append((resource, n))
            yield
        finally:
            with self._lock:
                for resource, n in reversed(entered):
                    self._exit(resource, n)


def _per_thread(lib: Any) -> bool:
    """Whether a BLAS's thread limit belongs to the calling thread: OpenBLAS built on OpenMP (as faiss's)."""
    return getattr(lib, "internal_api", None) == "openblas" and getattr(lib, "threading_layer", None) == "openmp"


_THREAD_LIMITS = _ThreadLimits()


def limit_threads(
    *, blas: int | None = None, openmp: int | None = None, opencv: int | None = None
) -> contextlib.AbstractContextManager:
    """Limit BLAS, OpenMP and OpenCV threads for the duration; safe when calls overlap.

    A context manager. A library left at ``None`` is not touched. While
    several limits on the same library are active (nested, or in calls
    running at the same time in several threads), the smallest is in effect;
    when the last one ends, the library gets back the value it had before the
    first one began, whatever the order in which they end. BLAS and OpenCV
    limits are process-wide; OpenMP limits apply to the calling thread (as
    ``omp_set_num_threads`` does), and so do those of an OpenBLAS built on
    OpenMP. The loaded libraries are inspected once
    (again only after a module that brings one, such as ``cv2``, is imported),
    not on every call.

    Parameters
    ----------
    blas : int, optional
        Threads of every loaded BLAS (threadpoolctl's ``user_api="blas"``).
    openmp : int, optional
        Threads of every loaded OpenMP runtime (``user_api="openmp"``).
    opencv : int, optional
        ``cv2.setNumThreads``.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> blas = lambda: [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    >>> before = blas()
    >>> with limit_threads(blas=1):
    ...     all(n == 1 for n in blas())
    True
    >>> blas() == before
    True
    """
    return _THREAD_LIMITS(blas=blas, openmp=openmp, opencv=opencv)
