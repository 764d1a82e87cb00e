"""Model directories from someone else: edited metadata, damaged arrays, links; saving beside links."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from classicx import persistence
from classicx.exceptions import ClassicxError, ModelFormatError, ModelWriteError
from classicx.subspace import RegularizedCCA
from classicx.text import TfidfLSA

from .conftest import MODES, explore, outcome

_RNG = np.random.default_rng(0)
_X, _Y = _RNG.normal(size=(40, 6)), _RNG.normal(size=(40, 4))
_TEXTS = ["red bus in town", "blue car on road", "a red car", "the bus is blue", "green tree", "a tree by the road"]


def _models():
    return {
        "cca": (RegularizedCCA(n_components=2).fit(_X, _Y), lambda m: m.transform(_X, _Y)),
        "lsa": (TfidfLSA(n_components=2, random_state=0).fit(_TEXTS), lambda m: (m.transform(_TEXTS),)),
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    out = {}
    for name, (model, use) in _models().items():
        persistence.save(model, root / name)
        out[name] = (root / name, use, use(model))
    return out


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for file in src.iterdir():
        (dst / file.name).write_bytes(file.read_bytes())
    return dst


def _load_and_use(path: Path, use, reference) -> None:
    """Either a ModelFormatError naming the directory, or a model that works (finite, or a classicx error)."""
    model = outcome(lambda: persistence.load(path), names=str(path))
    if isinstance(model, ClassicxError):
        assert isinstance(model, ModelFormatError), type(model)
        return
    result = outcome(lambda: use(model))
    if not isinstance(result, ClassicxError):
        for view in result:
            assert np.isfinite(np.asarray(view)).all()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["__array__", "__float__", "__tuple__", "__dict__", "__sparse__", "__estimator__",
                       "os.system", "classicx.subspace.cca.RegularizedCCA", "a0", "<f8", "|O", "nan"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["__array__", "__float__", "__tuple__", "__dict__", "__sparse__", "__estimator__",
                         "class", "params", "state", "shape", "dtype", "x"]), inner, max_size=3),
    max_leaves=8,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


@pytest.mark.parametrize("profile", MODES)
@pytest.mark.parametrize("name", ["cca", "lsa"])
def test_randomly_edited_metadata(tmp_path, saved, profile, name):
    source, use, reference = saved[name]
    meta = json.loads((source / "classicx.json").read_text(encoding="utf-8"))
    paths = list(_paths(meta))

    def check(which, value):
        target = _copy(source, tmp_path / "edited")
        edited = json.loads(json.dumps(meta))
        path = paths[which % len(paths)]
        if not path:
            edited = value
        else:
            node = edited
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        (target / "classicx.json").write_text(json.dumps(edited), encoding="utf-8")
        _load_and_use(target, use, reference)

    explore(profile, check, st.integers(0, 10**6), _JSON)


@pytest.mark.parametrize("profile", MODES)
@pytest.mark.parametrize("name", ["cca", "lsa"])
def test_flipped_bytes_in_the_arrays(tmp_path, saved, profile, name):
    source, use, reference = saved[name]
    original = (source / "arrays.npz").read_bytes()

    def check(edits):
        target = _copy(source, tmp_path / "flipped")
        data = bytearray(original)
        for position, value in edits:
            data[position % len(data)] ^= value or 1
        (target / "arrays.npz").write_bytes(bytes(data))
        model = outcome(lambda: persistence.load(target), names=str(target))
        if isinstance(model, ClassicxError):
            assert isinstance(model, ModelFormatError)
            return
        # Loaded despite the damage (it hit bytes no referenced member uses): then nothing changed.
        for got, want in zip(use(model), reference):
            np.testing.assert_array_equal(got, want)

    explore(profile, check, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))


@pytest.mark.parametrize("name", ["cca", "lsa"])
@pytest.mark.parametrize("member", ["classicx.json", "arrays.npz"])
def test_truncated_model_files(tmp_path, saved, name, member):
    source = saved[name][0]
    data = (source / member).read_bytes()
    for cut in sorted({0, 1, len(data) // 3, len(data) // 2, len(data) - 22, len(data) - 1}):
        target = _copy(source, tmp_path / f"cut{cut}")
        (target / member).write_bytes(data[:cut])
        with pytest.raises(ModelFormatError, match=f"cut{cut}"):
            persistence.load(target)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_links_in_a_model_directory(tmp_path, saved):
    source = saved["cca"][0]
    target = _copy(source, tmp_path / "linked")
    (target / "arrays.npz").unlink()
    (target / "arrays.npz").symlink_to("/dev/zero")
    with pytest.raises(ModelFormatError, match="arrays.npz"):
        persistence.load(target)
    (target / "arrays.npz").unlink()
    (target / "arrays.npz").symlink_to(tmp_path / "nowhere.npz")
    with pytest.raises(ModelFormatError, match="arrays.npz not found"):
        persistence.load(target)
    (target / "classicx.json").unlink()
    (target / "classicx.json").mkdir()
    with pytest.raises(ModelFormatError, match="not a classicx model directory"):
        persistence.load(target)


def _tree(root: Path, skip: Path) -> dict[str, str]:
    """Digest of every file under ``root`` except under ``skip`` (links are listed, not followed)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == skip or skip in Path(dirpath).parents:
            continue
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            file = Path(dirpath) / name
            found[str(file)] = "link:" + os.readlink(file) if file.is_symlink() else hashlib.sha256(
                file.read_bytes()).hexdigest()
    return found


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
@pytest.mark.parametrize("link_name", ["classicx.json", "arrays.npz", "other.txt", "sub"])
def test_saving_writes_nothing_outside_the_target(tmp_path, link_name):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    target = tmp_path / "model"
    model = RegularizedCCA(n_components=2).fit(_X, _Y)
    persistence.save(model, target)
    (target / link_name).unlink(missing_ok=True)
    (target / link_name).symlink_to(outside / "precious.txt" if link_name != "sub" else outside)
    before = _tree(tmp_path, target)
    result = outcome(lambda: persistence.save(model, target), names=str(target))
    after = _tree(tmp_path, target)
    assert before == after, "a file outside the target changed"
    assert (outside / "precious.txt").read_text() == "keep me"
    if not isinstance(result, ClassicxError):
        np.testing.assert_allclose(RegularizedCCA.load(target).transform(_X), model.transform(_X))
    else:
        assert isinstance(result, ModelWriteError)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("a file"), "is a file"),
    (lambda p: (p / "x").mkdir(parents=True) or (p / "x" / "y").write_text("foreign"), "not a classicx model"),
])
def test_targets_that_are_not_models_are_refused(tmp_path, make, message):
    target = tmp_path / "target"
    make(target)
    with pytest.raises(ModelWriteError, match=message):
        persistence.save(RegularizedCCA(n_components=1).fit(_X, _Y), target)


def test_unfitted_text_models_still_round_trip(tmp_path):
    for model in (TfidfLSA(n_components=3), TfidfLSA(n_components=3).fit(_TEXTS).tfidf_.__class__()):
        persistence.save(model, tmp_path / type(model).__name__, overwrite=True)
        assert persistence.load(tmp_path / type(model).__name__).get_params() == model.get_params()


@pytest.mark.parametrize("edit, message", [
    (lambda state: state["tfidf_"]["__estimator__"]["state"].update(vocabulary_=None), "vocabulary_ must be a non-empty dict"),
    (lambda state: state.update(n_components_=5), "do not fit n_components_=5"),
])
def test_inconsistent_text_models_are_refused_at_load_time(tmp_path, saved, edit, message):
    source, _, _ = saved["lsa"]
    target = _copy(source, tmp_path / "edited")
    meta = json.loads((target / "classicx.json").read_text(encoding="utf-8"))
    edit(meta["root"]["state"])
    (target / "classicx.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError, match=rf"edited.*{message}"):
        persistence.load(target)
