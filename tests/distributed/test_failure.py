"""Progress and failure: a worker killed mid-fit is replaced and the fit gives the same result."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from classicx.subspace import RegularizedCCA


def _slow_views(n_blocks=8, rows=200):
    def slow(block):
        # Defined here so that the worker processes receive it by value (cloudpickle).
        import time as _time

        _time.sleep(0.3)
        return block

    rng = np.random.default_rng(5)
    z = rng.normal(size=(n_blocks * rows, 2))
    X = np.hstack([z, rng.normal(size=(len(z), 4))])
    Y = np.hstack([z + 0.3 * rng.normal(size=z.shape), rng.normal(size=(len(z), 3))])
    dX = da.from_array(X, chunks=(rows, -1)).map_blocks(slow, dtype=X.dtype)
    return X, Y, dX, da.from_array(Y, chunks=(rows, -1))


def test_a_worker_killed_mid_fit_is_retried_without_changing_the_result(process_cluster):
    cluster = process_cluster
    X, Y, dX, dY = _slow_views()
    expected = RegularizedCCA(n_components=2).fit(X, Y)
    with distributed.Client(cluster) as client:
        result = {}

        def fit():
            with distributed.Client(cluster.scheduler_address) as inner:
                inner.as_current()
                result["cca"] = RegularizedCCA(n_components=2).fit(dX, dY)

        thread = threading.Thread(target=fit)
        thread.start()
        # Kill one worker process once the fit is under way: some blocks done, most not.
        deadline = time.time() + 60
        while time.time() < deadline and not any(
            ts.state == "memory" and ts.key[0].startswith("block_moments") if isinstance(ts.key, tuple)
            else ts.state == "memory" and str(ts.key).startswith("block_moments")
            for ts in list(cluster.scheduler.tasks.values())
        ):
            time.sleep(0.05)
        victim_name, victim = next(iter(cluster.workers.items()))
        victim_address = victim.worker_address
        assert "cca" not in result  # the fit is still running
        victim.process.process.kill()
        thread.join(120)
        assert not thread.is_alive()
        # The killed worker is gone (its nanny starts a new one, with a new address).
        assert victim_address not in cluster.scheduler.workers
        fitted = result["cca"]
        np.testing.assert_allclose(fitted.canonical_correlations_, expected.canonical_correlations_, rtol=1e-10)
        np.testing.assert_allclose(fitted.x_weights_, expected.x_weights_, rtol=1e-8, atol=1e-12)
        client.wait_for_workers(2, timeout=60)


def test_the_dashboard_is_logged_and_progress_shown(thread_cluster, caplog, capsys):
    X, Y, _, dY = _slow_views(n_blocks=4, rows=100)
    with distributed.Client(thread_cluster) as client, caplog.at_level(logging.INFO, logger="classicx"):
        from classicx.distributed import _compute

        _compute._shown_dashboards.clear()
        RegularizedCCA(n_components=1).fit(da.from_array(X, chunks=(100, -1)), dY)
        assert client.dashboard_link in caplog.text
