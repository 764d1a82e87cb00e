"""Dask clusters and a small image collection for the tests of classicx.distributed (skipped without the dask extra).

Two small local clusters of two workers each, started once for this test
package and closed when it is done (``scope="package"``: their worker
processes do not stay alive through the rest of the suite): threads in this
process, and separate worker processes (which exercise pickling of the
estimators and of the statistics). Most tests use the thread cluster; the
``client`` fixture runs a test on both, for what pickling could break.
"""

from __future__ import annotations

import cv2
import numpy as np
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


@pytest.fixture(scope="package")
def thread_cluster():
    with _cluster(processes=False) as cluster:
        yield cluster


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def collection(tmp_path_factory):
    """30 synthetic image files of 3 categories with their captions, and ``pairs.csv`` listing them.

    Returns ``(root, paths, texts, labels, categories)``; the CSV has the
    columns ``image,text,label,split`` (every pair in the training split).
    Small on purpose: every fit on it encodes each image once or twice.
    """
    from classicx.datasets import load_synthetic

    root = tmp_path_factory.mktemp("collection")
    data = load_synthetic(n_train=120, n_test=1, random_state=1)
    keep = [i for i, c in enumerate(data.train.labels) if c < 3][:30]
    paths, texts, labels = [], [], []
    for i in keep:
        paths.append(str(root / f"{i}.png"))
        cv2.imwrite(paths[-1], data.train.images[i])
        texts.append(data.train.texts[i])
        labels.append(int(data.train.labels[i]))
    rows = ["image,text,label,split"] + [
        f'"{p.rsplit("/", 1)[1]}","{t}",{data.categories[c]},train' for p, t, c in zip(paths, texts, labels)
    ]
    (root / "pairs.csv").write_text("\n".join(rows), encoding="utf-8")
    return root, paths, texts, np.asarray(labels), list(data.categories[:3])
