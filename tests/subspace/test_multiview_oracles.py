"""MultiviewCCA and ThreeViewCCA against independent oracles, written from the survivors of a
mutation run (see tests/README.md, "Mutation testing").

The oracle is scipy's generalised symmetric eigensolver on the full block matrices
``S w = lambda D w`` with ``D`` the block diagonal of ``(1 - r_i) C_ii + r_i trace(C_ii)/d_i I``
(one shrinkage ``r_i`` per view), solved in float64 on the data cast to float64.
"""

from __future__ import annotations

import ast
import inspect
import re

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp

from classicx.exceptions import InputError, InputTypeError, NonFiniteError, ParameterError, ShapeMismatchError
from classicx.subspace import MultiviewCCA, ThreeViewCCA


def block_oracle(views, k, regs):
    """Top-k (eigenvalues, stacked weights) of S w = lambda D w, per-view shrinkage ``regs``."""
    views = [np.asarray(V, np.float64) for V in views]
    centred = [V - V.mean(0) for V in views]
    n = len(views[0])
    S = np.hstack(centred).T @ np.hstack(centred) / (n - 1)
    blocks = []
    for V, r in zip(centred, regs):
        C = V.T @ V / (n - 1)
        blocks.append((1 - r) * C + r * np.trace(C) / len(C) * np.eye(len(C)))
    D = scipy.linalg.block_diag(*blocks)
    m = len(S)
    vals, vecs = scipy.linalg.eigh(S, D, subset_by_index=[m - k, m - 1])
    return vals[::-1], vecs[:, ::-1]


def split(W, dims):
    return np.split(W, np.cumsum(dims)[:-1])


def signed(W, ref):
    """W with each column's sign matched to ref (eigenvectors are defined up to sign)."""
    return W * np.sign(np.sum(W * ref, axis=0))


def views3(n=120, dims=(4, 3, 5), seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    return [
        (z @ rng.normal(size=(2, d)) + rng.normal(size=(n, d))) * np.linspace(0.5, 3.0, d) + 2.0 for d in dims
    ]


def test_per_view_shrinkage_equals_the_block_oracle():
    views = views3()
    regs = [0.0, 0.4, 0.9]
    mcca = MultiviewCCA(n_components=2, reg=regs, weight_power=0).fit(views)
    vals, vecs = block_oracle(views, 2, regs)
    np.testing.assert_allclose(mcca.eigenvalues_, vals, rtol=1e-9)
    for W, ref in zip(mcca.weights_, split(vecs, [4, 3, 5])):
        np.testing.assert_allclose(W, signed(ref, W), atol=1e-9)
    # the order of the per-view values matters: reversed shrinkage gives other eigenvalues
    other = MultiviewCCA(n_components=2, reg=regs[::-1], weight_power=0).fit(views)
    assert np.abs(other.eigenvalues_ - vals).max() > 1e-3


def test_eigenvalues_below_one_are_weighted_by_their_power():
    """With reg=1 (whitening by the mean variance) the second eigenvalue is far below 1.

    X and Y each have one large and one small direction; the large ones are almost
    perfectly correlated, so lambda_1 ~ 2 (1 + rho) and lambda_2 comes from the small ones.
    """
    rng = np.random.default_rng(1)
    n = 200
    z = rng.normal(size=n)
    X = np.column_stack([z, 0.1 * rng.normal(size=n)])
    Y = np.column_stack([z + 0.05 * rng.normal(size=n), 0.1 * rng.normal(size=n)])
    vals, vecs = block_oracle([X, Y], 2, [1.0, 1.0])
    assert vals[1] < 0.5  # the case the weighting must get right
    for power in (0.5, 4.0):
        mcca = MultiviewCCA(n_components=2, reg=1.0, weight_power=power).fit([X, Y])
        np.testing.assert_allclose(mcca.eigenvalues_, vals, rtol=1e-9)
        Wx, Wy = split(vecs, [2, 2])
        Wx = signed(Wx, mcca.weights_[0])
        Wy = signed(Wy, mcca.weights_[1])
        np.testing.assert_allclose(mcca.transform_view(X, 0), (X - X.mean(0)) @ Wx * vals**power, atol=1e-9)
        np.testing.assert_allclose(mcca.transform_view(Y, 1), (Y - Y.mean(0)) @ Wy * vals**power, atol=1e-9)



def test_three_view_eigenvalues_below_one_are_weighted_by_their_power():
    """Unequal classes (140, 20, 20, 20) shrunk with reg=1: the label view's minor directions
    have whitened variance 0.1 / 0.12 < 1, and with X and Y following the major class they
    give the second eigenvalue."""
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1, 2, 3], [140, 20, 20, 20])
    n = len(labels)
    z = (labels == 0) - 0.7 + 0.05 * rng.normal(size=n)
    X = np.column_stack([z, 0.03 * rng.normal(size=n)])
    Y = np.column_stack([z + 0.05 * rng.normal(size=n), 0.03 * rng.normal(size=n)])
    onehot = (labels[:, None] == np.arange(4)).astype(float)
    vals, vecs = block_oracle([X, Y, onehot], 2, [1.0, 1.0, 1.0])
    assert vals[1] < 0.9
    for power in (0.5, 4.0):
        tv = ThreeViewCCA(n_components=2, reg=1.0, weight_power=power).fit(X, Y, labels=labels)
        np.testing.assert_allclose(tv.eigenvalues_, vals, rtol=1e-9)
        wx, wy = signed(vecs[:2], tv.x_weights_), signed(vecs[2:4], tv.y_weights_)
        np.testing.assert_allclose(tv.transform(X), (X - X.mean(0)) @ wx * vals**power, atol=1e-9)
        np.testing.assert_allclose(tv.transform_y(Y), (Y - Y.mean(0)) @ wy * vals**power, atol=1e-9)


def test_three_view_cca_uses_one_shrinkage_per_view():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1, 2, 3], 25)
    X = rng.normal(size=(100, 5)) * np.arange(1, 6) + labels[:, None]
    Y = rng.normal(size=(100, 4)) - labels[:, None]
    onehot = (labels[:, None] == np.arange(4)).astype(float)
    regs = (0.05, 0.6, 0.3)
    tv = ThreeViewCCA(n_components=3, reg=regs).fit(X, Y, labels=labels)
    vals, vecs = block_oracle([X, Y, onehot], 3, regs)
    np.testing.assert_allclose(tv.eigenvalues_, vals, rtol=1e-9)
    np.testing.assert_allclose(tv.x_weights_, signed(vecs[:5], tv.x_weights_), atol=1e-9)
    np.testing.assert_allclose(tv.y_weights_, signed(vecs[5:9], tv.y_weights_), atol=1e-9)
    with pytest.raises(ParameterError, match="2 values for 3 views"):
        ThreeViewCCA(reg=[0.1, 0.2]).fit(X, Y, labels=labels)


def test_float32_and_integer_views_are_solved_in_float64():
    """Views are cast to float64 first: the answer is the float64 oracle on the cast values."""
    views = views3(seed=3)
    as32 = [V.astype(np.float32) for V in views]
    vals32, vecs32 = block_oracle(as32, 2, [0.1] * 3)  # float64 solve of the float32 values
    vals64, _ = block_oracle(views, 2, [0.1] * 3)
    assert np.abs(vals64 - vals32).max() > 1e-9  # float32 rounding is visible at this tolerance
    mcca = MultiviewCCA(n_components=2, reg=0.1, weight_power=0).fit(as32)
    np.testing.assert_allclose(mcca.eigenvalues_, vals32, rtol=1e-12)
    out = mcca.transform_view(as32[1], 1)
    assert out.dtype == np.float64
    V1 = as32[1].astype(np.float64)
    w1 = signed(split(vecs32, [4, 3, 5])[1], mcca.weights_[1])
    np.testing.assert_allclose(out, (V1 - V1.mean(0)) @ w1, rtol=1e-9, atol=1e-11)
    ints = [np.round(V * 3).astype(np.int64) for V in views]
    vals_int, _ = block_oracle(ints, 2, [0.1] * 3)
    np.testing.assert_allclose(MultiviewCCA(n_components=2, reg=0.1).fit(ints).eigenvalues_, vals_int, rtol=1e-12)
    labels = np.tile([0, 1, 2], 40)
    onehot = (labels[:, None] == np.arange(3)).astype(float)
    tvals, tvecs = block_oracle([as32[0], as32[1], onehot], 2, [1e-3] * 3)
    tv32 = ThreeViewCCA(n_components=2, weight_power=0).fit(as32[0], as32[1], labels=labels)
    np.testing.assert_allclose(tv32.eigenvalues_, tvals, rtol=1e-12)
    X0 = as32[0].astype(np.float64)
    tx = signed(tvecs[:4], tv32.x_weights_)
    out = tv32.transform(as32[0])
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, (X0 - X0.mean(0)) @ tx, rtol=1e-9, atol=1e-11)


def test_sparse_views_give_the_dense_answer():
    views = views3(seed=4)
    views[0][np.abs(views[0]) < 2.0] = 0.0  # a sparse-looking view
    dense = MultiviewCCA(n_components=2, reg=0.2).fit(views)
    sparse_views = [sp.csr_matrix(views[0]), views[1], sp.csc_matrix(views[2])]
    sparse = MultiviewCCA(n_components=2, reg=0.2).fit(sparse_views)
    np.testing.assert_allclose(sparse.eigenvalues_, dense.eigenvalues_, rtol=1e-12)
    for a, b in zip(sparse.transform(sparse_views), dense.transform(views)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sparse.transform_view(sp.csr_array(views[2]), 2), dense.transform_view(views[2], 2))


def test_fit_transform_equals_fit_then_transform():
    views = views3(seed=5)
    a = MultiviewCCA(n_components=2, reg=0.3).fit_transform(views)
    b = MultiviewCCA(n_components=2, reg=0.3).fit(views).transform(views)
    assert len(a) == 3
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_messages_name_the_estimator_and_the_view():
    views = views3(seed=6)
    bad = [v.copy() for v in views]
    bad[2][7, 1] = np.nan
    with pytest.raises(NonFiniteError, match=r"MultiviewCCA.*view 2.*row 7"):
        MultiviewCCA().fit(bad)
    model = MultiviewCCA().fit(views)
    with pytest.raises(NonFiniteError, match=r"MultiviewCCA.*view 1.*row 7"):
        model.transform_view(bad[2][:, :3], 1)
    with pytest.raises(ShapeMismatchError, match=r"view 0 has 3 features, but MultiviewCCA is expecting 4"):
        model.transform_view(views[1], 0)
    with pytest.raises(ShapeMismatchError, match="got 2 views, but the model was fitted on 3"):
        model.transform(views[:2])
    with pytest.raises(InputTypeError, match="^views must be a list of 2-D arrays, one per view$"):
        MultiviewCCA().fit(v for v in views)  # an iterator is not a list of views
    with pytest.raises(InputError, match="^at least 2 paired rows are needed$"):
        MultiviewCCA(n_components=1).fit([v[:1] for v in views])
    with pytest.raises(
        ShapeMismatchError, match="^view 0 rows and view 2 rows must be paired row by row: got 120 view 0 rows and 119"
    ):
        MultiviewCCA().fit([views[0], views[1], views[2][:-1]])
    with pytest.raises(InputError, match=r"; each view must have at least n_components independent directions$"):
        MultiviewCCA(n_components=4).fit(views)
    with pytest.raises(InputError, match=r"^three-view CCA needs labels \(the third view\): fit\(X, Y, labels=\.\.\.\)$"):
        ThreeViewCCA().fit(views[0], views[1])


def test_two_paired_rows_are_enough():
    """The smallest problem: 2 rows, centred rank 1 in every view (the oracle still applies)."""
    rng = np.random.default_rng(8)
    views = [rng.normal(size=(2, d)) for d in (2, 3)]
    mcca = MultiviewCCA(n_components=1, reg=0.5, weight_power=0).fit(views)
    vals, _ = block_oracle(views, 1, [0.5, 0.5])
    np.testing.assert_allclose(mcca.eigenvalues_, vals, rtol=1e-9)


def test_per_view_reg_values_are_checked_one_by_one():
    views = views3(seed=9)
    for bad, shown in ((1.5, "1.5"), (True, "True"), ("0.1", "'0.1'"), (-0.1, "-0.1")):
        with pytest.raises(ParameterError, match=re.escape(f"must hold numbers in [0, 1]; reg[1] is {shown}")):
            MultiviewCCA(reg=[0.1, bad, 0.2]).fit(views)
    # both ends of [0, 1] are allowed, per view
    regs = [0.0, 1.0, 1.0]
    mcca = MultiviewCCA(n_components=2, reg=regs, weight_power=0).fit(views)
    np.testing.assert_allclose(mcca.eigenvalues_, block_oracle(views, 2, regs)[0], rtol=1e-9)


def test_multiview_cca_is_tagged_as_not_taking_one_2d_array():
    """scikit-learn's checks read this tag: the input is a list of views (tests/subspace/_checks.py)."""
    from sklearn.utils import get_tags

    assert get_tags(MultiviewCCA()).input_tags.two_d_array is False
    assert get_tags(ThreeViewCCA()).input_tags.two_d_array is True


@pytest.mark.parametrize(
    "params, match",
    [({"n_components": 0}, "n_components"), ({"weight_power": -1.0}, "weight_power"), ({"reg": 1.5}, "reg")],
)
def test_bad_parameters_are_refused_at_fit(params, match):
    with pytest.raises(ParameterError, match=match):
        MultiviewCCA(**params).fit(views3(seed=7))


def documented_defaults(cls):
    """``{name: value}`` from the numpydoc lines ``name : type, default=value`` of ``cls``."""
    out = {}
    for name, value in re.findall(r"^\s{4}(\w+) : [^\n]*default=([^\s,]+)", cls.__doc__, flags=re.M):
        out[name] = ast.literal_eval(value)
    return out


@pytest.mark.parametrize("cls", [MultiviewCCA, ThreeViewCCA])
def test_signature_defaults_are_the_documented_ones(cls):
    documented = documented_defaults(cls)
    assert {"n_components", "reg", "weight_power"} <= set(documented)
    signature = inspect.signature(cls.__init__).parameters
    for name, value in documented.items():
        assert signature[name].default == value, name
    assert cls().get_params() == {name: documented[name] for name in cls().get_params()}
