"""MultiviewCCA and ThreeViewCCA: tests written from the survivors of the session-6 mutation run of
``_solve_from_covariances``, ``MultiviewCCA.fit`` / ``transform_view`` / ``_fit_covariances`` and
``ThreeViewCCA.fit`` / ``_fit_covariances`` (see tests/README.md, "Session 6 runs, part 3").

The oracle is scipy's generalised symmetric eigensolver on the full block matrices,
``S w = lambda D w`` with ``D`` the block diagonal of ``(1 - r_i) C_ii + r_i trace(C_ii)/d_i I``
(``block_oracle`` of test_multiview_oracles.py); the covariance path (used by the Dask fit) is
called directly with numpy's covariances, and the Dask dispatch on the synchronous scheduler.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.exceptions import InputError
from classicx.subspace import MultiviewCCA, ThreeViewCCA

from .test_multiview_oracles import block_oracle, signed, views3

REGS = [0.1, 0.6, 0.3]


def moments(views):
    """(means, covs[(i, j)] for i <= j, n) as the Dask fit hands them to ``_fit_covariances``."""
    n = len(views[0])
    centred = [V - V.mean(0) for V in views]
    pairs = [(i, j) for i in range(len(views)) for j in range(i, len(views))]
    covs = {(i, j): centred[i].T @ centred[j] / (n - 1) for i, j in pairs}
    return [V.mean(0) for V in views], covs, n


def indicator(labels):
    classes = np.unique(labels)
    return (labels[:, None] == classes[None, :]).astype(np.float64), classes


def _synchronous():
    # No thread pool: deterministic, and safe in mutmut's forked processes (see test_mutation_semantic.py).
    import dask

    return dask.config.set(scheduler="synchronous")


def test_fit_from_covariances_is_the_block_eigenproblem():
    views = views3()
    means, covs, n = moments(views)
    means32 = [m.astype(np.float32) for m in means]
    est = MultiviewCCA(n_components=2, reg=REGS, weight_power=0)._fit_covariances(means32, covs, n)
    vals, vecs = block_oracle(views, 2, REGS)
    np.testing.assert_allclose(est.eigenvalues_, vals, rtol=1e-11)
    W = np.vstack(est.weights_)
    np.testing.assert_allclose(W, signed(vecs, W), atol=1e-10)  # normalised w' D w = 1, as the oracle
    assert [w.shape for w in est.weights_] == [(4, 2), (3, 2), (5, 2)]
    assert est.n_views_ == 3
    for m, ref in zip(est.means_, means):
        assert m.dtype == np.float64
        np.testing.assert_allclose(m, ref, rtol=1e-6)
    # The same model as the in-memory fit, signs included.
    mem = MultiviewCCA(n_components=2, reg=REGS, weight_power=0).fit(views)
    np.testing.assert_allclose(est.eigenvalues_, mem.eigenvalues_, rtol=1e-11)
    for w, ref in zip(est.weights_, mem.weights_):
        np.testing.assert_allclose(w, ref, atol=1e-10)
    # (to 1e-6: this model's means were handed over in float32)
    np.testing.assert_allclose(est.transform_view(views[1], 1), mem.transform_view(views[1], 1), atol=1e-6)


def test_fit_from_covariances_with_two_views_and_a_rank_deficient_one():
    """A view with a repeated column loses a direction (rank 2 of 3), as in memory; with
    n_components above the smallest rank the message lists the ranks and the rows."""
    views = views3(dims=(4, 3))
    views[1][:, 2] = views[1][:, 0]
    means, covs, n = moments(views)
    est = MultiviewCCA(n_components=2, reg=[0.0, 0.0], weight_power=1)._fit_covariances(means, covs, n)
    mem = MultiviewCCA(n_components=2, reg=[0.0, 0.0], weight_power=1).fit(views)
    np.testing.assert_allclose(est.eigenvalues_, mem.eigenvalues_, rtol=1e-10)
    for w, ref in zip(est.weights_, mem.weights_):
        np.testing.assert_allclose(w, ref, atol=1e-9)
    message = (
        "the centred views have ranks [4, 2] (from 120 samples); each view must have at least "
        "n_components independent directions"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        MultiviewCCA(n_components=3, reg=0.0)._fit_covariances(means, covs, n)


def test_three_view_fit_from_covariances_is_the_in_memory_fit():
    X, Y = views3(dims=(4, 3))
    labels = np.arange(len(X)) % 3
    L, classes = indicator(labels)
    means, covs, n = moments([X, Y, L])
    means32 = [m.astype(np.float32) for m in means]
    regs = [0.2, 0.05, 0.5]
    est = ThreeViewCCA(n_components=2, reg=regs)._fit_covariances(means32, covs, n, classes)
    mem = ThreeViewCCA(n_components=2, reg=regs).fit(X, Y, labels=labels)
    vals, vecs = block_oracle([X, Y, L], 2, regs)
    np.testing.assert_allclose(est.eigenvalues_, vals, rtol=1e-11)
    W = np.vstack([est.x_weights_, est.y_weights_])
    np.testing.assert_allclose(W, signed(vecs[:7], W), atol=1e-10)
    np.testing.assert_allclose(est.eigenvalues_, mem.eigenvalues_, rtol=1e-11)
    np.testing.assert_allclose(est.x_weights_, mem.x_weights_, atol=1e-10)
    np.testing.assert_allclose(est.y_weights_, mem.y_weights_, atol=1e-10)
    assert est.classes_ is classes
    assert est.x_mean_.dtype == est.y_mean_.dtype == np.float64
    np.testing.assert_allclose(est.x_mean_, X.mean(0), rtol=1e-6)
    np.testing.assert_allclose(est.y_mean_, Y.mean(0), rtol=1e-6)
    assert (est.n_features_in_, est.n_features_y_in_) == (4, 3)
    np.testing.assert_allclose(est.transform(X), mem.transform(X), atol=1e-5)


def test_one_dask_view_is_enough_to_fit_on_chunks():
    """MultiviewCCA: one dask view among in-memory ones sends the fit to the chunks (bit for bit
    the all-dask fit) and equals the in-memory fit to rounding; transform_view of a dask view
    stays lazy and equals the in-memory projection."""
    da = pytest.importorskip("dask.array")
    views = views3()
    lazy = [da.from_array(V, chunks=(50, -1)) for V in views]
    with _synchronous():
        both = MultiviewCCA(n_components=2, reg=REGS).fit(lazy)
        one = MultiviewCCA(n_components=2, reg=REGS).fit([views[0], lazy[1], views[2]])
        mem = MultiviewCCA(n_components=2, reg=REGS).fit(views)
        for w, ref, m in zip(one.weights_, both.weights_, mem.weights_):
            np.testing.assert_array_equal(w, ref)
            np.testing.assert_allclose(w, m, atol=1e-10)
        np.testing.assert_array_equal(one.eigenvalues_, both.eigenvalues_)
        out = one.transform_view(lazy[2], 2)
        assert hasattr(out, "compute")
        np.testing.assert_allclose(out.compute(), mem.transform_view(views[2], 2), atol=1e-9)


@pytest.mark.parametrize("which", ["X", "Y"])
def test_three_view_cca_with_one_dask_view_fits_on_chunks(which):
    da = pytest.importorskip("dask.array")
    X, Y = views3(dims=(4, 3))
    labels = np.arange(len(X)) % 3
    Xd, Yd = da.from_array(X, chunks=(50, -1)), da.from_array(Y, chunks=(50, -1))
    with _synchronous():
        both = ThreeViewCCA(n_components=2).fit(Xd, Yd, labels=labels)
        pair = (Xd, Y) if which == "X" else (X, Yd)
        one = ThreeViewCCA(n_components=2).fit(*pair, labels=labels)
    for name in ("x_weights_", "y_weights_", "eigenvalues_", "x_mean_", "y_mean_"):
        np.testing.assert_array_equal(getattr(one, name), getattr(both, name), err_msg=name)
    mem = ThreeViewCCA(n_components=2).fit(X, Y, labels=labels)
    np.testing.assert_allclose(one.x_weights_, mem.x_weights_, atol=1e-10)
    np.testing.assert_array_equal(one.classes_, [0, 1, 2])


def test_three_view_fit_from_covariances_names_the_ranks_and_the_rows():
    X, Y = views3(n=90, dims=(4, 3))
    X[:, 3] = X[:, 0] - X[:, 1]  # rank 3 of 4
    labels = np.arange(len(X)) % 2
    L, classes = indicator(labels)
    means, covs, n = moments([X, Y, L])
    message = (
        "the centred views have ranks [3, 3, 1] (from 90 samples); each view must have at least "
        "n_components independent directions"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        ThreeViewCCA(n_components=2)._fit_covariances(means, covs, n, classes)
    with pytest.raises(InputError, match=re.escape(message)):  # the same message in memory
        ThreeViewCCA(n_components=2).fit(X, Y, labels=labels)
