"""Subspace learners fitted on dask arrays equal the in-memory fit (within 1e-6 relative)."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

from classicx.exceptions import NonFiniteError, ShapeMismatchError
from classicx.persistence import load, save
from classicx.subspace import (
    PLSSVD,
    KernelCCA,
    KernelFeatureMap,
    MultiviewCCA,
    RegularizedCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    ThreeViewCCA,
)

RTOL = 1e-6


def _close(a, b, rtol=RTOL):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.max(np.abs(a - b)) <= rtol * max(np.max(np.abs(a)), 1e-300), np.max(np.abs(a - b))


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(0)
    n = 1200
    z = rng.normal(size=(n, 3))
    # A large mean and mixed scales: the merged statistics must stay accurate.
    X = np.hstack([z, rng.normal(size=(n, 5))]) @ rng.normal(size=(8, 8)) + 50.0
    Y = np.hstack([z + 0.5 * rng.normal(size=(n, 3)), 3.0 * rng.normal(size=(n, 4))])
    labels = (z[:, 0] > 0).astype(int) + 2 * (z[:, 1] > 0.5)
    return X, Y, labels


def _dask(V, rows=300):
    return da.from_array(V, chunks=(rows, -1) if V.ndim == 2 else rows)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RegularizedCCA(n_components=3, reg=0.0),
        lambda: RegularizedCCA(n_components=3, reg=0.2, reg_y=0.05, scale=True, weight_power=2.0),
        lambda: PLSSVD(n_components=3),
        lambda: PLSSVD(n_components=2, scale=False),
    ],
    ids=["cca", "cca-reg-scale", "pls", "pls-unscaled"],
)
def test_linear_two_view_equals_in_memory(thread_client, pairs, make):
    X, Y, _ = pairs
    ref = make().fit(X, Y)
    est = make().fit(_dask(X), _dask(Y, 250))
    values = "canonical_correlations_" if hasattr(ref, "canonical_correlations_") else "singular_values_"
    _close(getattr(ref, values), getattr(est, values))
    _close(ref.x_weights_, est.x_weights_)
    _close(ref.y_weights_, est.y_weights_)
    proj = est.transform(_dask(X), _dask(Y))
    assert all(isinstance(p, da.Array) for p in proj)
    for r, p in zip(ref.transform(X, Y), proj):
        _close(r, p.compute())
    _close(ref.transform_y(Y), est.transform_y(_dask(Y)).compute())


def test_cca_float32_equals_partial_fit_over_the_same_blocks(client, pairs):
    X, Y, _ = pairs
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    stream = RegularizedCCA(n_components=3, reg=0.01)
    for start in range(0, len(X), 300):
        stream.partial_fit(X32[start : start + 300], Y32[start : start + 300])
    est = RegularizedCCA(n_components=3, reg=0.01).fit(_dask(X32), _dask(Y32))
    assert est.dtype_ == "float32" and est.x_weights_.dtype == np.float32
    _close(stream.canonical_correlations_, est.canonical_correlations_, 1e-9)
    _close(stream.x_scatter_, est.x_scatter_, 1e-12)


def test_fitted_on_dask_saves_loads_and_transforms_numpy(thread_client, pairs, tmp_path):
    X, Y, _ = pairs
    est = RegularizedCCA(n_components=2).fit(_dask(X), _dask(Y))
    save(est, tmp_path / "cca")
    loaded = load(tmp_path / "cca")
    out = loaded.transform(X[:10])
    assert isinstance(out, np.ndarray)
    _close(RegularizedCCA(n_components=2).fit(X, Y).transform(X[:10]), out)
    # partial_fit continues from the statistics gathered on the workers.
    loaded.partial_fit(X[:50], Y[:50])
    _close(RegularizedCCA(n_components=2).fit(np.vstack([X, X[:50]]), np.vstack([Y, Y[:50]])).x_weights_,
           loaded.x_weights_)


def test_three_view_and_multiview_equal_in_memory(client, pairs):
    X, Y, labels = pairs
    ref = ThreeViewCCA(n_components=2, reg=0.01).fit(X, Y, labels=labels)
    est = ThreeViewCCA(n_components=2, reg=0.01).fit(_dask(X), _dask(Y), labels=labels)
    _close(ref.eigenvalues_, est.eigenvalues_)
    _close(ref.x_weights_, est.x_weights_)
    _close(ref.transform_y(Y), est.transform_y(_dask(Y)).compute())
    np.testing.assert_array_equal(ref.classes_, est.classes_)
    views = [X, Y, X[:, :4] ** 2]
    ref = MultiviewCCA(n_components=2, reg=[0.01, 0.0, 0.1]).fit(views)
    est = MultiviewCCA(n_components=2, reg=[0.01, 0.0, 0.1]).fit([_dask(v) for v in views])
    _close(ref.eigenvalues_, est.eigenvalues_)
    for i, v in enumerate(views):
        _close(ref.weights_[i], est.weights_[i])
        _close(ref.transform_view(v, i), est.transform_view(_dask(v), i).compute())


@pytest.mark.parametrize("method", ["nystrom", "rff"])
def test_kernel_cca_equals_in_memory(thread_client, method):
    rng = np.random.default_rng(1)
    n = 2400  # above 2,000 rows, where the bandwidth comes from a 1,000-row sample
    z = rng.uniform(-1, 1, size=(n, 1))
    X = np.hstack([z, rng.normal(size=(n, 2))])
    Y = np.hstack([z**2 + 0.05 * rng.normal(size=(n, 1)), rng.normal(size=(n, 1))])
    fmap = KernelFeatureMap("rbf", method=method, n_components=60)

    def make():
        return KernelCCA(n_components=2, kernel=fmap, reg=1e-3, random_state=3, verbose=False)

    ref = make().fit(X, Y)
    est = make().fit(_dask(X, 700), _dask(Y, 700))
    assert ref.x_map_.kernel_params_ == est.x_map_.kernel_params_
    _close(ref.canonical_correlations_, est.canonical_correlations_)
    _close(ref.transform(X), est.transform(X))
    _close(ref.transform_y(Y), est.transform_y(_dask(Y, 500)).compute())
    assert est.x_map_.get_params() == ref.x_map_.get_params()


def test_semantic_matching_on_chunks_reaches_the_logistic_optimum(thread_cluster, pairs):
    from distributed import Client
    from scipy.special import softmax
    from sklearn.linear_model import LogisticRegression

    X, Y, labels = pairs
    with Client(thread_cluster):
        scm = SemanticCorrelationMatching(RegularizedCCA(n_components=3), SemanticMatching(C=0.5))
        scm.fit(_dask(X), _dask(Y), labels=labels)
    ref_cca = RegularizedCCA(n_components=3).fit(X, Y)
    _close(ref_cca.x_weights_, scm.aligner_.x_weights_)
    # Oracle: scikit-learn's multinomial logistic regression, converged tightly, on the
    # standardised projected views.
    for proj, out in ((ref_cca.transform(X), scm.transform(X)), (ref_cca.transform_y(Y), scm.transform_y(Y))):
        Z = (proj - proj.mean(0)) / proj.std(0)
        model = LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(Z, labels)
        np.testing.assert_allclose(out, model.predict_proba(Z), atol=2e-5)
    np.testing.assert_allclose(softmax(np.zeros(3)), 1 / 3)


def test_binary_balanced_and_multilabel_semantic_matching(thread_cluster, pairs):
    from distributed import Client
    from sklearn.linear_model import LogisticRegression

    X, Y, labels = pairs
    binary = (labels == 3).astype(int)
    with Client(thread_cluster):
        sm = SemanticMatching(C=2.0, class_weight="balanced", standardize=False)
        sm.fit(_dask(Y[:, :2]), _dask(Y), labels=binary)
        indicator = np.stack([labels == 0, labels == 3], axis=1)
        ml = SemanticMatching().fit(_dask(Y[:, :2]), _dask(Y), labels=indicator)
    model = LogisticRegression(C=2.0, class_weight="balanced", tol=1e-12, max_iter=10_000).fit(Y, binary)
    np.testing.assert_allclose(sm.transform_y(Y), model.predict_proba(Y), atol=2e-5)
    Z = (Y - Y.mean(0)) / Y.std(0)
    column = LogisticRegression(tol=1e-12, max_iter=10_000).fit(Z, indicator[:, 1])
    np.testing.assert_allclose(ml.transform_y(Y)[:, 1], column.predict_proba(Z)[:, 1], atol=2e-5)


def test_bad_dask_input_is_refused_with_the_row(thread_cluster, pairs):
    from distributed import Client

    X, Y, _ = pairs
    bad = X.copy()
    bad[777, 2] = np.nan
    with Client(thread_cluster):
        with pytest.raises(NonFiniteError, match="row 777, column 2"):
            RegularizedCCA().fit(_dask(bad), _dask(Y))
        with pytest.raises(ShapeMismatchError, match="1200 rows but Y has 1199"):
            RegularizedCCA().fit(_dask(X), _dask(Y[:-1]))


def test_local_scheduler_without_a_client(pairs):
    X, Y, _ = pairs
    ref = RegularizedCCA(n_components=2).fit(X, Y)
    est = RegularizedCCA(n_components=2).fit(_dask(X), Y)  # one dask view is enough
    _close(ref.canonical_correlations_, est.canonical_correlations_)


def test_large_semantic_model_takes_the_lbfgs_path(thread_cluster):
    from distributed import Client
    from sklearn.linear_model import LogisticRegression

    from classicx.distributed import _semantic

    rng = np.random.default_rng(2)
    n, d = 400, 2 * _semantic._NEWTON_MAX_PARAMS  # one binary model with more parameters than Newton takes
    labels = rng.integers(0, 2, n)
    Y = rng.normal(size=(n, d)) + 0.3 * labels[:, None]
    with Client(thread_cluster):
        sm = SemanticMatching(C=0.01, standardize=False).fit(_dask(Y[:, :3], 200), _dask(Y, 200), labels=labels)
    model = LogisticRegression(C=0.01, tol=1e-12, max_iter=10_000).fit(Y, labels)
    np.testing.assert_allclose(sm.transform_y(Y), model.predict_proba(Y), atol=2e-5)
