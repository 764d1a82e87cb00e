"""Gram-matrix alignment: PLS-SVD equivalence, explicit Gram matrices as oracle, label alignment."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.cross_decomposition import PLSSVD
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics.pairwise import rbf_kernel

from classicx.exceptions import (
    InputError,
    NonFiniteError,
    NotFittedError,
    ShapeMismatchError,
)
from classicx.metrics import evaluate_retrieval
from classicx.subspace import (
    GramAlignment,
    KernelFeatureMap,
    KernelTargetAlignment,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    centered_alignment,
    class_mean_indicator,
)

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


# ---------------------------------------------------------------------------
# KernelTargetAlignment: the supervised Gram objective (HSIC / centred alignment under whitening)


def _class_views(n, seed=0, n_classes=4):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    centres = rng.normal(size=(n_classes, 3)) * 1.5
    z = rng.normal(size=(n, 2))
    X = np.hstack([centres[labels] + rng.normal(size=(n, 3)), z + 0.5 * rng.normal(size=(n, 2)),
                   rng.normal(size=(n, 2))]) * rng.uniform(0.3, 3.0, size=7)
    Y = np.hstack([centres[labels] @ rng.normal(size=(3, 2)) + rng.normal(size=(n, 2)),
                   z @ rng.normal(size=(2, 2)) + 0.5 * rng.normal(size=(n, 2)), rng.normal(size=(n, 1))])
    return X, Y, labels


def _whiten_by_hand(V, reg):
    """Centred rows of V times ((1 - reg) C + reg trace(C)/d I)^(-1/2), with scipy's matrix square root."""
    Vc = V - V.mean(axis=0)
    C = Vc.T @ Vc / (len(V) - 1)
    C_reg = (1 - reg) * C + reg * np.trace(C) / len(C) * np.eye(len(C))
    return Vc @ np.real(scipy.linalg.inv(scipy.linalg.sqrtm(C_reg)))


def _hsic(K, L):
    n = len(K)
    H = np.eye(n) - 1.0 / n
    return float(np.sum((H @ K @ H) * (H @ L @ H))) / (n - 1) ** 2


def test_kta_objective_is_hsic_of_explicit_gram_matrices():
    X, Y, labels = _class_views(150)
    weight = 0.7
    model = KernelTargetAlignment(3, reg=0.2, label_weight=weight).fit(X, Y, labels=labels)
    P, Q = model.transform(X, Y)  # weight_power=0: the whitened projections themselves
    counts = np.bincount(labels)
    K_l = (labels[:, None] == labels[None, :]) * (len(labels) / counts[labels])[None, :]
    Ka, Kb = P @ P.T, Q @ Q.T
    expected = _hsic(Ka, Kb) + weight * (_hsic(Ka, K_l) + _hsic(Kb, K_l))
    assert model.objective_[-1] == pytest.approx(expected, rel=1e-9)
    assert np.all(np.diff(model.objective_) >= 0) and len(model.objective_) > 2
    np.testing.assert_allclose(model.label_alignment_ * 3, [_hsic(Ka, K_l), _hsic(Kb, K_l)], rtol=1e-9)
    L = class_mean_indicator(np.eye(4)[labels])
    np.testing.assert_allclose(L @ L.T, K_l)


def test_kta_with_reg_zero_maximises_the_normalised_centred_alignments():
    X, Y, labels = _class_views(120, seed=1)
    k, weight, n = 2, 1.5, 120
    model = KernelTargetAlignment(k, reg=0.0, label_weight=weight).fit(X, Y, labels=labels)
    P, Q = model.transform(X, Y)
    H = np.eye(n) - 1.0 / n
    # whitened: every feasible projection has the same Gram-matrix norm
    assert np.linalg.norm(H @ P @ P.T @ H) == pytest.approx(np.sqrt(k) * (n - 1), rel=1e-9)
    counts = np.bincount(labels)
    K_l = (labels[:, None] == labels[None, :]) * (n / counts[labels])[None, :]
    c = np.linalg.norm(H @ K_l @ H) / (np.sqrt(k) * (n - 1))
    alignments = centered_alignment(P @ P.T, Q @ Q.T) + weight * c * (
        centered_alignment(P @ P.T, K_l) + centered_alignment(Q @ Q.T, K_l)
    )
    assert model.objective_[-1] == pytest.approx(k * alignments, rel=1e-9)
    # no other whitened orthonormal pair of projections does better
    Xw, Yw = _whiten_by_hand(X, 0.0), _whiten_by_hand(Y, 0.0)
    rng = np.random.default_rng(0)
    for _ in range(300):
        A = np.linalg.qr(rng.normal(size=(X.shape[1], k)))[0]
        B = np.linalg.qr(rng.normal(size=(Y.shape[1], k)))[0]
        Pa, Qb = Xw @ A, Yw @ B
        value = k * (
            centered_alignment(Pa @ Pa.T, Qb @ Qb.T)
            + weight * c * (centered_alignment(Pa @ Pa.T, K_l) + centered_alignment(Qb @ Qb.T, K_l))
        )
        assert value <= model.objective_[-1] + 1e-9


def test_kta_without_labels_is_regularized_cca():
    X, Y, labels = _class_views(200, seed=2)
    for reg in (0.0, 0.3):
        kta = KernelTargetAlignment(3, reg=reg).fit(X, Y)
        cca = RegularizedCCA(3, reg=reg).fit(X, Y)
        np.testing.assert_allclose(kta.transform(X), cca.transform(X), atol=1e-8)
        np.testing.assert_allclose(kta.transform_y(Y), cca.transform_y(Y), atol=1e-8)
        np.testing.assert_allclose(kta.correlations_, cca.canonical_correlations_, rtol=1e-9)
        unused = KernelTargetAlignment(3, reg=reg, label_weight=0.0).fit(X, Y, labels=labels)
        np.testing.assert_allclose(unused.transform(X), kta.transform(X), atol=1e-12)


def test_kta_with_a_large_label_weight_finds_the_lda_subspace():
    X, Y, labels = _class_views(300, seed=3)
    kta = KernelTargetAlignment(3, reg=0.0, label_weight=1e6).fit(X, Y, labels=labels)
    lda = LinearDiscriminantAnalysis(n_components=3).fit(X, labels)
    # the same 3-D subspace: every canonical correlation between the two projections is 1
    P, R = kta.transform(X), lda.transform(X)
    Pw, Rw = np.linalg.qr(P - P.mean(0))[0], np.linalg.qr(R - R.mean(0))[0]
    np.testing.assert_allclose(np.linalg.svd(Pw.T @ Rw, compute_uv=False), 1.0, atol=1e-6)
    # and its label alignment is n/(n-1) times the mean squared canonical correlation of X with
    # the label indicator, from orthonormal bases of the two centred views
    n = len(X)
    Qx = np.linalg.qr(X - X.mean(0))[0]
    L = np.eye(4)[labels]
    Ql = np.linalg.qr((L - L.mean(0))[:, :3])[0]
    rho = np.linalg.svd(Qx.T @ Ql, compute_uv=False)
    assert kta.label_alignment_[0] == pytest.approx(n / (n - 1) * np.mean(rho**2), rel=1e-6)


def test_kta_labels_improve_category_retrieval_over_cca():
    X, Y, labels = _class_views(400, seed=4)
    X_test, Y_test, labels_test = _class_views(400, seed=4)  # same centres: the same seed draws them
    rng_rows = np.random.default_rng(9).permutation(400)
    X_test, Y_test, labels_test = X_test[rng_rows], Y_test[rng_rows], labels_test[rng_rows]
    plain = KernelTargetAlignment(2, reg=0.1).fit(X, Y)
    supervised = KernelTargetAlignment(2, reg=0.1, label_weight=2.0).fit(X, Y, labels=labels)

    def category_map(model):
        return evaluate_retrieval(model.transform(X_test), model.transform_y(Y_test), labels_test).map_image_to_text

    assert category_map(supervised) > category_map(plain) + 0.1


def test_kta_weight_power_scales_components_by_their_correlation():
    X, Y, labels = _class_views(150, seed=5)
    flat = KernelTargetAlignment(3, label_weight=1.0).fit(X, Y, labels=labels)
    weighted = KernelTargetAlignment(3, label_weight=1.0, weight_power=2.0).fit(X, Y, labels=labels)
    np.testing.assert_allclose(weighted.transform(X), flat.transform(X) * flat.correlations_**2, atol=1e-10)
    assert np.all(np.diff(flat.correlations_) <= 0)


def test_kta_kernel_maps_sparse_save_load_and_scm(tmp_path):
    X, Y, labels = _class_views(120, seed=6)
    rbf = KernelFeatureMap("rbf", method="nystrom", n_components=40)
    model = KernelTargetAlignment(2, kernel=rbf, random_state=0, verbose=False).fit(X, Y, labels=labels)
    loaded = KernelTargetAlignment.load(model.save(tmp_path / "kta"))
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loaded.transform_y(Y), model.transform_y(Y), rtol=1e-12, atol=1e-14)
    assert comparable_params(clone(model)) == comparable_params(model)
    dense = KernelTargetAlignment(2).fit(X, Y, labels=labels)
    sparse = KernelTargetAlignment(2).fit(sp.csr_array(X), sp.csr_array(Y), labels=labels)
    np.testing.assert_allclose(sparse.transform(sp.csr_array(X)), dense.transform(X), atol=1e-10)
    # semantic matching on top (as SCM does for CCA)
    scm = SemanticCorrelationMatching(KernelTargetAlignment(3), SemanticMatching()).fit(X, Y, labels=labels)
    assert scm.transform(X).shape == (120, 4)
    assert isinstance(scm.aligner_, KernelTargetAlignment) and scm.aligner_.label_alignment_[0] > 0


def test_kta_bad_input():
    X, Y, labels = _class_views(60)
    with pytest.raises(ShapeMismatchError):
        KernelTargetAlignment().fit(X, Y, labels=labels[:10])
    with pytest.raises(InputError, match="reg"):
        KernelTargetAlignment(reg=1.5).fit(X, Y)
    with pytest.raises(InputError, match="n_components=6"):
        KernelTargetAlignment(6).fit(X, Y)
    with pytest.raises(InputError, match="every row of X is the same"):
        KernelTargetAlignment().fit(np.ones((60, 3)), Y)
    with pytest.raises(NotFittedError):
        KernelTargetAlignment().transform(X)
