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
