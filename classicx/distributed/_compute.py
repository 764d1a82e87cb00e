"""Running Dask graphs from classicx: the active client, progress, tree reductions (private).

Dask is imported inside the functions, so that importing this module (as the
doctest collector does) needs no Dask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ..exceptions import BackendUnavailableError
from ..utils.parallel import progress

__all__ = ["active_client", "compute_leaves", "require_dask", "tree_reduce"]

logger = logging.getLogger("classicx")

_DASK_EXTRA = 'Dask collections need the dask extra: pip install "classicx[dask]"'
_shown_dashboards: set[str] = set()


def require_dask() -> Any:
    """Import and return ``dask``, or raise :class:`BackendUnavailableError` naming the extra."""
    try:
        import dask
        import dask.array
    except ImportError as exc:  # pragma: no cover - dask is installed wherever collections exist
        raise BackendUnavailableError(_DASK_EXTRA) from exc
    return dask


def active_client() -> Any:
    """The ``distributed.Client`` Dask would use now, or ``None`` (local scheduler).

    The first time a client is used its dashboard address is logged (at INFO
    level on the ``classicx`` logger), the place to watch a long fit.
    """
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        client = get_client()
    except ValueError:
        return None
    link = getattr(client, "dashboard_link", None)
    if link and link not in _shown_dashboards:
        _shown_dashboards.add(link)
        logger.info("Dask dashboard: %s", link)
    return client


def compute_leaves(leaves: Sequence[Any], merge: Callable[[list], Any], *, desc: str, verbose: bool = True) -> Any:
    """Compute delayed ``leaves`` and merge their results by a tree reduction.

    On a distributed client the leaves are submitted as futures, merged on
    the workers ``fan_in`` at a time as they finish (so only the merged
    result travels to the client), and a progress bar counts the finished
    leaves; a leaf lost with its worker is recomputed by Dask. Without a
    client the same tree runs on Dask's local scheduler.
    """
    dask = require_dask()
    client = active_client()
    if client is None:
        tree = tree_reduce(list(leaves), dask.delayed(merge, pure=True))
        from dask.diagnostics import ProgressBar

        if verbose:
            # Shown only for computations longer than a second, like classicx's own bars.
            with ProgressBar(minimum=1.0):
                return dask.compute(tree)[0]
        return dask.compute(tree)[0]
    from distributed import as_completed

    futures = client.compute(list(leaves))
    root = tree_reduce(futures, lambda parts: client.submit(merge, parts, pure=True))
    for _ in progress(as_completed(futures), total=len(futures), desc=desc, verbose=verbose):
        pass
    return root.result()


def tree_reduce(parts: list, combine: Callable[[list], Any], fan_in: int = 8) -> Any:
    """Combine ``parts`` ``fan_in`` at a time until one is left (order kept: merges need not commute)."""
    if not parts:
        raise ValueError("nothing to reduce")
    while len(parts) > 1:
        parts = [combine(parts[i : i + fan_in]) for i in range(0, len(parts), fan_in)]
    return parts[0]
