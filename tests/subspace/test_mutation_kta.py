"""KernelTargetAlignment: tests written from the survivors of the session-4 mutation run of
``subspace/_kta.py`` (see tests/README.md, "Session 4"). The oracles are the HSIC of explicit
Gram matrices (as in ``test_gram.py``), the documented empty-column rule and the stopping rule
of the module (``_TOL``)."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.subspace import KernelTargetAlignment, class_mean_indicator
from classicx.subspace._kta import _TOL

from .test_gram import _class_views, _hsic


def test_empty_columns_of_the_indicator_stay_zero():
    L = class_mean_indicator(np.eye(3)[[0, 0, 0, 1]])  # category 2 has no item
    np.testing.assert_array_equal(L[:, 2], 0.0)
    np.testing.assert_allclose(L[:, :2], np.eye(2)[[0, 0, 0, 1]] * np.sqrt([4 / 3, 4.0]))


def test_objective_before_any_alternation_includes_the_label_terms():
    """With ``max_iter=0`` the fit is the unsupervised start; its recorded objective is still
    the full supervised HSIC objective of the explicit Gram matrices."""
    X, Y, labels = _class_views(120, seed=2)
    weight = 0.7
    model = KernelTargetAlignment(3, reg=0.2, label_weight=weight, max_iter=0).fit(X, Y, labels=labels)
    assert model.n_iter_ == 1
    P, Q = model.transform(X, Y)
    counts = np.bincount(labels)
    K_l = (labels[:, None] == labels[None, :]) * (len(labels) / counts[labels])[None, :]
    Ka, Kb = P @ P.T, Q @ Q.T
    expected = _hsic(Ka, Kb) + weight * (_hsic(Ka, K_l) + _hsic(Kb, K_l))
    assert model.objective_[0] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("k, weight", [(1, 0.05), (3, 5.0)])
def test_alternation_stops_at_the_first_small_relative_increase(k, weight):
    """The rule: stop after the first step whose increase is at most ``_TOL * max(1, |value|)``
    (objectives below 1 and above 2 here, so both sides of ``max`` are used)."""
    X, Y, labels = _class_views(150, seed=1)
    model = KernelTargetAlignment(k, reg=0.1, label_weight=weight, max_iter=500).fit(X, Y, labels=labels)
    history = np.asarray(model.objective_)
    assert model.n_iter_ == len(history) < 501
    limits = _TOL * np.maximum(1.0, np.abs(history[1:]))
    steps = np.diff(history)
    assert np.all(steps[:-1] > limits[:-1]) and steps[-1] <= limits[-1]
    assert (history[-1] < 1.0) if weight < 1 else (history[-1] > 2.0)
