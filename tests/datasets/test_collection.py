"""Tests of the CSV/TSV and folder-per-category loaders (classicx.datasets._collection)."""

from __future__ import annotations

import csv
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classicx.datasets import load_csv, load_dataset, load_folder
from classicx.exceptions import (
    DatasetError,
    EmptyInputError,
    InputError,
    MissingFileError,
    SkippedItemsWarning,
    TextReadError,
)


def touch(path: Path, content: bytes = b"img") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


# ----------------------------------------------------------------------------- CSV


def test_csv_single_labels_and_split(tmp_path):
    for name in ("a.jpg", "b.jpg", "sub/c.png", "d.jpg"):
        touch(tmp_path / name)
    (tmp_path / "pairs.csv").write_text(
        "image,text,label,split\n"
        "a.jpg,a red bus,vehicle,train\n"
        'b.jpg,"a cat, sleeping",animal,TRAIN\n'
        "sub/c.png,a dog,animal,test\n"
        "d.jpg,a truck,vehicle,train\n",
        encoding="utf-8",
    )
    data = load_csv(tmp_path / "pairs.csv")
    assert data.categories == ["animal", "vehicle"]
    assert data.train.texts == ["a red bus", "a cat, sleeping", "a truck"]
    np.testing.assert_array_equal(data.train.labels, [1, 0, 1])
    assert data.train.labels.ndim == 1 and data.test.labels.tolist() == [0]
    assert data.test.images == [str(tmp_path.resolve() / "sub" / "c.png")]
    assert data.test.descriptions == ["sub/c.png"] and data.train.ids == ["0", "1", "3"]
    assert data.name == "pairs"


def test_csv_multilabel_indicator(tmp_path):
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        touch(tmp_path / name)
    (tmp_path / "m.csv").write_text(
        "image,text,label\na.jpg,t a,sky | sea\nb.jpg,t b,sea\nc.jpg,t c,tree|sky|sea\n"
    )
    data = load_csv(tmp_path / "m.csv", test_size=0)
    assert data.categories == ["sea", "sky", "tree"]
    np.testing.assert_array_equal(data.train.labels, [[1, 1, 0], [1, 0, 0], [1, 1, 1]])
    assert data.test.labels.shape == (0, 3) and len(data.test) == 0
    other = load_csv(tmp_path / "m.csv", test_size=0, label_separator=";")
    assert "sky | sea" in other.categories and other.train.labels.ndim == 1


def test_tsv_with_text_files_absolute_paths_and_xml(tmp_path):
    img = touch(tmp_path / "elsewhere" / "photo one.jpg")
    touch(tmp_path / "data" / "b.jpg")
    (tmp_path / "data" / "texts").mkdir(parents=True)
    (tmp_path / "data" / "texts" / "b.txt").write_text("Grüße aus Köln", encoding="utf-8")
    (tmp_path / "data" / "texts" / "a.xml").write_text("<doc><text>an & b</text></doc>", encoding="utf-8")
    (tmp_path / "data" / "pairs.tsv").write_text(
        f"image\ttext\n{img}\ttexts/a.xml\nb.jpg\ttexts/b.txt\n", encoding="utf-8"
    )
    data = load_csv(tmp_path / "data" / "pairs.tsv", test_size=0)
    assert data.train.texts == ["an & b", "Grüße aus Köln"]
    assert data.train.images[0] == str(img) and data.train.labels is None and data.categories == []
    assert data.test.labels is None
    inline = load_csv(tmp_path / "data" / "pairs.tsv", test_size=0, text_is_path=False)
    assert inline.train.texts == ["texts/a.xml", "texts/b.txt"]


def test_csv_auto_delimiter_and_bom(tmp_path):
    touch(tmp_path / "a.jpg")
    (tmp_path / "semi.csv").write_text("\ufeffimage;text\na.jpg;hello, world\n", encoding="utf-8")
    assert load_csv(tmp_path / "semi.csv", test_size=0).train.texts == ["hello, world"]
    (tmp_path / "tabs.csv").write_text("image\ttext\na.jpg\thi\n")
    assert load_csv(tmp_path / "tabs.csv", test_size=0).train.texts == ["hi"]


def test_csv_deterministic_stratified_split_without_split_column(tmp_path):
    rows = ["image,text,label"]
    for i in range(40):
        touch(tmp_path / f"{i}.jpg")
        rows.append(f"{i}.jpg,text {i},{'ab'[i % 2]}")
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    a = load_csv(tmp_path / "p.csv", test_size=0.25, random_state=1)
    b = load_csv(tmp_path / "p.csv", test_size=0.25, random_state=1)
    c = load_csv(tmp_path / "p.csv", test_size=0.25, random_state=2)
    assert (len(a.train), len(a.test)) == (30, 10)
    assert a.test.ids == b.test.ids and a.test.ids != c.test.ids
    assert sorted(a.train.ids + a.test.ids, key=int) == [str(i) for i in range(40)]
    assert np.bincount(a.test.labels).tolist() == [5, 5]
    assert len(load_csv(tmp_path / "p.csv", test_size=4).test) == 4


def test_csv_id_column(tmp_path):
    touch(tmp_path / "a.jpg")
    (tmp_path / "p.csv").write_text("pid,image,text\nX7,a.jpg,hi\n")
    assert load_csv(tmp_path / "p.csv", id_column="pid", test_size=0).train.ids == ["X7"]


def test_csv_missing_columns(tmp_path):
    (tmp_path / "p.csv").write_text("picture,caption\na.jpg,hi\n")
    with pytest.raises(DatasetError, match=r"no image_column 'image'.*\['picture', 'caption'\]"):
        load_csv(tmp_path / "p.csv")
    touch(tmp_path / "a.jpg")
    data = load_csv(tmp_path / "p.csv", image_column="picture", text_column="caption", test_size=0)
    assert data.train.texts == ["hi"]
    with pytest.raises(DatasetError, match="no label_column 'category'"):
        load_csv(tmp_path / "p.csv", image_column="picture", text_column="caption", label_column="category")


def test_csv_missing_files_raise_then_skip(tmp_path):
    touch(tmp_path / "a.jpg")
    touch(tmp_path / "c.jpg")
    (tmp_path / "p.csv").write_text(
        "image,text,label\na.jpg,ok,x\nb.jpg,no image,x\nc.jpg,gone.txt,y\n"
    )
    with pytest.raises(MissingFileError) as info:
        load_csv(tmp_path / "p.csv")
    message = str(info.value)
    assert "line 3 id 1: missing image file" in message and "b.jpg" in message
    assert "line 4 id 2: missing text file" in message and "gone.txt" in message
    with pytest.warns(SkippedItemsWarning, match=r"skipped 2 pair\(s\)"):
        data = load_csv(tmp_path / "p.csv", on_error="skip", test_size=0)
    assert data.skipped_ids == ["1", "2"] and data.train.ids == ["0"]
    # Categories only come from loaded rows.
    assert data.categories == ["x"]


def test_csv_empty_cells_are_reported(tmp_path):
    touch(tmp_path / "a.jpg")
    (tmp_path / "p.csv").write_text("image,text,label\n,t,x\na.jpg,   ,x\na.jpg,t,\na.jpg,fine,x\n")
    with pytest.raises(DatasetError) as info:
        load_csv(tmp_path / "p.csv")
    message = str(info.value)
    assert "line 2 id 0: empty image cell" in message
    assert "line 3 id 1: empty text" in message and "line 4 id 2: empty label" in message


def test_csv_bad_split_value_and_extra_fields(tmp_path):
    touch(tmp_path / "a.jpg")
    (tmp_path / "p.csv").write_text("image,text,split\na.jpg,t,train\na.jpg,t,validation\n")
    with pytest.raises(DatasetError, match=r"line 3: split 'validation'"):
        load_csv(tmp_path / "p.csv")
    (tmp_path / "q.csv").write_text("image,text\na.jpg,t,extra\n")
    with pytest.raises(DatasetError, match="line 2: more fields"):
        load_csv(tmp_path / "q.csv")
    (tmp_path / "r.csv").write_text("image,text,split\na.jpg,t,test\n")
    with pytest.raises(DatasetError, match="no pair is in the training split"):
        load_csv(tmp_path / "r.csv")


def test_csv_empty_files(tmp_path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DatasetError, match="is empty"):
        load_csv(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("image,text\n")
    with pytest.raises(EmptyInputError, match="no rows"):
        load_csv(tmp_path / "h.csv")
    with pytest.raises(MissingFileError, match="CSV file not found"):
        load_csv(tmp_path / "nope.csv")


def test_csv_undecodable_text_file(tmp_path):
    touch(tmp_path / "a.jpg")
    (tmp_path / "t.txt").write_bytes(b"\xff\xfe\xfa bad")
    (tmp_path / "p.csv").write_text("image,text\na.jpg,t.txt\n")
    with pytest.raises(TextReadError, match=r"t\.txt"):
        load_csv(tmp_path / "p.csv")


@pytest.mark.parametrize("kwargs", [dict(on_error="ignore"), dict(on_error="drop"), dict(text_is_path="yes"),
                                    dict(test_size=1.0), dict(test_size=-1), dict(label_separator="")])
def test_csv_bad_options(tmp_path, kwargs):
    touch(tmp_path / "a.jpg")
    (tmp_path / "p.csv").write_text("image,text\na.jpg,t\n")
    with pytest.raises(InputError):
        load_csv(tmp_path / "p.csv", **kwargs)


# ----------------------------------------------------------------------------- folders


def make_folder(root: Path, pairs: dict[str, dict[str, str]]) -> Path:
    for category, items in pairs.items():
        for name, text in items.items():
            touch(root / category / f"{name}.jpg")
            (root / category / f"{name}.txt").write_text(text, encoding="utf-8")
    return root


def test_folder_layout_and_split(tmp_path):
    pairs = {"cats": {f"c{i}": f"cat {i}" for i in range(6)},
             "dogs & wolves": {f"d {i}": f"dog {i}" for i in range(6)},
             "öko": {f"ö{i}": f"öko {i}" for i in range(4)}}
    root = make_folder(tmp_path / "coll", pairs)
    data = load_folder(root, test_size=0.25, random_state=0)
    assert data.categories == ["cats", "dogs & wolves", "öko"]
    assert len(data.train) + len(data.test) == 16 and len(data.test) == 4
    for split in (data.train, data.test):
        for text, label, image, pid in zip(split.texts, split.labels, split.images, split.ids):
            assert Path(image).parent.name == data.categories[label]
            assert pid.startswith(data.categories[label] + "/")
            assert text.split()[0] == {"cats": "cat", "dogs & wolves": "dog", "öko": "öko"}[data.categories[label]]
    again = load_folder(root, test_size=0.25, random_state=0)
    assert again.test.ids == data.test.ids and again.train.texts == data.train.texts
    assert data.test.descriptions[0].count("/") == 1


def test_folder_problems_raise_and_skip(tmp_path):
    root = make_folder(tmp_path, {"a": {"x": "text x", "y": "text y"}, "b": {"z": "text z", "w": "w"}})
    (root / "a" / "y.txt").unlink()
    (root / "b" / "orphan.txt").write_text("no image")
    (root / "b" / "w.txt").write_text("  \n")
    touch(root / "b" / "z.png")
    touch(root / "loose.jpg")
    with pytest.raises(DatasetError) as info:
        load_folder(root)
    message = str(info.value)
    assert "5 pair(s)" in message
    assert "a/y: image without a text file" in message
    assert "b/orphan: text file without an image" in message
    assert "b/w: empty text file" in message and "b/z: several images share this name" in message
    assert "loose: image outside any category folder" in message
    with pytest.warns(SkippedItemsWarning, match=r"skipped 5 pair\(s\)"):
        data = load_folder(root, on_error="skip", test_size=0)
    assert data.train.ids == ["a/x"] and data.categories == ["a", "b"]
    assert sorted(data.skipped_ids) == ["a/y", "b/orphan", "b/w", "b/z", "loose"]


def test_folder_xml_texts_and_flat_layout(tmp_path):
    touch(tmp_path / "p1.jpg")
    (tmp_path / "p1.xml").write_text("<doc><text>first & best</text></doc>")
    touch(tmp_path / "p2.JPEG")
    (tmp_path / "p2.txt").write_text("second")
    data = load_folder(tmp_path, test_size=0)
    assert data.train.texts == ["first & best", "second"]
    assert data.train.labels is None and data.categories == [] and data.test.labels is None


def test_folder_empty_and_missing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyInputError):
        load_folder(tmp_path / "empty")
    with pytest.raises(MissingFileError):
        load_folder(tmp_path / "none")


def test_folder_stratified_split_keeps_every_category_in_test(tmp_path):
    pairs = {c: {f"{c}{i}": f"{c} text" for i in range(5)} for c in "abcd"}
    data = load_folder(make_folder(tmp_path, pairs), test_size=0.2, random_state=3)
    assert sorted(data.test.labels.tolist()) == [0, 1, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_folder(tmp_path, test_size=0.2)


# ----------------------------------------------------------------------------- dispatch


def test_load_dataset_dispatch(tmp_path):
    root = make_folder(tmp_path / "f", {"a": {"x": "t", "y": "u"}})
    assert load_dataset(root, test_size=0).train.ids == ["a/x", "a/y"]
    touch(tmp_path / "i.jpg")
    (tmp_path / "p.tsv").write_text("image\ttext\ni.jpg\thello\n")
    assert load_dataset(tmp_path / "p.tsv", test_size=0).train.texts == ["hello"]
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(DatasetError, match="cannot tell how to load"):
        load_dataset(tmp_path / "p.json")
    with pytest.raises(MissingFileError, match="dataset not found"):
        load_dataset(tmp_path / "missing")


def test_long_problem_listings_are_cut(tmp_path):
    touch(tmp_path / "a.jpg")
    rows = ["image,text", "a.jpg,ok"] + [f"gone{i}.jpg,t" for i in range(60)]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(MissingFileError, match=r"60 pair\(s\)") as info:
        load_csv(tmp_path / "p.csv")
    assert "gone49.jpg" in str(info.value) and "gone50.jpg" not in str(info.value)
    assert "... and 10 more" in str(info.value)
    with pytest.warns(SkippedItemsWarning):
        data = load_csv(tmp_path / "p.csv", on_error="skip", test_size=0)
    assert len(data.skipped_ids) == 60


_NAMES = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" _-'"),
                 min_size=1, max_size=8).map(str.strip).filter(bool)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sets(_NAMES, min_size=1, max_size=3), min_size=1, max_size=8))
def test_csv_labels_round_trip(label_sets):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        touch(root / "a.jpg")
        with open(root / "p.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["image", "text", "label"])
            for names in label_sets:
                writer.writerow(["a.jpg", "some text", "|".join(sorted(names))])
        data = load_csv(root / "p.csv", test_size=0)
    assert data.categories == sorted(set().union(*label_sets))
    if data.train.labels.ndim == 1:
        decoded = [{data.categories[k]} for k in data.train.labels]
    else:
        decoded = [{data.categories[k] for k in np.flatnonzero(row)} for row in data.train.labels]
    assert decoded == label_sets
    assert (data.train.labels.ndim == 2) == any(len(names) > 1 for names in label_sets)
