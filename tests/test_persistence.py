"""Saving and loading without pickle: round trips and refusal of damaged or foreign models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from classicx import persistence
from classicx.base import ClassicxEstimator
from classicx.exceptions import InputTypeError, ModelFormatError


class _Inner(ClassicxEstimator):
    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha


class _Outer(ClassicxEstimator):
    def __init__(self, inner=None, name: str = "x", sizes=(1, 2)):
        self.inner = inner
        self.name = name
        self.sizes = sizes


def _fitted() -> _Outer:
    rng = np.random.default_rng(0)
    est = _Outer(inner=_Inner(alpha=0.5), name="ünïcode", sizes=(3, 4))
    est.weights_ = rng.normal(size=(5, 3)).astype(np.float32)
    est.counts_ = np.arange(7, dtype=np.int64)
    est.matrix_ = sp.random(6, 4, density=0.4, format="csr", random_state=0)
    est.vocab_ = {"a": 0, "b": [1, 2], "c": {"nested": None}}
    est.nan_ = float("nan")
    est.flag_ = np.bool_(True)
    est.child_ = _Inner(alpha=2.0)
    est.child_.table_ = np.eye(2)
    est._private = object()  # private attributes are not part of the saved state
    return est


def test_round_trip_restores_params_and_state(tmp_path):
    est = _fitted()
    persistence.save(est, tmp_path / "m")
    back = _Outer.load(tmp_path / "m")
    assert back.get_params()["name"] == "ünïcode"
    assert back.sizes == (3, 4)
    assert isinstance(back.inner, _Inner) and back.inner.alpha == 0.5
    np.testing.assert_array_equal(back.weights_, est.weights_)
    assert back.weights_.dtype == np.float32
    np.testing.assert_array_equal(back.counts_, est.counts_)
    assert (back.matrix_ != sp.csr_array(est.matrix_)).nnz == 0
    assert back.vocab_ == est.vocab_
    assert np.isnan(back.nan_)
    assert back.flag_ is True
    np.testing.assert_array_equal(back.child_.table_, np.eye(2))
    assert not hasattr(back, "_private")


def test_files_are_json_and_npz_without_pickle(tmp_path):
    persistence.save(_fitted(), tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text(encoding="utf-8"))
    assert meta["format"] == "classicx-model" and meta["format_version"] == persistence.FORMAT_VERSION
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_unsavable_attribute_is_named(tmp_path):
    est = _Inner()
    est.model_ = object()
    with pytest.raises(InputTypeError, match=r"_Inner\.model_"):
        persistence.save(est, tmp_path)
    est.model_ = np.array([object()], dtype=object)
    with pytest.raises(InputTypeError, match="dtype object"):
        persistence.save(est, tmp_path)


def test_unregistered_class_cannot_be_saved(tmp_path):
    from sklearn.linear_model import Ridge

    with pytest.raises(InputTypeError, match="not a registered classicx class"):
        persistence.save(Ridge(), tmp_path)


def _edit_meta(path, change):
    meta = json.loads((path / "classicx.json").read_text(encoding="utf-8"))
    change(meta)
    (path / "classicx.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "classicx.json").unlink(), "not a classicx model directory"),
        (lambda p: (p / "classicx.json").write_text("{not json", encoding="utf-8"), "damaged metadata"),
        (lambda p: _edit_meta(p, lambda m: m.update(format="other")), "not a classicx model"),
        (lambda p: _edit_meta(p, lambda m: m.update(format_version=999)), "version 999 is not supported"),
        (lambda p: (p / "arrays.npz").unlink(), "arrays.npz not found"),
        (lambda p: (p / "arrays.npz").write_bytes(b"garbage"), "damaged array file"),
        (lambda p: _edit_meta(p, lambda m: m["root"].update({"class": "os.system"})), "unknown class"),
        (
            lambda p: _edit_meta(p, lambda m: m["root"]["state"]["weights_"].update(shape=[1, 1])),
            "has shape",
        ),
        (
            lambda p: _edit_meta(p, lambda m: m["root"]["params"].update(bogus=1)),
            "parameters do not fit",
        ),
    ],
)
def test_damaged_or_foreign_models_are_refused(tmp_path, damage, message):
    persistence.save(_fitted(), tmp_path)
    damage(tmp_path)
    with pytest.raises(ModelFormatError, match=message):
        persistence.load(tmp_path)


def test_pickled_arrays_are_not_loaded(tmp_path):
    persistence.save(_fitted(), tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text(encoding="utf-8"))
    key = meta["root"]["state"]["counts_"]["__array__"]
    with np.load(tmp_path / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays[key] = np.array([{"evil": 1}], dtype=object)
    np.savez(tmp_path / "arrays.npz", **arrays)
    with pytest.raises(ModelFormatError, match="damaged array file"):
        persistence.load(tmp_path)


def test_load_checks_expected_class(tmp_path):
    persistence.save(_Inner(), tmp_path)
    with pytest.raises(ModelFormatError, match="holds a _Inner, expected a _Outer"):
        _Outer.load(tmp_path)


def test_classes_are_keyed_by_qualified_name(tmp_path):
    from classicx.subspace import RegularizedCCA

    assert persistence.class_key(RegularizedCCA) == "classicx.subspace.RegularizedCCA"
    assert persistence.class_key(_Inner) == f"{__name__}._Inner"
    X = np.random.default_rng(0).normal(size=(30, 3))
    library = RegularizedCCA(n_components=1).fit(X, X[:, :2])
    library.save(tmp_path / "lib")

    # A user class with the same bare name no longer replaces the library class when loading.
    class RegularizedCCA(ClassicxEstimator):  # noqa: F811 - the point of the test
        def __init__(self, n_components=1):
            self.n_components = n_components

    loaded = persistence.load(tmp_path / "lib")
    assert type(loaded).__module__.startswith("classicx.subspace")
    assert np.allclose(loaded.transform(X), library.transform(X))
    meta = json.loads((tmp_path / "lib" / "classicx.json").read_text())
    assert meta["root"]["class"] == "classicx.subspace.RegularizedCCA"
    assert meta["format_version"] == persistence.FORMAT_VERSION


def test_models_of_format_version_1_are_refused_with_advice(tmp_path):
    _fitted().save(tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text())
    meta["format_version"] = 1
    (tmp_path / "classicx.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="classicx 0.1.*fit the model again"):
        persistence.load(tmp_path)


def test_a_list_as_class_name_is_a_format_error(tmp_path):
    _fitted().save(tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text())
    meta["root"]["class"] = ["not", "a", "name"]
    (tmp_path / "classicx.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="unknown class"):
        persistence.load(tmp_path)
