"""What the aligners on kernel feature maps share (``subspace/_kernel_aligner.py``): tests
written from the survivors of its session-5 mutation run (see tests/README.md, "Session 5").
The oracle is the unsupervised closed form of the same aligner."""

from __future__ import annotations

import numpy as np
import pytest

from classicx.subspace import GramAlignment


def _views(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)) * rng.uniform(0.5, 2.0, size=5)
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(n, 4))
    labels = (X[:, 3] > 0).astype(int) + (X[:, 4] > 0.5)
    return X, Y, labels


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_label_weight_zero_is_the_unsupervised_fit(kernel):
    """Documented (``MomentAligner._label_target``): with ``label_weight=0`` the labels add no
    terms, so the fit is the closed-form unsupervised one: one objective value, the same
    projections and alignment as without labels."""
    X, Y, labels = _views()
    args = dict(n_components=2, kernel=kernel, random_state=0, verbose=False)
    plain = GramAlignment(**args).fit(X, Y)
    zero = GramAlignment(label_weight=0.0, **args).fit(X, Y, labels=labels)
    assert zero.n_iter_ == plain.n_iter_ == 1
    assert zero.objective_ == plain.objective_
    assert zero.alignment_ == plain.alignment_
    np.testing.assert_array_equal(zero.transform(X), plain.transform(X))
    np.testing.assert_array_equal(zero.transform_y(Y), plain.transform_y(Y))
    # a positive weight does use them (the alternation runs)
    assert GramAlignment(label_weight=0.5, **args).fit(X, Y, labels=labels).n_iter_ > 1
