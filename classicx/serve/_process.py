"""How a ``classicx serve`` process is prepared once its model is loaded: the allocator and the collector.

Both are process-wide settings, made by the command (in each worker process)
and never by :func:`~classicx.serve.create_app`, which may run inside someone
else's program.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import sys

__all__ = ["KEEP_FREED_BYTES", "MMAP_THRESHOLD_BYTES", "prepare_process", "tune_malloc"]

logger = logging.getLogger(__name__)

#: Allocations up to this size come from the heap instead of fresh ``mmap`` pages (glibc's ceiling for it).
MMAP_THRESHOLD_BYTES = 32 * 2**20
#: Freed heap memory up to this much is kept for the next request instead of being returned to the system.
KEEP_FREED_BYTES = 128 * 2**20

# mallopt parameters of glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc() -> bool:
    """Keep a request's large temporary arrays in the heap between requests (glibc only).

    A batch of text queries scores a (queries x gallery) block: 10 MB for 25
    queries against 100,000 items. glibc serves such a block with fresh pages
    from ``mmap`` and returns them on ``free`` (or trims them off the heap), so
    every request page-faulted its working memory in again: 1,373 minor page
    faults per search and 15.3 ms of CPU for a batch of 25 queries, 9.5 ms
    with the pages kept (the same measurement with
    ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` set). The price
    is resident memory that stays at its working-set peak instead of going up
    and down with each request, which is what a server wants anyway.

    Hand-written with ctypes because Python exposes no ``mallopt``; elsewhere
    than glibc nothing is changed.

    Returns
    -------
    bool
        Whether both settings were applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # Setting the threshold by hand also turns off glibc's own adjustment of it.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_FREED_BYTES))


def prepare_process() -> None:
    """Prepare this process to serve the model it has loaded; call once, just before serving.

    * The model's gallery is hundreds of thousands of long-lived Python
      objects (ids, texts, labels); every full garbage collection walked them
      all, a pause of tens of milliseconds that stalled every request in
      flight (text p99 at 10 clients 10x its p50 in ``bench_serve``). Frozen
      here, once, they are never traversed again; requests' own garbage is
      collected as before.
    * :func:`tune_malloc`.
    """
    gc.collect()
    gc.freeze()
    if not tune_malloc():
        logger.debug("malloc settings left as they were (not glibc)")
