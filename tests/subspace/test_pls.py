"""PLSSVD against scikit-learn's PLSSVD."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cross_decomposition import PLSSVD as SklearnPLSSVD

from classicx.exceptions import InputError, NonFiniteError, NotFittedError, ShapeMismatchError
from classicx.subspace import PLSSVD


def views(n=120, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    X = z @ rng.normal(size=(3, 7)) + 0.5 * rng.normal(size=(n, 7)) + 3.0
    Y = z @ rng.normal(size=(3, 5)) + 0.5 * rng.normal(size=(n, 5)) - 1.0
    return X * np.arange(1, 8), Y


@pytest.mark.parametrize("scale", [True, False])
def test_equals_sklearn_plssvd_including_signs(scale):
    X, Y = views()
    ours = PLSSVD(n_components=3, scale=scale).fit(X, Y)
    ref = SklearnPLSSVD(n_components=3, scale=scale).fit(X, Y)
    np.testing.assert_allclose(ours.x_weights_, ref.x_weights_, atol=1e-10)
    np.testing.assert_allclose(ours.y_weights_, ref.y_weights_, atol=1e-10)
    ours_x, ours_y = ours.transform(X, Y)
    ref_x, ref_y = ref.transform(X, Y)
    np.testing.assert_allclose(ours_x, ref_x, atol=1e-9)
    np.testing.assert_allclose(ours_y, ref_y, atol=1e-9)


def test_singular_values_are_covariances_of_the_projections():
    X, Y = views(seed=1)
    pls = PLSSVD(n_components=3).fit(X, Y)
    Xp, Yp = pls.transform(X, Y)
    cov = np.sum((Xp - Xp.mean(0)) * (Yp - Yp.mean(0)), axis=0) / (len(X) - 1)
    np.testing.assert_allclose(cov, pls.singular_values_, rtol=1e-10)
    assert np.all(np.diff(pls.singular_values_) < 0)
    np.testing.assert_allclose(np.linalg.norm(pls.x_weights_, axis=0), 1.0)


def test_constant_column_gets_zero_weight():
    X, Y = views(seed=2)
    X[:, 2] = 4.0
    pls = PLSSVD(n_components=2).fit(X, Y)
    np.testing.assert_allclose(pls.x_weights_[2], 0.0, atol=1e-12)


def test_bad_inputs():
    X, Y = views(seed=3)
    with pytest.raises(InputError, match="rank 5"):
        PLSSVD(n_components=6).fit(X, Y)
    with pytest.raises(ShapeMismatchError):
        PLSSVD().fit(X, Y[:-2])
    X_bad = X.copy()
    X_bad[9, 1] = np.inf
    with pytest.raises(NonFiniteError, match="row 9"):
        PLSSVD().fit(X_bad, Y)
    with pytest.raises(NotFittedError):
        PLSSVD().transform(X)
    with pytest.raises(ShapeMismatchError):
        PLSSVD().fit(X, Y).transform_y(X)


def test_save_load_and_clone(tmp_path):
    X, Y = views(seed=4)
    pls = PLSSVD(n_components=2, scale=False).fit(X, Y)
    loaded = PLSSVD.load(pls.save(tmp_path / "pls"))
    np.testing.assert_array_equal(loaded.transform(X), pls.transform(X))
    assert clone(pls).get_params() == {"n_components": 2, "scale": False}
