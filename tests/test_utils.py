from __future__ import annotations

import numpy as np
import pytest

import threading

from classicx._utils import check_finite, check_paired, thread_imap, parallel_map
from classicx.exceptions import EmptyInputError, NonFiniteError, ShapeMismatchError


def test_check_paired():
    check_paired(3, 3)
    with pytest.raises(ShapeMismatchError, match="got 3 images and 2 texts"):
        check_paired(3, 2)
    with pytest.raises(EmptyInputError):
        check_paired(0, 0)


def test_check_finite_names_first_bad_row():
    X = np.zeros((5, 3))
    check_finite(X)
    X[3, 1] = np.nan
    X[4, 0] = np.inf
    with pytest.raises(NonFiniteError, match="2 row.*first at row 3"):
        check_finite(X, "X")


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
