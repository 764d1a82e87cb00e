"""The private helpers of ``subspace/_linalg.py``: tests written from the survivors of the
session-3 mutation run (see tests/README.md, "Session 3")."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (loads the BLAS that threadpoolctl inspects)
from threadpoolctl import threadpool_info, threadpool_limits

from classicx.subspace._linalg import _SMALL, lapack_threads, std_from_covariance


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_lapack_threads_runs_small_problems_on_one_blas_thread():
    """Oracle: threadpoolctl's view of the loaded BLAS. Up to ``_SMALL`` rows one thread,
    above it the setting is left as it was, and it comes back afterwards."""
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before or max(before) < 2:
            pytest.skip("no multi-threaded BLAS to limit")
        with lapack_threads(_SMALL):
            assert _blas_threads() == [1] * len(before)
        assert _blas_threads() == before
        with lapack_threads(_SMALL + 1):
            assert _blas_threads() == before


def test_std_from_covariance_treats_round_off_negative_variance_as_constant():
    """A streamed covariance (sums of squares minus the squared mean) can leave a constant
    column a variance of -1e-17; documented: constant columns get 1, never NaN."""
    cov = np.array([[-1e-17, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.25]])
    np.testing.assert_array_equal(std_from_covariance(cov, True), [1.0, 2.0, 0.5])
    np.testing.assert_array_equal(std_from_covariance(cov, False), [1.0, 1.0, 1.0])
