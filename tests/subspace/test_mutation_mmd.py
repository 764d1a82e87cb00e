"""MMDKernel and the MMDAlignment objective: tests written from the survivors of the session-3
mutation run of ``subspace/mmd.py`` (see tests/README.md, "Session 3")."""

from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.exceptions import ShapeMismatchError
from classicx.subspace import MMDAlignment, MMDKernel
from classicx.subspace.mmd import _Problem


def test_mmd_kernel_features_are_rahimi_recht_random_fourier_features():
    """The definition (Rahimi & Recht 2007): ``sqrt(2 / D) cos(x' w + b)`` with the drawn
    weights ``w`` and offsets ``b`` (uniform on [0, 2 pi))."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    kernel = MMDKernel(bandwidth_scales=(0.5, 2.0), n_random_features=16, random_state=0).fit(X)
    W, b = kernel.random_weights_, kernel.random_offset_
    assert W.shape == (3, 32) and b.shape == (32,)
    assert np.all((b >= 0) & (b < 2 * np.pi))
    Z = rng.normal(size=(7, 3))
    np.testing.assert_allclose(kernel.transform(Z), np.sqrt(2.0 / 32) * np.cos(Z @ W + b), rtol=1e-12)
    with pytest.raises(ShapeMismatchError):
        kernel.transform(rng.normal(size=(5, 4)))  # refused at validation, not a raw matmul error


def test_objective_mmd_term_is_the_distance_of_the_kernel_feature_means():
    """Documented: the MMD term is the squared distance between the mean MMDKernel features of
    the projected images and texts; the objective's own features must be the kernel's."""
    rng = np.random.default_rng(1)
    Xw, Yw = rng.normal(size=(30, 4)), rng.normal(size=(25, 3)) + 0.5
    A = np.linalg.qr(rng.normal(size=(4, 2)))[0]
    B = np.linalg.qr(rng.normal(size=(3, 2)))[0]
    kernel = MMDKernel(n_random_features=8, random_state=0).fit(np.vstack([Xw @ A, Yw @ B]))
    problem = _Problem(np.zeros((4, 3)), Xw, Yw, None, None, 1.0, 0.0, kernel.random_weights_, kernel.random_offset_)
    delta = kernel.transform(Xw @ A).mean(axis=0) - kernel.transform(Yw @ B).mean(axis=0)
    terms = problem.terms(A, B)
    assert terms["mmd2"] == pytest.approx(float(delta @ delta), rel=1e-12)
    assert terms["class_mmd2"] == 0.0
    value, _ = problem(A, B)
    assert value == pytest.approx(float(delta @ delta), rel=1e-12)  # pair term is 0 (T = 0)


@pytest.mark.parametrize("with_labels", [False, True])
def test_final_objective_is_its_documented_terms(with_labels):
    """``objective_[-1]`` = minus the mean correlation + mmd_weight (MMD^2 + label_weight
    class MMD^2), from the reported ``correlations_``, ``mmd2_`` and ``class_mmd2_``; the class
    term is 0 without labels."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 4))
    Y = X[:, :3] + 0.3 * rng.normal(size=(60, 3))
    labels = (X[:, 3] > 0).astype(int) if with_labels else None
    model = MMDAlignment(n_components=2, mmd_weight=2.0, label_weight=0.5, random_state=0, verbose=False)
    model.fit(X, Y, labels=labels)
    if not with_labels:
        assert model.class_mmd2_ == 0.0
    assert model.mmd2_ > 0.0
    expected = -np.mean(model.correlations_) + 2.0 * (model.mmd2_ + 0.5 * model.class_mmd2_)
    assert model.objective_[-1] == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_class_means_keep_the_categories_with_an_image_and_a_text():
    """By hand: 4 pairs labelled 0, 0, 1, 1, one unpaired image of class 1, unpaired texts of
    classes 2 and 0. Class 2 has no image: it is dropped (no division by a zero count); each
    kept column is the class indicator divided by its count."""
    from classicx.subspace.mmd import _class_means

    class_x, class_y = _class_means(np.array([0, 0, 1, 1]), np.array([1]), np.array([2, 0]), 4, 5, 6)
    expected_x = np.array([[1 / 2, 0], [1 / 2, 0], [0, 1 / 3], [0, 1 / 3], [0, 1 / 3]])
    expected_y = np.array([[1 / 3, 0], [1 / 3, 0], [0, 1 / 2], [0, 1 / 2], [0, 0], [1 / 3, 0]])
    np.testing.assert_allclose(class_x, expected_x, rtol=1e-15)
    np.testing.assert_allclose(class_y, expected_y, rtol=1e-15)


def test_class_means_refuse_mixed_codings_with_the_whole_message():
    from classicx.exceptions import InputError
    from classicx.subspace.mmd import _class_means

    message = (
        "labels, X_unpaired_labels and Y_unpaired_labels must use one coding: all 1-D "
        "categories or all indicator matrices with the same number of columns"
    )
    two, three = np.eye(2, dtype=int)[[0, 1, 1]], np.eye(3, dtype=int)[[0, 2]]
    for parts in ((two, three, None), (np.array([0, 1, 1]), None, three)):
        with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
            _class_means(*parts, 3, 5, 5)


def test_mmd_kernel_defaults_and_parameter_checks():
    from classicx.exceptions import InputError, ParameterError

    assert MMDKernel().get_params() == {"bandwidth_scales": (0.5, 1.0, 2.0), "n_random_features": 256, "random_state": None}
    X = np.random.default_rng(3).normal(size=(20, 2))
    with pytest.raises(ParameterError, match="n_random_features"):
        MMDKernel(n_random_features=0).fit(X)
    for bad in [(), (1.0, np.inf), (np.nan,), [[0.5, 1.0]], (1.0, -2.0), (0.0,)]:
        with pytest.raises(InputError, match="^bandwidth_scales must be positive numbers"):
            MMDKernel(bandwidth_scales=bad).fit(X)


def test_random_state_seeds_the_median_sample_and_the_offsets():
    """Documented: ``random_state`` seeds the median-heuristic sample (drawn when there are more
    than 1,000 rows) and the random features; the offsets are uniform on [0, 2 pi)."""
    X = np.random.default_rng(4).normal(size=(1100, 2)) * [1.0, 3.0]
    a, b, c = (MMDKernel(bandwidth_scales=(1.0,), n_random_features=600, random_state=s).fit(X) for s in (0, 0, 1))
    assert a.gammas_ == b.gammas_
    np.testing.assert_array_equal(a.random_offset_, b.random_offset_)
    assert a.gammas_ != c.gammas_  # another seed, another sample of 1,000 rows
    q = np.quantile(a.random_offset_, [0.05, 0.5, 0.95]) / (2 * np.pi)
    np.testing.assert_allclose(q, [0.05, 0.5, 0.95], atol=0.04)
    assert a.random_offset_.min() >= 0 and a.random_offset_.max() < 2 * np.pi


def test_a_class_with_one_text_is_kept():
    from classicx.subspace.mmd import _class_means

    class_x, class_y = _class_means(np.array([0, 0, 1]), None, None, 3, 3, 3)
    np.testing.assert_allclose(class_x, [[0.5, 0], [0.5, 0], [0, 1]], rtol=1e-15)
    np.testing.assert_allclose(class_y, class_x, rtol=1e-15)


# -- Session 5: MMDAlignment's own methods (fit, _descend, _check_unpaired, ...) ---------------

FAST5 = dict(kernel=MMDKernel(n_random_features=32), verbose=False, random_state=0)


def _pairs(n=80, seed=5):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X = np.hstack([z + 0.3 * rng.normal(size=(n, 2)), rng.normal(size=(n, 2))]) @ rng.normal(size=(4, 4))
    Y = np.hstack([z + 0.5 * rng.normal(size=(n, 2)), rng.normal(size=(n, 1))]) @ rng.normal(size=(3, 3))
    return X, Y


def _shrunk(V, reg):
    C = np.cov(V.T)
    return (1 - reg) * C + reg * np.trace(C) / len(C) * np.eye(len(C))


def test_reg_y_shrinks_the_second_view_and_defaults_to_reg():
    """The planted bug of issue #10 in another learner: ``reg_y`` must shrink Y's covariance
    (and ``reg`` X's). Oracle: RegularizedCCA with the same pair of shrinkages, and the documented
    constraints ``A' C~_xx A = I``, ``B' C~_yy B = I``."""
    from classicx.subspace import RegularizedCCA

    X, Y = _pairs()
    for reg, reg_y in ((0.1, 0.6), (0.3, None)):
        model = MMDAlignment(2, mmd_weight=0.0, reg=reg, reg_y=reg_y, **FAST5).fit(X, Y)
        cca = RegularizedCCA(2, reg=reg, reg_y=reg_y).fit(X, Y)
        np.testing.assert_allclose(model.correlations_, cca.canonical_correlations_, rtol=1e-9)
        np.testing.assert_allclose(np.abs(model.transform_y(Y)), np.abs(cca.transform_y(Y)), atol=1e-8)
        ry = reg if reg_y is None else reg_y
        for W, V, r in ((model.x_weights_, X, reg), (model.y_weights_, Y, ry)):
            np.testing.assert_allclose(W.T @ _shrunk(V, r) @ W, np.eye(2), atol=1e-9)


def test_fitted_attributes_from_their_definitions():
    """``correlations_`` = diag(Wx' C_xy Wy) over the centred pairs; the transforms apply the
    weights to the centred views; ``n_iter_`` counts the accepted steps; shapes and counts."""
    X, Y = _pairs(seed=6)
    labels = (X[:, 0] > 0).astype(int)
    model = MMDAlignment(2, mmd_weight=3.0, label_weight=0.5, max_iter=15, **FAST5).fit(X, Y, labels=labels)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    C_xy = Xc.T @ Yc / (len(X) - 1)
    np.testing.assert_allclose(model.correlations_, np.diag(model.x_weights_.T @ C_xy @ model.y_weights_), rtol=1e-9)
    np.testing.assert_allclose(model.x_mean_, X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(model.transform(X[:5]), (X[:5] - X.mean(0)) @ model.x_weights_, rtol=1e-12)
    np.testing.assert_allclose(model.transform_y(Y[:5]), (Y[:5] - Y.mean(0)) @ model.y_weights_, rtol=1e-12)
    assert model.n_iter_ == len(model.objective_) - 1 >= 1
    assert (model.n_features_in_, model.n_features_y_in_) == (4, 3)
    assert model.x_weights_.shape == (4, 2) and model.y_weights_.shape == (3, 2)
    assert model.class_mmd2_ > 0 and model.mmd2_ > 0
    expected = -np.mean(model.correlations_) + 3.0 * (model.mmd2_ + 0.5 * model.class_mmd2_)
    assert model.objective_[-1] == pytest.approx(expected, rel=1e-6)
    assert np.all(np.diff(model.objective_) <= 0)
    assert len(model.mmd_gammas_) == 3


def test_defaults_are_the_documented_ones():
    assert MMDAlignment().get_params() == {
        "n_components": 2, "mmd_weight": 1.0, "label_weight": 1.0, "reg": 1e-3, "reg_y": None, "kernel": None,
        "max_iter": 200, "tol": 1e-7, "random_state": None, "verbose": True,
    }


def test_float32_and_integer_views_are_fitted_in_float64():
    X, Y = _pairs(seed=7)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    a = MMDAlignment(2, mmd_weight=0.0, **FAST5).fit(X32, Y32)
    b = MMDAlignment(2, mmd_weight=0.0, **FAST5).fit(X32.astype(np.float64), Y32.astype(np.float64))
    np.testing.assert_array_equal(a.x_weights_, b.x_weights_)
    np.testing.assert_array_equal(a.correlations_, b.correlations_)
    Xi, Yi = np.round(X * 10).astype(int), np.round(Y * 10).astype(int)
    a = MMDAlignment(2, mmd_weight=0.0, **FAST5).fit(Xi, Yi)
    b = MMDAlignment(2, mmd_weight=0.0, **FAST5).fit(Xi.astype(float), Yi.astype(float))
    np.testing.assert_array_equal(a.y_weights_, b.y_weights_)


def test_unpaired_input_messages_name_the_argument():
    from classicx.exceptions import InputError, NonFiniteError

    X, Y = _pairs(n=30, seed=8)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(NonFiniteError) as info:
        MMDAlignment(**FAST5).fit(X, Y, X_unpaired=bad)
    assert str(info.value) == "MMDAlignment: X_unpaired holds NaN or infinity in 1 row(s); first at row 2"
    bad_y = Y.copy()
    bad_y[3, 0] = np.inf
    with pytest.raises(NonFiniteError) as info:
        MMDAlignment(**FAST5).fit(X, Y, Y_unpaired=bad_y)
    assert str(info.value) == "MMDAlignment: Y_unpaired holds NaN or infinity in 1 row(s); first at row 3"
    with pytest.raises(ShapeMismatchError) as info:
        MMDAlignment(**FAST5).fit(X, Y, X_unpaired=X[:, :3])
    assert str(info.value) == "X_unpaired has 3 features, but the paired view has 4"
    with pytest.raises(InputError) as info:
        MMDAlignment(**FAST5).fit(X, Y, Y_unpaired_labels=np.zeros(5, int))
    assert str(info.value) == "Y_unpaired_labels were given without Y_unpaired: they label its rows"
    with pytest.raises(InputError) as info:
        MMDAlignment(**FAST5).fit(X, Y, X_unpaired_labels=np.zeros(5, int))
    assert str(info.value) == "X_unpaired_labels were given without X_unpaired: they label its rows"


def test_too_many_components_names_both_ranks():
    from classicx.exceptions import InputError

    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    X[:, 3] = X[:, 0]  # a duplicate column adds no rank
    with pytest.raises(InputError) as info:
        MMDAlignment(4, **FAST5).fit(X, Y)
    assert str(info.value) == (
        "n_components=4 is larger than 3, the centred X has rank 3 and the centred Y has rank 3 "
        "(constant or duplicate columns add no rank)"
    )


def test_default_kernel_is_mmd_kernel_seeded_by_the_aligner():
    """``kernel=None`` means ``MMDKernel()`` (three bandwidths), seeded by ``random_state``."""
    X, Y = _pairs(n=40, seed=10)
    a = MMDAlignment(2, max_iter=2, random_state=3, verbose=False).fit(X, Y)
    b = MMDAlignment(2, max_iter=2, random_state=3, verbose=False, kernel=MMDKernel()).fit(X, Y)
    assert len(a.mmd_gammas_) == 3 and a.mmd_gammas_ == b.mmd_gammas_
    np.testing.assert_array_equal(a.x_weights_, b.x_weights_)
    assert a.mmd2_ == b.mmd2_


def test_unpaired_text_labels_join_the_class_terms():
    """Documented: ``Y_unpaired_labels`` label the unpaired texts for the class-conditional
    terms; a class that no image has is dropped, so labelling every unpaired text with such a
    class is the same fit as not labelling them."""
    X, Y = _pairs(n=60, seed=11)
    labels = (X[:40, 0] > 0).astype(int)
    kw = dict(mmd_weight=0.0, max_iter=0, **FAST5)
    plain = MMDAlignment(2, **kw).fit(X[:40], Y[:40], labels=labels, Y_unpaired=Y[40:])
    labelled = MMDAlignment(2, **kw).fit(
        X[:40], Y[:40], labels=labels, Y_unpaired=Y[40:], Y_unpaired_labels=(X[40:, 0] > 0).astype(int)
    )
    orphan = MMDAlignment(2, **kw).fit(
        X[:40], Y[:40], labels=labels, Y_unpaired=Y[40:], Y_unpaired_labels=np.full(20, 7)
    )
    assert labelled.class_mmd2_ != plain.class_mmd2_
    assert orphan.class_mmd2_ == plain.class_mmd2_
    assert labelled.mmd2_ == plain.mmd2_  # the marginal term does not use labels


def test_debug_line_reports_the_steps_and_the_objective(caplog):
    import logging

    X, Y = _pairs(n=40, seed=12)
    with caplog.at_level(logging.DEBUG, logger="classicx.subspace.mmd"):
        model = MMDAlignment(2, max_iter=3, **FAST5).fit(X, Y)
    lines = [r.getMessage() for r in caplog.records if r.name == "classicx.subspace.mmd"]
    assert lines == [
        f"MMDAlignment: {model.n_iter_} steps, objective {model.objective_[0]:.6g} -> {model.objective_[-1]:.6g}"
    ]
    assert model.n_iter_ >= 1


@pytest.mark.parametrize("verbose", [True, False])
def test_progress_bar_over_the_gradient_steps(monkeypatch, verbose):
    from classicx.subspace import mmd

    calls = []
    monkeypatch.setattr(mmd, "progress", lambda iterable, **kwargs: calls.append(kwargs) or iterable)
    X, Y = _pairs(n=30, seed=13)
    MMDAlignment(2, max_iter=2, kernel=MMDKernel(n_random_features=8), random_state=0, verbose=verbose).fit(X, Y)
    assert calls == [{"desc": "MMD alignment", "verbose": verbose}]


def _tangent_oracle(A, G):
    S = A.T @ G
    return G - A @ ((S + S.T) / 2)


def _polar(M):
    U, _, Vt = np.linalg.svd(M, full_matrices=False)
    return U @ Vt


def test_first_step_is_a_unit_step_along_the_negative_tangent_gradient():
    """The descent starts with step 1 (Armijo accepts it on this gently curved problem) and
    doubles it after each first-try success: the first three iterates, by hand."""
    rng = np.random.default_rng(14)
    T = 0.05 * rng.normal(size=(4, 3))
    Xw, Yw = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    problem = _Problem(T, Xw, Yw, None, None, 0.0, 0.0, np.zeros((2, 1)), np.zeros(1))
    A0, B0 = _polar(rng.normal(size=(4, 2))), _polar(rng.normal(size=(3, 2)))

    def value(A, B):
        return -np.sum(A * (T @ B)) / 2

    A, B = A0, B0
    history = [value(A, B)]
    for step in (1.0, 2.0, 4.0):
        gA, gB = -(T @ B) / 2, -(T.T @ A) / 2
        A, B = _polar(A - step * _tangent_oracle(A, gA)), _polar(B - step * _tangent_oracle(B, gB))
        history.append(value(A, B))
    _, _, got = MMDAlignment(2, max_iter=3, tol=0.0, verbose=False)._descend(problem, A0, B0)
    np.testing.assert_allclose(got, history, rtol=1e-12)


class _Scripted:
    """A stand-in objective for ``_descend``: the value of each evaluation comes from ``script``
    (a function of the last accepted value, the current slope and the trial's number), the
    gradient is fixed; records each trial's step length, recovered from the iterate."""

    def __init__(self, script, scale=1.0):
        self.script, self.scale = script, scale
        self.trials, self.slope, self.accepted, self.slopes = 0, None, 0.0, []
        self.gA = np.zeros((4, 2))
        self.gA[2, 0] = scale  # orthogonal to the columns of every iterate used below
        self.gB = np.zeros((3, 1))

    def evaluate(self, A, B):
        if self.slope is None:
            return 0.0, None
        self.trials += 1
        self.last = self.script(self.accepted, self.slope, self.trials)
        return self.last, None

    def gradient(self, A, B, state):
        if self.slope is not None:  # called after each accepted trial
            self.accepted = self.last
        xi = self.gA - A @ ((A.T @ self.gA + self.gA.T @ A) / 2)
        self.slope = float(np.sum(xi * xi))
        self.slopes.append(self.slope)
        return self.gA, self.gB


def _scripted_descent(script, scale=1.0, max_iter=1, tol=0.0):
    problem = _Scripted(script, scale)
    A0, B0 = np.eye(4)[:, :2], np.eye(3)[:, :1]
    model = MMDAlignment(2, max_iter=max_iter, tol=tol, verbose=False)
    A, B, history = model._descend(problem, A0, B0)
    return problem, history


def test_armijo_rule_accepts_exactly_a_sufficient_decrease():
    """Accept a trial when ``value_new <= value - 1e-4 * step * slope`` (slope = |tangent|^2 = 1
    here): a rise is refused, a decrease of exactly the bound is accepted, a smaller one halves."""
    problem, history = _scripted_descent(lambda v, s, t: 1e-9 if t == 1 else -1.0)
    assert problem.slopes[0] == 1.0 and history == [0.0, -1.0] and problem.trials == 2
    problem, history = _scripted_descent(lambda v, s, t: -1e-4 if t == 1 else -2.0)
    assert history == [0.0, -1e-4] and problem.trials == 1  # the bound itself is enough
    problem, history = _scripted_descent(lambda v, s, t: -0.9e-4 if t == 1 else -2.0)
    assert history == [0.0, -2.0] and problem.trials == 2


def test_armijo_bound_grows_with_the_step():
    """After a first-try success the step doubles, and so does the required decrease: a second
    step that gains 1.0e-4 * slope passes at step 1 but not at step 2."""
    def script(v, s, t):
        if t == 1:
            return -1.0  # accepted at once: the step doubles to 2
        if t == 2:
            return v - 1.0e-4 * s  # below 2e-4 * slope: refused at step 2
        return v - 1.0

    problem, history = _scripted_descent(script, max_iter=2)
    assert history[:2] == [0.0, -1.0] and history[2] == pytest.approx(-2.0) and problem.trials == 3


def test_line_search_gives_up_after_forty_halvings_and_a_flat_gradient_stops():
    problem, history = _scripted_descent(lambda v, s, t: 1.0, max_iter=5)
    assert history == [0.0] and problem.trials == 40
    problem, history = _scripted_descent(lambda v, s, t: -1.0, scale=1e-12, max_iter=5)
    assert problem.slopes == [1e-24] and history == [0.0] and problem.trials == 0  # slope <= 1e-24
    problem, history = _scripted_descent(lambda v, s, t: v - 1.0, scale=1.1e-12, max_iter=2)
    assert problem.trials == 2 and history == [0.0, -1.0, -2.0]


@pytest.mark.parametrize(
    "tol,script,expected",
    [
        # stop when the decrease is at most tol * max(1, |value|): exactly at the bound it stops
        (1e-3, lambda v, s, t: -1e-3 if t == 1 else v - 1.0, [0.0, -1e-3]),
        # |value| > 1 scales the bound up: a decrease of 2 at value -2 is within 1.5 * 2
        (1.5, lambda v, s, t: -2.0 if t == 1 else v - 1.0, [0.0, -2.0]),
        # |value| < 1 does not scale it down: 0.5 is above 0.4 * 1 until |value| reaches 1.25
        (0.4, lambda v, s, t: v - 0.5, [0.0, -0.5, -1.0, -1.5]),
    ],
)
def test_descent_stops_at_the_first_small_relative_decrease(tol, script, expected):
    problem, history = _scripted_descent(script, max_iter=6, tol=tol)
    assert history == pytest.approx(expected, abs=0)


# -- Session 6: _whiten and _Problem on the current code (the Gram path, float32 features) -------


def _low_rank_rows(n=12, d=20, seed=9, scales=(1e3, 1.0, 1.0)):
    """Centred rows of rank 3 with one dominant direction: d > n, so ``_whiten`` takes the Gram path."""
    rng = np.random.default_rng(seed)
    V = (rng.normal(size=(n, 3)) * scales) @ rng.normal(size=(3, d))
    return V - V.mean(axis=0)


def _reference_whitening(Vc, reg):
    """The documented whitening from the d x d covariance (numpy's eigh), on its range."""
    n, d = Vc.shape
    C = Vc.T @ Vc / (n - 1)
    evals, evecs = np.linalg.eigh(C)
    keep = evals > 1e-10 * evals[-1]
    shrunk = (1 - reg) * evals[keep] + reg * np.trace(C) / d
    return evecs[:, keep] / np.sqrt(shrunk), C


@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_whiten_with_more_features_than_rows_is_the_documented_whitening(reg):
    """Gram path (d > n): the whitened rows ``Vc W`` with ``W' ((1 - reg) C + reg trace(C)/d I) W = I``
    on the range of C. Oracle: the eigenvectors of the d x d covariance; rotation-free checks
    (the rows' Gram ``Z Z'``), the map ``A -> W A`` (``Vc W A = Z A`` and ``W' C~ W = I``), the rank
    (3: the null directions of a rank-3 view, eigenvalues ~1e-16 of the top one, are dropped, and
    the weak directions, 1e-6 of the top one, kept), and invariance to the scale of the view."""
    from classicx.subspace.mmd import _whiten

    Vc = _low_rank_rows()
    W_ref, C = _reference_whitening(Vc, reg)
    Z, to_weights = _whiten(Vc, reg)
    assert Z.shape == (12, 3)
    np.testing.assert_allclose(Z @ Z.T, (Vc @ W_ref) @ (Vc @ W_ref).T, rtol=1e-7, atol=1e-9)
    W = to_weights(np.eye(3))
    assert W.shape == (20, 3)
    shrunk = (1 - reg) * C + reg * np.trace(C) / 20 * np.eye(20)
    np.testing.assert_allclose(W.T @ shrunk @ W, np.eye(3), atol=1e-8)
    A = np.random.default_rng(10).normal(size=(3, 2))
    np.testing.assert_allclose(Vc @ to_weights(A), Z @ A, rtol=1e-9, atol=1e-9)
    # The whitening of a view does not depend on its units, down to tiny ones (the rank cut is relative).
    Z_small, _ = _whiten(1e-12 * Vc, reg)
    assert Z_small.shape == (12, 3)
    np.testing.assert_allclose(Z_small @ Z_small.T, Z @ Z.T, rtol=1e-7, atol=1e-9)


def test_whiten_of_a_constant_view_with_more_features_than_rows_has_no_direction():
    """A constant (all-zero centred) view has no variance: no whitened direction, zero weights."""
    from classicx.subspace.mmd import _whiten

    Z, to_weights = _whiten(np.zeros((5, 8)), 0.1)
    assert Z.shape == (5, 0)
    np.testing.assert_array_equal(to_weights(np.zeros((0, 2))), np.zeros((8, 2)))


def _float32_problem(seed=11, n=300, labels=True):
    """A float32 problem on two close samples (the texts shifted by 0.05), with 2 classes."""
    from classicx.subspace.mmd import _class_means

    rng = np.random.default_rng(seed)
    Xw, Yw = rng.normal(size=(n, 4)), rng.normal(size=(n, 4)) + 0.05
    A = np.linalg.qr(rng.normal(size=(4, 2)))[0]
    kernel = MMDKernel(n_random_features=64, random_state=0).fit(Xw @ A)
    class_x = class_y = None
    if labels:
        class_x, class_y = _class_means(None, (Xw[:, 0] > 0).astype(int), (Yw[:, 0] > 0).astype(int), 0, n, n)
    problem = _Problem(
        np.eye(4), Xw, Yw, class_x, class_y, 1.0, 0.5, kernel.random_weights_, kernel.random_offset_,
        dtype=np.float32,
    )
    return problem, A


def test_float32_problem_keeps_the_random_feature_part_in_float32():
    """Documented precision: with ``dtype=float32`` the rows, the random weights and offsets, the
    label operators, the projections and their features are float32; the feature means (``delta``,
    ``Delta``), the value and the gradient are float64."""
    problem, A = _float32_problem()
    for array in (problem.Xw, problem.Yw, problem.omega, problem.offset, problem.class_x, problem.class_y):
        assert array.dtype == np.float32
    value, (arg_x, arg_y, delta, Delta) = problem.evaluate(A, A)
    assert isinstance(value, float)
    assert arg_x.dtype == arg_y.dtype == np.float32
    assert delta.dtype == Delta.dtype == np.float64
    Z, arg = problem._features(problem.Xw @ A)  # a float64 projection is cast to the working precision
    assert Z.dtype == arg.dtype == np.float32
    gA, gB = problem.gradient(A, A, (arg_x, arg_y, delta, Delta))
    assert gA.dtype == gB.dtype == np.float64
    # and a float64 problem stays float64 throughout
    p64 = _Problem(np.eye(4), problem.Xw, problem.Yw, None, None, 1.0, 0.0, problem.omega, problem.offset)
    assert p64.Xw.dtype == p64.omega.dtype == p64._features(problem.Xw @ A)[0].dtype == np.float64


def test_float32_features_are_averaged_in_float64():
    """Documented: the MMD is a small difference of feature means, so the float32 features (of
    the float32 projections ``Xw A``) are averaged in float64. Oracle: numpy's float64 mean of
    the features cast to float64; averaging them in float32 is off by about 4e-7 here, and
    projecting in float64 by about 4e-8."""
    problem, A = _float32_problem(labels=False)
    A32 = A.astype(np.float32)
    Zx = problem._features(problem.Xw @ A32)[0]
    Zy = problem._features(problem.Yw @ A32)[0]
    assert Zx.dtype == Zy.dtype == np.float32
    delta = Zx.astype(np.float64).mean(axis=0) - Zy.astype(np.float64).mean(axis=0)
    assert problem.terms(A, A)["mmd2"] == pytest.approx(float(delta @ delta), rel=1e-11)
