"""Kernel feature maps and streamed moments: tests written from the survivors of the session-4
mutation run of ``subspace/_lowrank.py`` (see tests/README.md, "Session 4"). The oracles are
numpy (eigenvalues counted with the documented rank rule, covariances by ``np.cov``, centred
kernels from their definition), scikit-learn's ``AdditiveChi2Sampler`` and ``RBFSampler``, and
the documented rules and messages."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.kernel_approximation import AdditiveChi2Sampler

from classicx.exceptions import InputError
from classicx.subspace import KernelFeatureMap
from classicx.subspace._lowrank import _RANK_TOL, centred_features, feature_moments, kernel_name, resolve_map
from classicx.subspace.kernels import pairwise_kernel


def _with_singular_values(n, values, seed=0, centred=True):
    """``n`` rows whose (column-centred, if ``centred``) matrix has exactly these singular values."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, len(values)))
    if centred:
        A -= A.mean(axis=0)
    U, _ = np.linalg.qr(A)
    V, _ = np.linalg.qr(rng.normal(size=(len(values), len(values))))
    return (U * np.asarray(values)) @ V.T


def _rule(eigenvalues):
    """The documented rank rule: eigenvalues above 1e-10 of the largest."""
    return int(np.sum(eigenvalues > _RANK_TOL * eigenvalues.max()))


@pytest.mark.parametrize(
    "values",
    [[1e3, 10.0, 3e-3], [1e-6, 1e-7, 1e-7]],  # squared: 1e6, 1e2, 9e-6 (below 1e-10 * 1e6); and tiny
)
def test_exact_and_nystrom_ranks_follow_the_documented_rule(values):
    """Oracle: numpy's eigenvalues of the (centred, for "exact") linear kernel matrix, counted
    with the rule of the module: keep those above 1e-10 of the largest (at any scale)."""
    X = _with_singular_values(30, values)
    H = np.eye(30) - 1.0 / 30
    expected_exact = _rule(np.linalg.eigvalsh(H @ X @ X.T @ H))
    expected_nystrom = _rule(np.linalg.eigvalsh(X @ X.T))
    assert expected_exact == (2 if values[0] > 1 else 3)
    exact = KernelFeatureMap("linear", method="exact").fit(X)
    assert exact.n_components_ == expected_exact
    nystrom = KernelFeatureMap("linear", method="nystrom", n_components=30).fit(X)
    assert nystrom.n_components_ == expected_nystrom


def test_icd_works_at_any_scale_and_logs_where_it_stopped(caplog):
    """A rank-3 linear kernel of size 1e-12: the pivoted Cholesky stops at rank 3 (relative
    threshold) and says so; at full rank it says nothing."""
    X = _with_singular_values(20, [1e-6, 1e-6, 1e-6], centred=False)
    with caplog.at_level(logging.DEBUG, logger="classicx.subspace._lowrank"):
        fmap = KernelFeatureMap("linear", method="icd", n_components=10).fit(X)
    assert fmap.n_components_ == 3
    assert caplog.messages == ["incomplete Cholesky stopped at the numerical rank 3 (< 10 requested)"]
    np.testing.assert_allclose(fmap.transform(X) @ fmap.transform(X).T, X @ X.T, atol=1e-24)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="classicx.subspace._lowrank"):
        KernelFeatureMap("linear", method="icd", n_components=3).fit(X)
    assert caplog.messages == []


def test_zero_kernel_messages():
    zeros = np.zeros((10, 3))
    for method in ("icd", "nystrom"):
        zero = "^the kernel matrix of the view is zero: the view carries no information$"
        with pytest.raises(InputError, match=zero):
            KernelFeatureMap("linear", method=method).fit(zeros)
    same = "^the centred kernel matrix is zero: every row of the view is the same$"
    with pytest.raises(InputError, match=same):
        KernelFeatureMap("linear", method="exact").fit(np.ones((10, 3)))


def test_fit_exact_needs_the_exact_method_for_this_many_rows():
    """``"auto"`` is exact up to 2,000 *rows*: 50 rows of 2,001 features fit exactly, and 2,001
    rows of 3 features are refused with the row count in the message."""
    rng = np.random.default_rng(0)
    wide = rng.normal(size=(50, 2001))
    F, s, mean = KernelFeatureMap("rbf", method="auto").fit_exact(wide)
    assert F.shape == (50, len(s)) and mean.shape == (len(s),)
    tall = rng.normal(size=(2001, 3))
    message = "fit_exact needs method='exact'; this map has method='auto' for 2001 rows"
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        KernelFeatureMap("rbf", method="auto").fit_exact(tall)


def _centred_kernel(new, train, params):
    k_new, k_train = pairwise_kernel(new, train, params), pairwise_kernel(train, train, params)
    return k_new - k_new.mean(1, keepdims=True) - k_train.mean(0) + k_train.mean()


def test_exact_map_of_new_rows_is_the_centred_kernel_along_small_eigenvalues():
    """A wide RBF kernel keeps eigenvalues down to 1e-10 of the largest, whose eigenvectors pick
    up a component along the constant null vector in floating point. Oracle: the centred
    kernel between new and training rows, from its definition."""
    rng = np.random.default_rng(0)
    X, new = rng.normal(size=(60, 2)), rng.normal(size=(15, 2))
    fmap = KernelFeatureMap("rbf", method="exact", gamma=0.02).fit(X)
    s = np.linalg.eigvalsh(_centred_kernel(X, X, fmap.kernel_params_))
    assert s[s > _RANK_TOL * s.max()].min() < 1e-8 * s.max()  # the spectrum reaches the threshold
    F, G = fmap.transform(X), fmap.transform(new)
    mean = F.mean(axis=0)
    expected = _centred_kernel(new, X, fmap.kernel_params_)
    np.testing.assert_allclose((G - mean) @ (F - mean).T, expected, atol=1e-9)


def test_rff_maps_are_repeatable_from_random_state():
    X = np.random.default_rng(0).normal(size=(30, 3))
    a = KernelFeatureMap("rbf", method="rff", n_components=40, gamma=0.5, random_state=3).fit(X)
    np.random.seed(1)  # the global generator must not matter
    b = KernelFeatureMap("rbf", method="rff", n_components=40, gamma=0.5, random_state=3).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_rff_additive_chi2_equals_the_sampler_for_every_step_count(steps):
    """Oracle: scikit-learn's ``AdditiveChi2Sampler`` with its own defaults for 1-3 steps."""
    H = np.random.default_rng(1).exponential(size=(20, 4))
    fmap = KernelFeatureMap("additive_chi2", method="rff", n_components=steps).fit(H)
    expected = AdditiveChi2Sampler(sample_steps=steps).fit_transform(H)
    np.testing.assert_allclose(fmap.transform(H), expected, rtol=1e-12)
    # Stored, so that a saved map keeps its features if scikit-learn's defaults change: the
    # intervals scikit-learn documents for 1-3 steps, which give its default features.
    interval = {1: 0.8, 2: 0.5, 3: 0.4}[steps]
    assert (fmap.sample_steps_, fmap.sample_interval_) == (steps, interval)
    explicit = AdditiveChi2Sampler(sample_steps=steps, sample_interval=interval).fit_transform(H)
    np.testing.assert_array_equal(explicit, expected)


def test_rff_messages():
    H = np.random.default_rng(1).exponential(size=(20, 4))
    steps = (
        "with method='rff' and the additive_chi2 kernel, n_components is the number of sampling "
        "steps of AdditiveChi2Sampler (1, 2 or 3); got 4"
    )
    with pytest.raises(InputError, match="^" + re.escape(steps) + "$"):
        KernelFeatureMap("additive_chi2", method="rff", n_components=4).fit(H)
    other = (
        "method='rff' supports the 'rbf' and 'additive_chi2' kernels; got 'chi2' "
        "(use method='nystrom' or 'icd')"
    )
    with pytest.raises(InputError, match="^" + re.escape(other) + "$"):
        KernelFeatureMap("chi2", method="rff").fit(H)


def test_compose_on_a_random_feature_map():
    """``compose`` on a map without a normalisation (RFF): the features times the weights."""
    X = np.random.default_rng(0).normal(size=(30, 3))
    fmap = KernelFeatureMap("rbf", method="rff", n_components=25, random_state=0).fit(X)
    W = np.random.default_rng(1).normal(size=(25, 4))
    composed = fmap.compose(W)
    assert composed.n_components_ == 4
    np.testing.assert_allclose(composed.transform(X), fmap.transform(X) @ W, rtol=1e-12)


def test_kernel_name_and_resolve_map():
    """Documented: a name means ``KernelFeatureMap(name, method=method, random_state=seed)``;
    a map is cloned and gets the seed only if it has no ``random_state``; with
    ``linear_is_raw`` the name ``"linear"`` means the raw columns (``None``)."""
    fmap = KernelFeatureMap("chi2", method="icd", n_components=7)
    assert kernel_name(fmap) == "chi2" and kernel_name("rbf") == "rbf"
    named = resolve_map("rbf", "icd", 5)
    assert isinstance(named, KernelFeatureMap)
    assert (named.kernel, named.method, named.random_state) == ("rbf", "icd", 5)
    seeded = resolve_map(fmap, "exact", 5)
    assert seeded is not fmap and seeded.get_params() == {**fmap.get_params(), "random_state": 5}
    assert fmap.random_state is None
    own = resolve_map(KernelFeatureMap(random_state=2), "exact", 5)
    assert own.random_state == 2
    assert resolve_map("linear", "exact", 5, linear_is_raw=True) is None
    assert resolve_map("rbf", "exact", 5, linear_is_raw=True).kernel == "rbf"
    assert resolve_map("linear", "exact", 5).kernel == "linear"


def test_centred_features_are_the_batched_transform_minus_the_offset(capsys, monkeypatch):
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    X = np.random.default_rng(0).normal(size=(30, 3))
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=8, batch_size=5, random_state=0).fit(X)
    offset = np.arange(8.0)
    out = centred_features(fmap, X, offset)
    np.testing.assert_allclose(out, fmap.transform(X) - offset, rtol=1e-14)
    assert capsys.readouterr().err == ""
    centred_features(fmap, X, offset, verbose=True)
    assert "kernel features: 6/6" in capsys.readouterr().err


def test_feature_moments_of_every_kind_of_view(capsys, monkeypatch):
    """Oracle: ``np.cov(..., bias=True)`` and means of the explicit features, for two mapped
    views, a float32 raw view, a sparse raw view and columns with very different large means
    (the shift is per column), with an indicator."""
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    rng = np.random.default_rng(3)
    n = 60
    X, Y = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))
    L = np.eye(3)[rng.integers(0, 3, n)]
    mx = KernelFeatureMap("rbf", method="nystrom", n_components=12, random_state=0).fit(X)
    my = KernelFeatureMap("rbf", method="nystrom", n_components=9, random_state=1).fit(Y)
    big = np.column_stack([1e8 + rng.normal(size=n), rng.normal(size=n)])
    raw32 = rng.normal(size=(n, 2)).astype(np.float32) * 3 + 1
    sparse = sp.csr_array(np.where(rng.random((n, 4)) < 0.5, 0.0, rng.normal(size=(n, 4))))
    cases = [
        (mx, X, my, Y, mx.transform(X), my.transform(Y)),
        (None, raw32, None, big, raw32.astype(np.float64), big),
        (None, big, None, sparse, big, sparse.toarray()),
    ]
    for map_x, A, map_y, B, Fa, Fb in cases:
        m = feature_moments(map_x, A, map_y, B, indicator=L, batch_size=10)
        full = np.cov(np.hstack([Fa, Fb, L]).T, bias=True)
        a, b = Fa.shape[1], Fa.shape[1] + Fb.shape[1]
        assert m["n"] == n
        np.testing.assert_allclose(m["mean_x"], Fa.mean(0), rtol=1e-13)
        np.testing.assert_allclose(m["mean_y"], Fb.mean(0), rtol=1e-13)
        np.testing.assert_allclose(m["mean_l"], L.mean(0), rtol=1e-13)
        np.testing.assert_allclose(m["cov_xx"], full[:a, :a], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(m["cov_yy"], full[a:b, a:b], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(m["cov_xy"], full[:a, a:b], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(m["cov_xl"], full[:a, b:], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(m["cov_yl"], full[a:b, b:], rtol=1e-9, atol=1e-12)
    assert capsys.readouterr().err == ""  # quiet by default
    feature_moments(mx, X[:12], my, Y[:12], batch_size=1, verbose=True)
    err = capsys.readouterr().err
    assert re.search(r"^kernel features \(X\): 12/12", err, re.MULTILINE) and "kernel features (Y): " in err


# --- Session 5: the methods not run in session 4 (the constructor, tags, ``_fit``, ``_raw``,
# ``_output_dim``, ``iter_batches``, ``resolve_method``). Oracles: scikit-learn's RBFSampler and
# AdditiveChi2Sampler, the kernels' formulas, and the documented defaults and attributes.


def _histograms(n=30, d=4, seed=1):
    H = np.random.default_rng(seed).exponential(size=(n, d))
    H[np.random.default_rng(seed + 1).random(H.shape) < 0.3] = 0.0
    return H


def test_constructor_defaults_and_parameters():
    assert KernelFeatureMap().get_params() == {
        "kernel": "rbf",
        "method": "nystrom",
        "n_components": 500,
        "gamma": None,
        "degree": 3,
        "coef0": 1.0,
        "batch_size": 4096,
        "random_state": None,
    }
    given = {
        "kernel": "chi2",
        "method": "icd",
        "n_components": 7,
        "gamma": 0.5,
        "degree": 2,
        "coef0": 0.25,
        "batch_size": 9,
        "random_state": 3,
    }
    assert KernelFeatureMap(**given).get_params() == given


def test_tags_say_sparse_input_and_non_negative_histograms():
    for kernel in ("linear", "rbf", "polynomial", "cosine", "chi2", "additive_chi2", "hellinger"):
        tags = KernelFeatureMap(kernel).__sklearn_tags__()
        assert tags.input_tags.sparse is True
        assert tags.input_tags.positive_only is (kernel in ("chi2", "additive_chi2", "hellinger"))


def test_resolve_method_is_exact_up_to_exactly_2000_rows():
    from classicx.subspace._lowrank import resolve_method

    assert [resolve_method("auto", n) for n in (1, 2000, 2001)] == ["exact", "exact", "nystrom"]
    assert resolve_method("icd", 10) == "icd" and resolve_method("exact", 10**6) == "exact"


def test_the_kernel_parameters_reach_the_map():
    """Oracle: the polynomial kernel ``(gamma x.y + coef0)^degree`` written out, centred."""
    X = np.random.default_rng(0).normal(size=(25, 3))
    fmap = KernelFeatureMap("polynomial", method="exact", gamma=0.3, degree=2, coef0=0.5).fit(X)
    assert fmap.kernel_params_ == {"kernel": "polynomial", "gamma": 0.3, "degree": 2, "coef0": 0.5}
    H = np.eye(25) - 1.0 / 25
    expected = H @ (0.3 * X @ X.T + 0.5) ** 2 @ H
    F = fmap.transform(X)
    F -= F.mean(axis=0)
    np.testing.assert_allclose(F @ F.T, expected, atol=1e-9)
    assert fmap.n_features_in_ == 3


def test_random_state_seeds_the_median_heuristic_sample():
    """Documented: ``random_state`` seeds the median-heuristic sample (above 1,000 rows)."""
    X = np.random.default_rng(0).normal(size=(1200, 2))
    gammas = [
        KernelFeatureMap(n_components=5, random_state=s).fit(X).kernel_params_["gamma"] for s in (0, 0, 1, 2)
    ]
    assert gammas[0] == gammas[1]
    assert len({gammas[0], gammas[2], gammas[3]}) == 3


@pytest.mark.parametrize(
    ("kernel", "method", "n_components"),
    [("hellinger", "nystrom", 12), ("chi2", "icd", 12), ("additive_chi2", "rff", 2), ("rbf", "rff", 20)],
)
def test_float32_and_sparse_input_map_like_float64(kernel, method, n_components):
    """Input is validated to float64 (fit and transform) and CSR is accepted: the same map and the
    same features as from the float64 dense rows (values exact in float32)."""
    H = _histograms().astype(np.float32).astype(np.float64)
    args = dict(kernel=kernel, method=method, n_components=n_components, gamma=0.7, random_state=0)
    if kernel in ("hellinger", "additive_chi2"):
        args.pop("gamma")
    reference = KernelFeatureMap(**args).fit(H)
    expected = reference.transform(H)
    for A in (H.astype(np.float32), sp.csr_array(H), sp.csr_array(H.astype(np.float32))):
        fmap = KernelFeatureMap(**args).fit(A)
        if fmap.landmarks_ is not None:
            landmarks = fmap.landmarks_.toarray() if sp.issparse(fmap.landmarks_) else fmap.landmarks_
            assert landmarks.dtype == np.float64
            np.testing.assert_array_equal(landmarks, reference.landmarks_)
        for B in (H.astype(np.float32), sp.csr_array(H.astype(np.float32)), H):
            F = fmap.transform(B)
            assert F.dtype == np.float64
            np.testing.assert_allclose(F, expected, rtol=1e-12, atol=1e-14)


def test_fitted_attributes_of_each_method_and_a_refit():
    """Documented: ``landmarks_`` is None for "rff"; ``random_weights_`` / ``random_offset_`` only
    for "rff" with "rbf"; ``sample_steps_`` / ``sample_interval_`` only with "additive_chi2". A refit
    with another method clears what the new method does not set."""
    H = _histograms()
    per_method = {
        ("rbf", "nystrom"): {"landmarks_", "normalization_"},
        ("rbf", "rff"): {"random_weights_", "random_offset_"},
        ("additive_chi2", "rff"): {"sample_steps_", "sample_interval_"},
    }
    names = {"landmarks_", "normalization_", "random_weights_", "random_offset_", "sample_steps_", "sample_interval_"}
    for (kernel, method), present in per_method.items():
        fresh = KernelFeatureMap(kernel, method=method, n_components=2, random_state=0).fit(H)
        refit = KernelFeatureMap("rbf", method="rff", n_components=2, random_state=0).fit(H)
        if kernel == "rbf" and method == "rff":
            refit = KernelFeatureMap("additive_chi2", method="rff", n_components=2).fit(H)
        refit.set_params(kernel=kernel, method=method).fit(H)
        for fmap in (fresh, refit):
            assert fmap.method_ == method and fmap.n_features_in_ == 4
            for name in names:
                assert (getattr(fmap, name) is not None) is (name in present), (kernel, method, name)


def test_rff_features_are_scikit_learns_rbf_sampler():
    """Oracle: scikit-learn's ``RBFSampler.transform`` with the map's frequencies and phases,
    ``sqrt(2 / D) cos(X W + b)``."""
    from sklearn.kernel_approximation import RBFSampler

    X = np.random.default_rng(0).normal(size=(30, 3))
    fmap = KernelFeatureMap("rbf", method="rff", n_components=16, gamma=0.4, random_state=0).fit(X)
    assert fmap.n_components_ == 16 and fmap.random_weights_.shape == (3, 16)
    sampler = RBFSampler(gamma=0.4, n_components=16).fit(X)
    sampler.random_weights_, sampler.random_offset_ = fmap.random_weights_, fmap.random_offset_
    np.testing.assert_allclose(fmap.transform(X), sampler.transform(X), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_additive_chi2_width_and_stored_interval(steps):
    """``n_components_`` is the sampler's output width, ``n_features * (2 steps - 1)``; the stored
    ``sample_interval_`` is what the features use (a map saved under other scikit-learn defaults
    keeps its features). Oracle: ``AdditiveChi2Sampler`` with that interval."""
    H = _histograms()
    fmap = KernelFeatureMap("additive_chi2", method="rff", n_components=steps).fit(H)
    assert fmap.n_components_ == AdditiveChi2Sampler(sample_steps=steps).fit_transform(H).shape[1] == 4 * (2 * steps - 1)
    fmap.sample_interval_ = 0.45
    expected = AdditiveChi2Sampler(sample_steps=steps, sample_interval=0.45).fit_transform(H)
    np.testing.assert_allclose(fmap.transform(H), expected, rtol=1e-12)


@pytest.mark.parametrize("kernel", ["chi2", "additive_chi2", "hellinger"])
def test_histogram_maps_check_new_rows_at_transform(kernel):
    H = _histograms()
    method = "rff" if kernel == "additive_chi2" else "nystrom"
    fmap = KernelFeatureMap(kernel, method=method, n_components=2, random_state=0).fit(H)
    bad = H[:6].copy()
    bad[3, 1] = -0.5
    message = f"the {kernel} kernel needs non-negative features (histograms); X has a negative value at row 3"
    for B in (bad, sp.csr_array(bad)):
        with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
            fmap.transform(B)
    # the other kernels take any sign
    rbf = KernelFeatureMap("rbf", method="nystrom", n_components=5, random_state=0).fit(H)
    assert rbf.transform(bad).shape == (6, 5)


def test_transform_is_quiet_and_a_verbose_loop_shows_progress_from_five_batches(capsys, monkeypatch):
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    X = np.random.default_rng(0).normal(size=(30, 3))
    fmap = KernelFeatureMap("rbf", method="nystrom", n_components=6, batch_size=5, random_state=0).fit(X)
    fmap.transform(X)  # six batches, quiet by default
    assert capsys.readouterr().err == ""
    batches = list(fmap.iter_batches(X[:20], verbose=True))  # four batches: no bar
    assert [start for start, _ in batches] == [0, 5, 10, 15]
    assert capsys.readouterr().err == ""
    batches = list(fmap.iter_batches(X[:25], verbose=True))
    assert [start for start, _ in batches] == [0, 5, 10, 15, 20]
    assert "kernel features: 5/5" in capsys.readouterr().err


def test_progress_of_both_views_counts_every_batch(capsys, monkeypatch):
    """``feature_moments`` zips the two views' batches with ``strict=True``, so the Y loop is
    resumed once more after its last batch and its progress line reaches the total too (the
    session-4 finding, pinned here at the level of the function)."""
    import classicx.utils.parallel as parallel

    monkeypatch.setattr(parallel, "_PROGRESS_DELAY", 0.0)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 3)), rng.normal(size=(12, 2))
    mx = KernelFeatureMap("rbf", method="nystrom", n_components=4, random_state=0).fit(X)
    my = KernelFeatureMap("rbf", method="nystrom", n_components=3, random_state=0).fit(Y)
    feature_moments(mx, X, my, Y, batch_size=2, verbose=True)
    err = capsys.readouterr().err
    assert "kernel features (X): 6/6" in err and "kernel features (Y): 6/6" in err
    assert mx.batch_size == my.batch_size == 4096
