"""Dask clusters for the tests of classicx.distributed (skipped without the dask extra).

Two small local clusters of two workers each, started once per session:
threads in this process, and separate worker processes (which exercise
pickling of the estimators and of the statistics).
"""

from __future__ import annotations

import pytest

pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


def _cluster(processes: bool):
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",
        memory_limit="1GiB",
        silence_logs=40,
    )


@pytest.fixture(scope="session")
def thread_cluster():
    with _cluster(processes=False) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def process_cluster():
    with _cluster(processes=True) as cluster:
        yield cluster


@pytest.fixture(params=["threads", "processes"])
def client(request):
    """A client of the thread cluster, then of the process cluster."""
    name = "thread_cluster" if request.param == "threads" else "process_cluster"
    cluster = request.getfixturevalue(name)
    with distributed.Client(cluster, set_as_default=True) as c:
        yield c


@pytest.fixture
def thread_client(thread_cluster):
    """A client of the thread cluster only (for the variants not worth a second run in processes)."""
    with distributed.Client(thread_cluster, set_as_default=True) as c:
        yield c
