"""Multi-view and three-view CCA against the generalised eigenproblem and two-view CCA."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from sklearn.base import clone

from classicx.exceptions import InputError, InputTypeError, NotFittedError, ShapeMismatchError
from classicx.subspace import MultiviewCCA, RegularizedCCA, ThreeViewCCA

from .test_cca import RHO, abs_cos, planted


def block_oracle(views, k, reg):
    """Top-k eigenpairs of S w = lambda D w built from the full block matrices."""
    centred = [V - V.mean(0) for V in views]
    n = len(views[0])
    S = np.hstack(centred).T @ np.hstack(centred) / (n - 1)
    blocks = []
    for V in centred:
        C = V.T @ V / (n - 1)
        blocks.append((1 - reg) * C + reg * np.trace(C) / len(C) * np.eye(len(C)))
    D = scipy.linalg.block_diag(*blocks)
    m = len(S)
    vals, vecs = scipy.linalg.eigh(S, D, subset_by_index=[m - k, m - 1])
    return vals[::-1], vecs[:, ::-1]


def test_two_views_reduce_to_cca():
    X, Y = planted()
    mcca = MultiviewCCA(n_components=3, reg=0.0, weight_power=0).fit([X, Y])
    np.testing.assert_allclose(mcca.eigenvalues_, 1 + RHO, atol=1e-9)
    cca = RegularizedCCA(n_components=3, reg=0.0).fit(X, Y)
    np.testing.assert_allclose(abs_cos(mcca.weights_[0], cca.x_weights_), 1.0, atol=1e-9)
    np.testing.assert_allclose(abs_cos(mcca.weights_[1], cca.y_weights_), 1.0, atol=1e-9)


@pytest.mark.parametrize("reg", [0.01, 0.5])
def test_three_views_match_block_generalised_eigenproblem(reg):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(150, 2))
    views = [z @ rng.normal(size=(2, d)) + rng.normal(size=(150, d)) for d in (5, 4, 6)]
    mcca = MultiviewCCA(n_components=2, reg=reg, weight_power=0).fit(views)
    vals, vecs = block_oracle(views, 2, reg)
    np.testing.assert_allclose(mcca.eigenvalues_, vals, rtol=1e-9)
    np.testing.assert_allclose(abs_cos(np.vstack(mcca.weights_), vecs), 1.0, atol=1e-9)


def test_view_with_more_features_than_samples():
    rng = np.random.default_rng(2)
    views = [rng.normal(size=(30, 50)), rng.normal(size=(30, 4)), rng.normal(size=(30, 6))]
    views[1][:, 0] += views[0][:, 0]
    mcca = MultiviewCCA(n_components=2, reg=0.3, weight_power=0).fit(views)
    vals, vecs = block_oracle(views, 2, 0.3)
    np.testing.assert_allclose(mcca.eigenvalues_, vals, rtol=1e-8)
    np.testing.assert_allclose(abs_cos(np.vstack(mcca.weights_), vecs), 1.0, atol=1e-8)


def test_weight_power_and_transform():
    rng = np.random.default_rng(3)
    views = [rng.normal(size=(80, d)) for d in (3, 4, 5)]
    plain = MultiviewCCA(n_components=2, weight_power=0).fit(views)
    weighted = MultiviewCCA(n_components=2, weight_power=4).fit(views)
    for a, b in zip(plain.transform(views), weighted.transform(views)):
        np.testing.assert_allclose(b, a * plain.eigenvalues_**4, atol=1e-10)
    np.testing.assert_allclose(plain.transform_view(views[2], 2), plain.transform(views)[2])


def test_three_view_cca_matches_the_block_eigenproblem_with_a_label_view():
    rng = np.random.default_rng(4)
    labels = np.repeat([3, 5, 9, 11], 20)
    X = rng.normal(size=(80, 6)) + labels[:, None] / 3
    Y = rng.normal(size=(80, 5)) - labels[:, None] / 3
    tv = ThreeViewCCA(n_components=3, reg=0.1).fit(X, Y, labels=labels)
    onehot = (labels[:, None] == np.array([3, 5, 9, 11])).astype(float)
    # Independent oracle: scipy's generalised eigensolver on the full block matrices. The
    # centred one-hot view has rank 3, so its shrunk covariance is still positive definite.
    vals, vecs = block_oracle([X, Y, onehot], 3, 0.1)
    np.testing.assert_allclose(tv.eigenvalues_, vals, rtol=1e-9)
    Wx, Wy = vecs[:6], vecs[6:11]
    signs = np.sign(np.sum(tv.x_weights_ * Wx, axis=0))
    np.testing.assert_allclose(tv.x_weights_, Wx * signs, atol=1e-9)
    np.testing.assert_allclose(tv.y_weights_, Wy * signs, atol=1e-9)
    np.testing.assert_allclose(tv.transform(X), (X - X.mean(0)) @ Wx * signs * vals**4, atol=1e-9)
    np.testing.assert_allclose(tv.transform_y(Y), (Y - Y.mean(0)) @ Wy * signs * vals**4, atol=1e-9)
    mv = MultiviewCCA(n_components=3, reg=0.1).fit([X, Y, onehot])
    np.testing.assert_allclose(tv.transform(X), mv.transform_view(X, 0), atol=1e-10)
    np.testing.assert_allclose(tv.transform_y(Y), mv.transform_view(Y, 1), atol=1e-10)
    np.testing.assert_array_equal(tv.classes_, [3, 5, 9, 11])
    with pytest.raises(InputError, match=r"ranks \[6, 5, 3\]"):
        ThreeViewCCA(n_components=4).fit(X, Y, labels=labels)


def test_label_view_improves_class_separation():
    rng = np.random.default_rng(5)
    labels = np.repeat(np.arange(4), 50)
    shared_noise = rng.normal(size=(200, 2)) * 3
    centres = rng.normal(size=(4, 2))
    X = np.hstack([centres[labels] + rng.normal(size=(200, 2)), shared_noise, rng.normal(size=(200, 3))])
    Y = np.hstack([centres[labels] + rng.normal(size=(200, 2)), shared_noise, rng.normal(size=(200, 3))])

    def between_over_total(P):
        means = np.array([P[labels == c].mean(0) for c in range(4)])
        return np.sum(means[labels] ** 2) / np.sum((P - P.mean(0)) ** 2)

    two = RegularizedCCA(n_components=2).fit(X, Y).transform(X)
    three = ThreeViewCCA(n_components=2, weight_power=0).fit(X, Y, labels=labels).transform(X)
    assert between_over_total(three) > 2 * between_over_total(two)


def test_bad_inputs():
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    with pytest.raises(InputError, match="at least two views"):
        MultiviewCCA().fit([X])
    with pytest.raises(InputTypeError):
        MultiviewCCA().fit(X)
    with pytest.raises(ShapeMismatchError, match="view 1"):
        MultiviewCCA().fit([X, Y[:-1]])
    with pytest.raises(InputError, match="3 values for 2 views"):
        MultiviewCCA(reg=[0.1, 0.1, 0.1]).fit([X, Y])
    with pytest.raises(InputError, match="needs labels"):
        ThreeViewCCA().fit(X, Y)
    with pytest.raises(NotFittedError):
        MultiviewCCA().transform([X, Y])
    model = MultiviewCCA().fit([X, Y])
    with pytest.raises(ShapeMismatchError, match="expecting 3 features"):
        model.transform_view(Y, 0)
    with pytest.raises(InputError, match="out of range"):
        model.transform_view(X, 2)


def test_save_load_and_clone(tmp_path):
    rng = np.random.default_rng(7)
    views = [rng.normal(size=(40, d)) for d in (3, 4, 5)]
    mv = MultiviewCCA(n_components=2, reg=(0.1, 0.2, 0.3)).fit(views)
    loaded = MultiviewCCA.load(mv.save(tmp_path / "mv"))
    for a, b in zip(loaded.transform(views), mv.transform(views)):
        np.testing.assert_array_equal(a, b)
    labels = np.tile([0, 1, 2, 3], 10)
    tv = ThreeViewCCA(n_components=2).fit(views[0], views[1], labels=labels)
    loaded_tv = ThreeViewCCA.load(tv.save(tmp_path / "tv"))
    np.testing.assert_array_equal(loaded_tv.transform(views[0]), tv.transform(views[0]))
    assert clone(tv).get_params() == tv.get_params()
