"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT_WEBNEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "webnews"


@pytest.fixture(scope="session")
def webnews_dir() -> Path:
    """The real webnews dataset (../shared/data/webnews); skips the test when it is absent."""
    path = Path(os.environ.get("CLASSICX_WEBNEWS", _DEFAULT_WEBNEWS))
    if not (path / "trainset_txt_img_cat.list").is_file():
        pytest.skip(f"real data not found at {path}")
    return path


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
