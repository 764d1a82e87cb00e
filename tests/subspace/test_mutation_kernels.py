"""Kernel functions: tests written from the survivors of the session-4 mutation run of
``subspace/kernels.py`` (see tests/README.md, "Session 4"). The oracles are the kernels'
formulas written per pair, ``scipy.spatial.distance.pdist`` with the documented subsample, and
the documented messages."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import pdist

from classicx.exceptions import InputError
from classicx.subspace.kernels import KERNELS, kernel_diagonal, median_heuristic_gamma, resolve_kernel_params


def _self_similarity(kernel, x, gamma, degree, coef0):
    """k(x, x) from each kernel's formula (cosine of a zero row: 0, as scikit-learn has it)."""
    if kernel == "linear":
        return float(x @ x)
    if kernel in ("rbf", "chi2"):
        return 1.0  # exp(-gamma * 0)
    if kernel == "polynomial":
        return float((gamma * x @ x + coef0) ** degree)
    if kernel == "cosine":
        return 1.0 if np.any(x) else 0.0
    return float(np.sum(x))  # additive_chi2: sum 2 x x / (x + x); hellinger: sum sqrt(x x)


@pytest.mark.parametrize("kernel", KERNELS)
def test_diagonal_of_unnormalised_histograms_float32_and_sparse(kernel):
    """Histograms that do not sum to one, with an empty row: float32 dense (computed in float64)
    and float64 sparse (what the feature maps pass after validation)."""
    rng = np.random.default_rng(0)
    H = (rng.exponential(size=(8, 5)) * rng.uniform(0.5, 40.0, size=(8, 1))).astype(np.float32)
    H[rng.random(H.shape) < 0.3] = 0.0
    H[2] = 0.0
    params = resolve_kernel_params(H, kernel, gamma=0.37, degree=2, coef0=0.5)
    expected = [_self_similarity(kernel, x, 0.37, 2, 0.5) for x in H.astype(np.float64)]
    for X in (H, sp.csr_array(H.astype(np.float64))):
        diagonal = kernel_diagonal(X, params)
        assert diagonal.dtype == np.float64
        np.testing.assert_allclose(diagonal, expected, rtol=1e-12)


def _sparse_with_negative(row):
    """A CSR histogram with an explicitly stored zero and values below 1 before ``row``, whose
    first stored entry is its only negative value."""
    dense = np.full((6, 4), 0.25)
    dense[row, 0] = -0.5
    X = sp.csr_array(dense)
    X.data[1] = 0.0  # an explicit zero in row 0
    return X


@pytest.mark.parametrize("kernel", ["chi2", "additive_chi2", "hellinger"])
@pytest.mark.parametrize("row", [0, 3, 5])
def test_negative_value_of_a_sparse_histogram_names_its_row(kernel, row):
    message = (
        f"the {kernel} kernel needs non-negative features (histograms); "
        f"X has a negative value at row {row}"
    )
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        resolve_kernel_params(_sparse_with_negative(row), kernel)
    dense = _sparse_with_negative(row).toarray()
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        resolve_kernel_params(dense, kernel)


def test_median_heuristic_row_count_and_messages():
    """Two rows are enough (the one distance is the median); one row is not, whatever its width."""
    assert median_heuristic_gamma(np.array([[0.0], [2.0]])) == pytest.approx(1 / 8)
    message = "cannot choose a kernel bandwidth from n_samples = 1: the median heuristic needs two rows"
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        median_heuristic_gamma(np.ones((1, 5)))


def test_median_heuristic_subsample_is_the_documented_one():
    """Above 1,000 rows: 1,000 distinct rows drawn by ``RandomState(random_state)`` (default 0)
    without replacement. Oracle: scipy's ``pdist`` on that sample."""
    X = np.random.default_rng(0).normal(size=(1300, 3))
    for seed in (0, 4):
        rows = np.sort(np.random.RandomState(seed).choice(1300, 1000, replace=False))
        expected = 1.0 / (2.0 * np.median(pdist(X[rows], "sqeuclidean")))
        assert median_heuristic_gamma(X, random_state=seed) == pytest.approx(expected, rel=1e-12)
        if seed == 0:
            assert median_heuristic_gamma(X) == pytest.approx(expected, rel=1e-12)
