"""Opening a Dask client from a short address (``classicx fit --scheduler``)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from ..exceptions import ParameterError
from ._compute import require_dask

__all__ = ["client_from_spec", "fit_on_cluster"]

_LOCAL = re.compile(r"local:(\d+)")


@contextlib.contextmanager
def client_from_spec(spec: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec``, closed (with its local cluster) on exit.

    Parameters
    ----------
    spec : str
        ``"tcp://HOST:PORT"`` (or any address ``distributed.Client`` takes:
        ``tls://``, ``ucx://``, ``inproc://``) for a running scheduler, or
        ``"local:N"`` for a local cluster of ``N`` worker processes with one
        thread each.

    Yields
    ------
    distributed.Client
        Set as the default client while the block runs; its dashboard
        address is logged.

    Examples
    --------
    >>> from classicx.distributed import client_from_spec
    >>> with client_from_spec("local:1") as client:  # doctest: +SKIP
    ...     len(client.scheduler_info()["workers"])
    1
    """
    match = _LOCAL.fullmatch(spec.strip()) if isinstance(spec, str) else None
    if not isinstance(spec, str) or (match is None and "://" not in spec):
        raise ParameterError(
            f"scheduler must be 'tcp://HOST:PORT' (a running Dask scheduler) or 'local:N' "
            f"(a local cluster of N worker processes); got {spec!r}"
        )
    require_dask()
    from distributed import Client, LocalCluster

    from ._compute import active_client

    if match is not None:
        n = int(match.group(1))
        if n < 1:
            raise ParameterError(f"local:N needs at least one worker; got {spec!r}")
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
            active_client()  # logs the dashboard
            yield client
        return
    with Client(spec) as client:
        active_client()
        yield client


def fit_on_cluster(model: Any, split: Any, spec: str, out: Any = None, categories: Any = None) -> Any:
    """Fit ``model`` (a :class:`~classicx.CrossModalRetriever`) on ``split`` through the cluster ``spec``.

    The split's images and texts become bags (:meth:`classicx.datasets.Split.to_bag`),
    so the workers read the files; what ``classicx fit --scheduler`` runs.
    ``categories`` are the dataset's category names (``Dataset.categories``).
    """
    with client_from_spec(spec) as client:
        if out is not None:
            print(f"Dask cluster {spec}: {len(client.scheduler_info()['workers'])} workers, "
                  f"dashboard {client.dashboard_link}", file=out)
        images, texts = split.to_bag()
        return model.fit(images, texts, labels=split.labels, ids=split.ids, descriptions=split.descriptions,
                         categories=categories)
