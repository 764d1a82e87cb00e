"""Saving and loading without pickle: round trips and refusal of damaged or foreign models."""

from __future__ import annotations

import json
import os
import signal
import time
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from classicx import persistence
from classicx.base import ClassicxEstimator
from classicx.exceptions import InputTypeError, ModelFormatError, ModelWriteError


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
        (lambda p: np.save(open(p / "arrays.npz", "wb"), np.zeros(3)), "not an .npz archive"),
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
    with pytest.raises(ModelFormatError, match="cannot be read without pickle"):
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


# ----------------------------------------------------------- saving: atomic, link-safe
def test_save_never_writes_through_links_in_the_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "model"
    _fitted().save(target)
    for name in ("classicx.json", "arrays.npz"):
        (target / name).unlink()
        (target / name).symlink_to(victim)
    _fitted().save(target)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (target / "classicx.json").is_symlink()
    assert persistence.load(target).name == "ünïcode"


def test_save_refuses_files_links_and_foreign_directories(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ModelWriteError, match="is a file"):
        _fitted().save(a_file)
    with pytest.raises(ModelWriteError, match="is a file, not a directory"):
        _fitted().save(a_file / "model")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"jpeg")
    with pytest.raises(ModelWriteError, match="not a classicx model"):
        _fitted().save(foreign)
    assert (foreign / "holiday.jpg").read_bytes() == b"jpeg"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ModelWriteError, match="symbolic link"):
        _fitted().save(link)
    _fitted().save(foreign, overwrite=True)
    assert not (foreign / "holiday.jpg").exists() and persistence.load(foreign).name == "ünïcode"
    _fitted().save(a_file, overwrite=True)
    assert a_file.is_dir()


def test_save_into_new_nested_and_empty_directories(tmp_path):
    assert persistence.check_writable(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    _fitted().save(tmp_path / "a" / "b")
    empty = tmp_path / "empty"
    empty.mkdir()
    _fitted().save(empty)
    assert persistence.load(empty).name == "ünïcode"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"], "no staging directories left behind"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write into read-only directories")
def test_save_into_a_read_only_directory_is_refused_before_any_work(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ModelWriteError, match="not writable"):
            persistence.check_writable(locked / "model")
    finally:
        locked.chmod(0o700)


class _Big(ClassicxEstimator):
    def __init__(self, tag: int = 0):
        self.tag = tag


def _save_forever(target, big) -> None:
    """In a forked child: save over and over with a new tag each time, until killed."""
    try:
        tag = 1
        while True:
            big.tag = tag
            persistence.save(big, target)
            tag += 1
    finally:
        os._exit(1)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to kill a saving process cheaply")
def test_killing_a_save_at_any_point_leaves_a_loadable_model(tmp_path):
    """Kill a child process at many points while it saves over an older model: a complete model loads."""
    target = tmp_path / "model"
    big = _Big(tag=0)
    big.weights_ = np.random.default_rng(0).normal(size=(400_000,))
    persistence.save(big, target)  # the old model, complete
    # A save *over* a model (staging, exchange, removal of the old one) is what the child does;
    # timed as the slowest of three so that a loaded machine does not shrink the kill points.
    one_save = 0.0
    for _ in range(3):
        start = time.perf_counter()
        persistence.save(big, target)
        one_save = max(one_save, time.perf_counter() - start)
    persistence.save(big, target)  # tag 0 again
    tags = []
    # Kill points 1/8 .. 24/8 of a save's duration after the child starts: every phase of the first
    # save, and late enough that some save has completed (fork and the child's start take time too).
    for attempt in range(1, 25):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            _save_forever(target, big)
        time.sleep(one_save * attempt / 8)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        model = persistence.load(target)
        assert model.weights_.shape == (400_000,)
        tags.append(model.tag)
    assert max(tags) >= 1, "no save over the old model completed before a kill: kill points too early"


_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


# ------------------------------------------------------- loading: tamper-proof
def _rewrite_npz(path, change):
    with np.load(path / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez_compressed(path / "arrays.npz", **arrays)


def test_unreferenced_members_are_never_inflated(tmp_path):
    persistence.save(_fitted(), tmp_path)
    with zipfile.ZipFile(tmp_path / "arrays.npz", "a") as archive:
        # A member no metadata entry names: damaged on purpose, so reading it would fail.
        archive.writestr("bomb.npy", b"\x93NUMPY" + b"\0" * 64)
        info = archive.getinfo("bomb.npy")
    assert info.file_size > 0
    assert persistence.load(tmp_path).name == "ünïcode"


def test_a_member_larger_than_declared_is_refused_before_inflating(tmp_path):
    persistence.save(_fitted(), tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text(encoding="utf-8"))
    key = meta["root"]["state"]["weights_"]["__array__"]
    _rewrite_npz(tmp_path, lambda a: a.update({key: np.zeros(1_000_000)}))
    with pytest.raises(ModelFormatError, match="would inflate to .* bytes"):
        persistence.load(tmp_path)


def test_nan_weights_are_refused_at_load_time(tmp_path):
    persistence.save(_fitted(), tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text(encoding="utf-8"))
    key = meta["root"]["state"]["weights_"]["__array__"]

    def poison(arrays):
        arrays[key] = arrays[key].copy()
        arrays[key].flat[0] = np.nan

    _rewrite_npz(tmp_path, poison)
    with pytest.raises(ModelFormatError, match="NaN or infinity"):
        persistence.load(tmp_path)


def _nest(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m["root"]["params"].update(name={"__array__": ["x"], "dtype": "<f8", "shape": [1]}),
         "malformed array entry"),
        (lambda m: m["root"]["params"].update(name={"__array__": "a0"}), "malformed array entry"),
        (lambda m: m["root"]["params"].update(name={"__float__": "1e999x"}), "malformed float"),
        (lambda m: m["root"]["params"].update(name={"__float__": 3}), "malformed float"),
        (lambda m: m["root"]["params"].update(name={"__tuple__": 5}), "malformed tuple"),
        (lambda m: m["root"]["params"].update(name={"__dict__": [1]}), "malformed dict"),
        (lambda m: m["root"]["params"].update(name={"__sparse__": {"shape": [2, 2]}}), "malformed sparse"),
        (lambda m: m["root"]["params"].update(name={"__estimator__": 7}), "lacks 'class'"),
        (lambda m: m["root"]["params"].update(name=_nest(100)), "nested more than"),
        (lambda m: m["root"]["params"].update(name=_nest(5000)), "nested more than|damaged metadata .*Recursion"),
        (lambda m: m["root"].update(params=[1]), "must be objects"),
        (lambda m: m["root"]["state"]["weights_"].update(dtype="|O"), "not allowed"),
        (lambda m: m["root"]["state"]["weights_"].update(dtype="<q9"), "unknown dtype"),
        (lambda m: m["root"]["state"]["weights_"].update(shape=[-1]), "not a list of sizes"),
    ],
)
def test_hand_edited_metadata_is_a_format_error(tmp_path, edit, message):
    persistence.save(_fitted(), tmp_path)
    meta = json.loads((tmp_path / "classicx.json").read_text(encoding="utf-8"))
    edit(meta)
    text = json.dumps(meta) if "nested" not in message else _deep_json(meta)
    (tmp_path / "classicx.json").write_text(text, encoding="utf-8")
    with pytest.raises(ModelFormatError, match=message):
        persistence.load(tmp_path)


def _deep_json(meta):
    # json.dumps itself recurses; build the deeply nested list by hand.
    deep = meta["root"]["params"].pop("name")
    depth = 0
    while isinstance(deep, list):
        deep, depth = deep[0], depth + 1
    meta["root"]["params"]["name"] = "PLACEHOLDER"
    return json.dumps(meta).replace('"PLACEHOLDER"', "[" * depth + "1" + "]" * depth)


def test_inconsistent_state_is_reported_at_load_time(tmp_path):
    class _Checked(ClassicxEstimator):
        def _check_loaded_state(self):
            if len(self.ids_) != len(self.vectors_):
                raise ValueError(f"{len(self.ids_)} ids for {len(self.vectors_)} vectors")

    est = _Checked()
    est.ids_, est.vectors_ = ["a", "b"], np.zeros((2, 2))
    est.save(tmp_path)
    _edit_meta(tmp_path, lambda m: m["root"]["state"].update(ids_=["a"]))
    with pytest.raises(ModelFormatError, match="inconsistent .*1 ids for 2 vectors"):
        persistence.load(tmp_path)


@pytest.mark.parametrize("columns, message", [
    ({"red": 0.0, "blue": 1}, "must map str terms to int columns"),
    ({"red": 0, "blue": 0}, "columns must be 0..n_terms-1, each once"),
    ({"red": 0, "blue": 2}, "columns must be 0..n_terms-1, each once"),
])
def test_a_hand_edited_tfidf_vocabulary_is_refused_at_load_time(tmp_path, columns, message):
    from classicx.text import TfidfFeatures

    TfidfFeatures(verbose=False).fit(["red", "blue"]).save(tmp_path)
    _edit_meta(tmp_path, lambda m: m["root"]["state"].update(vocabulary_={"__dict__": columns}))
    with pytest.raises(ModelFormatError, match=message):
        persistence.load(tmp_path)
