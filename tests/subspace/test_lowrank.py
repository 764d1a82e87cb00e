"""Low-rank kernel feature maps: exactness, convergence with rank, streamed moments, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.kernel_approximation import AdditiveChi2Sampler

from classicx.exceptions import InputError, NotFittedError, ShapeMismatchError
from classicx.subspace import KernelFeatureMap
from classicx.subspace._lowrank import feature_moments
from classicx.subspace.kernels import pairwise_kernel


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(150, 4))


@pytest.fixture
def hist():
    rng = np.random.default_rng(1)
    H = rng.exponential(size=(120, 6))
    return H / H.sum(axis=1, keepdims=True)


def _kernel_error(fmap, X):
    F = fmap.transform(X)
    K = pairwise_kernel(X, X, fmap.kernel_params_)
    return np.abs(F @ F.T - K).max()


@pytest.mark.parametrize("kernel", ["rbf", "chi2", "hellinger", "polynomial", "cosine"])
def test_exact_map_reproduces_the_centred_kernel_matrix(kernel, hist):
    fmap = KernelFeatureMap(kernel, method="exact")
    F_train, eigenvalues, mean = fmap.fit_exact(hist)
    F = fmap.transform(hist)
    np.testing.assert_allclose(F.mean(axis=0), mean, atol=1e-10)
    # directions of tiny eigenvalue are ill-conditioned one by one; the kernel they form is not
    np.testing.assert_allclose((F - mean) @ (F - mean).T, F_train @ F_train.T, atol=1e-7)
    n = len(hist)
    H = np.eye(n) - 1.0 / n
    Kc = H @ pairwise_kernel(hist, hist, fmap.kernel_params_) @ H
    np.testing.assert_allclose(F_train @ F_train.T, Kc, atol=1e-8)
    np.testing.assert_allclose(
        eigenvalues, np.sort(np.linalg.eigvalsh(Kc))[::-1][: len(eigenvalues)], atol=1e-8
    )


def test_nystrom_with_every_row_as_landmark_reproduces_the_kernel(hist):
    fmap = KernelFeatureMap("chi2", method="nystrom", n_components=len(hist)).fit(hist)
    assert _kernel_error(fmap, hist) < 1e-7


@pytest.mark.parametrize("method", ["nystrom", "icd"])
def test_landmark_maps_converge_to_the_kernel_as_rank_grows(method, data):
    errors = [
        _kernel_error(KernelFeatureMap("rbf", method=method, n_components=m, random_state=0).fit(data), data)
        for m in (5, 20, 60, 150)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[-1] < 1e-6  # full rank: exact


def test_icd_reproduces_kernel_on_pivots_and_stops_at_numerical_rank(data):
    fmap = KernelFeatureMap("linear", method="icd", n_components=50).fit(data)
    assert fmap.n_components_ == 4  # the linear kernel of 4 columns has rank 4
    assert _kernel_error(fmap, data) < 1e-8
    fmap = KernelFeatureMap("rbf", method="icd", n_components=10, random_state=0).fit(data)
    F_landmarks = fmap.transform(fmap.landmarks_)
    K_landmarks = pairwise_kernel(fmap.landmarks_, fmap.landmarks_, fmap.kernel_params_)
    np.testing.assert_allclose(F_landmarks @ F_landmarks.T, K_landmarks, atol=1e-8)


def test_icd_beats_random_nystrom_at_equal_rank(data):
    # greedy pivots pick the rows that explain most of the residual kernel
    icd = _kernel_error(KernelFeatureMap("rbf", method="icd", n_components=15).fit(data), data)
    nys = np.mean(
        [
            _kernel_error(
                KernelFeatureMap("rbf", method="nystrom", n_components=15, random_state=s).fit(data), data
            )
            for s in range(3)
        ]
    )
    assert icd < nys


def test_random_fourier_features_approximate_rbf(data):
    errs = [
        _kernel_error(KernelFeatureMap("rbf", method="rff", n_components=D, random_state=0).fit(data), data)
        for D in (50, 3000)
    ]
    assert errs[1] < 0.1 < errs[0]


def test_rff_additive_chi2_uses_sklearn_sampler(hist):
    fmap = KernelFeatureMap("additive_chi2", method="rff", n_components=2).fit(hist)
    expected = AdditiveChi2Sampler(sample_steps=2).fit_transform(hist)
    np.testing.assert_allclose(fmap.transform(hist), expected)
    fine = KernelFeatureMap("additive_chi2", method="rff", n_components=3).fit(hist)
    assert _kernel_error(fine, hist) < 0.05


def test_rff_rejects_kernels_without_random_features(hist):
    with pytest.raises(InputError, match="rff"):
        KernelFeatureMap("chi2", method="rff").fit(hist)
    with pytest.raises(InputError, match="sampling steps"):
        KernelFeatureMap("additive_chi2", method="rff", n_components=10).fit(hist)


def test_feature_moments_stream_equals_full_computation(data):
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(150, 3)) + 1e4  # large mean: the shifted one-pass sums stay accurate
    L = np.eye(3)[rng.integers(0, 3, 150)]
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=20, random_state=0).fit(data)
    m = feature_moments(fmap, data, None, Y, L, batch_size=7)
    F = fmap.transform(data)
    full = np.cov(np.hstack([F, Y, L]).T, bias=True)
    np.testing.assert_allclose(m["mean_x"], F.mean(0), atol=1e-10)
    np.testing.assert_allclose(m["cov_xx"], full[:20, :20], atol=1e-10)
    np.testing.assert_allclose(m["cov_yy"], full[20:23, 20:23], rtol=1e-8)
    np.testing.assert_allclose(m["cov_xy"], full[:20, 20:23], atol=1e-9)
    np.testing.assert_allclose(m["cov_xl"], full[:20, 23:], atol=1e-10)
    np.testing.assert_allclose(m["cov_yl"], full[20:23, 23:], atol=1e-9)


@pytest.mark.parametrize("method", ["exact", "nystrom", "icd", "rff"])
def test_feature_map_save_load_round_trip(method, data, tmp_path):
    fmap = KernelFeatureMap("rbf", method=method, n_components=30, random_state=0).fit(data)
    loaded = KernelFeatureMap.load(fmap.save(tmp_path / method))
    np.testing.assert_allclose(loaded.transform(data[:10]), fmap.transform(data[:10]), rtol=1e-12, atol=1e-14)


def test_compose_folds_a_linear_map(data):
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=30, random_state=0).fit(data)
    W = np.random.default_rng(0).normal(size=(fmap.n_components_, 2))
    np.testing.assert_allclose(fmap.compose(W).transform(data), fmap.transform(data) @ W, atol=1e-10)


def test_feature_map_errors(data):
    with pytest.raises(NotFittedError):
        KernelFeatureMap().transform(data)
    with pytest.raises(InputError, match="method"):
        KernelFeatureMap(method="svd").fit(data)
    with pytest.raises(InputError, match="n_components"):
        KernelFeatureMap(n_components=0).fit(data)
    fmap = KernelFeatureMap(n_components=5, random_state=0).fit(data)
    with pytest.raises(ShapeMismatchError, match="features"):
        fmap.transform(data[:, :3])
    with pytest.raises(InputError, match="no information"):
        KernelFeatureMap("linear", method="icd").fit(np.zeros((10, 3)))


def test_auto_method_is_exact_up_to_2000_rows_and_nystrom_above():
    rng = np.random.default_rng(5)
    small, large = rng.normal(size=(50, 2)), rng.normal(size=(2001, 2))
    auto = KernelFeatureMap("rbf", method="auto", n_components=10, random_state=0)
    exact = KernelFeatureMap("rbf", method="exact", random_state=0)
    assert auto.fit(small).method_ == "exact"
    np.testing.assert_array_equal(auto.transform(small), exact.fit(small).transform(small))
    nystrom = KernelFeatureMap("rbf", method="nystrom", n_components=10, random_state=0)
    assert auto.fit(large).method_ == "nystrom" and auto.n_components_ == 10
    np.testing.assert_array_equal(auto.transform(large[:30]), nystrom.fit(large).transform(large[:30]))
    assert auto.method == "auto"  # the parameter is kept; the resolution is a fitted attribute
