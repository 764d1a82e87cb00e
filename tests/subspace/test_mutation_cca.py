"""RegularizedCCA's code changed since its first mutation run (session 1, 2dda8bf): tests written
from the survivors of the session-6 run of its changed methods (see tests/README.md, "Session 6")."""

from __future__ import annotations

import re

import numpy as np
import pytest

from classicx.exceptions import InputError, ParameterError
from classicx.subspace import RegularizedCCA

from .test_cca_oracles import aligned, block_oracle, data


def test_partial_fit_checks_parameters_set_between_batches():
    """The first batch validates the parameters (in ``_validate_pair``); later batches must too,
    since ``set_params`` may have changed them: a shrinkage above 1 is refused, naming it."""
    X, Y = data(n=40, seed=30)
    cca = RegularizedCCA(n_components=2).partial_fit(X[:20], Y[:20])
    cca.set_params(reg=1.5)
    with pytest.raises(ParameterError, match="'reg' parameter of RegularizedCCA"):
        cca.partial_fit(X[20:], Y[20:])
    cca.set_params(reg=0.1, reg_y=-0.5)
    with pytest.raises(ParameterError, match="'reg_y' parameter of RegularizedCCA"):
        cca.partial_fit(X[20:], Y[20:])


def test_partial_fit_after_a_dual_fit_is_refused_with_the_whole_message():
    rng = np.random.default_rng(31)
    dual = RegularizedCCA(n_components=1).fit(rng.normal(size=(6, 10)), rng.normal(size=(6, 3)))
    message = (
        "cannot continue streaming: this model was fitted with fit() in the dual form "
        "(more features than samples), which keeps no covariance statistics; "
        "use partial_fit from the start"
    )
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        dual.partial_fit(rng.normal(size=(6, 10)), rng.normal(size=(6, 3)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_partial_fit_honours_the_dtype_parameter(dtype):
    """``dtype=`` forces the working precision of a streamed fit from its first batch, whatever
    the input's type; the result agrees with the float64 block-eigenproblem oracle."""
    X, Y = data(n=80, seed=32)
    other = np.float64 if dtype == "float32" else np.float32
    X, Y = X.astype(other), Y.astype(other)
    cca = RegularizedCCA(n_components=2, reg=0.2, dtype=dtype).partial_fit(X[:40], Y[:40])
    cca.partial_fit(X[40:], Y[40:])
    assert cca.dtype_ == dtype
    assert cca.x_weights_.dtype == cca.y_weights_.dtype == np.dtype(dtype)
    rho, A, _ = block_oracle(X, Y, 2, 0.2, 0.2)
    rtol = 1e-4 if dtype == "float32" else 1e-8
    np.testing.assert_allclose(cca.canonical_correlations_, rho, rtol=rtol)
    np.testing.assert_allclose(aligned(cca.x_weights_, A), A, rtol=10 * rtol, atol=10 * rtol)


def _synchronous():
    # No thread pool: deterministic, and safe in a forked process (mutmut forks one per mutant;
    # a threaded scheduler inherited across fork can spin until its time limit).
    import dask

    return dask.config.set(scheduler="synchronous")


def test_dask_views_are_fitted_on_the_chunks_as_in_memory():
    """``fit`` with one view on dask (either one is enough) runs on the chunks: X alone and Y
    alone on dask give the same fitted arrays, bit for bit (the chunked sums round differently
    from the in-memory products, so a fit that fell back to memory would differ), and the
    in-memory fit and the block-eigenproblem oracle to rounding."""
    da = pytest.importorskip("dask.array")
    X, Y = data(n=90, seed=33)
    Xd, Yd = da.from_array(X, chunks=(25, -1)), da.from_array(Y, chunks=(25, -1))
    def make():
        return RegularizedCCA(n_components=2, reg=0.1, reg_y=0.3)

    memory = make().fit(X, Y)
    with _synchronous():
        only_x, only_y = make().fit(Xd, Y), make().fit(X, Yd)
    names = ("x_weights_", "y_weights_", "canonical_correlations_", "x_mean_", "y_scatter_", "xy_scatter_")
    assert type(only_x) is type(only_y) is RegularizedCCA
    assert only_x.n_samples_seen_ == only_y.n_samples_seen_ == 90
    for name in names:
        np.testing.assert_array_equal(getattr(only_x, name), getattr(only_y, name), err_msg=name)
        np.testing.assert_allclose(
            getattr(only_x, name), getattr(memory, name), rtol=1e-9, atol=1e-12, err_msg=name
        )
    rho, _, B = block_oracle(X, Y, 2, 0.1, 0.3)
    np.testing.assert_allclose(only_x.canonical_correlations_, rho, rtol=1e-9)
    np.testing.assert_allclose(aligned(only_x.y_weights_, B), B, rtol=1e-7, atol=1e-9)


def test_dask_fit_checks_the_labels_length():
    da = pytest.importorskip("dask.array")
    X, Y = data(n=40, seed=34)
    Xd, Yd = da.from_array(X, chunks=(20, -1)), da.from_array(Y, chunks=(20, -1))
    with _synchronous():
        RegularizedCCA(n_components=1).fit(Xd, Yd, labels=np.zeros(40, int))
        with pytest.raises(InputError, match="labels"):
            RegularizedCCA(n_components=1).fit(Xd, Yd, labels=np.zeros(39, int))


def test_copy_false_centres_both_views_in_place():
    """Documented: ``copy=False`` centres ``X`` and ``Y`` in place when they already have the
    working dtype (Y too, not only X), in both forms; the fit is the same as with a copy."""
    X, Y = data(n=30, dx=5, dy=4, seed=35)
    for Yv in (Y, np.hstack([Y] * 10)):  # 4 features (primal) and 40 > 30 rows (dual form)
        X_work, Y_work = X.copy(), Yv.copy()
        model = RegularizedCCA(n_components=2, copy=False).fit(X_work, Y_work)
        np.testing.assert_allclose(X_work.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(Y_work.mean(axis=0), 0.0, atol=1e-12)
        reference = RegularizedCCA(n_components=2).fit(X, Yv)
        np.testing.assert_allclose(model.y_weights_, reference.y_weights_, rtol=1e-12, atol=1e-14)


def test_fit_checks_the_labels_length():
    """CCA ignores ``labels`` but checks them for length, like every aligner."""
    X, Y = data(n=20, seed=36)
    RegularizedCCA(n_components=1).fit(X, Y, labels=np.zeros(20, int))
    with pytest.raises(InputError, match="labels"):
        RegularizedCCA(n_components=1).fit(X, Y, labels=np.zeros(19, int))


def test_a_view_with_as_many_features_as_rows_keeps_the_covariance_rank_rule_in_a_dual_fit():
    """A view with exactly n features takes the eigenbasis of its covariance even when the other
    view forces the dual form: its rank follows the covariance rule (eigenvalues below
    ``d eps`` times the top one count as zero) as in a fit where both views are primal. Here X
    has rank 9 plus a direction whose singular value is 3e-11 of the top one: zero by that rule
    (1e-21 in variance), kept by the thin-SVD rule of wide views (``max(n, d) eps`` on singular
    values)."""
    rng = np.random.default_rng(37)
    n = 12
    X = rng.normal(size=(n, n - 3)) @ rng.normal(size=(n - 3, n))
    X += 1e-9 * np.outer(rng.normal(size=n), rng.normal(size=n))
    narrow = X[:, :3] + 0.5 * rng.normal(size=(n, 3))
    wide = np.hstack([narrow, rng.normal(size=(n, 20))])
    primal = RegularizedCCA(n_components=2, reg=0.2).fit(X, narrow)
    dual = RegularizedCCA(n_components=2, reg=0.2).fit(X, wide)
    assert primal.x_scatter_ is not None and dual.x_scatter_ is None
    assert primal.x_rank_ == dual.x_rank_ == n - 3
