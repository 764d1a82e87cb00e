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
from classicx.subspace.kernels import (
    KERNELS,
    kernel_diagonal,
    median_heuristic_gamma,
    pairwise_kernel,
    resolve_kernel_params,
)


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


# --- Session 5: the functions not run in session 4 (pairwise_kernel, resolve_kernel_params, the
# rest of median_heuristic_gamma, _check_kernel_name). Oracles: scipy's pdist, the kernels'
# formulas, and the documented defaults and messages.


def _hist(n=12, d=5, seed=0):
    H = np.random.default_rng(seed).exponential(size=(n, d))
    H[np.random.default_rng(seed + 1).random(H.shape) < 0.3] = 0.0
    return H


def _rbf_gamma(X):
    """1 / (2 median ||x_i - x_j||^2) over the pairs of distinct rows (scipy's pdist)."""
    d2 = pdist(X, "sqeuclidean")
    return 1.0 / (2.0 * np.median(d2[d2 > 0]))


def _chi2_gamma(H):
    """1 / median chi2(x_i, x_j), the chi-square distance written per pair (0/0 terms are 0)."""
    def chi2(x, z):
        both = x + z
        ok = both > 0
        return np.sum((x[ok] - z[ok]) ** 2 / both[ok])

    d = np.array([chi2(H[i], H[j]) for i in range(len(H)) for j in range(i + 1, len(H))])
    return 1.0 / np.median(d[d > 0])


def test_kernel_name_message_lists_every_kernel():
    for bad in ("sigmoid", 3, None):
        message = (
            "kernel must be one of linear, rbf, polynomial, cosine, chi2, additive_chi2, hellinger; "
            f"got {bad!r}"
        )
        with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
            resolve_kernel_params(_hist(), bad)


def test_resolved_parameters_of_every_kernel_with_the_defaults():
    """Documented defaults: ``gamma`` from the median heuristic for rbf and chi2, ``1 /
    n_features`` for polynomial, ``None`` where the kernel has no bandwidth; ``degree=3``,
    ``coef0=1.0``; plain Python values."""
    H = _hist()
    gammas = {"rbf": _rbf_gamma(H), "chi2": _chi2_gamma(H), "polynomial": 1.0 / 5}
    for kernel in KERNELS:
        params = resolve_kernel_params(H, kernel)
        assert params.keys() == {"kernel", "gamma", "degree", "coef0"}
        assert (params["kernel"], params["degree"], params["coef0"]) == (kernel, 3, 1.0)
        assert type(params["degree"]) is int and type(params["coef0"]) is float
        if kernel in gammas:
            assert type(params["gamma"]) is float
            assert params["gamma"] == pytest.approx(gammas[kernel], rel=1e-12)
        else:
            assert params["gamma"] is None, kernel
    given = resolve_kernel_params(H, "polynomial", gamma=np.float32(0.5), degree=2.0, coef0=np.int64(2))
    assert given == {"kernel": "polynomial", "gamma": 0.5, "degree": 2, "coef0": 2.0}
    assert type(given["gamma"]) is float and type(given["degree"]) is int


def test_default_bandwidth_subsample_follows_random_state():
    """Above 1,000 rows the median heuristic's sample is seeded by ``random_state`` (default 0)."""
    X = np.random.default_rng(0).normal(size=(1300, 3))

    def oracle(seed):
        rows = np.sort(np.random.RandomState(seed).choice(1300, 1000, replace=False))
        return _rbf_gamma(X[rows])

    assert resolve_kernel_params(X, "rbf")["gamma"] == pytest.approx(oracle(0), rel=1e-12)
    assert resolve_kernel_params(X, "rbf", random_state=4)["gamma"] == pytest.approx(oracle(4), rel=1e-12)
    assert oracle(0) != pytest.approx(oracle(4), rel=1e-6)


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, np.inf, np.nan, [0.5]])
def test_gamma_must_be_a_positive_finite_number(bad):
    message = f"gamma must be a positive number or None; got {bad!r}"
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        resolve_kernel_params(_hist(), "rbf", gamma=bad)


def test_gamma_just_above_zero_is_accepted():
    assert resolve_kernel_params(_hist(), "rbf", gamma=1e-300)["gamma"] == 1e-300


def test_degree_is_checked_for_the_polynomial_kernel_only():
    """A positive integer (1 included, whole floats accepted) for ``polynomial``; the other kernels
    ignore ``degree``, so it is not checked there."""
    H = _hist()
    assert resolve_kernel_params(H, "polynomial", degree=1)["degree"] == 1
    assert resolve_kernel_params(H, "polynomial", degree=4.0)["degree"] == 4
    for bad in (0, -2, 2.5, 0.5):
        message = f"degree must be a positive integer; got {bad!r}"
        with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
            resolve_kernel_params(H, "polynomial", degree=bad)
    assert resolve_kernel_params(H, "rbf", gamma=1.0, degree=2.5)["kernel"] == "rbf"


def test_median_heuristic_is_defined_for_rbf_and_chi2_only():
    for kernel in ("linear", "polynomial", "hellinger"):
        message = f"the median heuristic is defined for 'rbf' and 'chi2'; got {kernel!r}"
        with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
            median_heuristic_gamma(_hist(), kernel)
    message = "cannot choose a kernel bandwidth: all rows of the view are identical"
    for kernel in ("rbf", "chi2"):
        with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
            median_heuristic_gamma(np.full((4, 3), 0.5), kernel)


def test_median_heuristic_at_small_scales_with_duplicate_rows():
    """Squared distances all below 1, and repeated rows (a zero distance is not a bandwidth: only
    distinct pairs count). Values on a grid of powers of two, so every distance is exact."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 5, size=(40, 3)) * 0.125
    X = np.vstack([X, X[:15]])
    d2 = pdist(X, "sqeuclidean")
    assert d2.max() < 1 and np.sum(d2 == 0) >= 15
    assert median_heuristic_gamma(X) == pytest.approx(_rbf_gamma(X), rel=1e-12)
    assert median_heuristic_gamma(X, "chi2") == pytest.approx(_chi2_gamma(X), rel=1e-12)
    assert median_heuristic_gamma(sp.csr_array(X), "chi2") == pytest.approx(_chi2_gamma(X), rel=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_pairwise_kernel_is_float64_for_float32_input(kernel):
    """Documented: a dense float64 matrix, whatever the input type (scikit-learn keeps float32)."""
    H = _hist().astype(np.float32)
    params = resolve_kernel_params(H, kernel, gamma=0.5, degree=2, coef0=0.5)
    for A in (H, sp.csr_array(H)):
        K = pairwise_kernel(A, H[:3], params)
        assert isinstance(K, np.ndarray) and K.dtype == np.float64 and K.shape == (12, 3)
        expected = pairwise_kernel(H.astype(np.float64), H[:3].astype(np.float64), params)
        np.testing.assert_allclose(K, expected, rtol=1e-5, atol=1e-6)


def test_pairwise_kernel_refuses_unknown_kernels():
    with pytest.raises(InputError, match="^" + re.escape("unknown kernel 'sigmoid'") + "$"):
        pairwise_kernel(_hist(), _hist(), {"kernel": "sigmoid"})
