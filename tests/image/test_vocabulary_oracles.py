"""Visual vocabularies against independent oracles: scikit-learn's own KMeans / MiniBatchKMeans
with the documented settings, brute-force Euclidean and Hamming nearest words, and the k-majority
fixed point (every centre bit is the majority bit of its members); scikit-learn's PCA and diagonal
GaussianMixture, and Bayes' rule with scipy's normal density, for GaussianMixtureVocabulary.

These tests were written from the survivors of a mutation run (see tests/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans, MiniBatchKMeans

from classicx.image import BinaryKMeansVocabulary, KMeansVocabulary
from classicx.image.vocabulary import unpack_bits


def blobs(rng, n_centres=5, d=4, n=40, scale=0.5):
    centres = rng.normal(scale=6.0, size=(n_centres, d))
    return np.vstack([rng.normal(c, scale, (n, d)) for c in centres])


def hamming_matrix(X, C):
    """Hamming distances between packed-bit rows, bit by bit."""
    return (unpack_bits(X)[:, None, :] != unpack_bits(C)[None, :, :]).sum(axis=2)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_full_kmeans_equals_sklearn_kmeans_with_the_same_settings(init):
    rng = np.random.default_rng(0)
    X = blobs(rng)
    voc = KMeansVocabulary(n_words=6, algorithm="full", init=init, max_iter=7, n_init=2, random_state=3).fit(X)
    ref = KMeans(n_clusters=6, init=init, max_iter=7, n_init=2, random_state=3).fit(X.astype(np.float32))
    np.testing.assert_allclose(voc.centers_, ref.cluster_centers_, rtol=1e-6, atol=1e-6)
    assert voc.centers_.dtype == np.float32 and voc.centers_.flags.c_contiguous
    assert voc.n_features_in_ == 4


@pytest.mark.parametrize("n_words, n_samples", [(5, 300), (400, 1500), (5, 2000)])
def test_minibatch_kmeans_equals_sklearn_with_the_documented_seed_set(n_words, n_samples):
    # k-means++ seeds on min(n, max(3 * n_words, 1024)) descriptors.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n_samples, 3))
    voc = KMeansVocabulary(n_words=n_words, max_iter=3, batch_size=256, random_state=4).fit(X)
    ref = MiniBatchKMeans(
        n_clusters=n_words, init="k-means++", max_iter=3, batch_size=256, n_init=1, random_state=4,
        init_size=min(n_samples, max(3 * n_words, 1024)),
    ).fit(X.astype(np.float32))
    np.testing.assert_allclose(voc.centers_, ref.cluster_centers_, rtol=1e-5, atol=1e-5)


def test_default_vocabulary_is_minibatch_with_512_words():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 2))
    voc = KMeansVocabulary(random_state=0).fit(X)
    ref = MiniBatchKMeans(
        n_clusters=512, init="k-means++", max_iter=100, batch_size=4096, n_init=1, random_state=0, init_size=600
    ).fit(X.astype(np.float32))
    np.testing.assert_allclose(voc.centers_, ref.cluster_centers_, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k", [1, 2, 7, 50])
def test_euclidean_nearest_words_equal_brute_force_across_chunks(k):
    rng = np.random.default_rng(3)
    voc = KMeansVocabulary(n_words=7, algorithm="full", random_state=0).fit(blobs(rng, n_centres=7))
    X = rng.normal(scale=6.0, size=(4096 + 300, 4))  # crosses the 4096-row chunk boundary
    idx, dist = voc.nearest(X, k=k)
    D = cdist(X, voc.centers_.astype(np.float64))
    kk = min(k, 7)
    assert idx.shape == dist.shape == (len(X), kk)
    np.testing.assert_array_equal(idx, np.argsort(D, axis=1, kind="stable")[:, :kk])
    np.testing.assert_allclose(dist, np.sort(D, axis=1)[:, :kk], rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(voc.predict(X), np.argmin(D, axis=1))


def test_distance_to_an_exact_centre_is_zero_not_nan():
    rng = np.random.default_rng(4)
    voc = KMeansVocabulary(n_words=3, algorithm="full", random_state=0).fit(blobs(rng, n_centres=3) * 100)
    idx, dist = voc.nearest(voc.centers_, k=1)
    np.testing.assert_array_equal(idx[:, 0], np.arange(3))
    assert np.all(np.isfinite(dist)) and np.all(dist >= 0)
    assert np.all(dist[:, 0] <= 1e-3 * np.linalg.norm(voc.centers_, axis=1))


def test_float_space_of_kmeans_is_the_descriptor_space():
    rng = np.random.default_rng(5)
    X = blobs(rng)
    voc = KMeansVocabulary(n_words=4, algorithm="full", random_state=0).fit(X)
    np.testing.assert_array_equal(voc.centers_float(), voc.centers_)
    np.testing.assert_array_equal(voc.descriptors_float(X), X.astype(np.float32))
    assert voc.descriptors_float(X).dtype == np.float32


# --------------------------------------------------------------------------- binary


def noisy_codes(rng, n_codes=4, n_bits=128, per_code=30, flips=10):
    codes = rng.integers(0, 2, (n_codes, n_bits)).astype(np.uint8)
    rows = []
    for c in codes:
        for _ in range(per_code):
            noisy = c.copy()
            noisy[rng.choice(n_bits, flips, replace=False)] ^= 1
            rows.append(noisy)
    return np.packbits(np.array(rows), axis=1), codes


def test_unpack_bits_is_most_significant_bit_first():
    X = np.array([[0b10000001, 0b01000000]], np.uint8)
    expected = [[1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]]
    np.testing.assert_array_equal(unpack_bits(X), expected)
    assert unpack_bits(X).dtype == np.float32


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_kmeans_ends_at_a_k_majority_fixed_point(seed):
    rng = np.random.default_rng(seed)
    X, codes = noisy_codes(rng)
    voc = BinaryKMeansVocabulary(n_words=4, random_state=seed).fit(X)
    H = hamming_matrix(X, voc.centers_)
    labels = np.argmin(H, axis=1)
    bits = unpack_bits(X)
    for word in range(4):
        members = bits[labels == word]
        assert len(members)
        majority = (members.sum(axis=0) * 2 > len(members)).astype(np.uint8)  # ties -> 0
        np.testing.assert_array_equal(np.unpackbits(voc.centers_[word]), majority)
    assert {tuple(r) for r in np.unpackbits(voc.centers_, axis=1)} == {tuple(r) for r in codes}
    assert 1 <= voc.n_iter_ < 30
    assert voc.n_features_in_ == 16


def test_binary_kmeans_majority_tie_gives_bit_zero():
    # Two members per word differing in every bit of the second byte: the majority is a tie there.
    a = np.array([[0xFF, 0x00], [0xFF, 0xFF]], np.uint8)
    b = np.array([[0x00, 0x0F], [0x00, 0xF0]], np.uint8)
    voc = BinaryKMeansVocabulary(n_words=2, random_state=0).fit(np.vstack([a, b]))
    centres = {tuple(c) for c in voc.centers_.tolist()}
    assert centres == {(0xFF, 0x00), (0x00, 0x00)}


def test_binary_kmeans_stops_after_max_iter():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 256, (400, 8), dtype=np.uint8)  # no cluster structure: keeps moving
    voc = BinaryKMeansVocabulary(n_words=20, max_iter=1, random_state=0).fit(X)
    assert voc.n_iter_ == 1
    voc = BinaryKMeansVocabulary(n_words=20, max_iter=3, random_state=0).fit(X)
    assert voc.n_iter_ <= 3


def test_binary_kmeans_seeds_on_a_subset_for_large_samples():
    # More than max(3k, 12288) descriptors: seeding on a random subset still finds the codes.
    rng = np.random.default_rng(7)
    X, codes = noisy_codes(rng, n_codes=3, n_bits=64, per_code=4200, flips=4)
    voc = BinaryKMeansVocabulary(n_words=3, random_state=0).fit(X)
    assert {tuple(r) for r in np.unpackbits(voc.centers_, axis=1)} == {tuple(r) for r in codes}


def test_empty_word_is_reseeded_with_the_farthest_descriptor():
    # Three copies of two codes and n_words=3: one word gets no member after the first assignment
    # and takes the descriptor farthest from its centre, so all words stay valid codes.
    X = np.array([[0x00]] * 6 + [[0xFF]] * 6 + [[0x0F]], np.uint8)
    voc = BinaryKMeansVocabulary(n_words=3, random_state=0).fit(X)
    assert {int(c) for c in voc.centers_[:, 0]} == {0x00, 0xFF, 0x0F}


@pytest.mark.parametrize("k", [1, 3, 40])
def test_hamming_nearest_words_equal_brute_force_across_chunks(k):
    rng = np.random.default_rng(8)
    fit_X, _ = noisy_codes(rng, n_codes=6, n_bits=64, per_code=20)
    voc = BinaryKMeansVocabulary(n_words=6, random_state=0).fit(fit_X)
    X = rng.integers(0, 256, (4096 + 50, 8), dtype=np.uint8)
    idx, dist = voc.nearest(X, k=k)
    H = hamming_matrix(X, voc.centers_)
    kk = min(k, 6)
    assert idx.shape == (len(X), kk)
    np.testing.assert_array_equal(dist, np.sort(H, axis=1)[:, :kk])
    np.testing.assert_array_equal(np.take_along_axis(H, idx, axis=1), dist)
    np.testing.assert_array_equal(np.take_along_axis(H, voc.predict(X)[:, None], axis=1)[:, 0], H.min(axis=1))


def test_binary_float_space_is_zero_one_bits():
    rng = np.random.default_rng(9)
    X, _ = noisy_codes(rng, n_codes=2, n_bits=16, per_code=10, flips=1)
    voc = BinaryKMeansVocabulary(n_words=2, random_state=0).fit(X)
    np.testing.assert_array_equal(voc.centers_float(), np.unpackbits(voc.centers_, axis=1))
    np.testing.assert_array_equal(voc.descriptors_float(X), np.unpackbits(X, axis=1))


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("cls", [KMeansVocabulary, BinaryKMeansVocabulary])
def test_sample_checks(cls):
    X = np.zeros((10, 4), np.uint8) if cls is BinaryKMeansVocabulary else np.zeros((10, 4))
    with pytest.raises(ValueError, match="2-?D"):
        cls(n_words=2).fit(X[0])
    with pytest.raises(ValueError, match="positive|n_words"):
        cls(n_words=0).fit(X)
    with pytest.raises(ValueError, match=r"11 visual words from (n_samples=)?10 "):
        cls(n_words=11).fit(X)
    cls(n_words=10, random_state=0).fit(X + (np.arange(10)[:, None] * 7).astype(X.dtype))  # n_words == n


def test_float_sample_with_nan_is_refused_and_binary_needs_uint8():
    X = np.ones((10, 3))
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KMeansVocabulary(n_words=2).fit(X)
    with pytest.raises(TypeError, match="uint8"):
        BinaryKMeansVocabulary(n_words=2).fit(np.ones((10, 3)))


@pytest.mark.parametrize("param, value", [("algorithm", "lloyd"), ("init", "kmeans")])
def test_unknown_algorithm_or_init_is_refused(param, value):
    with pytest.raises(ValueError, match=param):
        KMeansVocabulary(n_words=2, **{param: value}).fit(np.random.default_rng(0).normal(size=(10, 2)))


# --------------------------------------------------------------------------- second round (survivors)


def test_noise_free_codes_converge_in_two_iterations():
    # Iteration 1 assigns and moves every centre onto its code; iteration 2 changes no label.
    rng = np.random.default_rng(10)
    codes = rng.integers(0, 256, (3, 4), dtype=np.uint8)
    X = np.repeat(codes, 20, axis=0)
    voc = BinaryKMeansVocabulary(n_words=3, random_state=0).fit(X)
    assert voc.n_iter_ == 2
    assert {tuple(c) for c in voc.centers_.tolist()} == {tuple(c) for c in codes.tolist()}


@pytest.mark.parametrize("cls", [KMeansVocabulary, BinaryKMeansVocabulary])
def test_unfitted_vocabulary_names_itself(cls):
    X = np.zeros((2, 4), np.uint8)
    with pytest.raises(ValueError, match=cls.__name__):
        cls(n_words=2).nearest(X)


def test_binary_nearest_refuses_float_descriptors_naming_the_dtype():
    voc = BinaryKMeansVocabulary(n_words=2, random_state=0).fit(np.array([[0], [255], [1]], np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        voc.nearest(np.zeros((2, 1), np.float32))


# -- GaussianMixtureVocabulary: scikit-learn's PCA and diagonal GaussianMixture, and the density ----


def _gmm_reference(X, n_words, pca_components, seed, max_iter=100, reg_covar=1e-4, dtype=np.float64):
    """PCA then a diagonal GaussianMixture, seeded in the documented order from one RandomState."""
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    rng = np.random.RandomState(seed)
    X = np.asarray(X, np.float64)
    if pca_components is not None and pca_components < X.shape[1]:
        pca = PCA(n_components=pca_components, random_state=rng).fit(X)
        mean, comps = pca.mean_.astype(np.float32), pca.components_.astype(np.float32)
        Z = (X.astype(np.float32) - mean) @ comps.T
    else:
        Z = X.astype(np.float32)
    gmm = GaussianMixture(
        n_components=n_words, covariance_type="diag", max_iter=max_iter, reg_covar=reg_covar, random_state=rng
    ).fit(Z.astype(dtype))
    return gmm, Z.astype(np.float64)


@pytest.mark.parametrize("pca_components", [None, 3])
def test_gmm_equals_sklearn_pca_and_diagonal_mixture(pca_components):
    from classicx.image import GaussianMixtureVocabulary

    rng = np.random.default_rng(5)
    X = blobs(rng, n_centres=3, d=5, n=60) * np.array([1.0, 3.0, 0.5, 2.0, 1.0])
    voc = GaussianMixtureVocabulary(3, pca_components=pca_components, max_iter=7, reg_covar=1e-2, random_state=2)
    voc.fit(X)
    ref, Z = _gmm_reference(X, 3, pca_components, 2, max_iter=7, reg_covar=1e-2)
    np.testing.assert_allclose(voc.weights_, ref.weights_, rtol=1e-6)
    np.testing.assert_allclose(voc.means_, ref.means_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(voc.variances_, ref.covariances_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(voc.project(X), Z, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(voc.posteriors(Z), ref.predict_proba(Z), rtol=1e-6, atol=1e-9)
    assert (voc.pca_components_ is None) == (pca_components is None)
    assert voc.n_features_in_ == 5


def test_gmm_posteriors_are_bayes_rule_on_the_diagonal_gaussians():
    """The posterior, written out with scipy's normal log-density, for a mixture set by hand."""
    from scipy.special import softmax
    from scipy.stats import norm

    from classicx.image import GaussianMixtureVocabulary

    rng = np.random.default_rng(6)
    voc = GaussianMixtureVocabulary(3, pca_components=None, random_state=0).fit(rng.normal(size=(30, 4)))
    voc.weights_ = np.array([0.5, 0.3, 0.2])
    voc.means_ = rng.normal(size=(3, 4))
    voc.variances_ = rng.uniform(0.3, 3.0, size=(3, 4))
    Z = rng.normal(size=(25, 4)) * 2
    log = np.log(voc.weights_) + np.stack(
        [norm.logpdf(Z, voc.means_[k], np.sqrt(voc.variances_[k])).sum(axis=1) for k in range(3)], axis=1
    )
    np.testing.assert_allclose(voc.posteriors(Z), softmax(log, axis=1), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(voc.posteriors(voc.means_ * 30).sum(axis=1), 1.0, rtol=1e-12)  # far out too


def test_gmm_subsamples_with_its_seed_before_fitting():
    from classicx.image import GaussianMixtureVocabulary

    rng = np.random.default_rng(7)
    X = blobs(rng, n_centres=2, d=3, n=100)
    voc = GaussianMixtureVocabulary(2, pca_components=None, sample_size=50, max_iter=5, random_state=4).fit(X)
    rows = np.sort(np.random.RandomState(4).choice(len(X), 50, replace=False))
    ref, _ = _gmm_reference(X[rows], 2, None, 4, max_iter=5)
    np.testing.assert_allclose(voc.means_, ref.means_, rtol=1e-5, atol=1e-5)
    full = GaussianMixtureVocabulary(2, pca_components=None, sample_size=200, max_iter=5, random_state=4).fit(X)
    ref_full, _ = _gmm_reference(X, 2, None, 4, max_iter=5)
    np.testing.assert_allclose(full.means_, ref_full.means_, rtol=1e-5, atol=1e-5)


def test_gmm_pca_is_skipped_at_or_above_the_descriptor_length():
    from classicx.image import GaussianMixtureVocabulary

    X = blobs(np.random.default_rng(8), n_centres=2, d=3, n=40)
    for k in (3, 4):
        voc = GaussianMixtureVocabulary(2, pca_components=k, max_iter=5, random_state=0).fit(X)
        assert voc.pca_mean_ is None and voc.pca_components_ is None
        np.testing.assert_array_equal(voc.project(X), X.astype(np.float32))
    reduced = GaussianMixtureVocabulary(2, pca_components=2, max_iter=5, random_state=0).fit(X)
    assert reduced.pca_components_.shape == (2, 3) and reduced.pca_components_.dtype == np.float32
    assert reduced.pca_mean_.dtype == np.float32


def test_gmm_documented_defaults():
    import ast
    import inspect
    import re

    from classicx.image import GaussianMixtureVocabulary

    doc = dict(re.findall(r"^\s{4}(\w+) : [^\n]*default=([^\s,]+)", GaussianMixtureVocabulary.__doc__, re.M))
    signature = inspect.signature(GaussianMixtureVocabulary).parameters
    assert set(doc) >= {"n_words", "pca_components", "max_iter", "reg_covar", "sample_size", "n_jobs"}
    for name, value in doc.items():
        assert signature[name].default == ast.literal_eval(value), name


def test_gmm_errors_name_the_problem():
    from classicx.exceptions import InputError
    from classicx.image import GaussianMixtureVocabulary

    X = blobs(np.random.default_rng(9), n_centres=2, d=3, n=10)
    with pytest.raises(InputError, match="cannot learn 30 visual words from n_samples=20"):
        GaussianMixtureVocabulary(30, pca_components=None).fit(X)
    voc = GaussianMixtureVocabulary(2, pca_components=2, max_iter=5, random_state=0).fit(X)
    with pytest.raises(
        InputError,
        match=r"GaussianMixtureVocabulary.posteriors: Z has 3 features, but the mixture has 2 dimensions "
        r"\(pass descriptors through project first\)",
    ):
        voc.posteriors(X)


def test_kmeans_settings_reach_sklearn_before_convergence():
    """On overlapping clusters k-means is not converged after 1-2 iterations, so max_iter, init and
    n_init all change the centres; each must be scikit-learn's with the same value."""
    X = np.random.default_rng(10).normal(size=(600, 3))
    full = KMeansVocabulary(n_words=8, algorithm="full", init="random", max_iter=1, n_init=1, random_state=0).fit(X)
    ref = KMeans(n_clusters=8, init="random", max_iter=1, n_init=1, random_state=0).fit(X.astype(np.float32))
    np.testing.assert_allclose(full.centers_, ref.cluster_centers_, rtol=1e-5, atol=1e-5)
    longer = KMeans(n_clusters=8, init="random", max_iter=300, n_init=1, random_state=0).fit(X.astype(np.float32))
    assert np.abs(longer.cluster_centers_ - ref.cluster_centers_).max() > 1e-3  # max_iter is visible here
    mini = KMeansVocabulary(n_words=8, init="random", max_iter=2, n_init=3, batch_size=64, random_state=0).fit(X)
    ref = MiniBatchKMeans(
        n_clusters=8, init="random", max_iter=2, n_init=3, batch_size=64, random_state=0,
        init_size=min(600, max(3 * 8, 1024)),
    ).fit(X.astype(np.float32))
    np.testing.assert_allclose(mini.centers_, ref.cluster_centers_, rtol=1e-5, atol=1e-5)
    # n_init=1 with random init (scikit-learn's "auto" would be 3 here)
    one = KMeansVocabulary(n_words=8, init="random", max_iter=2, n_init=1, batch_size=64, random_state=0).fit(X)
    ref_one = MiniBatchKMeans(
        n_clusters=8, init="random", max_iter=2, n_init=1, batch_size=64, random_state=0, init_size=600
    ).fit(X.astype(np.float32))
    np.testing.assert_allclose(one.centers_, ref_one.cluster_centers_, rtol=1e-5, atol=1e-5)
    for other in (dict(init="k-means++", n_init=3), dict(init="random", n_init=1)):
        alt = MiniBatchKMeans(
            n_clusters=8, max_iter=2, batch_size=64, random_state=0, init_size=600, **other
        ).fit(X.astype(np.float32))
        assert np.abs(alt.cluster_centers_ - mini.centers_).max() > 1e-3  # init and n_init are visible


def test_sample_messages_name_the_estimator():
    with pytest.raises(
        ValueError,
        match=r"^KMeansVocabulary: cannot learn 11 visual words from n_samples=10 descriptors: "
        r"use fewer words or more/larger images$",
    ):
        KMeansVocabulary(n_words=11).fit(np.zeros((10, 4)))
    with pytest.raises(TypeError, match=r"^BinaryKMeansVocabulary: binary descriptors must be packed uint8 bits"):
        BinaryKMeansVocabulary(n_words=2).fit(np.ones((10, 3)))


def test_gmm_max_iter_reaches_the_mixture():
    import warnings

    from classicx.image import GaussianMixtureVocabulary

    X = np.random.default_rng(11).normal(size=(200, 2))  # one blob, 3 components: slow EM
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning after 2 iterations
        voc = GaussianMixtureVocabulary(3, pca_components=None, max_iter=2, random_state=0).fit(X)
        ref, _ = _gmm_reference(X, 3, None, 0, max_iter=2)
        full, _ = _gmm_reference(X, 3, None, 0, max_iter=100)
    np.testing.assert_allclose(voc.means_, ref.means_, rtol=1e-6, atol=1e-7)
    assert np.abs(full.means_ - ref.means_).max() > 1e-3  # max_iter is visible here


def test_gmm_constructor_defaults_and_stored_parameters():
    from classicx.image import GaussianMixtureVocabulary

    assert GaussianMixtureVocabulary().get_params() == {
        "n_words": 64, "pca_components": 64, "max_iter": 100, "reg_covar": 1e-4, "sample_size": 100_000,
        "n_jobs": None, "random_state": None,
    }  # the documented defaults (test_gmm_documented_defaults reads them from the docstring)
    assert GaussianMixtureVocabulary(n_jobs=2, random_state=5).get_params()["n_jobs"] == 2


def test_gmm_posteriors_refuse_bad_input_naming_it():
    from classicx.exceptions import NonFiniteError
    from classicx.image import GaussianMixtureVocabulary

    voc = GaussianMixtureVocabulary(2, pca_components=None, max_iter=5, random_state=0)
    voc.fit(blobs(np.random.default_rng(12), n_centres=2, d=3, n=10))
    Z = np.zeros((4, 3))
    Z[2, 1] = np.nan
    with pytest.raises(NonFiniteError, match=r"^GaussianMixtureVocabulary: Z .*row 2"):
        voc.posteriors(Z)
