"""GramAlignment and centered_alignment: tests written from the survivors of the session-3
mutation run of ``subspace/gram.py`` (see tests/README.md, "Session 3"). The oracles are numpy
(explicit covariances, eigenvectors, Gram matrices), closed forms and the documented rules."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from classicx.exceptions import InputError
from classicx.subspace import GramAlignment, KernelFeatureMap, centered_alignment


def _views(n=80, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)) * rng.uniform(0.5, 2.0, size=5)
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(n, 4))
    labels = (X[:, 3] > 0).astype(int) + (X[:, 4] > 0.5)
    return scale * X, scale * Y, labels


def _centred_gram(P):
    P = P - P.mean(axis=0)
    return P @ P.T


def _projector(W):
    Q, _ = np.linalg.qr(W)
    return Q @ Q.T


def test_documented_defaults():
    params = GramAlignment().get_params()
    assert params == {
        "n_components": 2,
        "kernel": "linear",
        "kernel_y": None,
        "scale": False,
        "label_weight": 1.0,
        "max_iter": 100,
        "tol": 1e-10,
        "random_state": None,
        "verbose": True,
    }
    assert GramAlignment(random_state=7).get_params()["random_state"] == 7


def test_centered_alignment_of_rank_one_grams_is_the_squared_correlation():
    """Closed form: for K = x x' + a and L = y y' + b the centred alignment is corr(x, y)^2."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=12), rng.normal(size=12)
    y = y + 0.7 * x
    expected = np.corrcoef(x, y)[0, 1] ** 2
    assert centered_alignment(np.outer(x, x) + 4.0, np.outer(y, y) - 2.0) == pytest.approx(expected, rel=1e-12)


def test_positive_only_tag_follows_either_kernel():
    def tag(**kw):
        return GramAlignment(**kw).__sklearn_tags__().input_tags.positive_only

    assert tag() is False
    assert tag(kernel="chi2") is True
    assert tag(kernel="linear", kernel_y="chi2") is True
    assert tag(kernel="hellinger", kernel_y="linear") is True
    assert tag(kernel="rbf", kernel_y="linear") is False
    assert tag(kernel=KernelFeatureMap("additive_chi2")) is True


def _explicit_objective(X, Y, labels, A, B, weight):
    """The documented objective at (A, B), from n x n Gram matrices, divided by (n - 1)^2."""
    n = len(X)
    Ka, Kb = _centred_gram(X @ A), _centred_gram(Y @ B)
    value = np.sum(Ka * Kb)
    if labels is not None:
        L = np.eye(labels.max() + 1)[labels]
        Kl = _centred_gram(L)
        value += weight * (np.sum(Ka * Kl) + np.sum(Kb * Kl))
    return value / (n - 1) ** 2


def test_alternation_starts_at_pls_svd_and_ends_at_a_fixed_point_of_both_half_steps():
    """Oracle: numpy. ``objective_[0]`` is the documented objective (labels included) at the
    PLS-SVD start (the top singular vectors of the cross-covariance); at the end each
    projection spans the top eigenvectors of its half-step matrix
    ``C_xy B B' C_yx + w C_xl C_lx`` (and the same for ``B``), which is what "alternated until
    the objective stops increasing" means."""
    X, Y, labels = _views()
    w = 2.0
    # tol=0: alternate until the objective stops increasing in floating point
    model = GramAlignment(2, label_weight=w, tol=0.0, max_iter=500, verbose=False).fit(X, Y, labels=labels)
    n = len(X)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    L = np.eye(labels.max() + 1)[labels]
    Lc = L - L.mean(0)
    C_xy, C_xl, C_yl = Xc.T @ Yc / (n - 1), Xc.T @ Lc / (n - 1), Yc.T @ Lc / (n - 1)
    U, _, Vt = np.linalg.svd(C_xy)
    start = _explicit_objective(X, Y, labels, U[:, :2], Vt[:2].T, w)
    assert model.objective_[0] == pytest.approx(start, rel=1e-10)
    assert len(model.objective_) > 2  # the labels move the solution: several alternations
    A, B = model.x_weights_, model.y_weights_
    M_a = C_xy @ B @ B.T @ C_xy.T + w * C_xl @ C_xl.T
    M_b = C_xy.T @ A @ A.T @ C_xy + w * C_yl @ C_yl.T
    for W, M in ((A, M_a), (B, M_b)):
        evals, evecs = np.linalg.eigh(M)
        assert evals[-2] - evals[-3] > 1e-3 * evals[-1]  # a well-defined top-2 eigenspace
        np.testing.assert_allclose(_projector(W), _projector(evecs[:, -2:]), atol=1e-6)
    assert model.objective_[-1] == pytest.approx(_explicit_objective(X, Y, labels, A, B, w), rel=1e-10)


@pytest.mark.parametrize("scale", [0.2, 10.0])
def test_alternation_stops_at_the_first_relative_increase_below_tol(scale):
    """The documented stopping rule, with the full history (tol=0) as the reference: with
    ``tol`` the history is that prefix which ends at the first step whose increase is at most
    ``tol * max(1, |value|)``. Objectives below 1 (scale 0.2) and far above (scale 10) make
    the ``max(1, |value|)`` matter; ``tol`` is put between two consecutive increases."""
    X, Y, labels = _views(scale=scale)
    full = np.array(GramAlignment(2, label_weight=2.0, tol=0.0, max_iter=500, verbose=False).fit(X, Y, labels=labels).objective_)
    steps = np.diff(full)
    assert len(full) < 500 and np.all(steps[:-1] > 0)  # ends at the first non-increase
    rel = steps / np.maximum(1.0, np.abs(full[1:]))
    j = len(rel) // 2
    assert rel[j] < 0.6 * rel[j - 1]  # room between two consecutive relative increases
    tol = 0.75 * rel[j - 1]  # rel[j - 1] > tol >= rel[j]
    stop = int(np.argmax(rel <= tol))  # the first step at or below tol ends the loop
    expected = full[: stop + 2]
    got = GramAlignment(2, label_weight=2.0, tol=tol, verbose=False).fit(X, Y, labels=labels)
    np.testing.assert_allclose(got.objective_, expected, rtol=1e-12)
    assert got.n_iter_ == len(expected)


def test_without_labels_one_closed_form_solve():
    X, Y, labels = _views()
    plain = GramAlignment(2, verbose=False).fit(X, Y)
    assert plain.n_iter_ == 1 and len(plain.objective_) == 1
    U, _, Vt = np.linalg.svd((X - X.mean(0)).T @ (Y - Y.mean(0)) / (len(X) - 1))
    assert plain.objective_[0] == pytest.approx(_explicit_objective(X, Y, None, U[:, :2], Vt[:2].T, 0.0), rel=1e-10)
    # label_weight=0: the labels add nothing, the fit is the unsupervised one
    zero = GramAlignment(2, label_weight=0.0, verbose=False).fit(X, Y, labels=labels)
    assert zero.n_iter_ == 1
    np.testing.assert_allclose(zero.transform(X), plain.transform(X), atol=1e-12)


def test_scaled_fit_with_labels_matches_explicit_gram_matrices():
    """``scale=True``: the objective and ``alignment_`` are those of the scaled features'
    Gram matrices (labels included), from the transform output."""
    X, Y, labels = _views(seed=4)
    X[:, 0] *= 50.0
    model = GramAlignment(2, scale=True, label_weight=1.5, verbose=False).fit(X, Y, labels=labels)
    P, Q = model.transform(X, Y)
    Xs, Ys = X / X.std(axis=0, ddof=1), Y / Y.std(axis=0, ddof=1)
    n = len(X)
    L = np.eye(labels.max() + 1)[labels]
    Ka, Kb, Kl = _centred_gram(P), _centred_gram(Q), _centred_gram(L)
    expected = (np.sum(Ka * Kb) + 1.5 * (np.sum(Ka * Kl) + np.sum(Kb * Kl))) / (n - 1) ** 2
    assert model.objective_[-1] == pytest.approx(expected, rel=1e-9)
    assert model.alignment_ == pytest.approx(centered_alignment(P @ P.T, Q @ Q.T), rel=1e-9)
    np.testing.assert_allclose(P, (Xs - Xs.mean(0)) @ (model.x_weights_ * X.std(axis=0, ddof=1)[:, None]), atol=1e-9)


def test_the_debug_log_counts_the_alternations(caplog):
    X, Y, labels = _views()
    with caplog.at_level(logging.DEBUG, logger="classicx.subspace.gram"):
        model = GramAlignment(2, verbose=False).fit(X, Y, labels=labels)
    assert f"GramAlignment: {model.n_iter_ - 1} alternations with labels" in caplog.messages


def test_messages_name_the_view_and_the_limits():
    X, Y, _ = _views(n=50)
    for bad, name in ((np.zeros_like(X), "X"), (np.full_like(X, 3.0), "X")):
        with pytest.raises(InputError, match=f"^{name} has no variance: every row of {name} is the same$"):
            GramAlignment(verbose=False).fit(bad, Y)
    # The rule: a variance below 1e-12 of the features' second moment is no variance (here
    # 1e-10 against 1e6 per column); a rule that divided by the second moment would accept it.
    rng = np.random.default_rng(0)
    tiny = 1000.0 + 1e-5 * rng.normal(size=X.shape)
    with pytest.raises(InputError, match="^X has no variance"):
        GramAlignment(verbose=False).fit(tiny, Y)
    cases = [
        (X[:, :3], Y, 4, "X has 3 features, Y has 4 and there are 50 pairs"),
        (X, Y[:, :2], 3, "X has 5 features, Y has 2 and there are 50 pairs"),
        (X[:3], Y[:3], 4, "X has 5 features, Y has 4 and there are 3 pairs"),
    ]
    for Xb, Yb, k, reason in cases:
        limit = min(Xb.shape[1], Yb.shape[1], len(Xb))
        with pytest.raises(InputError, match="^" + re.escape(f"n_components={k} is larger than {limit}, {reason}") + "$"):
            GramAlignment(k, verbose=False).fit(Xb, Yb)


def test_rank_messages_with_and_without_labels():
    X, Y, labels = _views(n=60)
    low = np.hstack([X[:, :2], X[:, :2] @ np.ones((2, 3))])  # 5 columns of rank 2
    with pytest.raises(InputError, match=re.escape("n_components=3 is larger than 2, X has rank 2 and Y rank 4")):
        GramAlignment(3, verbose=False).fit(low, Y, labels=labels)
    # exactly uncorrelated views (orthogonal centred columns): rank 0, nothing to keep
    a = np.array([1.0, 1.0, -1.0, -1.0] * 5)
    b = np.array([1.0, -1.0, 1.0, -1.0] * 5)
    with pytest.raises(InputError, match=re.escape("the cross-covariance of X and Y has rank 0")):
        GramAlignment(1, verbose=False).fit(a[:, None], b[:, None])
    # one column each, correlated: rank 1
    one = GramAlignment(1, verbose=False).fit(X[:, :1], Y[:, :1])
    assert one.x_weights_.shape == (1, 1)


def test_string_kernel_is_a_nystroem_map_and_random_state_seeds_the_maps():
    """Documented: a kernel name means ``KernelFeatureMap(kernel, method="nystrom")``, and
    ``random_state`` seeds the maps that have no ``random_state`` of their own, so the same
    seed gives the same fit (landmarks drawn from the rows)."""
    X, Y, _ = _views(n=60)
    named = GramAlignment(2, kernel="rbf", random_state=0, verbose=False).fit(X, Y)
    assert named.x_map_.method == "nystrom" and named.y_map_.method == "nystrom"
    assert named.x_weights_ is None and named.y_weights_ is None  # folded into the maps
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=15)
    a = GramAlignment(2, kernel=fmap, random_state=0, verbose=False).fit(X, Y)
    b = GramAlignment(2, kernel=fmap, random_state=0, verbose=False).fit(X, Y)
    assert a.x_map_.random_state is not None and a.y_map_.random_state is not None
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.transform_y(Y), b.transform_y(Y))
    assert fmap.random_state is None  # the user's map is not changed


def test_verbose_reports_progress_of_fit_and_transform(capsys, monkeypatch):
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)  # report even a quick loop
    X, Y, _ = _views(n=60)
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=20, batch_size=10, random_state=0)
    quiet = GramAlignment(2, kernel=fmap, kernel_y="linear", verbose=False).fit(X, Y)
    quiet.transform(X)
    assert capsys.readouterr().err == ""
    loud = GramAlignment(2, kernel=fmap, kernel_y="linear").fit(X, Y)  # verbose=True is the default
    assert "kernel features (X): 6/6" in capsys.readouterr().err
    loud.transform(X)
    assert "kernel features: 6/6" in capsys.readouterr().err


@pytest.mark.parametrize(
    "shape, n, small",
    [((40, 3), 5, 4e-15), ((3, 40), 5, 4e-15), ((4, 3), 1000, 1e-14)],
)
def test_rank_cut_of_the_cross_covariance_counts_features_and_pairs(monkeypatch, shape, n, small):
    """Session 6: the rank tolerance is ``s[0] * max(d_x, d_y, n) * eps``. The fit is run on given
    moments (unit variances, a cross-covariance with singular values 1, 0.5 and ``small``):
    ``small`` lies between the tolerance with the largest of the three and with the others
    (4e-15 against 40 eps = 8.9e-15 and 5 eps = 1.1e-15; 1e-14 against 1000 eps and 4 eps), so
    the cross-covariance has rank 2."""
    from classicx.subspace._kernel_aligner import Moments

    rng = np.random.default_rng(7)
    dx, dy = shape
    U, _ = np.linalg.qr(rng.normal(size=(dx, 3)))
    V, _ = np.linalg.qr(rng.normal(size=(dy, 3)))
    cross = U @ np.diag([1.0, 0.5, small]) @ V.T
    moments = Moments(n, None, None, np.zeros(dx), np.zeros(dy), np.eye(dx), np.eye(dy), cross)
    X, Y = np.zeros((n, dx)), np.zeros((n, dy))
    est = GramAlignment(3, verbose=False)
    monkeypatch.setattr(est, "_moments", lambda *args: (X, Y, moments))
    message = "n_components=3 is larger than 2, the cross-covariance of X and Y has rank 2"
    with pytest.raises(InputError, match=re.escape(message)):
        est.fit(X, Y)
    est = GramAlignment(2, verbose=False)
    monkeypatch.setattr(est, "_moments", lambda *args: (X, Y, moments))
    est.fit(X, Y)
    np.testing.assert_allclose(np.abs(est.x_weights_.T @ U[:, :2]), np.eye(2), atol=1e-12)
