"""Format 3 of saved models (issue #15): aligned, memory-mapped arrays; strings as arrays; format 2 still read."""

from __future__ import annotations

import json
import mmap
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from classicx import CrossModalRetriever, persistence
from classicx.base import ClassicxEstimator
from classicx.exceptions import ModelFormatError

_DATA = Path(__file__).parent / "data"


class _Holder(ClassicxEstimator):
    def __init__(self, tag: int = 0):
        self.tag = tag


def _big_model() -> _Holder:
    rng = np.random.default_rng(0)
    model = _Holder(tag=3)
    model.weights_ = np.asfortranarray(rng.normal(size=(300, 700)))  # 1.6 MB: mapped
    model.small_ = rng.normal(size=(4, 3)).astype(np.float32)  # read
    model.vocabulary_ = {f"térm{i}": i for i in range(3000)}
    model.texts_ = [f"text {i} ✓" for i in range(2000)] + [""]
    model.odd_ = ["has\0nul"] * 2000  # the separator inside: kept as JSON
    return model


def _mapping(array: np.ndarray) -> mmap.mmap | None:
    base = array
    while base is not None:
        if isinstance(base, mmap.mmap):
            return base
        base = getattr(base, "base", None) if not isinstance(base, mmap.mmap) else None
        if isinstance(base, np.memmap):
            return base._mmap
    return None


def _meta(path: Path) -> dict:
    return json.loads((path / "classicx.json").read_text(encoding="utf-8"))


def test_round_trip_maps_large_arrays_and_reads_small_ones(tmp_path):
    model = _big_model()
    model.save(tmp_path / "m")
    back = _Holder.load(tmp_path / "m")
    np.testing.assert_array_equal(back.weights_, model.weights_)
    np.testing.assert_array_equal(back.small_, model.small_)
    assert back.weights_.flags.f_contiguous and back.weights_.flags.aligned
    assert type(back.weights_) is np.ndarray and _mapping(back.weights_) is not None
    assert _mapping(back.small_) is None
    assert back.vocabulary_ == model.vocabulary_ and list(back.vocabulary_) == list(model.vocabulary_)
    assert back.texts_ == model.texts_ and back.odd_ == model.odd_
    state = _meta(tmp_path / "m")["root"]["state"]
    assert "__strdict__" in state["vocabulary_"] and "__strings__" in state["texts_"]
    assert isinstance(state["odd_"], list)


def test_mapped_arrays_are_copy_on_write(tmp_path):
    _big_model().save(tmp_path / "m")
    back = _Holder.load(tmp_path / "m")
    before = (tmp_path / "m" / "arrays.npz").read_bytes()
    back.weights_[0, 0] = 12345.0
    assert back.weights_[0, 0] == 12345.0
    assert (tmp_path / "m" / "arrays.npz").read_bytes() == before
    assert _Holder.load(tmp_path / "m").weights_[0, 0] != 12345.0


def test_the_archive_is_an_ordinary_npz_with_aligned_uncompressed_members(tmp_path):
    model = _big_model()
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "arrays.npz"
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            handle.seek(info.header_offset)
            local = handle.read(30)
            start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(
                local[28:30], "little")
            assert start % 64 == 0
    key = _meta(tmp_path / "m")["root"]["state"]["weights_"]["__array__"]
    with np.load(path, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz[key], model.weights_)


def test_saving_over_a_loaded_model_leaves_the_mapped_arrays_intact(tmp_path):
    model = _big_model()
    model.save(tmp_path / "m")
    back = _Holder.load(tmp_path / "m")
    other = _big_model()
    other.weights_ = other.weights_ * 0 + 7.0
    other.save(tmp_path / "m")
    np.testing.assert_array_equal(back.weights_, model.weights_)
    assert _Holder.load(tmp_path / "m").weights_[0, 0] == 7.0


def _poison_mapped_member(path: Path, key: str, value: float) -> None:
    """Overwrite the first element of a stored member in place (same size, no CRC update)."""
    archive_path = path / "arrays.npz"
    with zipfile.ZipFile(archive_path) as archive:
        info = archive.getinfo(f"{key}.npy")
    with open(archive_path, "r+b") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        handle.seek(start)
        np.lib.format.read_magic(handle)
        np.lib.format.read_array_header_1_0(handle)
        handle.write(np.array([value]).tobytes())


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values_in_mapped_arrays_are_refused(tmp_path, value):
    _big_model().save(tmp_path / "m")
    key = _meta(tmp_path / "m")["root"]["state"]["weights_"]["__array__"]
    _poison_mapped_member(tmp_path / "m", key, value)
    with pytest.raises(ModelFormatError, match="NaN or infinity"):
        _Holder.load(tmp_path / "m")


def test_huge_finite_values_are_not_mistaken_for_infinity(tmp_path):
    model = _Holder()
    model.weights_ = np.full((400, 400), 1e308)  # the sum overflows; every value is finite
    model.save(tmp_path / "m")
    np.testing.assert_array_equal(_Holder.load(tmp_path / "m").weights_, model.weights_)


def test_an_archive_cut_short_is_refused_without_mapping_past_its_end(tmp_path):
    _big_model().save(tmp_path / "m")
    path = tmp_path / "m" / "arrays.npz"
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = sorted(archive.infolist(), key=lambda i: i.header_offset)
    # Keep the central directory (so the archive opens) but cut the largest member short.
    big = max(infos, key=lambda i: i.file_size)
    cut = big.header_offset + 1000
    end = data.index(b"PK\x01\x02")  # first central-directory entry
    path.write_bytes(data[:cut] + data[end:])
    with pytest.raises(ModelFormatError):
        _Holder.load(tmp_path / "m")


def test_a_member_whose_npy_header_disagrees_with_the_metadata_is_refused(tmp_path):
    _big_model().save(tmp_path / "m")
    meta = _meta(tmp_path / "m")
    marker = meta["root"]["state"]["weights_"]
    marker["shape"] = [700, 300]
    (tmp_path / "m" / "classicx.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="does not match"):
        _Holder.load(tmp_path / "m")


def test_members_written_by_numpy_itself_are_read_the_ordinary_way(tmp_path):
    # np.savez stores members uncompressed but unaligned: read (not mapped), still validated.
    model = _big_model()
    model.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    np.savez(tmp_path / "m" / "arrays.npz", **arrays)
    back = _Holder.load(tmp_path / "m")
    np.testing.assert_array_equal(back.weights_, model.weights_)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda state, arrays: arrays.update({state["vocabulary_"]["__strdict__"]["values"]["__array__"]:
                                              np.arange(2999)}), "has shape|2999"),
        (lambda state, arrays: arrays.update({state["texts_"]["__strings__"]["__array__"]:
                                              np.frombuffer(b"\xff\xfe" * 10, np.uint8)}), "not UTF-8|has shape"),
    ],
)
def test_damaged_string_arrays_are_refused(tmp_path, change, message):
    _big_model().save(tmp_path / "m")
    state = _meta(tmp_path / "m")["root"]["state"]
    with np.load(tmp_path / "m" / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(state, arrays)
    np.savez(tmp_path / "m" / "arrays.npz", **arrays)
    with pytest.raises(ModelFormatError, match=message):
        _Holder.load(tmp_path / "m")


def test_repeated_vocabulary_keys_are_refused(tmp_path):
    _big_model().save(tmp_path / "m")
    meta = _meta(tmp_path / "m")
    keys = meta["root"]["state"]["vocabulary_"]["__strdict__"]["keys"]
    with np.load(tmp_path / "m" / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    terms = bytes(arrays[keys["__array__"]]).decode("utf-8").split("\0")
    terms[1] = terms[0]
    arrays[keys["__array__"]] = np.frombuffer("\0".join(terms).encode("utf-8"), np.uint8)
    keys["shape"] = [len(arrays[keys["__array__"]])]
    (tmp_path / "m" / "classicx.json").write_text(json.dumps(meta), encoding="utf-8")
    np.savez(tmp_path / "m" / "arrays.npz", **arrays)
    with pytest.raises(ModelFormatError, match="repeated keys"):
        _Holder.load(tmp_path / "m")


def test_a_repeated_list_of_strings_is_stored_once_and_loads_as_independent_lists(tmp_path):
    model = _big_model()
    model.paired_ = list(model.texts_)  # equal content, another list (as a retriever's two galleries)
    model.other_ = [f"other {i}" for i in range(2000)]
    model.save(tmp_path / "m")
    meta = _meta(tmp_path / "m")
    state = meta["root"]["state"]
    assert state["paired_"] == state["texts_"] != state["other_"]  # one member for both
    names = zipfile.ZipFile(tmp_path / "m" / "arrays.npz").namelist()
    assert len(names) == len(set(names)) and f"{state['texts_']['__strings__']['__array__']}.npy" in names
    loaded = _Holder.load(tmp_path / "m")
    assert loaded.texts_ == loaded.paired_ == model.texts_ and loaded.other_ == model.other_
    assert loaded.texts_ is not loaded.paired_
    loaded.paired_.append("changed")
    assert loaded.texts_ == model.texts_


def test_finiteness_test_agrees_with_numpy():
    rng = np.random.default_rng(1)
    cases = [rng.normal(size=1000), np.full(10, 1e308), np.array([], dtype=float), rng.normal(size=(5, 5)).astype(np.float16) * 1e4,
             np.array([1.0, np.nan]), np.array([np.inf, -np.inf]), np.array([1 + 1j, complex(0, np.inf)]),
             rng.normal(size=(30, 40)).astype(np.float32)]
    for array in cases:
        assert persistence._all_finite(array) == bool(np.isfinite(array).all())


def test_a_model_saved_by_format_2_loads_and_ranks_as_it_did(tmp_path):
    """``tests/data/format2_model`` was written by classicx 0.2 (main at 2a30292), with its search results."""
    expected = json.loads((_DATA / "format2_expected.json").read_text(encoding="utf-8"))
    assert _meta(_DATA / "format2_model")["format_version"] == 2
    model = CrossModalRetriever.load(_DATA / "format2_model")
    model.set_params(verbose=False)
    # Saved before TfidfLSA's dtype parameter: its float64 components are kept, and the
    # parameter says so (the float32 default is for new fits).
    lsa = model.text_features_
    assert lsa.components_.dtype == np.float64 and lsa.get_params()["dtype"] == "float64"
    for text, hits in zip(expected["text_queries"], expected["text_hits"]):
        found = model.search_text(text, k=5)
        assert [h.index for h in found] == [i for i, _ in hits]
        np.testing.assert_allclose([h.score for h in found], [s for _, s in hits], rtol=1e-6, atol=1e-6)
    images = np.load(_DATA / "format2_query_images.npy")
    for image, hits in zip(images, expected["image_hits"]):
        found = model.search_image(image, k=5)
        assert [h.index for h in found] == [i for i, _ in hits]
        np.testing.assert_allclose([h.score for h in found], [s for _, s in hits], rtol=1e-6, atol=1e-6)
    # Saved again, it is written in the current format and ranks the same.
    shutil.copytree(_DATA / "format2_model", tmp_path / "old")
    model.save(tmp_path / "new")
    assert _meta(tmp_path / "new")["format_version"] == persistence.FORMAT_VERSION == 3
    again = CrossModalRetriever.load(tmp_path / "new")
    assert again.search_text(expected["text_queries"][0], k=5) == model.search_text(expected["text_queries"][0], k=5)
