"""Gram-matrix alignment: PLS-SVD equivalence, explicit Gram matrices as oracle, label alignment."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.cross_decomposition import PLSSVD
from sklearn.metrics.pairwise import rbf_kernel

from classicx.exceptions import InputError, NonFiniteError, NotFittedError, ShapeMismatchError
from classicx.subspace import GramAlignment, KernelFeatureMap, centered_alignment

from ._helpers import comparable_params


def _views(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)) * rng.uniform(0.5, 3.0, size=6)
    Y = X[:, :4] @ rng.normal(size=(4, 5)) + rng.normal(size=(n, 5))
    labels = (X[:, 4] > 0).astype(int) + (X[:, 5] > 1)
    return X, Y, labels


def _centred_gram(P):
    P = P - P.mean(axis=0)
    return P @ P.T


@pytest.mark.parametrize("scale", [False, True])
def test_linear_unsupervised_is_plssvd(scale):
    X, Y, _ = _views(200)
    gram = GramAlignment(3, scale=scale).fit(X, Y)
    pls = PLSSVD(3, scale=scale).fit(X, Y)
    P, Q = gram.transform(X, Y)
    P_ref, Q_ref = pls.transform(X, Y)
    np.testing.assert_allclose(P, P_ref, atol=1e-9)
    np.testing.assert_allclose(Q, Q_ref, atol=1e-9)


def test_objective_and_alignment_equal_explicit_gram_matrices():
    X, Y, _ = _views(120, seed=1)
    gram = GramAlignment(2).fit(X, Y)
    P, Q = gram.transform(X, Y)
    Ka, Kb = _centred_gram(P), _centred_gram(Q)
    n = len(X)
    assert gram.objective_[-1] == pytest.approx(np.sum(Ka * Kb) / (n - 1) ** 2, rel=1e-10)
    assert gram.alignment_ == pytest.approx(centered_alignment(P @ P.T, Q @ Q.T), rel=1e-10)
    # no other orthonormal projection aligns the Gram matrices better
    rng = np.random.default_rng(0)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    for _ in range(200):
        A = np.linalg.qr(rng.normal(size=(6, 2)))[0]
        B = np.linalg.qr(rng.normal(size=(5, 2)))[0]
        value = np.sum(_centred_gram(Xc @ A) * _centred_gram(Yc @ B)) / (n - 1) ** 2
        assert value <= gram.objective_[-1] + 1e-9


def test_labels_increase_alignment_with_the_label_gram_matrix():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4))
    Y = X[:, :2] @ rng.normal(size=(2, 3)) + 0.5 * rng.normal(size=(200, 3))
    labels = (X[:, 3] > 0).astype(int)  # carried by a column that Y does not share
    plain = GramAlignment(2).fit(X, Y)
    supervised = GramAlignment(2, label_weight=5.0).fit(X, Y, labels=labels)
    history = np.array(supervised.objective_)
    assert len(history) > 1 and np.all(np.diff(history) >= 0)
    L = np.eye(2)[labels]
    before = centered_alignment(_centred_gram(plain.transform(X)), L @ L.T)
    after = centered_alignment(_centred_gram(supervised.transform(X)), L @ L.T)
    assert after > before + 0.3
    # the recorded objective is the documented one, from explicit Gram matrices
    P, Q = supervised.transform(X, Y)
    Lc = _centred_gram(L)
    Ka, Kb = _centred_gram(P), _centred_gram(Q)
    expected = (np.sum(Ka * Kb) + 5.0 * (np.sum(Ka * Lc) + np.sum(Kb * Lc))) / (len(X) - 1) ** 2
    assert history[-1] == pytest.approx(expected, rel=1e-8)


def test_labels_keep_image_and_text_coordinates_paired():
    # Regression: with labels, the alternation left the two projections in unrelated
    # frames, so paired items did not land near each other and retrieval fell to chance.
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, size=300)
    centres = rng.normal(size=(4, 6)) * 2
    X = centres[labels] + rng.normal(size=(300, 6))
    Y = centres[labels] @ rng.normal(size=(6, 5)) + rng.normal(size=(300, 5))
    model = GramAlignment(3, label_weight=2.0).fit(X, Y, labels=labels)
    P, Q = model.transform(X, Y)
    cross = (P - P.mean(0)).T @ (Q - Q.mean(0))
    off_diagonal = cross - np.diag(np.diag(cross))
    assert np.all(np.diag(cross) > 0)
    assert np.abs(off_diagonal).max() < 1e-8 * np.abs(cross).max()
    # each image's nearest text (cosine) is usually of its own category
    Pn = P / np.linalg.norm(P, axis=1, keepdims=True)
    Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    nearest = np.argmax(Pn @ Qn.T, axis=1)
    assert np.mean(labels[nearest] == labels) > 0.6


def test_nonlinear_kernel_through_exact_feature_map():
    X, Y, _ = _views(80, seed=3)
    exact_x, exact_y = (
        KernelFeatureMap(method="exact", gamma=0.1),
        KernelFeatureMap(method="exact", gamma=0.05),
    )
    gram = GramAlignment(2, kernel=exact_x, kernel_y=exact_y).fit(X, Y)
    n = len(X)
    H = np.eye(n) - 1.0 / n
    Kx, Ky = H @ rbf_kernel(X, gamma=0.1) @ H, H @ rbf_kernel(Y, gamma=0.05) @ H
    # optimum = sum of the top-k eigenvalues of Kx Ky (the squared singular values of Phi_x' Phi_y)
    top = np.sort(np.linalg.eigvals(Kx @ Ky).real)[::-1][:2]
    assert gram.objective_[-1] * (n - 1) ** 2 == pytest.approx(top.sum(), rel=1e-6)
    P = gram.transform(X)
    np.testing.assert_allclose(P.mean(axis=0), 0.0, atol=1e-10)
    icd_x = KernelFeatureMap(method="icd", n_components=80, gamma=0.1)
    icd_y = KernelFeatureMap(method="icd", n_components=80, gamma=0.05)
    low = GramAlignment(2, kernel=icd_x, kernel_y=icd_y).fit(X, Y)
    assert low.objective_[-1] == pytest.approx(gram.objective_[-1], rel=1e-6)


def test_sparse_input_and_save_load(tmp_path):
    X, Y, labels = _views(100, seed=4)
    dense = GramAlignment(2, label_weight=1.0).fit(X, Y, labels=labels)
    sparse = GramAlignment(2, label_weight=1.0).fit(sp.csr_array(X), sp.csr_array(Y), labels=labels)
    np.testing.assert_allclose(sparse.transform(sp.csr_array(X)), dense.transform(X), atol=1e-10)
    for model in (
        dense,
        GramAlignment(2, kernel=KernelFeatureMap(n_components=30), random_state=0, verbose=False).fit(X, Y),
    ):
        loaded = GramAlignment.load(model.save(tmp_path / str(id(model))))
        np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(loaded.transform_y(Y), model.transform_y(Y), rtol=1e-12, atol=1e-14)
        assert comparable_params(clone(model)) == comparable_params(model)


def test_constant_columns_are_left_unscaled():
    X, Y, _ = _views(100, seed=5)
    X[:, 2] = 4.0
    gram = GramAlignment(2, scale=True).fit(X, Y)
    pls = PLSSVD(2, scale=True).fit(X, Y)
    np.testing.assert_allclose(gram.transform(X), pls.transform(X), atol=1e-9)


def test_bad_input():
    X, Y, labels = _views(50)
    with pytest.raises(ShapeMismatchError):
        GramAlignment().fit(X[:10], Y)
    bad = Y.copy()
    bad[3, 3] = np.nan
    with pytest.raises(NonFiniteError, match="row 3"):
        GramAlignment().fit(X, bad)
    with pytest.raises(InputError, match="n_components=6"):
        GramAlignment(6).fit(X, Y)
    with pytest.raises(InputError, match="every row of Y is the same"):
        GramAlignment().fit(X, np.ones((50, 2)))
    with pytest.raises(InputError, match="label_weight"):
        GramAlignment(label_weight=-1).fit(X, Y, labels=labels)
    with pytest.raises(InputError, match="method"):
        GramAlignment(kernel=KernelFeatureMap(method="svd")).fit(X, Y)
    with pytest.raises(NotFittedError):
        GramAlignment().transform_y(Y)


def test_views_of_lower_rank_than_n_components_are_refused():
    """Issue #12: all-zero components used to be returned silently."""
    import numpy as np
    import pytest

    from classicx.exceptions import InputError
    from classicx.subspace import GramAlignment

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 1)) @ np.ones((1, 6))
    Y = rng.normal(size=(50, 1)) @ np.ones((1, 5))
    with pytest.raises(InputError, match="n_components=3 is larger than 1, the cross-covariance"):
        GramAlignment(n_components=3).fit(X, Y)
    with pytest.raises(InputError, match="n_components=3 is larger than 1, X has rank 1"):
        GramAlignment(n_components=3).fit(X, Y, labels=np.arange(50) % 2)
    assert GramAlignment(n_components=1).fit(X, Y).transform(X).shape == (50, 1)
