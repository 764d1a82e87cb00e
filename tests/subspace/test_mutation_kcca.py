"""KernelCCA: tests written from the survivors of the session-4 mutation run of
``subspace/kcca.py`` (see tests/README.md, "Session 4"). The oracles are the documented rules
(defaults, messages, the ``method_`` string, the 2,000-pair limit of ``"auto"``), the all-dask
fit for mixed dask / in-memory input, and the textbook dual problem of
``test_kcca_oracles.py`` for the exact solver."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

import classicx.subspace.kcca as kcca_module
from classicx.exceptions import InputError, ShapeMismatchError
from classicx.subspace import KernelCCA, KernelFeatureMap

from .test_kcca_oracles import dual_oracle, views


def test_documented_defaults():
    assert KernelCCA().get_params() == {
        "n_components": 2,
        "kernel": "rbf",
        "kernel_y": None,
        "reg": 1e-3,
        "reg_y": None,
        "random_state": None,
        "verbose": True,
    }


@pytest.mark.parametrize("name", ["X", "Y"])
def test_a_view_of_identical_rows_is_refused_by_name(name):
    """Identical rows whose columns hold *different* constants (1, 5, 3): no variance, whatever
    the values; the message names the view."""
    X, Y = views(40)
    constant = np.tile([1.0, 5.0, 3.0], (40, 1))
    X, Y = (constant, Y) if name == "X" else (X, constant)
    with pytest.raises(InputError, match=f"^every row of {name} is the same: the view has no variance$"):
        KernelCCA(verbose=False).fit(X, Y)


def test_labels_are_validated_for_the_number_of_pairs():
    """``labels`` are ignored but validated: one label per pair (here 40 pairs of 3 features)."""
    X, Y = views(40)
    labels = np.arange(40) % 3
    KernelCCA(verbose=False).fit(X, Y, labels=labels)  # one per pair: accepted
    with pytest.raises(ShapeMismatchError, match="labels has 39 rows but there are 40 samples"):
        KernelCCA(verbose=False).fit(X, Y, labels=labels[:-1])


def test_auto_counts_pairs_not_features():
    """``"auto"`` is exact up to 2,000 *pairs*: 50 pairs of 2,001 features are exact, and the
    exact fit equals the textbook dual problem."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2001))
    Y = X[:, :3] + 0.5 * rng.normal(size=(50, 3))
    gx, gy = 1.0 / 2001, 0.5
    model = KernelCCA(
        1,
        kernel=KernelFeatureMap("rbf", method="auto", gamma=gx),
        kernel_y=KernelFeatureMap("rbf", method="auto", gamma=gy),
        reg=0.1,
        verbose=False,
    ).fit(X, Y)
    assert model.method_ == "exact"
    rho, _ = dual_oracle(X, Y, gx, gy, 0.1, 0.1, 1)
    np.testing.assert_allclose(model.canonical_correlations_, rho, rtol=1e-7)


def test_method_names_both_maps_when_they_differ():
    """Documented: ``method_`` is ``"x/y"`` when the two maps differ."""
    X, Y = views(60)
    exact = KernelFeatureMap("rbf", method="exact", gamma=0.3)
    nystrom = KernelFeatureMap("rbf", method="nystrom", gamma=0.3, n_components=20)
    assert KernelCCA(kernel=exact, kernel_y=nystrom, verbose=False).fit(X, Y).method_ == "exact/nystrom"
    assert KernelCCA(kernel=nystrom, kernel_y=exact, verbose=False).fit(X, Y).method_ == "nystrom/exact"
    assert KernelCCA(kernel=nystrom, random_state=0, verbose=False).fit(X, Y).method_ == "nystrom"


def test_exact_method_uses_the_eigendecomposition_solver_not_streamed_moments(monkeypatch):
    """The exact solver needs one eigendecomposition per view (the exact features have a
    diagonal covariance); it never streams feature moments as the low-rank solver does."""

    def no_moments(*args, **kwargs):
        raise AssertionError("the exact solver streamed feature moments")

    monkeypatch.setattr(kcca_module, "feature_moments", no_moments)
    X, Y = views(50, seed=1)
    kx = KernelFeatureMap("rbf", method="exact", gamma=0.3)
    ky = KernelFeatureMap("rbf", method="exact", gamma=0.5)
    model = KernelCCA(2, kernel=kx, kernel_y=ky, reg=0.02, reg_y=0.4, verbose=False).fit(X, Y)
    rho, _ = dual_oracle(X, Y, 0.3, 0.5, 0.02, 0.4, 2)
    np.testing.assert_allclose(model.canonical_correlations_, rho, rtol=1e-7)


def test_the_debug_log_names_the_feature_dimensions(caplog):
    X, Y = views(60)
    kx = KernelFeatureMap("rbf", method="nystrom", gamma=0.3, n_components=30)
    ky = KernelFeatureMap("rbf", method="nystrom", gamma=0.5, n_components=20)
    with caplog.at_level(logging.DEBUG, logger="classicx.subspace.kcca"):
        KernelCCA(kernel=kx, kernel_y=ky, random_state=0, verbose=False).fit(X, Y)
    assert "KernelCCA: features of dimension 30 and 20" in caplog.messages


def test_verbose_reports_progress_of_fit_and_transform(capsys, monkeypatch):
    """Fit streams the features in the map's ``batch_size`` (10 rows: 6 batches of 60) and
    shows it with ``verbose=True`` (the default); ``transform`` too."""
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)  # report even a quick loop
    X, Y = views(60)
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=20, batch_size=10, random_state=0)
    quiet = KernelCCA(kernel=fmap, verbose=False).fit(X, Y)
    quiet.transform(X, Y)
    assert capsys.readouterr().err == ""
    loud = KernelCCA(kernel=fmap).fit(X, Y)
    err = capsys.readouterr().err
    assert "kernel features (X): 6/6" in err and "kernel features (Y): " in err
    loud.transform(X)
    assert re.search(r"^kernel features: 6/6", capsys.readouterr().err, re.MULTILINE)
    loud.transform_y(Y)
    assert re.search(r"^kernel features: 6/6", capsys.readouterr().err, re.MULTILINE)


def _synchronous():
    # No thread pool: deterministic, and safe in a forked process (mutmut forks per mutant).
    import dask

    return dask.config.set(scheduler="synchronous")


@pytest.mark.parametrize("which", ["X", "Y"])
def test_one_dask_view_is_enough_to_fit_on_chunks(which):
    """With only one view a dask array the fit runs on the chunks (as with both): the same
    fitted model as the all-dask fit, bit for bit, and the in-memory fit to rounding."""
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(1)
    n = 120
    z = rng.uniform(-1, 1, size=(n, 1))
    X = np.hstack([z, rng.normal(size=(n, 2))])
    Y = np.hstack([z**2 + 0.05 * rng.normal(size=(n, 1)), rng.normal(size=(n, 1))])
    Xd, Yd = da.from_array(X, chunks=(50, -1)), da.from_array(Y, chunks=(50, -1))
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=30)

    def make():
        return KernelCCA(2, kernel=fmap, reg=1e-3, random_state=3, verbose=False)

    with _synchronous():
        both = make().fit(Xd, Yd)
        one = make().fit(Xd if which == "X" else X, Yd if which == "Y" else Y)
        with pytest.raises(ShapeMismatchError, match="labels has 119 rows but there are 120 samples"):
            make().fit(Xd if which == "X" else X, Yd if which == "Y" else Y, labels=np.zeros(n - 1))
    np.testing.assert_array_equal(one.canonical_correlations_, both.canonical_correlations_)
    np.testing.assert_array_equal(one.transform(X), both.transform(X))
    np.testing.assert_array_equal(one.transform_y(Y), both.transform_y(Y))
    memory = make().fit(X, Y)
    np.testing.assert_allclose(one.canonical_correlations_, memory.canonical_correlations_, rtol=1e-9)
    np.testing.assert_allclose(one.transform(X), memory.transform(X), atol=1e-9)


def test_progress_of_the_second_view_counts_every_batch(capsys, monkeypatch):
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    X, Y = views(60)
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=20, batch_size=10, random_state=0)
    KernelCCA(kernel=fmap).fit(X, Y)
    # progress() counts a batch when the loop asks for the next one: feature_moments zipped the
    # two views without strict=True, so the Y loop was never resumed after its last batch (5/6).
    assert "kernel features (Y): 6/6" in capsys.readouterr().err
