from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from classicx.exceptions import InputError
from classicx.image import FisherVector, GaussianMixtureVocabulary, ImageFeatures, LocalDescriptors


def _fisher(**params) -> FisherVector:
    fv = FisherVector(vocabulary=2, **params)
    gmm = GaussianMixtureVocabulary(n_words=2, pca_components=None)
    gmm.pca_mean_ = gmm.pca_components_ = None
    gmm.weights_ = np.array([0.3, 0.7])
    gmm.means_ = np.array([[0.0, 0.0], [3.0, 1.0]])
    gmm.variances_ = np.array([[1.0, 2.0], [0.5, 1.5]])
    fv.vocabulary_ = gmm
    fv.n_features_out_ = 8
    return fv


def _oracle(X, w, mu, var):
    """Perronnin et al. 2010, eqs. for G_mu and G_sigma, one descriptor and one Gaussian at a time."""
    dens = np.array([[w[k] * multivariate_normal(mu[k], np.diag(var[k])).pdf(x) for k in range(2)] for x in X])
    gamma = dens / dens.sum(axis=1, keepdims=True)
    g_mu, g_sigma = np.zeros((2, 2)), np.zeros((2, 2))
    for t, x in enumerate(X):
        for k in range(2):
            u = (x - mu[k]) / np.sqrt(var[k])
            g_mu[k] += gamma[t, k] * u
            g_sigma[k] += gamma[t, k] * (u**2 - 1)
    n = len(X)
    g_mu /= n * np.sqrt(w)[:, None]
    g_sigma /= n * np.sqrt(2 * w)[:, None]
    return np.concatenate([g_mu.ravel(), g_sigma.ravel()])


def test_fisher_gradients_oracle():
    X = np.array([[0.5, -0.2], [2.5, 1.5], [3.2, 0.1], [-1.0, 1.0]])
    feats = ImageFeatures(np.zeros((4, 2), np.float32), X.astype(np.float32), (1, 1))
    fv = _fisher(normalize=None)
    expected = _oracle(X, fv.vocabulary_.weights_, fv.vocabulary_.means_, fv.vocabulary_.variances_)
    np.testing.assert_allclose(fv.encode([feats])[0], expected, rtol=1e-5, atol=1e-6)
    improved = _fisher().encode([feats])[0]
    p = np.sign(expected) * np.sqrt(np.abs(expected))
    np.testing.assert_allclose(improved, p / np.linalg.norm(p), rtol=1e-5, atol=1e-6)


def test_end_to_end_with_pca_and_round_trip(scenes, tmp_path):
    fv = FisherVector(
        LocalDescriptors("rootsift", max_keypoints=80), GaussianMixtureVocabulary(3, pca_components=16),
        verbose=False, random_state=0,
    )
    X = fv.fit_transform(scenes)
    assert X.shape == (len(scenes), 2 * 3 * 16) and np.isfinite(X).all()
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    loaded = FisherVector.load(fv.save(tmp_path / "fv"))
    np.testing.assert_allclose(loaded.transform(scenes), X, rtol=1e-4, atol=1e-6)


def test_binary_descriptors_are_refused(scenes):
    with pytest.raises(InputError, match="binary"):
        FisherVector("orb", verbose=False).fit(scenes)
