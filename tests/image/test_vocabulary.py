from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

from classicx.exceptions import InputError, InputTypeError, NotFittedError
from classicx.image import BinaryKMeansVocabulary, GaussianMixtureVocabulary, KMeansVocabulary
from classicx.image.vocabulary import unpack_bits


def _blobs(rng, centres, n=60, scale=0.3):
    return np.vstack([rng.normal(c, scale, (n, len(c))) for c in centres])


@pytest.mark.parametrize("algorithm", ["minibatch", "full"])
def test_kmeans_recovers_separated_centres(algorithm):
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0]], float)
    voc = KMeansVocabulary(n_words=3, algorithm=algorithm, random_state=0).fit(_blobs(rng, centres))
    got = voc.centers_[np.argsort(voc.centers_[:, 0] + 2 * voc.centers_[:, 1])]
    np.testing.assert_allclose(got, centres, atol=0.2)
    assert voc.centers_.dtype == np.float32 and voc.n_features_in_ == 3


def test_nearest_matches_brute_force_cdist():
    rng = np.random.default_rng(1)
    voc = KMeansVocabulary(n_words=20, random_state=0).fit(rng.normal(size=(500, 8)))
    X = rng.normal(size=(5000, 8))  # more than one chunk
    idx, dist = voc.nearest(X, k=3)
    D = cdist(X, voc.centers_.astype(np.float64))
    oracle = np.argsort(D, axis=1)[:, :3]
    np.testing.assert_array_equal(idx, oracle)
    np.testing.assert_allclose(dist, np.sort(D, axis=1)[:, :3], rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(voc.predict(X), oracle[:, 0])


def test_binary_kmeans_recovers_noisy_codes_in_hamming_space():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 2, (4, 256)).astype(np.uint8)
    rows = []
    for c in codes:
        for _ in range(40):
            noisy = c.copy()
            flip = rng.choice(256, 20, replace=False)
            noisy[flip] ^= 1
            rows.append(noisy)
    X = np.packbits(np.array(rows), axis=1)
    voc = BinaryKMeansVocabulary(n_words=4, random_state=0).fit(X)
    assert voc.centers_.dtype == np.uint8 and voc.centers_.shape == (4, 32)
    got = {tuple(r) for r in np.unpackbits(voc.centers_, axis=1)}
    assert got == {tuple(r) for r in codes}  # majority vote removes the 8% bit noise


def test_binary_nearest_is_hamming():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    voc = BinaryKMeansVocabulary(n_words=10, random_state=0).fit(X)
    idx, dist = voc.nearest(X, k=2)
    H = cdist(unpack_bits(X), unpack_bits(voc.centers_), "hamming") * 256
    np.testing.assert_allclose(dist, np.sort(H, axis=1)[:, :2])
    np.testing.assert_allclose(np.take_along_axis(H, idx, axis=1), dist)
    with pytest.raises(InputTypeError):
        voc.nearest(X.astype(np.float32))


def test_gmm_posteriors_match_sklearn_and_pca_is_sklearn_pca():
    rng = np.random.default_rng(4)
    X = _blobs(rng, [[0, 0, 0, 0, 0], [4, 4, 0, 0, 0], [0, 4, 4, 0, 0]], n=100, scale=0.7)
    gmm = GaussianMixtureVocabulary(n_words=3, pca_components=2, random_state=0).fit(X)
    np.testing.assert_allclose(np.abs(gmm.project(X)), np.abs(PCA(2).fit_transform(X)), atol=1e-4)
    ref = GaussianMixture(3, covariance_type="diag")
    ref.weights_, ref.means_, ref.covariances_ = gmm.weights_, gmm.means_, gmm.variances_
    ref.precisions_cholesky_ = 1.0 / np.sqrt(gmm.variances_)
    Z = gmm.project(X)
    np.testing.assert_allclose(gmm.posteriors(Z), ref.predict_proba(Z), atol=1e-6)
    assert gmm.means_.shape == (3, 2)
    no_pca = GaussianMixtureVocabulary(n_words=3, pca_components=None, random_state=0).fit(X)
    assert no_pca.pca_components_ is None and no_pca.means_.shape == (3, 5)


@pytest.mark.parametrize("cls", [KMeansVocabulary, BinaryKMeansVocabulary, GaussianMixtureVocabulary])
def test_errors_and_round_trip(cls, tmp_path):
    rng = np.random.default_rng(5)
    X = rng.integers(0, 256, (40, 32), dtype=np.uint8) if cls is BinaryKMeansVocabulary else rng.normal(size=(40, 6))
    with pytest.raises(NotFittedError):
        cls(4).posteriors(X) if cls is GaussianMixtureVocabulary else cls(4).nearest(X)
    with pytest.raises(InputError, match="50"):
        cls(50).fit(X)
    kw = {"pca_components": 3} if cls is GaussianMixtureVocabulary else {}
    voc = cls(4, random_state=0, **kw).fit(X)
    loaded = cls.load(voc.save(tmp_path / "voc"))
    if cls is GaussianMixtureVocabulary:
        np.testing.assert_allclose(loaded.posteriors(loaded.project(X)), voc.posteriors(voc.project(X)))
    else:
        np.testing.assert_array_equal(loaded.predict(X), voc.predict(X))


def test_kmeans_init_choices():
    rng = np.random.default_rng(5)
    centres = np.array([[0, 0], [0, 8], [8, 0], [8, 8]], float)  # sorted by x, then y
    X = _blobs(rng, centres)
    voc = KMeansVocabulary(n_words=4, algorithm="full", init="random", n_init=5, random_state=0).fit(X)
    got = voc.centers_[np.lexsort((voc.centers_[:, 1], voc.centers_[:, 0]))]
    np.testing.assert_allclose(got, centres, atol=0.2)
    with pytest.raises(InputError, match="'init' parameter of KMeansVocabulary must be"):
        KMeansVocabulary(n_words=4, init="kmeans").fit(X)
