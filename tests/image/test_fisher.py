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


# ------------------------------------------------------------------ spatial layout
def _features(X, positions) -> ImageFeatures:
    return ImageFeatures(np.asarray(positions, np.float32), np.asarray(X, np.float32), (90, 120))


# Six descriptors: two in each horizontal third, by their y position (x is irrelevant to strips).
_X = np.array([[0.5, -0.2], [2.5, 1.5], [3.2, 0.1], [-1.0, 1.0], [0.1, 0.4], [2.9, 2.2]])
_POS = np.array([[0.1, 0.05], [0.9, 0.2], [0.4, 0.5], [0.7, 0.6], [0.2, 0.9], [0.6, 1.0]])


@pytest.mark.parametrize("layout", [(1,), ((1, 1),), [1]])
def test_a_one_cell_layout_is_the_plain_fisher_vector(layout):
    feats = _features(_X, _POS)
    plain = _fisher().encode([feats])
    spatial = _fisher(layout=layout)
    np.testing.assert_array_equal(spatial.encode([feats]), plain)
    assert spatial.get_feature_names_out().tolist()[:2] == ["word0_mean0", "word0_mean1"]


def test_region_blocks_are_the_fisher_vectors_of_the_descriptors_inside_each_region():
    gmm = _fisher().vocabulary_
    w, mu, var = gmm.weights_, gmm.means_, gmm.variances_
    fv = _fisher(layout=(1, (3, 1)), normalize=None)
    fv.n_features_out_ = 8 * 4
    raw = fv.encode([_features(_X, _POS)])[0].reshape(4, 8)
    np.testing.assert_allclose(raw[0], _oracle(_X, w, mu, var), rtol=1e-5, atol=1e-6)  # the whole image
    for strip, rows in enumerate(([0, 1], [2, 3], [4, 5])):  # top, middle, bottom third
        np.testing.assert_allclose(raw[1 + strip], _oracle(_X[rows], w, mu, var), rtol=1e-5, atol=1e-6)
    # Improved: each region power- and L2-normalised on its own, then the row L2-normalised.
    improved = _fisher(layout=(1, (3, 1)))
    improved.n_features_out_ = 8 * 4
    got = improved.encode([_features(_X, _POS)])[0].reshape(4, 8)
    power = np.sign(raw) * np.sqrt(np.abs(raw))
    np.testing.assert_allclose(got, power / np.linalg.norm(power, axis=1, keepdims=True) / 2, rtol=1e-5, atol=1e-6)


def test_columns_and_cells_are_row_major_and_an_empty_region_is_a_zero_block():
    gmm = _fisher().vocabulary_
    fv = _fisher(layout=((2, 2),), normalize=None)
    fv.n_features_out_ = 8 * 4
    # Cells (row, column): (0, 0) holds rows 0 and 3, (0, 1) rows 1 and 2, (1, 0) nothing, (1, 1) rows 4 and 5.
    positions = [[0.1, 0.1], [0.9, 0.2], [0.6, 0.0], [0.0, 0.4], [0.7, 0.8], [1.0, 1.0]]
    raw = fv.encode([_features(_X, positions)])[0].reshape(4, 8)
    for cell, rows in ((0, [0, 3]), (1, [1, 2]), (3, [4, 5])):
        np.testing.assert_allclose(raw[cell], _oracle(_X[rows], gmm.weights_, gmm.means_, gmm.variances_),
                                   rtol=1e-5, atol=1e-6)
    assert not raw[2].any()
    improved = _fisher(layout=((2, 2),))
    improved.n_features_out_ = 8 * 4
    row = improved.encode([_features(_X, positions)])[0]
    assert np.isfinite(row).all() and np.linalg.norm(row) == pytest.approx(1.0, rel=1e-5)
    assert not row.reshape(4, 8)[2].any()


@pytest.mark.parametrize("layout", [(), (0,), ((3, 1, 2),), ((3, 0),), (True,), ("3x1",)])
def test_a_bad_layout_is_an_input_error_that_shows_it(scenes, layout):
    with pytest.raises(InputError, match="layout"):
        FisherVector(LocalDescriptors("rootsift", max_keypoints=30), 2, layout=layout, verbose=False).fit(scenes[:2])


def test_spatial_fisher_end_to_end_names_spec_and_saved_copy(scenes, tmp_path):
    from classicx.spec import build, to_spec

    descriptor = LocalDescriptors("rootsift", max_keypoints=80)
    fv = FisherVector(descriptor, GaussianMixtureVocabulary(2, pca_components=8), layout=(1, (3, 1)),
                      verbose=False, random_state=0)
    X = fv.fit_transform(scenes)
    assert X.shape == (len(scenes), 2 * 2 * 8 * 4) and fv.n_features_out_ == X.shape[1]
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    names = fv.get_feature_names_out()
    assert len(names) == X.shape[1] and names[32] == "grid3x1_cell0_word0_mean0"
    assert names[-1] == "grid3x1_cell2_word1_var7"
    loaded = FisherVector.load(fv.save(tmp_path / "fv"))
    assert loaded.get_params()["layout"] == fv.layout
    np.testing.assert_allclose(loaded.transform(scenes), X, rtol=1e-4, atol=1e-6)
    # The spec: layout as a list of grids, (rows, columns) pairs as lists; written back the same way.
    spec = "fisher(rootsift,64,layout=[1,[3,1]])+0.5*hsv"
    built = build(spec, "image")
    assert built.transformers[0][1].layout == (1, (3, 1))
    assert to_spec(built) == spec and to_spec(build(to_spec(built), "image")) == spec
    assert to_spec(build("fisher(rootsift,64,layout=[1])", "image")) == "fisher(rootsift,64)"
