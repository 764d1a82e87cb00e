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
    # A request's working memory: two 10 MB temporaries alive at once (a batch of 25 queries'
    # scores against 100,000 items, and one array derived from them). With glibc's defaults the
    # freed top of the heap is trimmed and every request page-faults its memory in again; with the
    # service's settings it stays in the heap. (Measured on such a block pattern rather than on a
    # search, whose own temporaries depend on the code and the numpy version: session 6's single
    # product per scan left glibc's adaptive threshold enough to keep a search's one block.)
    code = """
import resource
import numpy as np
from classicx.search import ExactSearcher
from classicx.serve._process import tune_malloc
def faults(work):
    work()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        work()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
def request():
    scores = np.ones(2_621_440, np.float32)
    derived = scores * 2
    del scores, derived
rng = np.random.default_rng(0)
searcher = ExactSearcher(metric="inner_product").fit(rng.normal(size=(100_000, 8)))
queries = rng.normal(size=(25, 8))
untuned = faults(request)
print(tune_malloc(), untuned, faults(request), faults(lambda: searcher.search(queries, k=10)))
"""
    applied, untuned, tuned, search = _in_a_fresh_interpreter(code).split()
    assert applied == "True"
    assert int(untuned) > 10 * 500, untuned  # about 1,000 pages per request come back fresh (measured)
    assert int(tuned) < int(untuned) / 20, (untuned, tuned)
    assert int(search) < 10 * 50, search  # a search's working memory stays in the heap too


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
