from __future__ import annotations

import threading
import time
import warnings

import numpy as np
import pytest
from joblib import parallel_config, register_parallel_backend
from joblib._parallel_backends import ThreadingBackend

from classicx.utils.parallel import cluster_backend_active, parallel_map, thread_imap


def test_parallel_map_keeps_order():
    items = list(range(20))
    assert parallel_map(np.square, items, n_jobs=2, verbose=False) == [i * i for i in items]
    assert parallel_map(np.square, items, n_jobs=1, verbose=False) == [i * i for i in items]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_thread_imap_keeps_order_and_stops_early(n_jobs):
    calls = []
    lock = threading.Lock()

    def square(i):
        with lock:
            calls.append(i)
        return i * i

    with thread_imap(square, range(1000), n_jobs=n_jobs) as results:
        first = [next(results) for _ in range(10)]
    assert first == [i * i for i in range(10)]
    # at most 2 x n_jobs items beyond the ten consumed were started
    assert 10 <= len(calls) <= 10 + 2 * n_jobs


def test_thread_imap_raises_the_items_error_in_order():
    def check(i):
        if i == 3:
            raise ValueError("item 3")
        return i

    with thread_imap(check, range(10), n_jobs=2) as results:
        assert [next(results) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(ValueError, match="item 3"):
            next(results)


class _RecordingBackend(ThreadingBackend):
    """A stand-in for a cluster backend (dask, ray): joblib threads that count the tasks they receive."""

    tasks = 0

    def submit(self, func, callback=None):
        type(self).tasks += len(func)  # func is a batch of calls
        return super().submit(func, callback=callback)


def test_thread_imap_hands_work_to_a_user_chosen_joblib_backend():
    register_parallel_backend("classicx-test-recording", _RecordingBackend)
    _RecordingBackend.tasks = 0
    assert not cluster_backend_active()
    with parallel_config(backend="classicx-test-recording", n_jobs=2):
        assert cluster_backend_active()
        with thread_imap(lambda x: x * x, range(50), n_jobs=2) as results:
            assert list(results) == [x * x for x in range(50)]
    assert _RecordingBackend.tasks == 50
    # joblib's own local backends keep classicx's in-process threads
    with parallel_config(backend="threading"):
        assert not cluster_backend_active()


def test_thread_imap_stops_a_joblib_backend_early_without_warning():
    register_parallel_backend("classicx-test-recording", _RecordingBackend)
    _RecordingBackend.tasks = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with parallel_config(backend="classicx-test-recording", n_jobs=2):
            with thread_imap(lambda x: (time.sleep(0.005), x)[1], range(1000), n_jobs=2) as results:
                assert [next(results) for _ in range(3)] == [0, 1, 2]
    assert _RecordingBackend.tasks < 100  # dispatch is bounded, the rest never started
