"""Tests of the Wikipedia-layout loader (classicx.datasets._wikipedia)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from classicx.datasets import load_dataset, load_wikipedia_layout
from classicx.exceptions import DatasetError, MissingFileError, SkippedItemsWarning, TextReadError

CATEGORIES = ["art", "people's_life", "sport"]


def make_layout(root: Path, train, test, *, texts=None, images=None, text_ext=".txt") -> Path:
    """Write a small collection; rows are (text_id, image_id, 1-based label)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "categories.list").write_text("\n".join(CATEGORIES) + "\n", encoding="utf-8")
    for name, rows in (("trainset_txt_img_cat.list", train), ("testset_txt_img_cat.list", test)):
        (root / name).write_text("".join(f"{t}\t{i}\t{c}\n" for t, i, c in rows), encoding="utf-8")
    (root / "texts").mkdir(exist_ok=True)
    for t, i, c in list(train) + list(test):
        content = (texts or {}).get(t, f"text of {t} about {CATEGORIES[c - 1]}")
        if content is not None:
            (root / "texts" / f"{t}{text_ext}").write_text(content, encoding="utf-8")
        name = (images or {}).get(i, f"{i}.jpg")
        if name is not None:
            (root / "images" / CATEGORIES[c - 1]).mkdir(parents=True, exist_ok=True)
            (root / "images" / CATEGORIES[c - 1] / name).write_bytes(b"\xff\xd8fake")
    return root


TRAIN = [("t1", "i1", 1), ("t2", "i2", 2), ("t3", "i3", 3), ("t4", "i4", 2)]
TEST = [("t5", "i5", 3), ("t6", "i6", 1)]


def test_basic_layout(tmp_path):
    root = make_layout(tmp_path / "wiki", TRAIN, TEST)
    data = load_wikipedia_layout(root)
    assert data.categories == CATEGORIES
    assert data.train.ids == ["t1", "t2", "t3", "t4"] and data.test.image_ids == ["i5", "i6"]
    np.testing.assert_array_equal(data.train.labels, [0, 1, 2, 1])  # 1-based in the file
    np.testing.assert_array_equal(data.test.labels, [2, 0])
    assert data.train.texts[1] == "text of t2 about people's_life"
    assert data.train.images[1] == str(root.resolve() / "images" / "people's_life" / "i2.jpg")
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in data.train.images)
    assert data.train.descriptions[0] == "images/art/i1.jpg"
    assert data.skipped_ids == [] and data.name == "wiki"


def test_stray_space_before_extension(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST, images={"i2": "i2 .jpg", "i6": "i6  .JPG"})
    data = load_wikipedia_layout(root)
    assert data.train.images[1].endswith("i2 .jpg")
    assert data.test.images[1].endswith("i6  .JPG")


def test_duplicate_image_id_prefers_row_category_folder(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    (root / "images" / "art" / "i3.jpg").write_bytes(b"copy")  # i3 belongs to 'sport'
    data = load_wikipedia_layout(root)
    assert Path(data.train.images[2]).parent.name == "sport"


def test_extra_images_are_ignored(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    (root / "images" / "art" / "unlisted.jpg").write_bytes(b"x")
    (root / "images" / "art" / "notes.txt").write_text("not an image")
    data = load_wikipedia_layout(root)
    assert len(data.train) == 4 and len(data.test) == 2


def test_missing_images_raise_listing_all(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST, images={"i2": None, "i5": None})
    with pytest.raises(MissingFileError) as info:
        load_wikipedia_layout(root)
    message = str(info.value)
    assert "2 pair(s)" in message
    assert "train id t2: missing image 'i2'" in message and "test id t5: missing image 'i5'" in message
    assert 'on_error="skip"' in message


def test_missing_images_skip_with_counting_warning(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST, images={"i2": None, "i5": None}, texts={"t3": None})
    with pytest.warns(SkippedItemsWarning, match=r"skipped 3 pair\(s\)") as record:
        data = load_wikipedia_layout(root, on_error="skip")
    assert "t3" in str(record[0].message) and "missing text file" in str(record[0].message)
    assert data.skipped_ids == ["t2", "t3", "t5"]
    assert data.train.ids == ["t1", "t4"] and data.test.ids == ["t6"]
    np.testing.assert_array_equal(data.train.labels, [0, 1])


def test_no_warning_when_nothing_missing(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_wikipedia_layout(root, on_error="skip")


def test_xml_texts_including_malformed(tmp_path):
    texts = {
        "t1": "<document><title>A</title><text>Paintings &amp; sculpture</text></document>",
        "t2": "<document><text>Fish & chips < 5 pounds</text></document>",  # not well-formed
        "t3": "<?xml version='1.0' encoding='utf-8'?><document><text>Fußball</text></document>",
        "t4": "<text>only text</text>",
        "t5": "<doc><text>part one</text><text>part two</text></doc>",
        "t6": "<doc><text>broken &amp; <b>bold</b> & raw</text>",
        "t7": "<doc><text><![CDATA[a < b & c]]></text></doc>",
        "t8": "<doc><text><![CDATA[x <y> & z]]> & more</text></doc>",
    }
    root = make_layout(tmp_path, TRAIN, TEST + [("t7", "i7", 1), ("t8", "i8", 2)], texts=texts, text_ext=".xml")
    data = load_wikipedia_layout(root)
    assert data.test.texts[2:] == ["a < b & c", "x <y> & z & more"]
    assert data.train.texts == ["Paintings & sculpture", "Fish & chips < 5 pounds", "Fußball", "only text"]
    assert data.test.texts[0] == "part one\npart two"
    assert "broken & " in data.test.texts[1] and "bold" in data.test.texts[1] and "<b>" not in data.test.texts[1]
    assert load_wikipedia_layout(root, text_format="xml").train.texts == data.train.texts
    with pytest.raises(MissingFileError, match="missing text file"):
        load_wikipedia_layout(root, text_format="txt")


def test_xml_without_text_element(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST, texts={"t1": "<doc><title>no text</title></doc>"}, text_ext=".xml")
    with pytest.raises(TextReadError, match=r"t1\.xml: XML document has no <text> element"):
        load_wikipedia_layout(root)


def test_undecodable_text_names_file(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    (root / "texts" / "t4.txt").write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(TextReadError, match=r"t4\.txt.*utf-8"):
        load_wikipedia_layout(root)
    data = load_wikipedia_layout(root, encoding="latin-1")
    assert data.train.texts[3] == "caf\u00e9"
    assert load_wikipedia_layout(root, errors="replace").train.texts[3] == "caf\ufffd"


def test_non_ascii_and_space_names(tmp_path):
    train = [("文本 1", "图片 1", 1), ("t2", "i2", 3)]
    root = make_layout(tmp_path / "my data", train, [("é", "ü", 2)], texts={"文本 1": "中文新闻"})
    data = load_wikipedia_layout(root)
    assert data.train.texts[0] == "中文新闻" and data.train.image_ids[0] == "图片 1"
    assert Path(data.train.images[0]).is_file() and data.test.ids == ["é"]


def test_malformed_list_rows(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    (root / "testset_txt_img_cat.list").write_text("t5\ti5\t3\nt6\ti6\n")
    with pytest.raises(DatasetError, match=r"testset_txt_img_cat\.list, line 2"):
        load_wikipedia_layout(root)
    (root / "testset_txt_img_cat.list").write_text("t5\ti5\t4\n")
    with pytest.raises(DatasetError, match=r"line 1: label 4 is outside 1\.\.3"):
        load_wikipedia_layout(root)
    (root / "testset_txt_img_cat.list").write_text("t5\ti5\tsport\n")
    with pytest.raises(DatasetError, match="not an integer"):
        load_wikipedia_layout(root)


def test_missing_pieces(tmp_path):
    with pytest.raises(MissingFileError, match="dataset directory not found"):
        load_wikipedia_layout(tmp_path / "nowhere")
    root = make_layout(tmp_path, TRAIN, TEST)
    (root / "testset_txt_img_cat.list").unlink()
    with pytest.raises(MissingFileError, match="testset_txt_img_cat.list"):
        load_wikipedia_layout(root)


def test_list_without_trailing_newline_and_blank_lines(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    (root / "testset_txt_img_cat.list").write_text("\nt5\ti5\t3\r\n\nt6\ti6\t1")
    data = load_wikipedia_layout(root)
    assert data.test.ids == ["t5", "t6"]


def test_bad_options(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    with pytest.raises(ValueError, match="on_error"):
        load_wikipedia_layout(root, on_error="drop")
    with pytest.raises(TypeError, match="on_missing"):
        load_wikipedia_layout(root, on_missing="drop")
    with pytest.raises(ValueError, match="text_format"):
        load_wikipedia_layout(root, text_format="html")


def test_load_dataset_dispatches_to_wikipedia(tmp_path):
    root = make_layout(tmp_path, TRAIN, TEST)
    assert load_dataset(root).train.ids == load_wikipedia_layout(root).train.ids


@pytest.mark.integration
def test_real_webnews(webnews_dir):
    with pytest.raises(MissingFileError) as info:
        load_wikipedia_layout(webnews_dir)
    message = str(info.value)
    assert "7 pair(s)" in message
    for split, pair_id in [("train", "72"), ("train", "1180"), ("train", "1106"), ("train", "162"),
                           ("test", "1729"), ("test", "1730"), ("test", "1784")]:
        assert f"{split} id {pair_id}: missing image" in message
    with pytest.warns(SkippedItemsWarning, match=r"skipped 7 pair\(s\)"):
        data = load_wikipedia_layout(webnews_dir, on_error="skip")
    assert sorted(data.skipped_ids) == sorted(["72", "1180", "1106", "162", "1729", "1730", "1784"])
    # The list files hold 1,700 and 500 rows (`wc -l` says 1,699/499: the last lines lack a newline).
    assert (len(data.train), len(data.test)) == (1700 - 4, 500 - 3)
    assert len(data.categories) == 10 and "people's_livelihood" in data.categories
    assert set(np.unique(data.train.labels)) == set(range(10))
    assert all(Path(p).is_file() for p in data.train.images + data.test.images)
    stray = {i: d for i, d in zip(data.train.image_ids + data.test.image_ids,
                                  data.train.descriptions + data.test.descriptions) if " ." in d}
    assert stray == {"22": "images/culture/22 .jpg", "1138": "images/education/1138 .jpg",
                     "444": "images/education/444 .jpg"}
    # Image ids stored in two category folders resolve to the folder of the row's label.
    for split in (data.train, data.test):
        for path, label in zip(split.images, split.labels):
            if Path(path).stem.strip() in {"1732", "1733", "1125", "745", "1781", "941", "935"}:
                assert Path(path).parent.name == data.categories[label]
    assert min(len(t) for t in data.train.texts) >= 12
