"""KernelTargetAlignment: tests written from the survivors of the session-4 mutation run of
``subspace/_kta.py`` (see tests/README.md, "Session 4"). The oracles are the HSIC of explicit
Gram matrices (as in ``test_gram.py``), the documented empty-column rule and the stopping rule
of the module (``_TOL``)."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from classicx.exceptions import InputError
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


def test_documented_defaults_and_stored_parameters():
    assert KernelTargetAlignment().get_params() == {
        "n_components": 2,
        "kernel": "linear",
        "kernel_y": None,
        "reg": 0.1,
        "label_weight": 1.0,
        "weight_power": 0.0,
        "max_iter": 100,
        "random_state": None,
        "verbose": True,
    }
    params = KernelTargetAlignment(kernel_y="rbf", random_state=7).get_params()
    assert (params["kernel_y"], params["random_state"]) == ("rbf", 7)


def test_without_labels_the_label_alignment_is_zero_and_the_rank_message_names_both_views():
    X, Y, _ = _class_views(60, seed=3)
    model = KernelTargetAlignment(2, verbose=False).fit(X, Y)
    np.testing.assert_array_equal(model.label_alignment_, [0.0, 0.0])
    assert model.n_iter_ == len(model.objective_) == 1
    low = np.hstack([Y[:, :2], Y[:, :2] @ np.ones((2, 3))])  # 5 columns of rank 2
    message = "n_components=3 is larger than 2, the centred features of X have rank 7 and those of Y rank 2"
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        KernelTargetAlignment(3, reg=0.0, verbose=False).fit(X, low)


def test_the_debug_log_counts_the_alternations(caplog):
    X, Y, labels = _class_views(100, seed=4)
    with caplog.at_level(logging.DEBUG, logger="classicx.subspace._kta"):
        model = KernelTargetAlignment(2, verbose=False).fit(X, Y, labels=labels)
    assert model.n_iter_ > 2
    assert f"KernelTargetAlignment: {model.n_iter_ - 1} alternations" in caplog.messages


def test_weight_power_scales_both_views_by_the_correlations():
    """Documented: each component is multiplied by its correlation to the power ``weight_power``,
    in both views."""
    X, Y, labels = _class_views(150, seed=5)
    flat = KernelTargetAlignment(3, label_weight=1.0, verbose=False).fit(X, Y, labels=labels)
    weighted = KernelTargetAlignment(3, label_weight=1.0, weight_power=2.0, verbose=False)
    weighted.fit(X, Y, labels=labels)
    expected = flat.transform_y(Y) * flat.correlations_**2
    np.testing.assert_allclose(weighted.transform_y(Y), expected, atol=1e-10)
