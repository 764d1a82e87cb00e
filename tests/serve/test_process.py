"""The process settings of ``classicx serve``: the allocator and the collector."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from .conftest import ROOT


def _in_a_fresh_interpreter(code: str) -> str:
    # Process-wide settings: made in a child, never in the test process.
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env,
                          timeout=120).stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_keeps_large_blocks_in_the_heap():
    # A batch of 25 queries against 100,000 gallery vectors (the benchmark's shapes): with glibc's
    # defaults its working memory came as fresh pages on every search (page faults), with the
    # service's settings it stays in the heap.
    code = """
import resource
import numpy as np
from classicx.search import ExactSearcher
from classicx.serve._process import tune_malloc
rng = np.random.default_rng(0)
searcher = ExactSearcher(metric="inner_product").fit(rng.normal(size=(100_000, 8)))
queries = rng.normal(size=(25, 8))
def faults():
    searcher.search(queries, k=10)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        searcher.search(queries, k=10)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
untuned = faults()
print(tune_malloc(), untuned, faults())
"""
    applied, untuned, tuned = _in_a_fresh_interpreter(code).split()
    assert applied == "True"
    assert int(untuned) > 10 * 500, untuned
    assert int(tuned) < int(untuned) / 20, (untuned, tuned)


def test_prepare_process_freezes_what_is_loaded():
    code = """
import gc
from classicx.serve._process import prepare_process
kept = [str(i) * 3 for i in range(1000)]
before = gc.get_freeze_count()
prepare_process()
print(before, gc.get_freeze_count() > len(kept))
"""
    assert _in_a_fresh_interpreter(code).split() == ["0", "True"]
