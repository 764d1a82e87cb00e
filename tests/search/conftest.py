"""Fixtures for the search tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_faiss():
    # faiss's OpenMP threads spin-wait; on a shared, loaded CI machine that turns
    # millisecond-sized test indexes into minute-long waits.
    try:
        import faiss
    except ImportError:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)
